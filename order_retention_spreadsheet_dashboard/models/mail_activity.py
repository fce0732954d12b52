from odoo import fields, models

from odoo.addons.order_retention.models.retention_search import selection_values

CALL_STATES = [
    ("overdue", "Overdue"),
    ("due", "Due"),
    ("done_month", "Done This Month"),
]


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # A spreadsheet data source is a fixed domain: "overdue" and "this month" must be
    # resolved when the dashboard is read, hence this search-only field.
    retention_call_state = fields.Selection(
        CALL_STATES,
        compute="_compute_retention_call_state",
        search="_search_retention_call_state",
        help="Retention calls only: open and past their deadline (overdue), open and "
        "due today or later (due), or done since the first day of this month.",
    )

    def _retention_call_type(self):
        return self.env.ref("order_retention.mail_act_retention_call", raise_if_not_found=False)

    def _compute_retention_call_state(self):
        call_type = self._retention_call_type()
        today = fields.Date.context_today(self)
        month_start = today.replace(day=1)
        for activity in self:
            state = False
            if call_type and activity.activity_type_id == call_type:
                if activity.active:
                    state = "overdue" if activity.date_deadline < today else "due"
                elif activity.date_done and activity.date_done >= month_start:
                    state = "done_month"
            activity.retention_call_state = state

    def _search_retention_call_state(self, operator, value):
        values = selection_values(
            self.env, operator, value, [key for key, _label in CALL_STATES], self.env._("Retention Call State")
        )
        call_type = self._retention_call_type()
        if not call_type or not values:
            return [("id", "=", False)]
        today = fields.Date.context_today(self)
        by_state = {
            "overdue": [("active", "=", True), ("date_deadline", "<", today)],
            "due": [("active", "=", True), ("date_deadline", ">=", today)],
            "done_month": [
                ("active", "=", False),
                ("date_done", ">=", today.replace(day=1)),
            ],
        }
        domain = ["|"] * (len(values) - 1)
        for state in sorted(values):
            domain += ["&", *by_state[state]]
        return ["&", ("activity_type_id", "=", call_type.id), *domain]
