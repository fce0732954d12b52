from odoo import models

from ..models import retention_policy as policy


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        """Merging moves activities and calls from one customer to another: refused while any of the
        merged customers (or their companies) has an open retention call, except for a sales manager,
        whose merge is logged on the customers."""
        if not policy.is_system(self.env):
            self.env["res.partner"].browse(partner_ids)._retention_check_removal(self.env._("merge"))
        return super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
