import hashlib
import secrets

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .retention_policy import PBX_TOKEN_GROUPS

LOW_TOUCH_CHANNELS = [("none", "Nothing"), ("email", "An e-mail"), ("sms", "An SMS")]


class ResCompany(models.Model):
    _inherit = "res.company"

    # Only a SHA-256 hash of the PBX token is stored; the clear token is shown once when generated.
    retention_pbx_token_hash = fields.Char(groups="base.group_system", copy=False, index="btree_not_null")
    # the hint and the date: sales managers and administrators only (a salesperson or a portal user reading or
    # searching res.company gets AccessError)
    retention_pbx_token_hint = fields.Char(
        string="PBX Token",
        readonly=True,
        copy=False,
        groups=PBX_TOKEN_GROUPS,
        help="Last characters of the active PBX token.",
    )
    retention_pbx_token_date = fields.Datetime(
        string="PBX Token Created",
        readonly=True,
        copy=False,
        groups=PBX_TOKEN_GROUPS,
        help="When the active PBX token was generated.",
    )

    # --- the retention queue (see retention.queue) ---
    retention_call_capacity = fields.Integer(
        default=20,
        help="How many open retention calls a salesperson holds at once unless their sales team membership says "
        "otherwise: a day's work beside their other work. The other customers wait in Waiting for a Call.",
    )
    retention_low_touch_warm = fields.Selection(
        LOW_TOUCH_CHANNELS,
        string="Warm customers without a call get",
        default="none",
        required=True,
        help="What a warm customer who is waiting for a call (or left the call queue) receives instead, at most once "
        "per warm follow-up interval.",
    )
    retention_low_touch_cold = fields.Selection(
        LOW_TOUCH_CHANNELS,
        string="Cold customers without a call get",
        default="none",
        required=True,
        help="What a cold customer who is waiting for a call (or left the call queue) receives instead, at most once "
        "per cold follow-up interval.",
    )
    retention_low_touch_lost = fields.Selection(
        LOW_TOUCH_CHANNELS,
        string="Lost customers without a call get",
        default="none",
        required=True,
        help="What a lost customer who is waiting for a call (or left the call queue) receives instead, at most once "
        "per lost follow-up interval.",
    )
    retention_mail_template_id = fields.Many2one(
        "mail.template",
        string="Retention e-mail",
        domain="[('model', '=', 'res.partner')]",
        default=lambda self: self.env.ref(
            "order_retention.mail_template_retention_low_touch", raise_if_not_found=False
        ),
        help="The e-mail sent to customers without a call: sent as their salesperson, in the customer's language, "
        "with an unsubscribe link.",
    )
    retention_sms_template_id = fields.Many2one(
        "sms.template",
        string="Retention SMS",
        domain="[('model', '=', 'res.partner')]",
        default=lambda self: self.env.ref("order_retention.sms_template_retention_low_touch", raise_if_not_found=False),
        help="The SMS sent to customers without a call, in the customer's language.",
    )
    retention_low_touch_max = fields.Integer(
        string="Messages per night (at most)",
        default=200,
        help="At most this many retention e-mails and SMS are queued per night for this company, most valuable "
        "customers first; the others get theirs on the following nights.",
    )

    @api.constrains("retention_call_capacity", "retention_low_touch_max")
    def _check_retention_queue_settings(self):
        for company in self:
            if not 0 <= company.retention_call_capacity <= 1000:
                raise ValidationError(self.env._("Retention calls per salesperson: enter a number between 0 and 1000."))
            if not 0 <= company.retention_low_touch_max <= 100000:
                raise ValidationError(self.env._("Messages per night: enter a number between 0 and 100,000."))

    @staticmethod
    def _retention_hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()

    def _retention_generate_pbx_token(self):
        """New token for this company (the previous one stops working); returns it in clear once."""
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        self.sudo().write(
            {
                "retention_pbx_token_hash": self._retention_hash_token(token),
                "retention_pbx_token_hint": "…" + token[-4:],
                "retention_pbx_token_date": fields.Datetime.now(),
            }
        )
        return token

    def _retention_revoke_pbx_token(self):
        self.sudo().write(
            {"retention_pbx_token_hash": False, "retention_pbx_token_hint": False, "retention_pbx_token_date": False}
        )

    def _retention_company_for_token(self, token):
        """The active company whose PBX token is ``token``, or an empty recordset."""
        if not token or len(token) > 256:
            return self.browse()
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("retention_pbx_token_hash", "=", self._retention_hash_token(token))], limit=1)
        )
