from odoo import api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _cron_retention_cycle(self, batch_size=1000):
        """Daily retention cycle through the job queue: the cron only enqueues it (see retention.cycle).
        ``batch_size`` is the base cron's argument; the jobs do not use it."""
        self.env["retention.cycle"]._retention_enqueue_cycle()
        return 0
