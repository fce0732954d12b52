# pylint: disable=consider-merging-classes-inherited
import hmac

from odoo import _, fields, models, tools

from . import retention_policy as policy

CALL_STOPS = [
    ("attempts", "Unanswered attempts"),
    ("silence", "Silent too long"),
    ("reason", "Reason given on a call"),
]


# Kept apart from res_partner.py: that file holds the cycle's figures and the partner's guards; this one
# holds where the customer stands in the retention-call queue (filled by retention.queue every night).
class ResPartner(models.Model):
    _inherit = "res.partner"

    retention_low_touch_optout = fields.Boolean(
        string="No Retention Messages",
        readonly=True,
        copy=False,
        help="The customer unsubscribed from the automatic retention e-mails.",
    )

    def action_retention_keep_in_queue(self):
        """Put customers back in the retention-call queue (sales managers): the stop is lifted, the unanswered
        count reset, and the silence limit no longer applies to them until they order again."""
        policy.check_manager(self.env, _("Only a sales manager can put a customer back in the call queue."))
        customers = self.commercial_partner_id
        customers.check_access("write")
        with policy.retention_system():
            self.env["retention.customer"]._retention_rows(customers, self.env.company).write(
                {
                    "retention_call_stop": False,
                    "retention_unanswered_calls": 0,
                    "retention_kept_in_queue": True,
                    "retention_lost_for_good": False,
                }
            )
        for customer in customers:
            customer.message_post(body=_("Put back in the retention-call queue by %(user)s.", user=self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # UNSUBSCRIBE (the link of the low-touch e-mail)
    # ------------------------------------------------------------------

    def _retention_unsubscribe_token(self):
        self.ensure_one()
        return tools.hmac(self.env(su=True), "order_retention-unsubscribe", self.id)

    def _retention_unsubscribe_token_ok(self, token):
        return hmac.compare_digest(self._retention_unsubscribe_token(), str(token or ""))

    def _retention_unsubscribe_url(self):
        self.ensure_one()
        base = self.get_base_url()
        return "%s/order_retention/unsubscribe/%s/%s" % (base, self.id, self._retention_unsubscribe_token())

    def _retention_unsubscribe(self):
        """The customer clicked the unsubscribe link: no more retention e-mails, and the address goes on Odoo's
        blacklist (no mass mailing either)."""
        self.ensure_one()
        with policy.retention_system():
            self.sudo().write({"retention_low_touch_optout": True})
        if self.email:
            self.env["mail.blacklist"].sudo()._add(self.email, message=_("Unsubscribed from the retention e-mails."))
        self.sudo().message_post(body=_("Unsubscribed from the retention e-mails."))
