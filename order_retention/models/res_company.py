import hashlib
import secrets

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .res_config_settings import COMPANY_PARAMS, check_retention_param
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

    # --- the retention cycle's settings, each company its own (Settings > Sales > Customer Retention shows the current
    # company's; their lowest values: COMPANY_PARAMS in res_config_settings.py) ---
    retention_warm_interval_days = fields.Integer(
        string="Warm follow-up every (days)",
        default=14,
        help="Days between two retention calls for a warm customer; 0 means no follow-up.",
    )
    retention_cold_interval_days = fields.Integer(
        string="Cold follow-up every (days)",
        default=30,
        help="Days between two retention calls for a cold customer; 0 means no follow-up.",
    )
    retention_lost_interval_days = fields.Integer(
        string="Lost follow-up every (days)",
        default=30,
        help="Days between two retention calls for a lost customer; 0 means no follow-up.",
    )
    retention_warning_z = fields.Float(
        string="Missing-order alert: tolerance",
        default=1.0,
        digits=(4, 2),
        help="How much longer than their usual gap a customer may stay silent before the order counts as missing. "
        "1 (default): about one normal gap in six is longer than the alert level, so an alert means something; "
        "0.5 warns earlier (more alerts), 2 later (fewer). Technically: the alert fires past "
        "exp(mean log gap + tolerance × spread of the log gaps).",
    )
    retention_cold_multiple = fields.Float(
        string="Cold after (× the alert level)",
        default=1.0,
        digits=(4, 2),
        help="A customer becomes cold when the silence exceeds this multiple of their missing-order alert level: "
        "1 (default) = cold as soon as the order is missing; 1.5 leaves them warm half a gap longer.",
    )
    retention_lost_probability = fields.Float(
        string="Lost at this chance of no order in 90 days",
        default=0.85,
        digits=(4, 2),
        help="A customer whose order is missing becomes lost once the chance that they will not order in the next "
        "90 days reaches this level: 85 % (default); 100 % turns this rule off (then only the days-of-silence cap "
        "makes customers lost). The chance comes from the buying pattern of your whole customer base, or from the "
        "customer's own rhythm while few customers have ordered twice; once the learned churn model is in use "
        "(Churn Models), it decides instead.",
    )
    retention_lost_cap_days = fields.Integer(
        string="Lost after (days of silence)",
        default=365,
        help="Absolute cap: a customer silent this long is lost whatever their rhythm.",
    )
    retention_shrinkage_kappa = fields.Float(
        string="Weight of similar customers",
        default=4.0,
        digits=(4, 1),
        help="A customer with few orders is judged partly on the rhythm of similar customers (same sales team). "
        "This is how many of the customer's own gaps between orders count as much as that shared rhythm: with 4 "
        "(default) a customer with 4 gaps is judged half on their own rhythm, with 12 gaps three quarters. "
        "0: only their own history.",
    )
    retention_max_unanswered = fields.Integer(
        string="Stop calling after (unanswered calls)",
        default=3,
        help="After this many retention calls in a row closed with no answer or a wrong number, the customer leaves "
        "the call queue and gets only the low-touch message of Settings. A sales manager can put them back.",
    )
    retention_stop_after_days = fields.Integer(
        string="Stop calling after (days without an order)",
        default=730,
        help="A customer silent longer than this leaves the call queue and gets only the low-touch message of "
        "Settings; 0 means never. A sales manager can keep a customer in the queue.",
    )
    retention_call_again_max_days = fields.Integer(
        string="Call back at most (days ahead)",
        default=90,
        help="A salesperson can agree to call a customer back at most this many days ahead; further needs a sales "
        "manager.",
    )
    retention_min_call_seconds = fields.Integer(
        string="Minimum verified call (seconds)",
        default=20,
        help="A retention call activity closes only with a logged call at least this long.",
    )
    retention_winback_min_amount = fields.Float(
        string="Order counts above (amount)",
        default=0.0,
        digits=(16, 2),
        help="A confirmed order counts for the ordering rhythm and closes open retention calls (back to active) "
        "only when its untaxed amount, in company currency, is above this amount. The default 0 means any order "
        "with a positive amount; a 0-value order never wins a customer back.",
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

    @api.constrains(*COMPANY_PARAMS, "retention_call_capacity", "retention_low_touch_max")
    def _check_retention_settings(self):
        for company in self:
            for fname in COMPANY_PARAMS:
                check_retention_param(self.env, fname, company[fname])
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
