from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "order_retention")
class TestManagerTour(HttpCase):

    def test_manager_tour(self):
        """In Chromium: Missing Orders, a customer's explanation, a retention call refused without a call."""
        customer = self.env["res.partner"].search([("name", "=", "Lapsed Hardware Store")])
        self.assertTrue(customer.retention_missing_order, "demo data: the lapsed customer misses an order")
        self.start_tour("/odoo", "order_retention_manager_tour", login="admin")
        activity_type = self.env.ref("order_retention.mail_act_retention_call")
        still_open = self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", customer.id), ("activity_type_id", "=", activity_type.id)])
        self.assertEqual(len(still_open), 1, "the tour could not close the call without a logged call")
        quotes = self.env["sale.order"].search([("partner_id", "=", customer.id), ("state", "in", ("draft", "sent", "cancel"))])
        self.assertEqual(sorted(quotes.mapped("state")), ["cancel", "sent"], "the duplicate draft was cancelled, the sent one kept")
        cancelled = quotes.filtered(lambda q: q.state == "cancel")
        self.assertEqual(cancelled.retention_cancel_reason_id, self.env.ref("order_retention.cancel_reason_duplicate"))
        self.assertTrue(cancelled.retention_excluded_from_stats)
