from odoo import _, fields, models
from odoo.exceptions import UserError

from ..models import retention_policy as policy
from ..models.retention_cancel_reason import retention_cancel_reason_required


class RetentionCancelReasonMixin(models.AbstractModel):
    """Reason + note asked by the cancel wizards, written on the orders before core cancels them."""

    _name = "retention.cancel.reason.mixin"
    _description = "Cancellation reason on cancel wizards"

    retention_cancel_reason_id = fields.Many2one(
        "retention.cancel.reason",
        string="Cancellation Reason",
        domain="[('id', 'not in', retention_system_reason_ids)]",
    )
    retention_cancel_note = fields.Text(string="Cancellation Note")
    retention_reason_required = fields.Boolean(default=lambda self: retention_cancel_reason_required(self.env))
    retention_system_reason_ids = fields.Many2many(
        "retention.cancel.reason",
        compute="_compute_retention_system_reason_ids",
        help="Reasons set by the system only (portal decline, duplicates clean-up): not offered here.",
    )

    def _compute_retention_system_reason_ids(self):
        # the server's list, whatever a client sends (it only narrows the choice; the check is on cancelling)
        system = policy.system_cancel_reasons(self.env)
        for wizard in self:
            wizard.retention_system_reason_ids = system

    def _retention_check_reason(self, orders):
        """The reason is given when required, and is one the user may give (not a system-only one)."""
        self.ensure_one()
        if self.retention_cancel_reason_id:
            policy.check_cancel_reason(self.env, self.retention_cancel_reason_id)
        elif retention_cancel_reason_required(self.env):
            raise UserError(
                _(
                    "Choose a cancellation reason before cancelling (add one under Sales > Configuration > "
                    "Cancellation Reasons if none fits)."
                )
            )

    def _retention_write_reason(self, orders):
        """Check the reason, then store it (and the note) on the orders to cancel."""
        self._retention_check_reason(orders)
        if self.retention_cancel_reason_id:
            with policy.retention_system():
                orders.filtered(lambda o: o.state != "cancel").write(
                    {
                        "retention_cancel_reason_id": self.retention_cancel_reason_id.id,
                        "retention_cancel_note": self.retention_cancel_note or False,
                    }
                )


class SaleOrderCancel(models.TransientModel):
    _name = "sale.order.cancel"
    _inherit = ["sale.order.cancel", "retention.cancel.reason.mixin"]

    def action_cancel(self):
        self._retention_write_reason(self.order_id)
        return super().action_cancel()

    def action_send_mail_and_cancel(self):
        # checked before the e-mail goes out; action_cancel() writes the reason
        self._retention_check_reason(self.order_id)
        return super().action_send_mail_and_cancel()


class SaleMassCancelOrders(models.TransientModel):
    _name = "sale.mass.cancel.orders"
    _inherit = ["sale.mass.cancel.orders", "retention.cancel.reason.mixin"]

    def action_mass_cancel(self):
        self._retention_write_reason(self.sale_order_ids)
        return super().action_mass_cancel()
