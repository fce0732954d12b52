import hashlib
import secrets

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # Only a SHA-256 hash of the PBX token is stored; the clear token is shown once when generated.
    retention_pbx_token_hash = fields.Char(groups="base.group_system", copy=False, index="btree_not_null")
    retention_pbx_token_hint = fields.Char(
        string="PBX Token", readonly=True, copy=False, help="Last characters of the active PBX token."
    )
    retention_pbx_token_date = fields.Datetime(string="PBX Token Created", readonly=True, copy=False)

    @staticmethod
    def _retention_hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()

    def _retention_generate_pbx_token(self):
        """New token for this company (the previous one stops working); returns it in clear once."""
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        self.sudo().write(
            {
                "retention_pbx_token_hash": self._retention_hash_token(token),
                "retention_pbx_token_hint": "…" + token[-4:],
                "retention_pbx_token_date": fields.Datetime.now(),
            }
        )
        return token

    def _retention_revoke_pbx_token(self):
        self.sudo().write(
            {"retention_pbx_token_hash": False, "retention_pbx_token_hint": False, "retention_pbx_token_date": False}
        )

    def _retention_company_for_token(self, token):
        """The active company whose PBX token is ``token``, or an empty recordset."""
        if not token or len(token) > 256:
            return self.browse()
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("retention_pbx_token_hash", "=", self._retention_hash_token(token))], limit=1)
        )
