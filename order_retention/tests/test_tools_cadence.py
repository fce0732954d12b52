import datetime
import importlib.util
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from odoo.tests import BaseCase, tagged

from ..tools import cadence

AS_OF = datetime.date(2026, 1, 31)
D = datetime.timedelta


def frame(rows):
    """rows: (partner_id, date, amount[, peer_group])"""
    columns = ["partner_id", "date", "amount", "peer_group"][:len(rows[0])] if rows else ["partner_id", "date", "amount"]
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
            cadence.compute_cadence(pd.DataFrame({"partner_id": [1], "date": ["yesterday-ish"], "amount": [1.0]}), AS_OF)
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
        rows = [(1, datetime.datetime(2026, 1, 10, 9), 10.0), (1, datetime.datetime(2026, 1, 10, 17), 15.0),
                (1, datetime.datetime(2026, 1, 20, 9), 5.0)]
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
        rows += [(1, AS_OF - D(days=1), 10.0, "fast"), (2, AS_OF - D(days=1), 10.0, "slow"),
                 (3, AS_OF - D(days=1), 10.0, "tiny"), (4, AS_OF - D(days=1), 10.0, None)]
        result = cadence.compute_cadence(frame(rows), AS_OF)
        assert_allclose(result.loc[1, "expected_gap"], 7.0, rtol=0.05)
        assert_allclose(result.loc[2, "expected_gap"], 70.0, rtol=0.05)
        base = np.exp((np.log(7) + np.log(70)) / 2)
        assert_allclose(result.loc[3, "expected_gap"], base, rtol=0.05)
        assert_allclose(result.loc[4, "expected_gap"], base, rtol=0.05)

    def test_all_statuses(self):
        """Active, warm, cold and lost are all reachable and follow the thresholds."""
        rows = (regular(1, AS_OF - D(days=3), 10, 12) + regular(2, AS_OF - D(days=11), 10, 12)
                + regular(3, AS_OF - D(days=18), 10, 12) + regular(4, AS_OF - D(days=400), 10, 12))
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
    @given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 900), st.one_of(st.floats(0, 1e5), st.just(float("nan")))),
                    min_size=1, max_size=40))
    def test_properties(self, raw):
        """For random histories: one row per customer with orders, sane ranges, consistent status."""
        rows = [(pid, AS_OF - D(days=back), amount) for pid, back, amount in raw]
        result = cadence.compute_cadence(frame(rows), AS_OF)
        self.assertEqual(set(result.index), {pid for pid, _b, _a in raw})
        self.assertTrue((result["expected_gap"] > 0).all())
        self.assertTrue((result["warning_days"] > result["expected_gap"]).all())
        for column in ("overdue_probability", "p_no_order_90d"):
            self.assertTrue(result[column].between(0, 1).all(), column)
        self.assertTrue(result["status"].isin(cadence.STATUSES).all())
        self.assertTrue(result["rfm_segment"].isin(cadence.RFM_SEGMENTS).all())
        active = result["status"] == "active"
        self.assertTrue((result.loc[active, "days_since_last"] <= result.loc[active, "expected_gap"]).all())
        self.assertTrue((result["missing_order"] == (result["days_since_last"] > result["warning_days"])).all())
        # a new order today never increases anyone's silence
        newer = frame(rows + [(raw[0][0], AS_OF, 1.0)])
        after = cadence.compute_cadence(newer, AS_OF)
        self.assertTrue((after["days_since_last"] <= result["days_since_last"]).all())
