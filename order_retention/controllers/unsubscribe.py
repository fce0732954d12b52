from odoo import http
from odoo.http import request


class RetentionUnsubscribe(http.Controller):
    """The unsubscribe link of the retention e-mails: a signed link per customer that blacklists the address."""

    @http.route(
        "/order_retention/unsubscribe/<int:partner_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
    )
    def retention_unsubscribe(self, partner_id, token, **_kwargs):
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if not partner or not partner._retention_unsubscribe_token_ok(token):
            return request.make_response(
                "This unsubscribe link is not valid.",
                headers=[("Content-Type", "text/plain; charset=utf-8")],
                status=404,
            )
        partner._retention_unsubscribe()
        return request.make_response(
            "You will not receive these e-mails any more.", headers=[("Content-Type", "text/plain; charset=utf-8")]
        )
