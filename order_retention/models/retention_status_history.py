from odoo import fields, models

from .retention_cycle import RETENTION_STATUSES


class RetentionStatusHistory(models.Model):
    _name = "retention.status.history"
    _description = "Customer Retention Status Change"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade", readonly=True,
    )
    date = fields.Date(required=True, index=True, readonly=True)
    old_status = fields.Selection(RETENTION_STATUSES, string="From", readonly=True)
    new_status = fields.Selection(RETENTION_STATUSES, string="To", readonly=True, index=True)
    days_since_last_order = fields.Integer(readonly=True)
    warning_days = fields.Float(string="Warning Level (days)", readonly=True, digits=(16, 1))
    expected_gap_days = fields.Float(string="Usual Gap (days)", readonly=True, digits=(16, 1))
    explanation = fields.Text(readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", readonly=True, index=True,
        help="The customer's salesperson when the status changed.",
    )
    sale_order_id = fields.Many2one(
        "sale.order", string="Triggering Order", readonly=True, ondelete="set null",
        help="The order that brought the customer back to active, when there is one.",
    )
    is_win_back = fields.Boolean(
        string="Win-back", readonly=True,
        help="The customer came back to active from warm, cold or lost.",
    )
