import dataclasses
import datetime

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from ..tools import cadence
from .common import RetentionCommon

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionChurn(RetentionCommon):
    """Learned churn probability, value at risk and the stored model, through the real cycle."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # ten customers who keep ordering every 30 days and ten who stopped 150 days before BASE
        cls.keepers = cls.env["res.partner"].browse(
            [cls._create_customer("Churn Keeper %d" % i, user=cls.salesman).id for i in range(10)]
        )
        cls.stoppers = cls.env["res.partner"].browse(
            [cls._create_customer("Churn Stopper %d" % i, user=cls.salesman).id for i in range(10)]
        )
        for i, keeper in enumerate(cls.keepers):
            cls._create_orders(keeper, cls._regular_dates(cls.BASE - D(days=i % 3), 30, 11), amount=100.0 + 10 * i)
        for i, stopper in enumerate(cls.stoppers):
            cls._create_orders(stopper, cls._regular_dates(cls.BASE - D(days=150 + i % 3), 30, 6), amount=80.0)

    def _learn_on_small_bases(self):
        """Let the model learn from this small test base (the product needs 200 customers and 30 rows per label)."""
        original = type(self.Cycle)._retention_engine_params

        def params(cycle, company=None):
            return dataclasses.replace(original(cycle, company), churn_min_customers=10, churn_min_label_rows=10)

        self.patch(type(self.Cycle), "_retention_engine_params", params)

    def test_value_at_risk_on_partner(self):
        """After a cycle the partner holds the engine's churn probability, run-rate and value at risk = run-rate × p."""
        self.Cycle._retention_compute_all(self.BASE)
        self.env.invalidate_all()
        facts = self.Cycle._retention_fetch_orders(self.BASE)
        expected = cadence.compute_cadence(facts, self.BASE, self.Cycle._retention_engine_params())
        for partner in self.keepers | self.stoppers:
            row = expected.loc[partner.id]
            self.assertAlmostEqual(partner.retention_churn_probability, row["churn_probability"], places=3)
            self.assertAlmostEqual(partner.retention_annual_value, row["annual_value"], places=1)
            self.assertAlmostEqual(
                partner.retention_value_at_risk,
                partner.retention_annual_value * partner.retention_churn_probability,
                delta=1e-3 * partner.retention_annual_value + 0.01,
            )
        keeper = self.keepers[0]
        self.assertAlmostEqual(
            keeper.retention_annual_value, 11 * 100.0 * 365.25 / (300 + keeper.retention_expected_gap_days), delta=0.5
        )
        self.assertEqual(keeper.retention_currency_id, self.env.company.currency_id)

    def test_demo_customers_value_at_risk(self):
        """On the demo customers (classified at install) value at risk = run-rate × churn probability."""
        demo = self.env["res.partner"].search(
            [
                ("retention_status", "!=", False),
                (
                    "name",
                    "in",
                    ["Regular Bakery Supplies", "Big Account Industries", "Lost Print Shop", "One-time Event Agency"],
                ),
            ]
        )
        self.assertEqual(len(demo), 4, "the test database is installed with demo data")
        for partner in demo:
            self.assertGreater(partner.retention_annual_value, 0)
            self.assertTrue(0 <= partner.retention_churn_probability <= 1)
            self.assertAlmostEqual(
                partner.retention_value_at_risk,
                partner.retention_annual_value * partner.retention_churn_probability,
                delta=1e-3 * partner.retention_annual_value + 0.01,
            )

    def test_values_cleared_without_orders(self):
        """A customer whose confirmed orders are all cancelled loses its churn figures with its status."""
        stopper = self.stoppers[0]
        self.Cycle._retention_compute_all(self.BASE)
        self.assertTrue(stopper.retention_value_at_risk)
        self.env["sale.order"].search([("partner_id", "=", stopper.id)]).write({"state": "cancel"})
        self.Cycle._retention_compute_all(self.BASE + D(days=1))
        self.env.invalidate_all()
        self.assertFalse(stopper.retention_status)
        self.assertFalse(stopper.retention_churn_probability)
        self.assertFalse(stopper.retention_annual_value)
        self.assertFalse(stopper.retention_value_at_risk)

    def test_model_run_stored_and_explained(self):
        """The learned model of a run is stored with its figures and explained in plain words; lost follows it."""
        self._learn_on_small_bases()
        self.Cycle._retention_compute_all(self.BASE)
        self.env.invalidate_all()
        run = self.env["retention.model.run"].search([("date", "=", self.BASE)])
        self.assertEqual(len(run), 1)
        self.assertTrue(run.model_used, run.explanation)
        self.assertEqual(run.origins, "30, 60, 90, 120, 150, 180")
        self.assertGreaterEqual(run.lost_threshold, 0.5)
        self.assertIn("100 more silent days multiply the odds", run.explanation)
        self.assertEqual(run.model_data["feature_names"], list(cadence.CHURN_FEATURES))
        self.assertEqual(set(self.stoppers.mapped("retention_status")), {"lost"})
        self.assertTrue(all(p.retention_churn_probability >= run.lost_threshold for p in self.stoppers))
        self.assertNotIn("lost", self.keepers.mapped("retention_status"))
        with self._on_day(self.BASE):
            self.assertIn("chance of no order in the next 180 days", self.stoppers[0].retention_explanation)
        # a rerun the same day replaces the day's run
        self.Cycle._retention_compute_all(self.BASE)
        self.assertEqual(self.env["retention.model.run"].search_count([("date", "=", self.BASE)]), 1)

    def test_fallback_run_explained(self):
        """Without enough history the run says the rules decided, and why."""
        self.Cycle._retention_compute_all(self.BASE)
        run = self.env["retention.model.run"].search([("date", "=", self.BASE)])
        self.assertFalse(run.model_used)
        self.assertEqual(run.fallback_reason, "few_customers")
        self.assertIn("the rules decide who is lost", run.explanation)

    def test_model_runs_for_managers_only(self):
        """Managers read the stored models; salespeople do not see them at all."""
        self.Cycle._retention_compute_all(self.BASE)
        self.assertTrue(self.env["retention.model.run"].with_user(self.leader).search([]))
        with self.assertRaises(AccessError):
            self.env["retention.model.run"].with_user(self.salesman).search([])

    def test_backtest_shows_rules_and_learned(self):
        """The backtest wizard reports rule and learned figures side by side, with AUC and the model's explanation."""
        self._learn_on_small_bases()
        self._set_aside_other_orders(self.keepers | self.stoppers)  # this test's customers alone
        self.Cycle._retention_compute_all(self.BASE)
        wizard = Form(self.env["retention.backtest"].with_user(self.leader))
        wizard.as_of = self.BASE - D(days=30)
        wizard.horizon_days = 30
        record = wizard.save()
        record.action_run()
        self.assertTrue(record.model_used, record.model_explanation)
        self.assertGreater(record.auc, 0.5)
        self.assertGreater(record.rule_auc, 0.0)
        # 120 days into a 30-day rhythm the rules still wait (cold); the learned model already calls them lost
        self.assertGreater(record.lost_recall, record.rule_lost_recall)
        self.assertEqual(record.line_ids.filtered(lambda line: line.status == "lost").order_rate, 0.0)
        self.assertEqual(sum(record.line_ids.mapped("customers")), sum(record.line_ids.mapped("rule_customers")))
        self.assertIn("100 more silent days", record.model_explanation)
        latest = self.env["retention.model.run"].search([], limit=1)  # the demo's install-time run is the newest
        self.assertEqual(record.current_model_explanation, latest.explanation)
