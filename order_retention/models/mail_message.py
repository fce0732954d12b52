from odoo import api, fields, models


class MailMessage(models.Model):
    """The chatter message of a done retention call tells what the customer said: it follows the visibility of the
    customer's calls (record rule "Retention calls done: own and unowned customers")."""

    _inherit = "mail.message"

    retention_visible = fields.Boolean(
        string="Retention Message Visible",
        compute="_compute_retention_visible",
        search="_search_retention_visible",
        help="Technical: the message is on one of the current user's customers or on a customer nobody owns, or "
        "the user wrote it (the Own Documents Only rule of done retention calls).",
    )

    def _compute_retention_visible(self):
        partner = self.env.user.partner_id
        for message in self.sudo():
            if message.author_id == partner or message.model != "res.partner" or not message.res_id:
                message.retention_visible = True
                continue
            owner = self.env["res.partner"].sudo().browse(message.res_id).exists().commercial_partner_id.user_id
            message.retention_visible = owner.id in (False, self.env.uid)

    @api.model
    def _retention_customers_domain(self):
        """Customers the current user may see the retention calls of: their own and those nobody owns."""
        return [
            "|",
            ("commercial_partner_id.user_id", "=", self.env.uid),
            ("commercial_partner_id.user_id", "=", False),
        ]

    def _search_retention_visible(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search this field with = True or = False."))
        partners = (
            self.env["res.partner"].sudo().with_context(active_test=False)._search(self._retention_customers_domain())
        )
        domain = [
            "|",
            "|",
            ("author_id", "=", self.env.user.partner_id.id),
            ("model", "!=", "res.partner"),
            ("res_id", "in", partners),
        ]
        return domain if (operator == "=") == value else ["!", *domain]
