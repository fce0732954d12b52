from odoo import fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    retention_requires_verified_call = fields.Boolean(
        string="Requires a Verified Call",
        help="Activities of this type can be marked done only when a phone call with the customer, "
        "reported by the telephony and long enough (Settings), took place after the activity was created.",
    )
