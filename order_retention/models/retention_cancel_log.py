from odoo import api, fields, models


class RetentionCancelLog(models.Model):
    """One row per cancellation of a sale order: when, why, by whom, any correction by a sales manager and when
    the order went back to quotation. Written by the module only (read-only for everyone), so the reason of a
    cancellation survives "Set to Quotation" and a later cancellation; the cancellation analysis reports the
    orders' current cancellations, this history tells how they got there."""

    _name = "retention.cancel.log"
    _description = "Sale Order Cancellation History"
    _order = "cancel_date desc, id desc"
    _rec_name = "order_id"

    order_id = fields.Many2one(
        "sale.order",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
        help="The cancelled sale order.",
    )
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, index=True, help="The company of the cancelled order."
    )
    user_id = fields.Many2one(
        related="order_id.user_id", string="Salesperson", store=True, help="The salesperson of the cancelled order."
    )
    cancel_date = fields.Datetime(string="Cancelled On", readonly=True, help="When the order was cancelled.")
    cancel_user_id = fields.Many2one(
        "res.users", string="Cancelled By", readonly=True, help="Who cancelled it (empty: the customer online)."
    )
    reason_id = fields.Many2one(
        "retention.cancel.reason",
        ondelete="restrict",
        readonly=True,
        help="The reason of this cancellation (after any correction by a sales manager).",
    )
    note = fields.Text(readonly=True, help="What was said when it was cancelled.")
    excluded = fields.Boolean(
        string="Excluded from Statistics",
        compute="_compute_excluded",
        help="The reason leaves this cancellation out of the cancellation rate (duplicates, mistakes).",
    )
    original_reason_id = fields.Many2one(
        "retention.cancel.reason",
        string="Reason Given",
        ondelete="restrict",
        readonly=True,
        help="The reason given when the order was cancelled, if a sales manager corrected it since.",
    )
    corrected_by_id = fields.Many2one(
        "res.users", readonly=True, help="The sales manager who last corrected the reason."
    )
    corrected_date = fields.Datetime(string="Corrected On", readonly=True, help="When the reason was last corrected.")
    reset_date = fields.Datetime(
        string="Back to Quotation On",
        readonly=True,
        help="When the order was set back to quotation after this cancellation (empty: still cancelled).",
    )
    reset_user_id = fields.Many2one(
        "res.users", string="Back to Quotation By", readonly=True, help="Who set the order back to quotation."
    )

    @api.depends("reason_id.exclude_from_statistics")
    def _compute_excluded(self):
        for entry in self:
            entry.excluded = entry.reason_id.exclude_from_statistics
