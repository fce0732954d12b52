from odoo import api, models, modules


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _get_activity_groups(self):
        """Show retention calls as their own "Retention Calls" entry of the activity menu (opening
        My Retention Calls) instead of counting them among the contacts' activities."""
        groups = super()._get_activity_groups()
        activities = self.env["mail.activity"].search(
            [("user_id", "=", self.env.uid), ("retention_followup", "=", True)]
        )
        activities = activities.filtered(lambda a: a.retention_partner_id.has_access("read"))
        if not activities:
            return groups
        counts = {"today": 0, "overdue": 0, "planned": 0}
        for activity in activities:
            counts[activity.state] = counts.get(activity.state, 0) + 1
        contacts = next((g for g in groups if g.get("model") == "res.partner" and "retention_action" not in g), None)
        if contacts:
            for state, count in counts.items():
                contacts["%s_count" % state] = max(contacts.get("%s_count" % state, 0) - count, 0)
            contacts["total_count"] = contacts["today_count"] + contacts["overdue_count"]
            if not (contacts["total_count"] or contacts["planned_count"]):
                groups.remove(contacts)
        groups.append(
            {
                "id": 0,  # first in the menu (groups are sorted by id)
                "name": self.env._("Retention Calls"),
                "model": "res.partner",
                "type": "activity",
                "icon": modules.module.get_module_icon("sale"),
                "total_count": counts["today"] + counts["overdue"],
                "today_count": counts["today"],
                "overdue_count": counts["overdue"],
                "planned_count": counts["planned"],
                "view_type": "list",
                "retention_action": "order_retention.mail_activity_action_retention_calls",
            }
        )
        return groups
