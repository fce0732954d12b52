from odoo import api, fields, models

from . import retention_policy as policy


class RetentionChurnReason(models.Model):
    """Why a customer stopped ordering, as told on a retention call (maintained by sales managers)."""

    _name = "retention.churn.reason"
    _description = "Why a Customer Stopped Ordering"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True, help="When to pick this reason.")
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    is_complaint = fields.Boolean(
        string="Complaint",
        help="Picking this reason schedules a complaint analysis for the leader of the customer's sales team.",
    )
    stops_calls = fields.Boolean(
        string="Stops Retention Calls",
        help="A customer who gives this reason (e.g. a one-time purchase, a business closed or moved) leaves the "
        "retention-call queue and gets only the low-touch e-mail or SMS of Settings, if any. Ordering again or a "
        "sales manager puts them back.",
    )
    call_count = fields.Integer(
        string="Calls", compute="_compute_call_count", help="Retention calls that recorded this reason."
    )

    _sql_constraints = [
        ("name_uniq", "unique(name)", "A reason with this name already exists: reuse it or pick another name."),
    ]

    @api.depends_context("uid")
    def _compute_call_count(self):
        counts = dict(
            self.env["retention.call"]._read_group(
                [("churn_reason_id", "in", self.ids)], ["churn_reason_id"], ["__count"]
            )
        )
        for reason in self:
            reason.call_count = counts.get(reason, 0)

    def action_view_calls(self):
        """The calls that recorded this reason (internal users who may read the reason; the calls listed are
        those their record rules show)."""
        policy.check_internal(self.env)
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("order_retention.retention_call_action")
        action.update(domain=[("churn_reason_id", "=", self.id)], context={})
        return action
