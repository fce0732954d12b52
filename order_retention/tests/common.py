import contextlib
import datetime

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user


class RetentionCommon(TransactionCase):
    """Customers with dated confirmed orders, a salesperson, a sales team with a leader."""

    BASE = datetime.date(2025, 3, 1)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True, no_reset_password=True)
        )
        cls.Cycle = cls.env["retention.cycle"]
        cls.activity_type = cls.env.ref("order_retention.mail_act_retention_call")
        cls.salesman = new_test_user(
            cls.env, "ret_salesman", groups="sales_team.group_sale_salesman", name="Sally Sales"
        )
        cls.leader = new_test_user(cls.env, "ret_leader", groups="sales_team.group_sale_manager", name="Leo Leader")
        cls.fallback = new_test_user(
            cls.env, "ret_fallback", groups="sales_team.group_sale_salesman", name="Fay Fallback"
        )
        cls.team = cls.env["crm.team"].create({"name": "Retention Test Team", "user_id": cls.leader.id})
        cls.product = cls.env["product.product"].create(
            {"name": "Retention Test Widget", "list_price": 50.0, "type": "consu"}
        )

    @classmethod
    def _create_customer(cls, name, user=None, **vals):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, "user_id": user.id if user else False, **vals}
        )

    @classmethod
    def _create_orders(cls, partner, dates, amount=100.0, state="sale", team=None, user=None):
        """One order per date (datetime.date) for ``partner``, confirmed at that date unless ``state`` says
        otherwise."""
        vals_list = [
            {
                "partner_id": partner.id,
                "user_id": (user or partner.commercial_partner_id.user_id).id,
                "team_id": (team or cls.team).id,
                "date_order": datetime.datetime.combine(date, datetime.time(9, 0)),
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount})
                ],
            }
            for date in dates
        ]
        orders = cls.env["sale.order"].create(vals_list)
        orders.write({"state": state})
        for order, vals in zip(orders, vals_list, strict=False):
            order.date_order = vals["date_order"]
        orders.flush_recordset()
        return orders

    @classmethod
    def _regular_dates(cls, last, gap, count):
        """``count`` dates ``gap`` days apart ending at ``last``."""
        return [last - datetime.timedelta(days=gap * i) for i in range(count)][::-1]

    def _open_followups(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.activity_type.id),
            ]
        )

    def _all_followups(self, partner):
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", partner.id),
                    ("activity_type_id", "=", self.activity_type.id),
                ]
            )
        )

    @contextlib.contextmanager
    def _on_day(self, day):
        """Read the retention figures as on ``day``: day counts, the missing flag and the explanation are
        derived from today at read time (only the dates are stored)."""
        self.env.invalidate_all()
        with freeze_time(datetime.datetime.combine(day, datetime.time(12, 0))):
            yield
        self.env.invalidate_all()

    def _run(self, day):
        """Run a whole cycle as if today were ``day`` (activities' done dates follow the frozen clock)."""
        with freeze_time(datetime.datetime.combine(day, datetime.time(6, 0))):
            self.Cycle._retention_run_cycle(today=day)
        self.env.invalidate_all()

    def _close(self, activities, day):
        """Close follow-ups on ``day`` the way the system does (no call needed)."""
        with freeze_time(datetime.datetime.combine(day, datetime.time(15, 0))):
            activities._retention_close_system(feedback="done in test")
            self.env.flush_all()  # the stored done date is computed at flush time: keep it on the frozen day
        self.env.invalidate_all()

    @staticmethod
    def _day(date):
        return fields.Date.to_string(date)
