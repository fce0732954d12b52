from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .hygiene_common import HygieneCommon
from .queue_common import PASSWORD, RpcMixin

ACCESS = {"odoo.exceptions.AccessError"}
REPORTS = ("retention.cancel.report", "retention.cancel.line.report")


def _banner_arch(env):
    """The "being handled" banner of the sale order form, as the web client gets it."""
    view = env.ref("sale.view_order_form")
    arch = etree.fromstring(env["sale.order"].get_views([(view.id, "form")])["views"]["form"]["arch"])
    [banner] = [div for div in arch.iter("div") if "retention_handled_by_id" in (div.get("invisible") or "")]
    return banner


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionCancelReport(HygieneCommon):
    """Cancellation analysis and rate; record rules of salesman vs manager."""

    def _cancel(self, order, reason):
        order.with_context(retention_cancel_reason_id=reason.id).action_cancel()

    def test_excluded_reasons_not_in_rate(self):
        """Orders cancelled with an excluded reason count neither as cancelled nor as created in the rate."""
        orders = self._quote() | self._quote() | self._quote() | self._quote()
        self._cancel(orders[0], self.reason_mind)
        self._cancel(orders[1], self.reason_duplicate)
        self.env.flush_all()
        Rate = self.env["retention.cancel.rate.report"]
        domain = [("order_id", "in", orders.ids)]
        [(created, cancelled, excluded, rate)] = Rate._read_group(
            domain, [], ["created_count:sum", "cancelled_count:sum", "excluded_count:sum", "cancel_rate:avg"]
        )
        self.assertEqual((created, cancelled, excluded), (3, 1, 1))
        self.assertAlmostEqual(rate, 100.0 / 3, places=1)
        self.assertEqual(Rate.search(domain).order_id, orders)

    def test_grouped_rate_is_exact_not_an_average_of_rates(self):
        """Grouped by month over two salespeople (1 of 1 cancelled, 0 of 3), the rate is 1 / 4 = 25 %, not 50 %."""
        busy = self._quote(user=self.salesman2)
        calm = self._quote(user=self.salesman) | self._quote(user=self.salesman) | self._quote(user=self.salesman)
        self._cancel(busy, self.reason_mind)
        self.env.flush_all()
        Rate = self.env["retention.cancel.rate.report"]
        domain = [("order_id", "in", (busy | calm).ids)]
        [(_month, rate)] = Rate._read_group(domain, ["month:month"], ["cancel_rate:avg"])
        self.assertAlmostEqual(rate, 25.0, places=3)
        by_user = dict(Rate._read_group(domain, ["user_id"], ["cancel_rate:avg"]))
        self.assertEqual(by_user, {self.salesman2: 100.0, self.salesman: 0.0})

    def test_cancel_report_one_row_per_order(self):
        """One row per cancelled order, however many lines: counts and sums are per order."""
        order = self._quote(lines=[(self.prod_a, 2), (self.prod_b, 1), (self.prod_c, 4)], partner=self.contact)
        company = order.company_id
        country = company.account_fiscal_country_id or company.country_id or self.env.ref("base.ua")
        vat = self.env["account.tax"].create(
            {"name": "Cancel Report VAT 20%", "amount": 20.0, "type_tax_use": "sale", "country_id": country.id}
        )
        order.order_line.tax_id = False
        order.order_line[0].tax_id = vat  # 2 × 10.00 taxed at 20 %: 4.00 of tax on the order
        self._cancel(order, self.reason_mind)
        single = self._quote(lines=[(self.prod_a, 1)])
        self._cancel(single, self.reason_mind)
        dup = self._quote(lines=[(self.prod_c, 1), (self.prod_a, 1)])
        self._cancel(dup, self.reason_duplicate)
        self.env.flush_all()
        Report = self.env["retention.cancel.report"]
        row = Report.search([("order_id", "=", order.id)])
        self.assertEqual(len(row), 1)
        rate = order.currency_rate or 1.0
        self.assertRecordValues(
            row,
            [
                {
                    "id": order.id,
                    "partner_id": self.customer.id,
                    "reason_id": self.reason_mind.id,
                    "user_id": self.salesman.id,
                    "company_id": order.company_id.id,
                    "currency_id": order.company_id.currency_id.id,
                    "excluded": False,
                }
            ],
        )
        self.assertAlmostEqual(row.amount, order.amount_untaxed / rate, places=2)
        self.assertAlmostEqual(row.amount_total, order.amount_total / rate, places=2)
        self.assertAlmostEqual(row.amount_total - row.amount, 2 * 10.0 * 0.2 / rate, places=2)
        self.assertTrue(Report.search([("order_id", "=", dup.id)]).excluded)
        domain = [("order_id", "in", (order | single | dup).ids)]
        groups = Report._read_group(
            domain + [("excluded", "=", False)], ["reason_id"], ["__count", "order_id:count_distinct", "amount:sum"]
        )
        [(reason, count, orders, amount)] = groups
        self.assertEqual((reason, count, orders), (self.reason_mind, 2, 2))
        self.assertAlmostEqual(amount, (order.amount_untaxed + single.amount_untaxed) / rate, places=2)
        by_user = dict(Report._read_group(domain, ["user_id"], ["__count"]))
        self.assertEqual(by_user, {self.salesman: 3})
        self.assertNotIn("product_id", Report._fields, "products are reported per line, in Cancelled Products")

    def test_cancelled_products_per_line(self):
        """Cancelled Products has one row per line; quantities add up per product, in the product's unit."""
        dozen = self.env.ref("uom.product_uom_dozen")
        first = self._quote(lines=[(self.prod_a, 2), (self.prod_b, 1)])
        second = self._quote(lines=[(self.prod_a, 3), (self.prod_c, 1)], user=self.salesman2)
        second.order_line.filtered(lambda line: line.product_id == self.prod_c).product_uom = dozen
        self._cancel(first, self.reason_mind)
        self._cancel(second, self.reason_other)
        kept = self._quote(lines=[(self.prod_a, 100)])  # not cancelled: not in the report
        self.env.flush_all()
        Lines = self.env["retention.cancel.line.report"]
        domain = [("order_id", "in", (first | second | kept).ids)]
        rows = Lines.search(domain)
        self.assertEqual(len(rows), 4)
        self.assertEqual(sorted(rows.ids), sorted((first | second).order_line.ids))
        self.assertEqual(rows.order_id, first | second)
        per_product = {
            product: (qty, orders, amount)
            for product, qty, orders, amount in Lines._read_group(
                domain, ["product_id"], ["product_uom_qty:sum", "order_id:count_distinct", "amount:sum"]
            )
        }
        self.assertEqual(set(per_product), {self.prod_a, self.prod_b, self.prod_c})
        self.assertEqual(per_product[self.prod_a][:2], (5.0, 2))
        self.assertEqual(per_product[self.prod_b][:2], (1.0, 1))
        self.assertEqual(per_product[self.prod_c][:2], (12.0, 1), "a dozen counts as 12 units of the product")
        line_c = second.order_line.filtered(lambda line: line.product_id == self.prod_c)
        self.assertAlmostEqual(per_product[self.prod_c][2], line_c.price_subtotal / (second.currency_rate or 1.0))
        row_c = rows.filtered(lambda row: row.product_id == self.prod_c)
        self.assertRecordValues(
            row_c,
            [
                {
                    "product_uom_id": self.prod_c.uom_id.id,
                    "reason_id": self.reason_other.id,
                    "user_id": self.salesman2.id,
                    "partner_id": self.customer.id,
                    "order_id": second.id,
                    "company_id": second.company_id.id,
                }
            ],
        )
        # the orders' totals are the same in both reports
        [(lines_amount,)] = Lines._read_group(domain, [], ["amount:sum"])
        [(orders_amount,)] = self.env["retention.cancel.report"]._read_group(domain, [], ["amount:sum"])
        self.assertAlmostEqual(lines_amount, orders_amount, places=2)

    def test_report_access_salesman_vs_manager(self):
        """A salesperson sees only their own cancelled orders; a manager sees everyone's."""
        mine = self._quote(user=self.salesman)
        theirs = self._quote(user=self.salesman2)
        self._cancel(mine, self.reason_other)
        self._cancel(theirs, self.reason_other)
        self.env.flush_all()
        scope = [("order_id", "in", (mine | theirs).ids)]
        as_salesman = self.env["retention.cancel.report"].with_user(self.salesman).search(scope)
        self.assertEqual(as_salesman.order_id, mine)
        as_manager = self.env["retention.cancel.report"].with_user(self.manager).search(scope)
        self.assertEqual(as_manager.order_id, mine | theirs)
        rates = self.env["retention.cancel.rate.report"].with_user(self.salesman).search([])
        self.assertEqual(set(rates.user_id.ids) - {self.salesman.id}, set())
        with self.assertRaises(AccessError):
            self.env["retention.cancel.report"].with_user(self.salesman).browse(as_manager.ids).read(["order_id"])
        lines_as_salesman = self.env["retention.cancel.line.report"].with_user(self.salesman).search(scope)
        self.assertEqual(lines_as_salesman.order_id, mine)
        lines_as_manager = self.env["retention.cancel.line.report"].with_user(self.manager).search(scope)
        self.assertEqual(lines_as_manager.order_id, mine | theirs)


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionCancelReportRpc(RpcMixin, HttpCase):
    """Both cancellation reports over real JSON-RPC: an *Own Documents Only* salesperson reads their own and
    unassigned orders' rows, never a colleague's, whether by search_read, read_group or read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        company = cls.env.company
        own = {"company_id": company.id, "company_ids": [Command.set(company.ids)], "password": PASSWORD}
        sales = "sales_team.group_sale_salesman"
        cls.salesman = new_test_user(cls.env, "cr_own", groups=sales, name="Oksana Own-Docs", **own)
        cls.colleague = new_test_user(cls.env, "cr_colleague", groups=sales, name="Kyrylo Colleague", **own)
        cls.manager = new_test_user(
            cls.env, "cr_manager", groups="sales_team.group_sale_manager", name="Marta Manager", **own
        )
        Partner = cls.env["res.partner"]
        mine_customer = Partner.create({"name": "CR Own Customer", "is_company": True, "user_id": cls.salesman.id})
        their_customer = Partner.create({"name": "CR Their Customer", "is_company": True, "user_id": cls.colleague.id})
        products = cls.env["product.product"].create(
            [{"name": f"CR Product {x}", "list_price": 10.0, "type": "consu"} for x in "ABC"]
        )
        reason = cls.env.ref("order_retention.cancel_reason_changed_mind")

        def cancelled(partner, user, quantities):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "user_id": user.id if user else False,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": qty})
                        for product, qty in zip(products, quantities, strict=False)
                    ],
                }
            )
            order.with_context(retention_cancel_reason_id=reason.id).action_cancel()
            return order

        cls.mine = cancelled(mine_customer, cls.salesman, [2, 1])
        cls.unassigned = cancelled(mine_customer, None, [1])
        cls.theirs = cancelled(their_customer, cls.colleague, [5, 4, 3])
        cls.orders = cls.mine | cls.unassigned | cls.theirs
        cls.visible = cls.mine | cls.unassigned

    def _domain(self):
        return [("order_id", "in", self.orders.ids)]

    def test_search_read_own_rows_only(self):
        """search_read of either report returns the salesperson's and unassigned orders' rows only."""
        self._login(self.salesman)
        rows = self.assertAllowed(
            self._rpc("retention.cancel.report", "search_read", self._domain(), ["order_id", "user_id", "amount"])
        )
        self.assertEqual(sorted(row["order_id"][0] for row in rows), sorted(self.visible.ids))
        lines = self.assertAllowed(
            self._rpc("retention.cancel.line.report", "search_read", self._domain(), ["order_id", "product_id"])
        )
        self.assertEqual(sorted(row["id"] for row in lines), sorted(self.visible.order_line.ids))
        for model in REPORTS:
            with self.subTest(model=model):
                colleague_rows = self.assertAllowed(
                    self._rpc(model, "search_read", [("user_id", "=", self.colleague.id)], ["order_id"])
                )
                self.assertEqual(colleague_rows, [])
        # a manager sees the colleague's order: the rows exist, they are only hidden from the salesperson
        self._login(self.manager)
        rows = self.assertAllowed(self._rpc("retention.cancel.report", "search_read", self._domain(), ["order_id"]))
        self.assertEqual(sorted(row["order_id"][0] for row in rows), sorted(self.orders.ids))

    def test_read_group_own_rows_only(self):
        """read_group and web_read_group count and sum the salesperson's visible rows only."""
        self._login(self.salesman)
        expected = {
            "retention.cancel.report": (len(self.visible), sum(self.visible.mapped("amount_untaxed"))),
            "retention.cancel.line.report": (len(self.visible.order_line), sum(self.visible.mapped("amount_untaxed"))),
        }
        for model, (count, amount) in expected.items():
            with self.subTest(model=model):
                groups = self.assertAllowed(
                    self._rpc(model, "read_group", self._domain(), ["amount:sum"], ["user_id"], lazy=False)
                )
                users = {group["user_id"] and group["user_id"][0] for group in groups}
                self.assertEqual(users, {self.salesman.id, False})
                self.assertEqual(sum(group["__count"] for group in groups), count)
                self.assertAlmostEqual(sum(group["amount"] for group in groups), amount, places=2)
                web = self.assertAllowed(
                    self._rpc(model, "web_read_group", self._domain(), ["amount:sum"], ["reason_id"], lazy=False)
                )
                self.assertEqual(web["length"], 1)
                self.assertEqual(web["groups"][0]["__count"], count)
        qty = self.assertAllowed(
            self._rpc(
                "retention.cancel.line.report", "read_group", self._domain(), ["product_uom_qty:sum"], [], lazy=False
            )
        )
        self.assertEqual(qty[0]["product_uom_qty"], 4.0, "2 + 1 of the own order, 1 unassigned; not 5 + 4 + 3")

    def test_read_colleague_rows_refused(self):
        """Reading a colleague's row by id is refused in both reports."""
        self._login(self.salesman)
        for model, ids in (
            ("retention.cancel.report", self.theirs.ids),
            ("retention.cancel.line.report", self.theirs.order_line.ids),
        ):
            with self.subTest(model=model):
                self.assertRefused(self._rpc(model, "read", ids, ["order_id", "amount"]), ACCESS)


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionBeingHandled(HygieneCommon):
    """Claim / release of a quotation."""

    def test_claim_and_release(self):
        """Claiming records who and since when; a colleague is refused with a message naming the claimer."""
        order = self._quote(user=self.salesman)
        order.with_user(self.salesman).action_retention_claim()
        self.assertEqual(order.retention_handled_by_id, self.salesman)
        self.assertTrue(order.retention_handled_since)
        order.with_user(self.salesman).action_retention_claim()  # claiming again is harmless
        shared = self._quote(user=self.salesman)
        shared.with_user(self.salesman).action_retention_claim()
        with self.assertRaisesRegex(UserError, "Hugo Hygiene"):
            shared.with_user(self.manager).action_retention_claim()
        order.with_user(self.salesman).action_retention_release()
        self.assertFalse(order.retention_handled_by_id)
        self.assertFalse(order.retention_handled_since)

    def test_release_only_claimer_or_manager(self):
        """Another salesperson cannot release; a manager can."""
        order = self._quote(user=self.salesman)
        order.with_user(self.salesman).action_retention_claim()
        order.user_id = False  # visible to the other salesperson (unassigned order)
        with self.assertRaisesRegex(UserError, "only they or a sales manager"):
            order.with_user(self.salesman2).action_retention_release()
        order.with_user(self.manager).action_retention_release()
        self.assertFalse(order.retention_handled_by_id)

    def test_released_on_confirm_and_cancel(self):
        """Confirming or cancelling releases the claim; only quotations can be claimed."""
        order = self._quote()
        order.action_retention_claim()
        order.action_confirm()
        self.assertFalse(order.retention_handled_by_id)
        with self.assertRaises(UserError):
            order.action_retention_claim()
        other = self._quote()
        other.action_retention_claim()
        other.action_cancel()
        self.assertFalse(other.retention_handled_by_id)

    def test_handled_text_in_reader_format(self):
        """The banner is one sentence naming the claimer and the day, in the reader's language and date format
        (and timezone); none once released."""
        self.env["res.lang"]._activate_lang("uk_UA")
        reader = new_test_user(
            self.env, "hyg_uk_reader", groups="sales_team.group_sale_salesman", lang="uk_UA", tz="Europe/Kyiv"
        )
        order = self._quote(user=self.salesman)
        order.with_user(self.salesman).action_retention_claim()
        since = order.retention_handled_since
        english = order.with_context(lang="en_US", tz="America/New_York")
        day = fields.Datetime.context_timestamp(english, since).date()
        self.assertEqual(
            english.retention_handled_text,
            "Hugo Hygiene is handling this quotation since %s." % day.strftime("%m/%d/%Y"),
        )
        # as the Ukrainian reader's web client asks for it: their language and timezone
        as_reader = order.with_user(reader).with_context(lang=reader.lang, tz=reader.tz)
        kyiv_day = fields.Datetime.context_timestamp(as_reader, since).date()
        text = as_reader.retention_handled_text
        self.assertIn(kyiv_day.strftime("%d.%m.%Y"), text)
        self.assertIn("Hugo Hygiene", text)
        self.assertNotIn("/", text)
        self.assertTrue(text.endswith("."))
        self.assertNotIn("\n", text)
        arch = _banner_arch(self.env)
        self.assertEqual([node.get("name") for node in arch.iter("field")], ["retention_handled_text"])
        self.assertFalse((arch.text or "").strip() + "".join((node.tail or "").strip() for node in arch))
        order.with_user(self.salesman).action_retention_release()
        self.assertFalse(english.retention_handled_text)
