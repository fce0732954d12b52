# pylint: disable=consider-merging-classes-inherited
import hmac

from odoo import _, api, fields, models, tools
from odoo.tools import SQL

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

    retention_call_priority = fields.Monetary(
        string="Call Worth",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="What a retention call to this customer is worth: the value at risk times the chance that a call wins "
        "them back after this long a silence. Free slots in the salespeople's queues go to the highest first.",
    )
    retention_waiting_since = fields.Date(
        string="Waiting Since",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Needs a retention call but none is open yet: their salesperson's queue is full. Set the first night "
        "the customer waited; cleared when a call is scheduled or no call is needed any more.",
    )
    retention_queue_user_id = fields.Many2one(
        "res.users",
        string="Queue Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Whose retention calls this customer waits for: the salesperson, else the team leader, else the user "
        "chosen in Settings.",
    )
    retention_queue_rank = fields.Integer(
        string="Rank",
        compute="_compute_retention_queue_rank",
        help="Place in the queue of waiting customers of the same salesperson (1 = next call to schedule).",
    )
    retention_call_stop = fields.Selection(
        CALL_STOPS,
        string="Left the Call Queue",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Why this customer gets no more retention calls (only the low-touch e-mail or SMS of Settings, if "
        "any): too many unanswered calls, a silence longer than the limit of Settings, or a reason such as a "
        "one-time purchase. Ordering again or a sales manager puts them back.",
    )
    retention_unanswered_calls = fields.Integer(
        string="Unanswered Calls in a Row",
        readonly=True,
        copy=False,
        help="Retention calls closed with no answer or a wrong number since the customer was last reached.",
    )
    retention_kept_in_queue = fields.Boolean(
        string="Kept in the Call Queue",
        readonly=True,
        copy=False,
        help="A sales manager put this customer back in the call queue: the silence limit no longer takes them out "
        "(until they order again).",
    )
    retention_low_touch_date = fields.Date(
        string="Last Retention Message",
        readonly=True,
        copy=False,
        help="When the last automatic retention e-mail or SMS was queued for this customer.",
    )
    retention_low_touch_optout = fields.Boolean(
        string="No Retention Messages",
        readonly=True,
        copy=False,
        help="The customer unsubscribed from the automatic retention e-mails.",
    )

    @api.depends_context("uid")
    def _compute_retention_queue_rank(self):
        """Rank among the waiting customers of the same queue, computed when read (stored ranks would rewrite
        every waiting customer each night)."""
        waiting = self.filtered("retention_waiting_since")
        ranks = {}
        if waiting:
            self.flush_model(
                [
                    "retention_waiting_since",
                    "retention_queue_user_id",
                    "retention_call_priority",
                    "retention_restore_order_id",
                ]
            )
            ranks = dict(
                self.env.execute_query(
                    SQL(
                        """
                SELECT id, rank FROM (
                    SELECT p.id, row_number() OVER (
                               PARTITION BY p.retention_queue_user_id
                               -- a cancelled win-back is served first (retention.queue), so it ranks first
                               ORDER BY p.retention_restore_order_id IS NOT NULL DESC,
                                        p.retention_call_priority DESC NULLS LAST, p.id) AS rank
                      FROM res_partner p
                     WHERE p.retention_waiting_since IS NOT NULL
                       AND p.retention_queue_user_id IN %(users)s
                ) ranked WHERE id IN %(ids)s
                """,
                        users=tuple(set(waiting.retention_queue_user_id.ids)) or (0,),
                        ids=tuple(waiting.ids),
                    )
                )
            )
        for partner in self:
            partner.retention_queue_rank = ranks.get(partner.id, 0)

    def action_retention_keep_in_queue(self):
        """Put customers back in the retention-call queue (sales managers): the stop is lifted, the unanswered
        count reset, and the silence limit no longer applies to them until they order again."""
        policy.check_manager(self.env, _("Only a sales manager can put a customer back in the call queue."))
        customers = self.commercial_partner_id
        customers.check_access("write")
        with policy.retention_system():
            customers.sudo().write(
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
