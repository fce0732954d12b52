import datetime
import importlib.util
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from odoo.tests import BaseCase, tagged

from ..tools import backtest, cadence

AS_OF = datetime.date(2026, 1, 31)
D = datetime.timedelta


def frame(rows):
    """rows: (partner_id, date, amount[, peer_group])"""
    columns = (
        ["partner_id", "date", "amount", "peer_group"][: len(rows[0])] if rows else ["partner_id", "date", "amount"]
    )
    return pd.DataFrame(rows, columns=columns)


def regular(partner, last, gap, count, amount=100.0, peer=None):
    rows = [(partner, last - D(days=gap * i), amount) for i in range(count)]
    return [r + (peer,) for r in rows] if peer is not None else rows


@tagged("post_install", "-at_install", "order_retention")
class TestToolsCadence(BaseCase):
    def test_importable_by_file_path_without_odoo(self):
        """The engine loads from its file alone: no odoo import, no relative import."""
        path = os.path.join(os.path.dirname(__file__), "..", "tools", "cadence.py")
        spec = importlib.util.spec_from_file_location("standalone_cadence", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with open(path) as source:
            self.assertNotIn("import odoo", source.read())
        self.assertEqual(len(module.compute_cadence(frame(regular(1, AS_OF, 7, 3)), AS_OF)), 1)

    def test_no_orders(self):
        """An empty frame gives an empty result with every column."""
        result = cadence.compute_cadence(pd.DataFrame(columns=["partner_id", "date", "amount"]), AS_OF)
        self.assertEqual(len(result), 0)
        self.assertEqual(list(result.columns), cadence.RESULT_COLUMNS)

    def test_validation_errors(self):
        """Missing columns, empty partner and unparseable dates are refused with a clear ValueError."""
        with self.assertRaisesRegex(ValueError, "amount"):
            cadence.compute_cadence(pd.DataFrame({"partner_id": [1], "date": [AS_OF]}), AS_OF)
        with self.assertRaisesRegex(ValueError, "partner_id"):
            cadence.compute_cadence(pd.DataFrame({"partner_id": [None], "date": [AS_OF], "amount": [1.0]}), AS_OF)
        with self.assertRaisesRegex(ValueError, "not dates"):
            cadence.compute_cadence(
                pd.DataFrame({"partner_id": [1], "date": ["yesterday-ish"], "amount": [1.0]}), AS_OF
            )
        with self.assertRaisesRegex(ValueError, "as_of"):
            cadence.compute_cadence(frame(regular(1, AS_OF, 7, 3)), "2026-01-01")

    def test_one_order_gets_peer_prior(self):
        """A one-order customer gets the peer group's rhythm, never a blank."""
        rows = regular(1, AS_OF - D(days=5), 10, 40, peer=7) + [(2, AS_OF - D(days=3), 50.0, 7)]
        result = cadence.compute_cadence(frame(rows), AS_OF)
        single = result.loc[2]
        self.assertEqual(single["order_count"], 1)
        self.assertTrue(np.isnan(single["mean_gap"]) and np.isnan(single["std_gap"]))
        assert_allclose(single["expected_gap"], 10.0, rtol=0.01)
        self.assertGreater(single["warning_days"], single["expected_gap"])
        self.assertIn("Only one order", single["explanation"])
        self.assertEqual(single["rfm_frequency"], 1)

    def test_same_day_orders_are_one_occasion(self):
        """Two orders on one day (even at different hours) are one purchase occasion; amounts add up."""
        rows = [
            (1, datetime.datetime(2026, 1, 10, 9), 10.0),
            (1, datetime.datetime(2026, 1, 10, 17), 15.0),
            (1, datetime.datetime(2026, 1, 20, 9), 5.0),
        ]
        row = cadence.compute_cadence(frame(rows), AS_OF).loc[1]
        self.assertEqual(row["order_count"], 2)
        self.assertEqual(row["mean_gap"], 10.0)
        self.assertEqual(row["total_amount"], 30.0)

    def test_future_orders_ignored(self):
        """Orders after as_of do not count; as_of before every order gives an empty result."""
        rows = regular(1, AS_OF - D(days=2), 10, 5) + [(1, AS_OF + D(days=3), 999.0)]
        row = cadence.compute_cadence(frame(rows), AS_OF).loc[1]
        self.assertEqual(row["order_count"], 5)
        self.assertEqual(row["days_since_last"], 2)
        self.assertEqual(len(cadence.compute_cadence(frame(rows), AS_OF - D(days=500))), 0)

    def test_identical_gaps(self):
        """Identical gaps (sd 0) still give a finite warning level above the usual gap, with the floor."""
        row = cadence.compute_cadence(frame(regular(1, AS_OF, 14, 30)), AS_OF).loc[1]
        self.assertEqual(row["std_gap"], 0.0)
        assert_allclose(row["expected_gap"], 14.0, rtol=0.05)
        self.assertTrue(np.isfinite(row["warning_days"]))
        self.assertGreaterEqual(row["warning_days"], row["expected_gap"] + 2.0 - 1e-9)
        self.assertGreaterEqual(row["warning_days"], row["expected_gap"] * 1.15 - 1e-9)

    def test_huge_outlier(self):
        """A 2000-day gap does not break the statistics (log scale keeps them finite and sane)."""
        rows = regular(1, AS_OF, 10, 20) + [(1, AS_OF - D(days=190 + 2000), 10.0)]
        row = cadence.compute_cadence(frame(rows), AS_OF).loc[1]
        self.assertTrue(np.isfinite(row["expected_gap"]) and np.isfinite(row["warning_days"]))
        self.assertLess(row["expected_gap"], 40, "the geometric mean resists one outlier")
        self.assertGreater(row["mean_gap"], 100, "the raw mean does not")

    def test_nan_amounts(self):
        """NaN amounts count as 0 money but the order still counts."""
        rows = [(1, AS_OF - D(days=10), np.nan), (1, AS_OF - D(days=5), 20.0)]
        row = cadence.compute_cadence(frame(rows), AS_OF).loc[1]
        self.assertEqual(row["order_count"], 2)
        self.assertEqual(row["total_amount"], 20.0)

    def test_long_history_uses_own_rhythm(self):
        """With many gaps the expected gap is essentially the customer's own geometric mean."""
        rows = regular(1, AS_OF, 10, 80, peer=1) + regular(2, AS_OF, 60, 40, peer=1)
        result = cadence.compute_cadence(frame(rows), AS_OF)
        assert_allclose(result.loc[1, "expected_gap"], 10.0, rtol=0.1)
        assert_allclose(result.loc[2, "expected_gap"], 60.0, rtol=0.15)  # 39 gaps vs kappa 4: ~90 % own

    def test_peer_groups_and_fallback(self):
        """Big peer groups give their own prior; a group with few gaps falls back to the whole base."""
        rows = []
        for i in range(10):
            rows += regular(100 + i, AS_OF - D(days=1), 7, 6, peer="fast")
            rows += regular(200 + i, AS_OF - D(days=1), 70, 6, peer="slow")
        rows += [
            (1, AS_OF - D(days=1), 10.0, "fast"),
            (2, AS_OF - D(days=1), 10.0, "slow"),
            (3, AS_OF - D(days=1), 10.0, "tiny"),
            (4, AS_OF - D(days=1), 10.0, None),
        ]
        result = cadence.compute_cadence(frame(rows), AS_OF)
        assert_allclose(result.loc[1, "expected_gap"], 7.0, rtol=0.05)
        assert_allclose(result.loc[2, "expected_gap"], 70.0, rtol=0.05)
        base = np.exp((np.log(7) + np.log(70)) / 2)
        assert_allclose(result.loc[3, "expected_gap"], base, rtol=0.05)
        assert_allclose(result.loc[4, "expected_gap"], base, rtol=0.05)

    def test_all_statuses(self):
        """Active, warm, cold and lost are all reachable and follow the thresholds."""
        rows = (
            regular(1, AS_OF - D(days=3), 10, 12)
            + regular(2, AS_OF - D(days=11), 10, 12)
            + regular(3, AS_OF - D(days=18), 10, 12)
            + regular(4, AS_OF - D(days=400), 10, 12)
        )
        result = cadence.compute_cadence(frame(rows), AS_OF)
        self.assertEqual(result["status"].tolist(), ["active", "warm", "cold", "lost"])
        self.assertEqual(result["missing_order"].tolist(), [False, False, True, True])
        warm = result.loc[2]
        self.assertGreater(warm["days_since_last"], warm["expected_gap"])
        self.assertLessEqual(warm["days_since_last"], warm["warning_days"])
        self.assertIn("missing order", result.loc[3, "explanation"])

    def test_threshold_params(self):
        """cold_multiple widens the warm band; the cap and a probability of 1 control lost."""
        rows = regular(1, AS_OF - D(days=30), 10, 12)
        params = cadence.CadenceParams(cold_multiple=5.0, lost_probability=1.0, lost_cap_days=1000)
        self.assertEqual(cadence.compute_cadence(frame(rows), AS_OF, params).loc[1, "status"], "warm")
        params = cadence.CadenceParams(lost_probability=1.0, lost_cap_days=25)
        self.assertEqual(cadence.compute_cadence(frame(rows), AS_OF, params).loc[1, "status"], "lost")
        irregular = [(5, AS_OF - D(days=back), 10.0) for back in (0, 5, 30, 38, 70, 90, 131, 140)]
        params = cadence.CadenceParams(warning_z=3.0)
        wide = cadence.compute_cadence(frame(irregular), AS_OF, params).loc[5, "warning_days"]
        self.assertGreater(wide, cadence.compute_cadence(frame(irregular), AS_OF).loc[5, "warning_days"])

    def test_translated_templates(self):
        """The explanation comes from templates the caller may translate."""
        templates = dict(cadence.DEFAULT_TEMPLATES, regular="Commande tous les {gap} jours", due=" ({next}).")
        params = cadence.CadenceParams(explanation_templates=templates)
        row = cadence.compute_cadence(frame(regular(1, AS_OF, 10, 5)), AS_OF, params).loc[1]
        self.assertTrue(row["explanation"].startswith("Commande tous les"))

    def test_rfm_grid_is_complete(self):
        """Every (R, F) pair maps to exactly one of the 11 segments, all of which are used."""
        used = {cadence._SEGMENT_GRID[r][f] for r in range(5) for f in range(5)}
        self.assertEqual(used, set(cadence.RFM_SEGMENTS))
        self.assertEqual(len(cadence.RFM_SEGMENTS), 11)

    def test_rfm_scores_and_ties(self):
        """Frequency bands 1/2/3/4-5/6+; tied recencies share a score; best customer is a Champion."""
        rows = []
        for pid, count in enumerate([1, 2, 3, 4, 5, 6, 9], start=1):
            rows += regular(pid, AS_OF - D(days=0 if pid == 7 else 2), 5, count, amount=10.0 * pid)
        result = cadence.compute_cadence(frame(rows), AS_OF)
        self.assertEqual(result["rfm_frequency"].tolist(), [1, 2, 3, 4, 4, 5, 5])
        self.assertEqual(result.loc[1:6, "rfm_recency"].nunique(), 1, "equal recency, equal score")
        self.assertEqual(result.loc[7, "rfm_recency"], 5)
        self.assertEqual(result.loc[7, "rfm_monetary"], 5)
        self.assertEqual(result.loc[7, "rfm_segment"], "Champions")
        self.assertEqual(result.loc[7, "rfm_score"], "555")

    def test_bgnbd_fit_recovers_churn(self):
        """On synthetic histories, customers silent far beyond their rhythm get a high P(no order)."""
        rng = np.random.default_rng(3)
        rows = []
        for pid in range(1, 301):
            silence = 400 if pid % 3 == 0 else int(rng.integers(0, 10))
            rows += [(pid, AS_OF - D(days=silence + 15 * i + int(rng.integers(0, 5))), 10.0) for i in range(8)]
        result = cadence.compute_cadence(frame(rows), AS_OF)
        churned = result.index % 3 == 0
        self.assertGreater(result.loc[churned, "p_no_order_90d"].mean(), 0.85)
        self.assertLess(result.loc[~churned, "p_no_order_90d"].mean(), 0.3)
        self.assertTrue((result.loc[churned, "status"] == "lost").all())

    def test_deterministic_and_order_invariant(self):
        """Shuffling input rows changes nothing."""
        rows = regular(1, AS_OF, 9, 7) + regular(2, AS_OF - D(days=40), 15, 4) + [(3, AS_OF - D(days=8), 5.0)]
        data = frame(rows)
        first = cadence.compute_cadence(data, AS_OF)
        second = cadence.compute_cadence(data.sample(frac=1.0, random_state=4), AS_OF)
        pd.testing.assert_frame_equal(first, second)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.tuples(st.integers(1, 6), st.integers(0, 900), st.one_of(st.floats(0, 1e5), st.just(float("nan")))),
            min_size=1,
            max_size=40,
        )
    )
    def test_properties(self, raw):
        """For random histories: one row per customer with orders, sane ranges, consistent status."""
        rows = [(pid, AS_OF - D(days=back), amount) for pid, back, amount in raw]
        result = cadence.compute_cadence(frame(rows), AS_OF)
        self.assertEqual(set(result.index), {pid for pid, _b, _a in raw})
        self.assertTrue((result["expected_gap"] > 0).all())
        self.assertTrue((result["warning_days"] > result["expected_gap"]).all())
        for column in ("overdue_probability", "p_no_order_90d", "churn_probability"):
            self.assertTrue(result[column].between(0, 1).all(), column)
        self.assertTrue(result["status"].isin(cadence.STATUSES).all())
        self.assertTrue((result["annual_value"] >= 0).all())
        assert_allclose(result["value_at_risk"], result["annual_value"] * result["churn_probability"])
        self.assertTrue(result["rfm_segment"].isin(cadence.RFM_SEGMENTS).all())
        active = result["status"] == "active"
        self.assertTrue((result.loc[active, "days_since_last"] <= result.loc[active, "expected_gap"]).all())
        self.assertTrue((result["missing_order"] == (result["days_since_last"] > result["warning_days"])).all())
        # a new order today never increases anyone's silence
        newer = frame(rows + [(raw[0][0], AS_OF, 1.0)])
        after = cadence.compute_cadence(newer, AS_OF)
        self.assertTrue((after["days_since_last"] <= result["days_since_last"]).all())


def simulated_base(n=600, seed=5, one_order=40):
    """Forward-simulated histories: customers start 200-720 days before AS_OF and order every
    ~20 days until they stop; small spenders (even ids: 50 per order) stop after each order with
    probability 0.12, big spenders (odd ids: 1000) with 0.01. Plus ``one_order`` customers with a
    single order, some of zero amount."""
    rng = np.random.default_rng(seed)
    rows = []
    for pid in range(1, n + 1):
        small = pid % 2 == 0
        day = int(rng.integers(200, 720))
        while day >= 0:
            rows.append((pid, AS_OF - D(days=day), (50.0 if small else 1000.0) * rng.uniform(0.8, 1.2)))
            if rng.random() < (0.12 if small else 0.01):
                break
            day -= max(1, int(rng.lognormal(np.log(20), 0.3)))
    for pid in range(n + 1, n + one_order + 1):
        rows.append((pid, AS_OF - D(days=int(rng.integers(0, 400))), 0.0 if pid % 2 else 300.0))
    return frame(rows)


@tagged("post_install", "-at_install", "order_retention")
class TestToolsChurnModel(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = simulated_base()
        cls.result = cadence.compute_cadence(cls.base, AS_OF)
        cls.model = cls.result.attrs["churn_model"]

    def test_learns_the_known_signal(self):
        """Small spenders churn more: the model learns it, and longer silence raises the odds."""
        model = self.model
        self.assertTrue(model.used, model.fallback_reason)
        self.assertEqual(model.origins, (30, 60, 90, 120, 150, 180))
        self.assertGreaterEqual(model.customers_at_oldest, 200)
        self.assertGreater(model.no_order_rows, 30)
        self.assertGreater(model.training_rows - model.no_order_rows, 30)
        effects = cadence.churn_effects(model)
        self.assertLess(effects["amount_doubled"], 0.9, "bigger orders, fewer churners")
        self.assertGreater(effects["silent_100_days"], 2.0)
        self.assertGreater(model.train_auc, 0.8)
        repeat = self.result[self.result["order_count"] > 1]
        small = repeat.index.to_numpy() % 2 == 0
        self.assertGreater(
            repeat.loc[small, "churn_probability"].mean(), repeat.loc[~small, "churn_probability"].mean()
        )

    def test_lost_follows_the_model(self):
        """Lost = cold-or-lost under the rules with p >= max(t*, 0.5); the rules' other lost become cold."""
        result, model = self.result, self.model
        self.assertGreaterEqual(model.lost_threshold, 0.5)
        self.assertEqual(model.lost_threshold, max(model.threshold, 0.5))
        lost = result["status"] == "lost"
        self.assertTrue((result.loc[lost, "churn_probability"] >= model.lost_threshold).all())
        self.assertTrue(result.loc[lost, "rule_status"].isin(["cold", "lost"]).all())
        demoted = (result["rule_status"] == "lost") & ~lost
        self.assertTrue((result.loc[demoted, "status"] == "cold").all())
        kept = result["rule_status"].isin(["active", "warm"])
        self.assertTrue((result.loc[kept, "status"] == result.loc[kept, "rule_status"]).all())
        self.assertIn("chance of no order in the next 180 days", result["explanation"].iloc[0])

    def test_backtest_learned_beats_chance(self):
        """On its own history the learned score ranks churners well (AUC), and both figure sets are there."""
        per_status, metrics = backtest.backtest(self.base, AS_OF - D(days=180), 180)
        self.assertTrue(metrics["model_used"])
        self.assertGreater(metrics["auc"], 0.8)
        self.assertTrue(0 <= metrics["rule_auc"] <= 1)
        self.assertIn("rule_customers", per_status.columns)
        self.assertEqual(per_status["customers"].sum(), per_status["rule_customers"].sum())

    def test_one_order_and_zero_amounts(self):
        """One-order customers get a probability and a run-rate over their expected gap or silence; zero amounts,
        zero value."""
        result = self.result
        single = result[result["order_count"] == 1]
        self.assertTrue(len(single))
        self.assertTrue(single["churn_probability"].between(0, 1).all())
        paying = single[single["total_amount"] > 0]
        span = np.maximum(paying["expected_gap"], paying["days_since_last"])
        assert_allclose(paying["annual_value"], paying["total_amount"] * 365.25 / span, rtol=1e-9)
        self.assertTrue((paying["days_since_last"] > paying["expected_gap"]).any(), "both cases are covered")
        self.assertTrue((paying["days_since_last"] < paying["expected_gap"]).any(), "both cases are covered")
        free = single[single["total_amount"] == 0]
        self.assertTrue(len(free))
        self.assertTrue((free["annual_value"] == 0).all() and (free["value_at_risk"] == 0).all())

    def test_value_at_risk(self):
        """Run-rate of a regular customer = amount × 365.25 / gap; value at risk = run-rate × p."""
        assert_allclose(self.result["value_at_risk"], self.result["annual_value"] * self.result["churn_probability"])
        rows = regular(1, AS_OF - D(days=3), 10, 12, amount=100.0)
        row = cadence.compute_cadence(frame(rows), AS_OF).loc[1]
        assert_allclose(row["annual_value"], 100.0 * 12 * 365.25 / (110 + row["expected_gap"]), rtol=1e-9)

    def test_deterministic(self):
        """Same input (in any row order), same probabilities and the same fitted model."""
        again = cadence.compute_cadence(self.base.sample(frac=1.0, random_state=7), AS_OF)
        pd.testing.assert_frame_equal(self.result, again)
        self.assertEqual(again.attrs["churn_model"], self.model)

    def test_fallback_on_small_base(self):
        """Fewer than 200 customers at the oldest origin: the rules decide, and the model says why."""
        small = simulated_base(n=120, one_order=0)
        result = cadence.compute_cadence(small, AS_OF)
        model = result.attrs["churn_model"]
        self.assertFalse(model.used)
        self.assertEqual(model.fallback_reason, "few_customers")
        self.assertTrue((result["status"] == result["rule_status"]).all())
        self.assertTrue(result["churn_probability"].between(0, 1).all())
        self.assertNotIn("Learned", " ".join(result["explanation"]))
        self.assertEqual(cadence.churn_effects(model), {})

    def test_fallback_single_origin_and_disabled(self):
        """A history of 95 days gives one usable origin (60 days before as_of - 30); learning can be switched off."""
        rows = [(pid, AS_OF - D(days=int(back)), 10.0) for pid in range(1, 400) for back in (95, 60, 30, pid % 20)]
        model = cadence.compute_cadence(frame(rows), AS_OF).attrs["churn_model"]
        self.assertEqual((model.used, model.fallback_reason, model.origins), (False, "few_origins", (30,)))
        params = cadence.CadenceParams(churn_learning=False)
        model = cadence.compute_cadence(self.base, AS_OF, params).attrs["churn_model"]
        self.assertEqual((model.used, model.fallback_reason), (False, "disabled"))

    def test_fallback_few_labels(self):
        """Everybody keeps ordering: fewer than 30 rows of 'no order' and the rules stay."""
        rows = []
        for pid in range(1, 260):
            rows += regular(pid, AS_OF - D(days=pid % 5), 10, 30)
        model = cadence.compute_cadence(frame(rows), AS_OF).attrs["churn_model"]
        self.assertEqual((model.used, model.fallback_reason), (False, "few_labels"))

    def test_today_score_is_the_model_on_todays_features(self):
        """Today's probability is the fitted model applied to today's features with s = the horizon."""
        result = self.result
        features = np.column_stack(
            [
                np.log(result["order_count"]),
                result["days_since_last"],
                result["days_since_last"] / result["expected_gap"],
            ]
        )
        model = self.model
        self.assertEqual(len(features), len(result))
        # scoring today = predict_churn on the same five features
        today = np.column_stack(
            [
                features,
                np.log1p(np.maximum(result["total_amount"] / result["order_count"], 0)),
                np.full(len(result), np.log(180)),
            ]
        )
        assert_allclose(cadence.predict_churn(model, today), result["churn_probability"], rtol=1e-6, atol=1e-9)

    def test_mcc_threshold_hand_computed(self):
        """Expected-MCC threshold on small hand-computed cases (ties are cut together)."""
        # N=4, Σp=2: MCC(k=1)=1.6/√12, MCC(2)=2.8/4=0.7, MCC(3)=1.6/√12 -> flag the top two: t* = 0.8
        self.assertEqual(cadence.mcc_threshold([0.2, 0.9, 0.1, 0.8]), 0.8)
        self.assertEqual(cadence.mcc_threshold([0.9, 0.9, 0.1, 0.1]), 0.9)
        # [0.9, 0.6, 0.5, 0.1]: Σp=2.1; MCC(1)=(3.6-2.1)/√(1·2.1·1.9·3)=0.434, MCC(2)=(6-4.2)/√(2·2.1·1.9·2)=0.451,
        # MCC(3)=(8-6.3)/√(3·2.1·1.9·1)=0.491 -> flag three: t* = 0.5
        self.assertEqual(cadence.mcc_threshold([0.9, 0.6, 0.5, 0.1]), 0.5)
        self.assertTrue(np.isnan(cadence.mcc_threshold([0.4, 0.4, 0.4])))
        self.assertTrue(np.isnan(cadence.mcc_threshold([])))

    def test_auc_hand_computed(self):
        """AUC against hand-computed values, with a tie counted half."""
        self.assertAlmostEqual(backtest.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75)
        self.assertAlmostEqual(backtest.auc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]), 3.5 / 4)
        self.assertTrue(np.isnan(backtest.auc([1, 1], [0.2, 0.3])))

    def test_fit_logistic_recovers_coefficients(self):
        """On data drawn from a known logistic model the fit recovers its coefficients."""
        rng = np.random.default_rng(11)
        X = np.column_stack([rng.normal(5, 2, 40000), rng.normal(-1, 0.5, 40000)])
        y = rng.random(40000) < 1 / (1 + np.exp(-(0.5 + 0.8 * X[:, 0] - 2.0 * X[:, 1] - 4.0)))
        intercept, weights, means, scales = cadence.fit_logistic(X, y, l2=1.0)
        assert_allclose(weights / scales, [0.8, -2.0], atol=0.08)
        assert_allclose(intercept - np.dot(weights / scales, means), -3.5, atol=0.25)

    def test_churn_effects_in_plain_numbers(self):
        """Odds ratios per 100 silent days (at the typical gap), per doubling of orders and amount."""
        model = cadence.ChurnModel(
            used=True,
            fallback_reason="",
            horizon_days=180,
            typical_gap=50.0,
            raw_coefficients=(np.log(0.44) / np.log(2), 0.005, 0.1, 0.0, -0.2),
        )
        effects = cadence.churn_effects(model)
        assert_allclose(effects["silent_100_days"], np.exp(100 * (0.005 + 0.1 / 50)))
        assert_allclose(effects["one_more_gap"], np.exp(0.1 + 50 * 0.005))
        assert_allclose(effects["orders_doubled"], 0.44)
        assert_allclose(effects["amount_doubled"], 1.0)
        self.assertIsNone(
            cadence.ChurnModel(used=False, fallback_reason="few_origins", horizon_days=180).as_dict()["threshold"]
        )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(1, 60), st.integers(0, 400), st.integers(1, 300), st.floats(2, 200), st.floats(0, 5000))
    def test_longer_silence_never_lowers_the_learned_probability(self, orders, silence, extra, gap, amount):
        """Monotonic: under the fitted model, more silence (all else equal) never lowers the probability."""
        beta = dict(zip(self.model.feature_names, self.model.raw_coefficients, strict=False))
        self.assertGreater(beta["days_silent"] + beta["silence_ratio"] / gap, 0)

        def p(days):
            row = np.array([[np.log(orders), days, days / gap, np.log1p(amount), np.log(180)]])
            return cadence.predict_churn(self.model, row)[0]

        self.assertGreaterEqual(p(silence + extra), p(silence) - 1e-12)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.floats(0, 1), min_size=2, max_size=60))
    def test_threshold_and_auc_properties(self, probabilities):
        """t* is one of the scores; AUC of a score and of its opposite add up to 1."""
        t = cadence.mcc_threshold(probabilities)
        self.assertTrue(np.isnan(t) or t in probabilities)
        labels = np.arange(len(probabilities)) % 2 == 0
        scores = np.asarray(probabilities)
        assert_allclose(backtest.auc(labels, scores) + backtest.auc(labels, -scores), 1.0)
