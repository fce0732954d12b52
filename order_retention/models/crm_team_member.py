from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmTeamMember(models.Model):
    """A salesperson's retention-call capacity in a sales team, the way CRM sets a lead capacity."""

    _inherit = "crm.team.member"

    retention_call_capacity = fields.Integer(
        default=lambda self: self.env.company.retention_call_capacity,
        help="How many open retention calls this salesperson holds at once (a day's work beside their other work). "
        "The nightly cycle never gives them more; the other customers wait in Waiting for a Call. In several teams, "
        "the largest capacity counts.",
    )
    retention_call_optout = fields.Boolean(
        string="No Retention Calls",
        help="This salesperson gets no retention calls: their customers' calls go to the team leader, else to the "
        "user chosen in Settings.",
    )

    @api.constrains("retention_call_capacity")
    def _check_retention_call_capacity(self):
        for member in self:
            if not 0 <= member.retention_call_capacity <= 1000:
                raise ValidationError(
                    self.env._(
                        "The retention call capacity of %(user)s must be between 0 and 1000 (it is %(value)s).",
                        user=member.user_id.name,
                        value=member.retention_call_capacity,
                    )
                )
