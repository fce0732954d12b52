from odoo import _, api, fields, models
from odoo.exceptions import UserError

from . import retention_policy as policy

CANCEL_REASON_REQUIRED_KEY = "order_retention.cancel_reason_required"


def retention_cancel_reason_required(env):
    """Whether cancelling a sale order from the interface asks for a reason (setting, on by default).
    Stored as text "True"/"False" so that "off" survives (a missing parameter means on)."""
    raw = env["ir.config_parameter"].sudo().get_param(CANCEL_REASON_REQUIRED_KEY)
    return raw in (None, False, "") or str(raw).strip().lower() not in ("false", "0", "")


class RetentionCancelReason(models.Model):
    _name = "retention.cancel.reason"
    _description = "Sale Order Cancellation Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True, help="When to use this reason.")
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    exclude_from_statistics = fields.Boolean(
        help="Orders cancelled with this reason (duplicates, mistakes) are left out of the cancellation rate.",
    )
    order_count = fields.Integer(string="Cancelled Orders", compute="_compute_order_count")
    system_only = fields.Boolean(
        compute="_compute_system_only",
        search="_search_system_only",
        help="Given by the system only (the customer portal's decline, the duplicate quotations clean-up): never "
        "offered when someone cancels an order.",
    )

    def _compute_system_only(self):
        system = policy.system_cancel_reasons(self.env)
        for reason in self:
            reason.system_only = reason in system

    def _search_system_only(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("System-only reasons can only be searched with = or !=."))
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", policy.system_cancel_reasons(self.env).ids)]

    _sql_constraints = [
        (
            "name_uniq",
            "unique(name)",
            "A cancellation reason with this name already exists: reuse it or pick another name.",
        ),
    ]

    @api.depends_context("uid")
    def _compute_order_count(self):
        counts = dict(
            self.env["sale.order"]._read_group(
                [("retention_cancel_reason_id", "in", self.ids)],
                ["retention_cancel_reason_id"],
                ["__count"],
            )
        )
        for reason in self:
            reason.order_count = counts.get(reason, 0)

    def action_view_orders(self):
        """The orders cancelled with this reason."""
        policy.check_internal(self.env)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action.update(
            {
                "domain": [("retention_cancel_reason_id", "=", self.id)],
                "context": {"create": False},
                "display_name": self.name,
            }
        )
        return action
