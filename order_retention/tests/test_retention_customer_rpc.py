"""Issue #23: the figures of a customer are read by its own salesperson, never a colleague's, by any path.

Over real JSON-RPC, as a salesperson with *Own Documents Only*: their own customer, a customer nobody owns and a
colleague's customer, all three classified by the real cycle (a value at risk, a churn risk), the colleague's with
a closed retention call (last outcome and its reason) and an open one. Every way a web client or a script reads data
is tried on the colleague's customer: retention.customer (read, search_read, search_count, read_group,
web_read_group, export, name_search), res.partner (read, search_read and search_count with a domain on the figures
as an oracle, export, read_group), the customer's chatter, the retention calls (open and done), the reports (Why
Customers Leave, status history) and the dashboard's data sources. Writes are refused.
"""

import datetime

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .queue_common import PASSWORD, RpcMixin

D = datetime.timedelta
USER_ERROR = {"odoo.exceptions.UserError"}
FIGURES = [
    "retention_status",
    "retention_value_at_risk",
    "retention_churn_probability",
    "retention_annual_value",
    "retention_total_amount",
    "retention_last_order_date",
    "retention_expected_gap_days",
    "retention_last_outcome",
    "retention_last_churn_reason_id",
    "retention_explanation",
    "retention_rfm_segment",
]


@tagged("post_install", "-at_install")
class TestRetentionCustomerRpc(RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, tracking_disable=True))
        company = env.company
        own = {"company_id": company.id, "company_ids": [Command.set(company.ids)], "password": PASSWORD}
        sales = "sales_team.group_sale_salesman"
        # with the right to export: the export must still carry no colleague's figure
        cls.salesman = new_test_user(
            env, "rc_own", groups=sales + ",base.group_allow_export", name="Olena Own-Docs", **own
        )
        cls.colleague = new_test_user(env, "rc_colleague", groups=sales, name="Taras Colleague", **own)
        cls.manager = new_test_user(
            env, "rc_manager", groups="sales_team.group_sale_manager", name="Mila Manager", **own
        )
        cls.team = env["crm.team"].create({"name": "RC Team", "user_id": cls.manager.id})
        cls.product = env["product.product"].create({"name": "RC Widget", "list_price": 50.0, "type": "consu"})
        Partner = env["res.partner"]
        cls.mine = Partner.create({"name": "RC Mine Ltd", "is_company": True, "user_id": cls.salesman.id})
        cls.unowned = Partner.create({"name": "RC Nobody's Ltd", "is_company": True})
        cls.theirs = Partner.create({"name": "RC Theirs Ltd", "is_company": True, "user_id": cls.colleague.id})
        cls.customers = cls.mine | cls.unowned | cls.theirs
        today = datetime.date.today()
        for partner, last in ((cls.mine, 200), (cls.unowned, 150), (cls.theirs, 120)):
            # a regular customer (every 20 days) silent for ``last`` days: lost or cold, a value at risk
            dates = [today - D(days=last + 20 * i) for i in range(8)]
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "user_id": partner.user_id.id,
                        "team_id": cls.team.id,
                        "order_line": [
                            Command.create({"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": 900.0})
                        ],
                    }
                    for _date in dates
                ]
            )
            orders.write({"state": "sale"})
            for order, date in zip(orders, dates, strict=True):
                order.date_order = datetime.datetime.combine(date, datetime.time(9, 0))
        env["retention.cycle"]._retention_compute_all(today)
        cls.rows = env["retention.customer"].search([("partner_id", "in", cls.customers.ids)])
        cls.their_row = cls.rows.filtered(lambda r: r.partner_id == cls.theirs)
        reason = env.ref("order_retention.churn_reason_price")
        cls.their_row.write({"retention_last_outcome": "reached", "retention_last_churn_reason_id": reason.id})
        activity_type = env.ref("order_retention.mail_act_retention_call")
        cls.their_call = (
            env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                {
                    "res_model_id": env["ir.model"]._get_id("res.partner"),
                    "res_id": cls.theirs.id,
                    "activity_type_id": activity_type.id,
                    "summary": "Retention call: lost customer",
                    "note": "<p>%s at risk</p>" % cls.their_row.retention_value_at_risk,
                    "user_id": cls.colleague.id,
                    "retention_company_id": company.id,
                    "date_deadline": today,
                }
            )
        )
        env.flush_all()

    def setUp(self):
        super().setUp()
        self.assertEqual(len(self.rows), 3, "the cycle classified the three customers")
        self.assertTrue(self.their_row.retention_value_at_risk > 0, "the colleague's customer has a value at risk")
        self._login(self.salesman)

    def _ids(self, records):
        return sorted(records.ids)

    # ------------------------------------------------------------------
    # retention.customer
    # ------------------------------------------------------------------

    def test_rows_own_and_unowned_only(self):
        """search_read, search_count, read, name_search and export of retention.customer: never the colleague's."""
        domain = [("partner_id", "in", self.customers.ids)]
        rows = self.assertAllowed(self._rpc("retention.customer", "search_read", domain, ["partner_id", *FIGURES[:7]]))
        self.assertEqual(sorted(r["partner_id"][0] for r in rows), self._ids(self.mine | self.unowned))
        self.assertEqual(
            self.assertAllowed(self._rpc("retention.customer", "search_count", [("partner_id", "=", self.theirs.id)])),
            0,
        )
        self.assertRefused(self._rpc("retention.customer", "read", self.their_row.ids, ["retention_value_at_risk"]))
        self.assertRefused(
            self._rpc("retention.customer", "web_read", self.their_row.ids, specification={"partner_id": {}})
        )
        found = self.assertAllowed(self._rpc("retention.customer", "name_search", "RC Theirs"))
        self.assertEqual(found, [])
        self.assertRefused(
            self._rpc("retention.customer", "export_data", self.their_row.ids, ["retention_value_at_risk"])
        )

    def test_aggregates_leave_the_colleague_out(self):
        """read_group / web_read_group sums (the pivot, the graph, the kanban, the dashboard) count only what the
        salesperson may read."""
        domain = [("partner_id", "in", self.customers.ids)]
        readable = self.rows - self.their_row
        [(total, count)] = (
            self.env["retention.customer"]
            .browse(readable.ids)
            ._read_group([("id", "in", readable.ids)], [], ["retention_value_at_risk:sum", "__count"])
        )
        groups = self.assertAllowed(
            self._rpc(
                "retention.customer",
                "web_read_group",
                domain,
                ["retention_value_at_risk:sum"],
                ["retention_status"],
            )
        )
        self.assertEqual(sum(g["retention_status_count"] for g in groups["groups"]), count)
        self.assertAlmostEqual(sum(g["retention_value_at_risk"] for g in groups["groups"]), total, places=2)
        by_user = self.assertAllowed(
            self._rpc("retention.customer", "read_group", domain, ["retention_value_at_risk:sum"], ["user_id"])
        )
        self.assertNotIn(self.colleague.id, [g["user_id"] and g["user_id"][0] for g in by_user])

    def test_no_write_nor_create(self):
        """Nobody writes the figures but the cycle: not the row, not through the partner."""
        own_row = self.rows.filtered(lambda r: r.partner_id == self.mine)
        self.assertRefused(self._rpc("retention.customer", "write", own_row.ids, {"retention_value_at_risk": 0}))
        self.assertRefused(
            self._rpc(
                "retention.customer", "create", [{"partner_id": self.theirs.id, "company_id": self.env.company.id}]
            )
        )
        self.assertRefused(self._rpc("retention.customer", "unlink", own_row.ids))
        self.assertRefused(self._rpc("res.partner", "write", self.mine.ids, {"retention_value_at_risk": 0}))
        self.assertRefused(self._rpc("res.partner", "write", self.mine.ids, {"retention_customer_id": own_row.id}))

    # ------------------------------------------------------------------
    # res.partner
    # ------------------------------------------------------------------

    def test_partner_reads_empty_figures_of_a_colleague(self):
        """read / web_read of the colleague's customer: the partner is readable, its figures are empty (and the
        form says why); the salesperson's own customer shows its figures."""
        [their] = self.assertAllowed(
            self._rpc("res.partner", "read", self.theirs.ids, FIGURES + ["retention_figures_hidden"])
        )
        for name in FIGURES:
            self.assertFalse(their[name], name)
        self.assertTrue(their["retention_figures_hidden"])
        [mine] = self.assertAllowed(self._rpc("res.partner", "read", self.mine.ids, FIGURES[:3]))
        self.assertEqual(
            mine["retention_status"], self.rows.filtered(lambda r: r.partner_id == self.mine).retention_status
        )
        self.assertGreater(mine["retention_value_at_risk"], 0)
        [form] = self.assertAllowed(
            self._rpc(
                "res.partner",
                "web_read",
                self.theirs.ids,
                specification={name: {} for name in FIGURES if name != "retention_last_churn_reason_id"},
            )
        )
        self.assertFalse(any(form[name] for name in form if name != "id"), form)

    def test_partner_domains_are_no_oracle(self):
        """A domain on a figure never matches the colleague's customer, whatever the bound: its value cannot be
        found by bisection (search_read, search_count, name_search with args)."""
        for domain in (
            [("retention_value_at_risk", ">", 0)],
            [("retention_value_at_risk", ">=", -1)],
            [("retention_status", "!=", False)],
            [("retention_status", "in", ["active", "warm", "cold", "lost"])],
            [("retention_churn_probability", ">", 0.0)],
            [("retention_last_churn_reason_id", "!=", False)],
            [("retention_missing_order", "=", True)],
            [("retention_customer_id.retention_value_at_risk", ">", 0)],
            [("retention_customer_id", "!=", False)],
        ):
            with self.subTest(domain=domain):
                full = [("id", "=", self.theirs.id), *domain]
                self.assertEqual(self.assertAllowed(self._rpc("res.partner", "search_count", full)), 0)
                self.assertEqual(self.assertAllowed(self._rpc("res.partner", "search_read", full, ["id"])), [])
        # the salesperson's own customer does match: the filters work
        self.assertEqual(
            self.assertAllowed(
                self._rpc(
                    "res.partner", "search_count", [("id", "=", self.mine.id), ("retention_value_at_risk", ">", 0)]
                )
            ),
            1,
        )

    def test_partner_export_and_grouping(self):
        """Export of the colleague's customer carries empty figures; grouping partners by a figure is refused
        (the figures are not partner columns: the lists that group by them are built on retention.customer)."""
        exported = self.assertAllowed(
            self._rpc(
                "res.partner",
                "export_data",
                self.theirs.ids,
                ["name", "retention_value_at_risk", "retention_status", "retention_last_churn_reason_id/name"],
            )
        )
        [[name, value, status, reason]] = exported["datas"]
        self.assertEqual(name, "RC Theirs Ltd")
        self.assertFalse(value or status or reason, exported)
        # grouping, summing or sorting contacts by a figure is refused in plain words (no ValueError, no
        # traceback in the log), whatever the path: the pivot's read_group, the kanban's web_read_group, a sum
        # alone, a sorted search_read or a sorted many2one lookup
        domain = [("id", "in", self.customers.ids)]
        attempts = [
            ("read_group", [domain, ["retention_value_at_risk:sum"], ["retention_status"]], {}),
            ("read_group", [domain, ["retention_value_at_risk:sum"], ["user_id"]], {}),
            ("web_read_group", [domain, [], ["retention_last_order_date:month"]], {}),
            ("search_read", [domain, ["name"]], {"order": "retention_value_at_risk desc"}),
            ("search", [domain], {"order": "retention_churn_probability"}),
        ]
        for method, args, kwargs in attempts:
            with self.subTest(method=method, args=args, kwargs=kwargs):
                with self.assertNoLogs("odoo.http", "ERROR"):
                    outcome = self._rpc("res.partner", method, *args, **kwargs)
                    self.assertRefused(outcome, names=USER_ERROR, contains="Customers by Status")

    # ------------------------------------------------------------------
    # chatter, activities, reports
    # ------------------------------------------------------------------

    def test_chatter_and_calls_of_a_colleague(self):
        """The colleague's customer's chatter holds no figure (status changes are in the history only), and its
        open retention call (whose note and fields carry the value at risk) is not readable."""
        messages = self.assertAllowed(
            self._rpc(
                "mail.message",
                "search_read",
                [("model", "=", "res.partner"), ("res_id", "=", self.theirs.id)],
                ["body"],
            )
        )
        for message in messages:
            self.assertNotIn("Retention status", message["body"])
        calls = self.assertAllowed(
            self._rpc(
                "mail.activity",
                "search_read",
                [("res_model", "=", "res.partner"), ("res_id", "=", self.theirs.id)],
                ["note", "retention_value_at_risk", "retention_status"],
            )
        )
        self.assertEqual(calls, [])
        self.assertRefused(self._rpc("mail.activity", "read", self.their_call.ids, ["note", "retention_value_at_risk"]))
        # the partner's activity fields (the chatter's activity box) do not list it either
        [their] = self.assertAllowed(self._rpc("res.partner", "read", self.theirs.ids, ["activity_ids"]))
        self.assertNotIn(self.their_call.id, their["activity_ids"])
        # the colleague does read their own call and its figures
        self._login(self.colleague)
        [call] = self.assertAllowed(
            self._rpc("mail.activity", "read", self.their_call.ids, ["retention_value_at_risk", "retention_status"])
        )
        self.assertTrue(call["retention_status"])

    def test_reports_of_a_colleague(self):
        """The status history and Why Customers Leave of the colleague's customer are not readable."""
        history = self.assertAllowed(
            self._rpc("retention.status.history", "search_read", [("partner_id", "=", self.theirs.id)], ["new_status"])
        )
        self.assertEqual(history, [])
        mine = self.assertAllowed(
            self._rpc("retention.status.history", "search_read", [("partner_id", "=", self.mine.id)], ["new_status"])
        )
        self.assertTrue(mine, "the salesperson reads their own customer's history")
        report = self.assertAllowed(
            self._rpc("retention.churn.report", "search_read", [("partner_id", "=", self.theirs.id)], ["reason_id"])
        )
        self.assertEqual(report, [])

    def test_manager_reads_everything(self):
        """A sales manager (and All Documents) reads the three customers' figures."""
        self._login(self.manager)
        rows = self.assertAllowed(
            self._rpc("retention.customer", "search_read", [("partner_id", "in", self.customers.ids)], ["partner_id"])
        )
        self.assertEqual(len(rows), 3)
        [their] = self.assertAllowed(self._rpc("res.partner", "read", self.theirs.ids, ["retention_value_at_risk"]))
        self.assertGreater(their["retention_value_at_risk"], 0)
