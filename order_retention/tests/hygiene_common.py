import datetime

from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class HygieneCommon(TransactionCase):
    """Two salespeople, a manager, customers, products and helpers to build quotations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        cls.salesman = new_test_user(
            cls.env, "hyg_salesman", groups="sales_team.group_sale_salesman", name="Hugo Hygiene"
        )
        cls.salesman2 = new_test_user(
            cls.env, "hyg_salesman2", groups="sales_team.group_sale_salesman", name="Hanna Other"
        )
        cls.manager = new_test_user(cls.env, "hyg_manager", groups="sales_team.group_sale_manager", name="Mona Manager")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Hygiene Customer", "is_company": True, "user_id": cls.salesman.id}
        )
        cls.contact = cls.env["res.partner"].create({"name": "Hygiene Contact", "parent_id": cls.customer.id})
        cls.other_customer = cls.env["res.partner"].create({"name": "Hygiene Other Customer", "is_company": True})
        cls.prod_a, cls.prod_b, cls.prod_c = cls.env["product.product"].create(
            [{"name": f"Hygiene Product {x}", "list_price": 10.0, "type": "consu"} for x in "ABC"]
        )
        ref = cls.env.ref
        cls.reason_other = ref("order_retention.cancel_reason_other")
        cls.reason_mind = ref("order_retention.cancel_reason_changed_mind")
        cls.reason_duplicate = ref("order_retention.cancel_reason_duplicate")
        cls.reason_purchased = ref("order_retention.cancel_reason_already_purchased")
        cls.reason_declined = ref("order_retention.cancel_reason_declined_by_customer")

    @classmethod
    def _quote(cls, partner=None, lines=None, state="draft", days_ago=0, user=None):
        """A quotation for ``partner`` with ``lines`` [(product, qty)], created ``days_ago`` days ago."""
        lines = lines if lines is not None else [(cls.prod_a, 1)]
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.customer).id,
                "user_id": (user or cls.salesman).id,
                "order_line": [Command.create({"product_id": p.id, "product_uom_qty": q}) for p, q in lines],
            }
        )
        if state != "draft":
            order.write({"state": state})
        if days_ago:
            when = datetime.datetime.now() - datetime.timedelta(days=days_ago)
            order.write({"date_order": when})
            cls.env.cr.execute("UPDATE sale_order SET create_date = %s WHERE id = %s", (when, order.id))
            order.invalidate_recordset(["create_date"])
        return order

    def _set_required(self, required):
        self.env["ir.config_parameter"].sudo().set_param("order_retention.cancel_reason_required", str(required))
