from odoo import api, fields, models, modules


def _exact(value):
    """``value`` for an =ilike comparison that matches it literally (no wildcards)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ResUsers(models.Model):
    _inherit = "res.users"

    retention_phone_extension = fields.Char(
        string="Telephony Extension",
        copy=False,
        help="How the telephony names this user in its call records: the extension (Asterisk, 3CX, Zadarma, Binotel, "
        "Ringostat), the SIP user or the Twilio Client identity. The calls it reports for this extension are this "
        "user's own calls. Calls are also matched by login and e-mail.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        if any(vals.get("retention_phone_extension") for vals in vals_list):
            self.env["retention.call"]._retention_link_agents(users.company_ids)
        return users

    def write(self, vals):
        res = super().write(vals)
        if {"retention_phone_extension", "login", "email"} & set(vals):
            self.env["retention.call"]._retention_link_agents(self.company_ids)
        return res

    @api.model
    def _retention_agent_domains(self, hints):
        """The searches that find the user a telephony's agent ``hints`` name, in order: the first that finds
        anyone decides."""
        extension, email = hints.get("extension"), hints.get("email")
        domains = []
        if extension:
            domains += [[("retention_phone_extension", "=", extension)], [("login", "=ilike", _exact(extension))]]
        if email:
            domains += [[("login", "=ilike", _exact(email))], [("email", "=ilike", _exact(email))]]
        return domains

    @api.model
    def _retention_agent_user(self, hints, company):
        """The one internal user of ``company`` that the telephony's agent ``hints`` ({"extension", "email"})
        name, by Telephony Extension, then login, then e-mail; no user when nobody or several match."""
        Users = self.sudo().with_context(active_test=True)
        base = [("share", "=", False), ("company_ids", "in", company.ids)]
        for domain in self._retention_agent_domains(hints):
            users = Users.search(base + domain, limit=2)
            if users:
                return users if len(users) == 1 else Users.browse()
        return Users.browse()

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
