from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # CALL LOG (calls, matching numbers, smart button)
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # QUOTATION HYGIENE
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # RETENTION CADENCE AND CYCLE
    # ------------------------------------------------------------------

    retention_last_computed = fields.Datetime(string="Retention computed on", readonly=True, copy=False)
