import contextvars

from odoo import models

# Set (only from server code, never from a request context) while the retention cycle itself closes
# activities because the customer ordered again: that closure needs no verified call. A ContextVar,
# not an env-context key, because any RPC caller can inject context keys.
RETENTION_SYSTEM_CLOSE = contextvars.ContextVar("order_retention_system_close", default=False)


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _retention_close_system(self, feedback):
        """Mark these activities done on behalf of the system (e.g. the customer ordered again, so the
        follow-up call is moot). Bypasses call verification through RETENTION_SYSTEM_CLOSE; not RPC-callable."""
        token = RETENTION_SYSTEM_CLOSE.set(True)
        try:
            return self._action_done(feedback=feedback)
        finally:
            RETENTION_SYSTEM_CLOSE.reset(token)
