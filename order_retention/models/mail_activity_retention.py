# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.tools import SQL

from . import retention_search
from .retention_cycle import status_rank_terms


# Kept apart from mail_activity.py on purpose: that file is the security guard of retention calls
# (who may close, retype, move them), this one only presents them; mixing both would bury the guard.
class MailActivity(models.Model):
    """The salesperson's queue of retention calls (Sales > Retention > My Retention Calls): the customer
    of each activity and its retention figures, readable, searchable and groupable from the activity."""

    _inherit = "mail.activity"

    retention_partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_retention_partner_id",
        store=True,
        precompute=True,  # in the INSERT: no UPDATE of every new activity after it
        index="btree_not_null",
        help="The contact or company this activity is about.",
    )
    retention_followup = fields.Boolean(
        string="Retention Call",
        compute="_compute_retention_followup",
        search="_search_retention_followup",
        help="A retention call scheduled by the retention cycle (activity type of Settings).",
    )
    retention_customer_id = fields.Many2one(
        "retention.customer",
        string="Retention Figures",
        compute="_compute_retention_customer_id",
        compute_sudo=True,
        store=True,
        precompute=True,  # in the INSERT, as retention_partner_id
        index="btree_not_null",
        help="The figures of the customer in the company of this retention call. Whoever may read the call (its "
        "assignee, the customer's salesperson, a sales manager) reads them with it.",
    )
    retention_status = fields.Selection(
        related="retention_customer_id.retention_status",
        string="Status",
        help="The customer's retention status today (it may have changed since the call was scheduled).",
    )
    retention_explanation = fields.Text(related="retention_customer_id.retention_explanation", string="Why")
    retention_phone = fields.Char(related="retention_partner_id.phone", string="Phone")
    retention_mobile = fields.Char(related="retention_partner_id.mobile", string="Mobile")
    retention_days_silent = fields.Integer(related="retention_customer_id.retention_days_since_last_order")
    retention_last_contact = fields.Char(related="retention_customer_id.retention_last_contact")
    retention_currency_id = fields.Many2one(related="retention_customer_id.retention_currency_id")
    retention_total_amount = fields.Monetary(
        related="retention_customer_id.retention_total_amount", currency_field="retention_currency_id"
    )
    retention_annual_value = fields.Monetary(
        related="retention_customer_id.retention_annual_value", currency_field="retention_currency_id"
    )
    retention_value_at_risk = fields.Monetary(
        string="Value at Risk",
        readonly=True,
        copy=False,
        currency_field="retention_currency_id",
        help="The customer's annual value × churn probability, copied from the customer when the call is scheduled "
        "and at every daily computation, so that the queue sorts and sums by it: call the most valuable first.",
    )

    retention_chosen = fields.Char(
        string="Why Now",
        compute="_compute_retention_chosen",
        help="Why the retention cycle gave this customer a slot in your queue: their rank among the customers who "
        "were waiting for it, by call worth (value at risk x win-back chance); the call's note says more.",
    )
    retention_chosen_rank = fields.Integer(
        string="Rank When Chosen",
        readonly=True,
        copy=False,
        help="The customer's rank, by call worth, among the customers waiting for this queue the night the call was "
        "scheduled (1 = the most worth calling).",
    )
    retention_chosen_waiting = fields.Integer(
        string="Waiting When Chosen",
        readonly=True,
        copy=False,
        help="How many customers were waiting for this queue the night the call was scheduled.",
    )

    @api.depends("retention_chosen_rank", "retention_chosen_waiting")
    @api.depends_context("lang")
    def _compute_retention_chosen(self):
        """ "No. 3 of 412" in the reader's language (stored as figures: the cycle runs in nobody's language)."""
        for activity in self:
            rank, waiting = activity.retention_chosen_rank, activity.retention_chosen_waiting
            activity.retention_chosen = (
                self.env._("No. %(rank)s of %(waiting)s", rank=rank, waiting=waiting) if rank and waiting else False
            )

    @api.depends("res_model", "res_id")
    @api.depends("retention_partner_id", "retention_company_id")
    def _compute_retention_customer_id(self):
        calls = self.filtered("retention_partner_id")
        (self - calls).retention_customer_id = False
        if not calls:
            return
        rows = self.env["retention.customer"].search(
            [
                ("partner_id", "in", calls.retention_partner_id.commercial_partner_id.ids),
                ("company_id", "in", (calls.retention_company_id | self.env.company).ids),
            ]
        )
        by_key = {(row.partner_id.id, row.company_id.id): row for row in rows}
        for activity in calls:
            key = (
                activity.retention_partner_id.commercial_partner_id.id,
                (activity.retention_company_id or self.env.company).id,
            )
            activity.retention_customer_id = by_key.get(key, False)

    def _compute_retention_partner_id(self):
        for activity in self:
            is_partner = activity.res_model == "res.partner" and activity.res_id
            activity.retention_partner_id = activity.res_id if is_partner else False

    @api.depends("activity_type_id", "res_model")
    def _compute_retention_followup(self):
        activity_type = self.env["retention.cycle"]._retention_activity_type()
        for activity in self:
            activity.retention_followup = (
                activity.res_model == "res.partner" and activity.activity_type_id == activity_type
            )

    def _search(self, domain, offset=0, limit=None, order=None):
        retention_search.check_any_operators(self, domain)
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _search_retention_followup(self, operator, value):
        domain = [
            ("res_model", "=", "res.partner"),
            ("activity_type_id", "=", self.env["retention.cycle"]._retention_activity_type().id),
        ]
        return retention_search.boolean_domain(self.env, operator, value, domain, self.env._("Retention Call"))

    @api.model
    def _retention_refresh_values(self, activity_ids=None, partner_range=None):
        """Copy each customer's value at risk (and its row of figures, which a call scheduled before the customer's
        first classification lacks) onto its open activities (all, or ``activity_ids``, or
        those of the customers of ids ``partner_range`` = (first, last)): one statement, only rows that
        differ."""
        self.flush_model(["retention_partner_id", "retention_company_id", "active"])
        self.env["retention.customer"].flush_model(["retention_value_at_risk"])
        self.env.cr.execute(
            SQL(
                """
            UPDATE mail_activity a SET retention_value_at_risk = p.retention_value_at_risk, retention_customer_id = p.id
              FROM retention_customer p
             WHERE a.retention_partner_id = p.partner_id AND a.retention_company_id = p.company_id AND a.active %s %s
               AND (a.retention_value_at_risk IS DISTINCT FROM p.retention_value_at_risk
                    OR a.retention_customer_id IS DISTINCT FROM p.id)
            """,
                SQL("AND a.id IN %s", tuple(activity_ids)) if activity_ids else SQL(""),
                SQL("AND p.partner_id BETWEEN %s AND %s", *partner_range)
                if partner_range and partner_range[0] is not None
                else SQL(""),
            )
        )
        self.invalidate_model(["retention_value_at_risk", "retention_customer_id"])

    def _read_group_orderby(self, order, groupby_terms, query):
        return super()._read_group_orderby(order, status_rank_terms(groupby_terms, ("retention_status",)), query)

    def action_open_retention_customer(self):
        """Open the customer of this retention call (a line of My Retention Calls)."""
        self.ensure_one()
        partner = self.retention_partner_id
        partner.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": partner.id,
            "view_mode": "form",
            # the customer's form on its Retention tab (figures, explanation, history)
            "views": [(self.env.ref("order_retention.view_partner_form_retention_tab").id, "form")],
            "target": "current",
        }

    @api.model
    def action_retention_next_call(self):
        """The salesperson's next retention call: of their open calls due today or late, the one whose customer
        has the most value at risk (else their next upcoming one); opens its customer."""
        Activity = self.search(
            [("retention_followup", "=", True), ("user_id", "=", self.env.uid), ("active", "=", True)],
            order="date_deadline, id",
        )
        today = fields.Date.context_today(self)
        due = Activity.filtered(lambda a: a.date_deadline <= today)
        pick = max(due, key=lambda a: (a.retention_value_at_risk or 0.0, -a.id), default=None) if due else Activity[:1]
        if not pick:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {"type": "info", "message": self.env._("No retention call is waiting for you.")},
            }
        return pick.action_open_retention_customer()
