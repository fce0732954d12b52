from odoo import fields, models
from odoo.tools import SQL

from .retention_cycle import RETENTION_STATUSES, status_rank_sql, status_rank_terms

STATUS_FIELDS = ("old_status", "new_status")


class RetentionStatusHistory(models.Model):
    _name = "retention.status.history"
    _description = "Customer Retention Status Change"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
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
    explanation = fields.Text(readonly=True, help="The sentence with the numbers behind the change.")
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
        help="The order that brought the customer back to active, when there is one.",
    )
    is_win_back = fields.Boolean(
        string="Win-back",
        readonly=True,
        help="The customer came back to active from warm, cold or lost.",
    )

    # statuses sort Active -> Warm -> Cold -> Lost (not alphabetically) in lists, pivot and graph
    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        if field_name in STATUS_FIELDS:
            return SQL("%s %s %s", status_rank_sql(self._field_to_sql(alias, field_name, query)), direction, nulls)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    def _read_group_orderby(self, order, groupby_terms, query):
        return super()._read_group_orderby(order, status_rank_terms(groupby_terms, STATUS_FIELDS), query)
