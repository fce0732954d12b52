"""tools/rfm.py on its own: percentile ranks against the whole base, scores and segments."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from odoo.tests import BaseCase, tagged

from ..tools import rfm


@tagged("post_install", "-at_install", "order_retention")
class TestToolsRfm(BaseCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.integers(-50, 50), min_size=1, max_size=80))
    def test_percentile_rank_is_pandas_rank(self, values):
        """Ranked against the sorted base, every customer gets pandas' rank(method="average", pct=True)."""
        values = np.asarray(values, dtype="float64")
        expected = pd.Series(values).rank(method="average", pct=True).to_numpy()
        assert_allclose(rfm.percentile_rank(np.sort(values), values), expected, rtol=1e-12)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.lists(st.integers(-50, 50), min_size=1, max_size=80),
        st.lists(st.floats(-60, 60, allow_nan=False), min_size=0, max_size=40),
    )
    def test_percentile_rank_of_a_shard_in_any_order(self, base, shard):
        """A shard of customers in any order (the nightly chunks) gets, customer by customer, the rank it
        gets ranked alone against the base: the search in sorted order is undone."""
        reference = np.sort(np.asarray(base, dtype="float64"))
        values = np.asarray(shard, dtype="float64")
        one_by_one = np.array([rfm.percentile_rank(reference, values[i : i + 1])[0] for i in range(len(values))])
        assert_allclose(rfm.percentile_rank(reference, values), one_by_one.reshape(-1), rtol=1e-12)

    def test_scores_and_segments(self):
        """Quintiles of the ranks for R and M, frequency bands 1 / 2 / 3 / 4-5 / 6+, the score string and the
        segment of the R × F grid."""
        cases = [
            # recency rank, occasions, monetary rank -> R, F, M, score, segment
            (1.0, 9, 0.95, (5, 5, 5, "555", "Champions")),
            (0.81, 1, 0.2, (5, 1, 1, "511", "New")),
            (0.2, 6, 0.21, (1, 5, 2, "152", "Can't Lose Them")),
            (0.001, 1, 0.0, (1, 1, 1, "111", "Lost")),
            (0.5, 4, 0.6, (3, 4, 3, "343", "Loyal")),
            (0.7, 3, 0.4, (4, 3, 2, "432", "Potential Loyalist")),
            (0.45, 2, 0.8, (3, 2, 4, "324", "About to Sleep")),
            (0.3, 5, 1.0, (2, 4, 5, "245", "At Risk")),
        ]
        r, f, m, score, segment = rfm.rfm_scores(
            np.array([c[0] for c in cases]), np.array([c[1] for c in cases]), np.array([c[2] for c in cases])
        )
        for i, case in enumerate(cases):
            with self.subTest(case=case):
                self.assertEqual((r[i], f[i], m[i], score[i], segment[i]), case[3])
        self.assertEqual((r.dtype, f.dtype, m.dtype, score.dtype), (np.dtype("int64"),) * 3 + (np.dtype(object),))
