from odoo import http
from odoo.http import request

from odoo.addons.sale.controllers.portal import CustomerPortal


class RetentionCustomerPortal(CustomerPortal):
    @http.route()
    def portal_quote_decline(self, order_id, access_token=None, decline_message=None, **kwargs):
        """A quotation declined from the portal is cancelled with the reason "Declined by customer" and the
        customer's message as note (core's _action_cancel reads them from the context)."""
        reason = request.env.ref("order_retention.cancel_reason_declined_by_customer", raise_if_not_found=False)
        if reason and decline_message:
            request.update_context(
                retention_cancel_reason_id=reason.id,
                retention_cancel_note=decline_message,
            )
        return super().portal_quote_decline(
            order_id, access_token=access_token, decline_message=decline_message, **kwargs
        )
