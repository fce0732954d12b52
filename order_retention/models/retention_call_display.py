from odoo import api, fields, models

from . import retention_search
from .res_config_settings import retention_param


class RetentionCall(models.Model):
    """How the call log reads: reported by the telephony (verified) is not the same as long enough to
    close a retention call (qualifies)."""

    _inherit = "retention.call"

    verified = fields.Boolean(
        string="From Telephony",
        help="Reported by the telephony (PBX API, a provider's intake, CSV export): such calls can verify a retention "
        "call when they were answered and last long enough. Calls typed by hand never do.",
    )
    qualifies = fields.Boolean(
        string="Long Enough",
        compute="_compute_qualifies",
        search="_search_qualifies",
        help="From the telephony, answered and at least the minimum length of Settings (20 s by default): such a call, "
        "started after a retention call was scheduled, lets it be marked done.",
    )

    @api.depends("verified", "answered", "duration_seconds")
    @api.depends_context("uid")
    def _compute_qualifies(self):
        minimum = retention_param(self.env, "retention_min_call_seconds")
        for call in self:
            call.qualifies = call.verified and call.answered and call.duration_seconds >= minimum

    def _search(self, domain, offset=0, limit=None, order=None):
        retention_search.check_any_operators(self, domain)
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _search_qualifies(self, operator, value):
        minimum = retention_param(self.env, "retention_min_call_seconds")
        domain = [("verified", "=", True), ("answered", "=", True), ("duration_seconds", ">=", minimum)]
        return retention_search.boolean_domain(self.env, operator, value, domain, self.env._("Long Enough"))
