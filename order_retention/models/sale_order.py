from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------------
    # QUOTATION HYGIENE (duplicates, being handled, cancellation reasons)
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # CALL LOG
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # RETENTION CADENCE (days since previous order, won back)
    # ------------------------------------------------------------------

    retention_days_since_previous_order = fields.Integer(
        string="Days since previous order", readonly=True, copy=False,
        help="Days between this order's confirmation and the customer's previous confirmed order.",
    )
