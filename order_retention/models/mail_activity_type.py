from odoo import api, fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    retention_requires_verified_call = fields.Boolean(
        string="Requires a Verified Call",
        help="Activities of this type can be marked done only when a phone call with the customer, "
        "reported by the telephony and long enough (Settings), took place after the activity was created.",
    )

    @api.model
    def _retention_clear_warning_decoration(self):
        """Databases installed before: the retention call type had the 'warning' decoration, which made every
        list show "Warning" instead of what the follow-up is. Clear it (run at each module update)."""
        activity_type = self.env.ref("order_retention.mail_act_retention_call", raise_if_not_found=False)
        if activity_type and activity_type.decoration_type == "warning":
            activity_type.decoration_type = False
