from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "order_retention")
class TestManagerTour(HttpCase):
    def test_manager_tour(self):
        """In Chromium: Missing Orders, a customer's explanation, a retention call refused without a call."""
        customer = self.env["res.partner"].search([("name", "=", "Lapsed Hardware Store")])
        self.assertTrue(customer.retention_missing_order, "demo data: the lapsed customer misses an order")
        self.start_tour("/odoo", "order_retention_manager_tour", login="admin")
        activity_type = self.env.ref("order_retention.mail_act_retention_call")
        still_open = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        self.assertEqual(len(still_open), 1, "the tour could not close the call without a logged call")
        quotes = self.env["sale.order"].search(
            [("partner_id", "=", customer.id), ("state", "in", ("draft", "sent", "cancel"))]
        )
        self.assertEqual(
            sorted(quotes.mapped("state")), ["cancel", "sent"], "the duplicate draft was cancelled, the sent one kept"
        )
        cancelled = quotes.filtered(lambda q: q.state == "cancel")
        self.assertEqual(cancelled.retention_cancel_reason_id, self.env.ref("order_retention.cancel_reason_duplicate"))
        self.assertTrue(cancelled.retention_excluded_from_stats)


@tagged("post_install", "-at_install", "order_retention")
class TestSalespersonTour(HttpCase):
    def test_salesperson_tour(self):
        """In Chromium as the demo salesperson: the queue, a refused mark done with its reason, an outcome recorded."""
        demo = self.env.ref("base.user_demo")
        customer = self.env["res.partner"].search([("name", "=", "Lapsed Hardware Store")])
        self.assertEqual(customer.user_id, demo, "demo data: the lapsed customer is the demo salesperson's")
        self.assertFalse(demo.has_group("sales_team.group_sale_manager"), "the tour runs as a plain salesperson")
        print_shop = self.env["res.partner"].search([("name", "=", "Lost Print Shop")])
        report = self.env["retention.call"]._retention_ingest(
            [
                (
                    0,
                    {
                        "call_id": "TOUR-OUTCOME",
                        "number": print_shop.phone,
                        "direction": "outbound",
                        "duration": 95,
                        "start": fields.Datetime.now().isoformat(),
                        "user_login": "demo",
                    },
                )
            ],
            "pbx",
            self.env.company,
        )
        self.assertEqual(report["created"], 1, report)
        self.start_tour("/odoo", "order_retention_salesperson_tour", login="demo")
        activity_type = self.env.ref("order_retention.mail_act_retention_call")
        still_open = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        self.assertEqual(len(still_open), 1, "the salesperson could not close the call without a logged call")
        self.assertEqual(still_open.user_id, demo)
        call = self.env["retention.call"].search([("external_id", "=", "TOUR-OUTCOME")])
        self.assertRecordValues(
            call,
            [
                {
                    "outcome": "reached",
                    "churn_reason_id": self.env.ref("order_retention.churn_reason_price").id,
                    "next_step": "expects_order",
                    "outcome_user_id": demo.id,
                }
            ],
        )
        self.assertEqual(print_shop.retention_last_churn_reason_id, call.churn_reason_id)


@tagged("post_install", "-at_install", "order_retention")
class TestSettingsTour(HttpCase):
    def test_settings_then_cancel_tour(self):
        """In Chromium as admin: saving Settings keeps the reason rule on; cancelling a quotation still asks one."""
        customer = self.env["res.partner"].create(
            {"name": "Tour Cancel Customer", "is_company": True, "email": "tour.cancel@example.com"}
        )
        product = self.env["product.product"].search([("sale_ok", "=", True)], limit=1)
        quotation = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": self.env.ref("base.user_admin").id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        self.start_tour("/odoo", "order_retention_settings_tour", login="admin")
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(self.env.ref("base.main_company").retention_warm_interval_days, 15)
        self.assertEqual(params.get_param("order_retention.cancel_reason_required"), "True")
        self.assertEqual(quotation.state, "cancel")
        self.assertEqual(
            quotation.retention_cancel_reason_id, self.env.ref("order_retention.cancel_reason_changed_mind")
        )
