from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _retention_agent_domains(self, hints):
        """The softphone's SIP user (VoIP tab of the user) is also how the PBX names the agent: matched after the
        Telephony Extension, before login and e-mail."""
        domains = super()._retention_agent_domains(hints)
        extension = hints.get("extension")
        if extension:
            domains.insert(1, [("voip_username", "=", extension)])
        return domains
