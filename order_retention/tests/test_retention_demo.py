"""Daily screens, round three (issue #22): the demo population, the learned model's status on Churn Models and the
Backtest, and Why Customers Leave counting a call once its 90-day window is over."""

import dataclasses
import datetime

from odoo import fields
from odoo.tests import Form, tagged

from ..models.retention_cycle_demo import DEMO_CUSTOMERS, DEMO_POPULATION_SIZE, DEMO_SALESPEOPLE
from ..models.retention_policy import retention_system
from ..tools import cadence
from .common import RetentionCommon

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionDemoPopulation(RetentionCommon):
    """The demo database (installed with demo data) holds enough history for the learned churn model."""

    def test_population_salespeople_and_teams(self):
        """Olga and Victor are plain salespeople of the team Direct Sales, the demo salesperson keeps his team, and
        the generated customers are theirs; the named demo customers are still there."""
        users = self.env["res.users"].search([("login", "in", [login for _name, login in DEMO_SALESPEOPLE])])
        self.assertEqual(len(users), 2, "the test database is installed with demo data")
        for user in users:
            self.assertTrue(user.has_group("sales_team.group_sale_salesman"))
            self.assertFalse(user.has_group("sales_team.group_sale_salesman_all_leads"), "own documents only")
        team = self.env["crm.team"].search([("name", "=", "Direct Sales")])
        self.assertEqual(set(team.member_ids.ids), set(users.ids))
        self.assertNotIn(team, self.env.ref("base.user_demo").crm_team_ids)
        population = self.env["res.partner"].search([("phone", "=like", "+1 628-400-%")])
        self.assertEqual(len(population), DEMO_POPULATION_SIZE)
        self.assertEqual(set(population.user_id.ids), set(users.ids))
        named = self.env["res.partner"].search([("name", "in", [row[0] for row in DEMO_CUSTOMERS])])
        self.assertEqual(len(named), len(DEMO_CUSTOMERS))
        self.assertEqual(
            self.env["res.partner"].search([("name", "=", "Lapsed Hardware Store")]).retention_status, "lost"
        )

    def test_population_history(self):
        """Three years of confirmed orders, win-backs stamped, cancelled quotations with a reason, duplicate
        quotations, and past retention calls with outcomes older and younger than 90 days."""
        population = self.env["res.partner"].search([("phone", "=like", "+1 628-400-%")])
        today = fields.Date.context_today(self.env["retention.cycle"])
        Order = self.env["sale.order"]
        orders = Order.search([("partner_id", "in", population.ids), ("state", "=", "sale")])
        self.assertGreater(len(orders), 3000)
        oldest = min(orders.mapped("date_order")).date()
        self.assertLessEqual(oldest, today - D(days=3 * 365 - 30))
        self.assertTrue(orders.filtered("retention_won_back"))
        self.assertTrue(all(o.amount_total == sum(o.order_line.mapped("price_total")) for o in orders[:50]))
        cancelled = Order.search([("partner_id", "in", population.ids), ("state", "=", "cancel")])
        self.assertGreaterEqual(len(cancelled), 40)
        self.assertTrue(all(cancelled.mapped("retention_cancel_reason_id")))
        # entered on their dates (created on their order date, cancelled the day after): the cancellations spread
        # over the history, as the cancellation rate by month of creation (the Retention dashboard's) shows them
        self.assertTrue(all(order.create_date == order.date_order for order in cancelled))
        now = fields.Datetime.now()
        self.assertTrue(all(o.date_order < o.retention_cancel_date <= now for o in cancelled))
        self.assertGreater(len({order.create_date.strftime("%Y-%m") for order in cancelled}), 12)
        self.assertGreaterEqual(Order.search_count([("partner_id", "in", population.ids), ("state", "=", "sent")]), 10)
        calls = self.env["retention.call"].search([("external_id", "=like", "DEMO-P%")])
        self.assertTrue(all(calls.filtered(lambda c: c.duration_seconds >= 20).mapped("verified")))
        self.assertEqual(set(calls.mapped("outcome")), {"reached", "no_answer"})
        cutoff = fields.Datetime.now() - D(days=90)
        self.assertGreater(len(calls.filtered(lambda c: c.start < cutoff)), 100)
        self.assertTrue(calls.filtered(lambda c: c.start > cutoff + D(days=1)))

    def test_learned_model_used_on_demo(self):
        """The demo's history is long and wide enough for the learned model today and in the default Backtest."""
        today = fields.Date.context_today(self.env["retention.cycle"])
        self.Cycle._retention_compute_all(today)
        run = self.env["retention.model.run"].search([("date", "=", today)])
        params = self.Cycle._retention_engine_params()
        self.assertTrue(run.model_used, run.model_status)
        self.assertGreaterEqual(run.customers_at_oldest, params.churn_min_customers)
        self.assertEqual(run.model_status, "Used")
        wizard = Form(self.env["retention.backtest"].with_user(self.leader)).save()
        wizard.action_run()
        self.assertTrue(wizard.model_used, wizard.model_status)
        self.assertGreater(wizard.auc, 0.5)


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionModelStatus(RetentionCommon):
    """A learned model that was not used says why, with the figure it had and the one it needs, instead of a
    threshold of 0.000 and precision of 100 %."""

    def _params(self, **changes):
        original = type(self.Cycle)._retention_engine_params

        def params(cycle, company=None):
            return dataclasses.replace(original(cycle, company), **changes)

        self.patch(type(self.Cycle), "_retention_engine_params", params)

    def test_run_not_used_too_few_customers(self):
        """However large the database, a run below the customer threshold says so in Churn Models."""
        self._params(churn_min_customers=10**6)
        self.Cycle._retention_compute_all(self.BASE)
        run = self.env["retention.model.run"].search([("date", "=", self.BASE)])
        self.assertFalse(run.model_used)
        self.assertEqual(run.fallback_reason, "few_customers")
        self.assertEqual(
            run.model_status,
            "Not used: too little history (%d customers, needs 1000000)" % run.customers_at_oldest,
        )
        self.assertEqual((run.lost_threshold, run.train_auc), (0.0, 0.0))
        arch = self.env["retention.model.run"].get_view(
            self.env.ref("order_retention.retention_model_run_view_list").id
        )["arch"]
        for name in ("lost_threshold", "train_auc"):
            self.assertRegex(arch, r'name="%s"[^>]*invisible="not model_used"' % name)

    def test_status_of_every_fallback(self):
        """Each reason reads in plain words with its figures (the engine's thresholds)."""
        Run = self.env["retention.model.run"]
        params = self.Cycle._retention_engine_params()

        def status(reason, **values):
            return Run._retention_model_status(
                cadence.ChurnModel(used=False, fallback_reason=reason, horizon_days=180, **values)
            )

        self.assertEqual(
            status("few_customers", customers_at_oldest=14),
            "Not used: too little history (14 customers, needs %d)" % params.churn_min_customers,
        )
        self.assertEqual(
            status("few_labels", training_rows=500, no_order_rows=12),
            "Not used: too little history (12 examples of customers who stopped ordering and 488 who kept ordering, "
            "needs %d of each)" % params.churn_min_label_rows,
        )
        self.assertIn(
            "(1 past dates with 60 days of orders before them, needs 2)", status("few_origins", origins=(30,))
        )
        self.assertEqual(status("disabled"), "Not used: learning is switched off")
        self.assertEqual(status("fit_failed"), "Not used: the model could not be fitted")
        self.assertEqual(Run._retention_model_status(cadence.ChurnModel(True, "", 180)), "Used")

    def test_backtest_not_used(self):
        """The Backtest says the learned model was not used and why; its figures would repeat the rules'."""
        self._params(churn_min_customers=10**6)
        self.Cycle._retention_compute_all(self.BASE)
        wizard = Form(self.env["retention.backtest"].with_user(self.leader))
        wizard.as_of = self.BASE - D(days=200)
        wizard.horizon_days = 180
        record = wizard.save()
        record.action_run()
        self.assertFalse(record.model_used)
        self.assertRegex(record.model_status, r"^Not used: too little history \(\d+ customers, needs 1000000\)$")
        form = self.env["retention.backtest"].get_view(self.env.ref("order_retention.retention_backtest_view_form").id)[
            "arch"
        ]
        for name in ("lost_precision_text", "lost_recall_text", "auc"):
            self.assertRegex(form, r'name="%s"[^>]*invisible="not model_used"' % name)
        self.assertRegex(form, r'name="order_rate_text"[^>]*column_invisible="not parent.model_used"')


@tagged("post_install", "-at_install", "order_retention")
class TestChurnReportWindow(RetentionCommon):
    """Why Customers Leave: a reached customer counts as not won back only once the call's 90 days are over; until
    then the call is pending (or won back as soon as the customer orders) and stays out of the win-back rate."""

    def _call(self, partner, days_ago, outcome="reached"):
        call = self.env["retention.call"].create(
            {
                "partner_id": partner.id,
                "phone_number": "+1 650 555 0100",
                "start": fields.Datetime.now() - D(days=days_ago),
                "duration_seconds": 60,
                "user_id": self.salesman.id,
            }
        )
        with retention_system():
            call.write(
                {
                    "outcome": outcome,
                    "status_at_call": "cold",
                    "churn_reason_id": self.reason.id if outcome == "reached" else False,
                    "next_step": "expects_order" if outcome == "reached" else False,
                    "outcome_user_id": self.salesman.id,
                    "consumed_date": call.start,
                }
            )
        return call

    def test_window(self):
        self.reason = self.env["retention.churn.reason"].create({"name": "Window test reason"})
        rows = {}
        for name, days_ago, ordered_after in (
            ("today, no order", 0, None),
            ("recent, no order", 30, None),
            ("recent, ordered", 30, 5),
            ("old, no order", 120, None),
            ("old, ordered in time", 120, 20),
            ("old, ordered too late", 200, 100),
        ):
            customer = self._create_customer("Window %s" % name, user=self.salesman)
            call = self._call(customer, days_ago)
            if ordered_after is not None:
                self._create_orders(customer, [(call.start + D(days=ordered_after)).date()])
            rows[name] = call
        self._call(self._create_customer("Window not reached", user=self.salesman), 120, outcome="no_answer")
        self.env.flush_all()
        Report = self.env["retention.churn.report"]
        mine = [("reason_id", "=", self.reason.id)]
        result = {call.partner_id.name[len("Window ") :]: Report.browse(call.id) for call in rows.values()}
        self.assertEqual(
            {
                name: (row.result, row.won_back_count, row.pending_count, row.win_back_rate)
                for name, row in result.items()
            },
            {
                "today, no order": ("pending", 0, 1, 0.0),
                "recent, no order": ("pending", 0, 1, 0.0),
                "recent, ordered": ("won_back", 1, 0, 0.0),
                "old, no order": ("not_won_back", 0, 0, 0.0),
                "old, ordered in time": ("won_back", 1, 0, 100.0),
                "old, ordered too late": ("not_won_back", 0, 0, 0.0),
            },
        )
        # the rate is over the three calls whose window is over: one win-back of three, not two of six
        [(reached, won, pending, rate)] = Report._read_group(
            mine, [], ["reached_count:sum", "won_back_count:sum", "pending_count:sum", "win_back_rate:avg"]
        )
        self.assertEqual((reached, won, pending), (6, 2, 2))
        self.assertAlmostEqual(rate, 100.0 / 3, places=3)
        # NULL (not 0) for calls whose window is open: the average ignores them
        self.env.cr.execute(
            "SELECT count(*) FROM retention_churn_report WHERE reason_id = %s AND win_back_rate IS NULL",
            [self.reason.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 3)
        self.assertEqual(Report.search_count(mine + [("result", "=", "pending")]), 2)
        today = fields.Date.context_today(Report)
        self.assertLessEqual(
            abs((result["recent, no order"].window_end - (today + D(days=60))).days), 1, "known 90 days after the call"
        )
