from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .hygiene_common import HygieneCommon


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

    def test_cancel_report_lines(self):
        """One row per cancelled order line, with reason, product, salesperson and the excluded flag."""
        order = self._quote(lines=[(self.prod_a, 2), (self.prod_b, 1)])
        self._cancel(order, self.reason_mind)
        dup = self._quote(lines=[(self.prod_c, 1)])
        self._cancel(dup, self.reason_duplicate)
        self.env.flush_all()
        Report = self.env["retention.cancel.report"]
        rows = Report.search([("order_id", "=", order.id)])
        self.assertEqual(rows.product_id, self.prod_a | self.prod_b)
        self.assertEqual(rows.reason_id, self.reason_mind)
        self.assertEqual(rows.user_id, self.salesman)
        self.assertFalse(any(rows.mapped("excluded")))
        self.assertAlmostEqual(sum(rows.mapped("amount")), order.amount_untaxed / order.currency_rate, places=2)
        self.assertTrue(Report.search([("order_id", "=", dup.id)]).excluded)
        groups = Report._read_group(
            [("user_id", "=", self.salesman.id), ("excluded", "=", False)], ["reason_id"], ["__count"]
        )
        self.assertEqual(groups, [(self.reason_mind, 2)])

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
