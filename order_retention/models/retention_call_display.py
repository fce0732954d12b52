from odoo import api, fields, models
from odoo.osv import expression

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
        for call in self:
            # the Settings of the call's company: its telephony logged it, its retention calls it closes
            minimum = retention_param(self.env, "retention_min_call_seconds", call.sudo().company_id or None)
            call.qualifies = call.verified and call.answered and call.duration_seconds >= minimum

    def _search(self, domain, offset=0, limit=None, order=None):
        retention_search.check_any_operators(self, domain)
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _search_qualifies(self, operator, value):
        # each company's calls against that company's minimum
        long_enough = expression.OR(
            [
                [
                    ("company_id", "=", company.id),
                    ("duration_seconds", ">=", retention_param(self.env, "retention_min_call_seconds", company)),
                ]
                for company in self.env["res.company"].sudo().with_context(active_test=False).search([])
            ]
        )
        domain = expression.AND([[("verified", "=", True), ("answered", "=", True)], long_enough])
        return retention_search.boolean_domain(self.env, operator, value, domain, self.env._("Long Enough"))
