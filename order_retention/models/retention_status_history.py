from odoo import api, fields, models
from odoo.tools import SQL

from . import retention_text
from .retention_cycle import RETENTION_STATUSES, status_rank_sql, status_rank_terms

STATUS_FIELDS = ("old_status", "new_status")


class RetentionStatusHistory(models.Model):
    _name = "retention.status.history"
    _description = "Customer Retention Status Change"
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    # a log the cycle appends to (``date`` says when): no creator / writer columns (two foreign key checks per row)
    _log_access = False

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        index="btree_not_null",
        help="The company whose orders the status was computed from (a customer of two companies has a history in "
        "each).",
    )
    date = fields.Date(required=True, index=True, readonly=True)
    old_status = fields.Selection(RETENTION_STATUSES, string="From", readonly=True)
    new_status = fields.Selection(RETENTION_STATUSES, string="To", readonly=True, index=True)
    days_since_last_order = fields.Integer(
        string="Days Silent", readonly=True, help="Whole days since the customer's last confirmed order that day."
    )
    warning_days = fields.Float(
        string="Warning Level",
        readonly=True,
        digits=(16, 0),
        help="Days of silence after which an order counted as missing for this customer that day.",
    )
    expected_gap_days = fields.Float(
        string="Usual Gap",
        readonly=True,
        digits=(16, 0),
        help="The customer's usual number of days between two orders that day.",
    )
    order_count = fields.Integer(
        string="Orders", readonly=True, help="The customer's confirmed orders counted by the cycle that day."
    )
    gap_spread_days = fields.Integer(
        string="Usual Variation (± days)",
        readonly=True,
        help="How many days the customer's gap between orders usually varied that day.",
    )
    last_order_date = fields.Date(string="Last Order", readonly=True, help="The customer's last confirmed order then.")
    expected_next_order_date = fields.Date(
        string="Next Order Expected", readonly=True, help="When the customer's next order was expected that day."
    )
    churn_probability = fields.Float(
        readonly=True,
        digits=(16, 4),
        help="The learned chance, that day, that the customer would not order again within the model's horizon "
        "(shown in the explanation only when the learned model was used that day).",
    )
    explanation_text = fields.Text(
        string="Explanation (as written)",
        readonly=True,
        help="The sentence as it was written when the change was recorded by an earlier version (kept for rows "
        "recorded before the figures above were stored).",
    )
    explanation = fields.Text(
        compute="_compute_explanation",
        help="The sentence with the numbers behind the change, in your language.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        readonly=True,
        index=True,
        help="The customer's salesperson when the status changed.",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Triggering Order",
        readonly=True,
        ondelete="set null",
        # few rows have one, and every deleted order (a quotation cleaned up, say) looks them up: without the index
        # PostgreSQL read the whole history once per deleted order (80,000 orders deleted at 1M: over 18 minutes)
        index="btree_not_null",
        help="The order that brought the customer back to active, when there is one.",
    )
    is_win_back = fields.Boolean(
        string="Win-back",
        readonly=True,
        help="The customer came back to active from warm, cold or lost.",
    )

    @api.depends_context("lang")
    @api.depends("order_count", "date", "days_since_last_order", "warning_days", "expected_gap_days", "sale_order_id")
    def _compute_explanation(self):
        """Rebuilt from the figures of the day in the reader's language (rows recorded by an earlier version
        show their sentence as written)."""
        runs = {}
        Run = self.env["retention.model.run"]
        for row in self:
            if row.sale_order_id and row.is_win_back and not row.order_count:
                # recorded when the order was confirmed, between two nightly runs
                row.explanation = self.env._("Ordered again: %(order)s.", order=row.sale_order_id.sudo().name)
                continue
            if not row.order_count or not row.new_status:
                row.explanation = row.explanation_text or False
                continue
            company = row.company_id or self.env.company
            if (company, row.date) not in runs:
                runs[company, row.date] = Run._retention_latest(company, row.date)
            run = runs[company, row.date]
            row.explanation = retention_text.explain(
                self.env,
                {
                    "count": row.order_count,
                    "gap": row.expected_gap_days,
                    "spread": row.gap_spread_days,
                    "days": row.days_since_last_order,
                    "last": row.last_order_date,
                    "next": row.expected_next_order_date,
                    "warning": row.warning_days,
                    "missing": row.days_since_last_order > row.warning_days,
                    "chance": row.churn_probability if run.model_used else None,
                    "horizon": run.horizon_days,
                },
            )

    # statuses sort Active -> Warm -> Cold -> Lost (not alphabetically) in lists, pivot and graph
    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        if field_name in STATUS_FIELDS:
            return SQL("%s %s %s", status_rank_sql(self._field_to_sql(alias, field_name, query)), direction, nulls)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    def _read_group_orderby(self, order, groupby_terms, query):
        return super()._read_group_orderby(order, status_rank_terms(groupby_terms, STATUS_FIELDS), query)
