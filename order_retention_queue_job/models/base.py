from odoo import api, models


class Base(models.AbstractModel):
    """queue_job's ``with_delay`` and ``delayable`` build jobs for server code; called over RPC they answer
    only with a traceback (IndexError without ids, an unserialisable object with ids). Marked private, RPC
    gets a clear refusal ("Private methods ... cannot be called remotely") on every model."""

    _inherit = "base"

    @api.private
    def with_delay(self, *args, **kwargs):
        return super().with_delay(*args, **kwargs)

    @api.private
    def delayable(self, *args, **kwargs):
        return super().delayable(*args, **kwargs)
