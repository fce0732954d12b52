"""tools/rhythm.py on its own: gap statistics per customer, shrinkage toward the peers, warning level."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from odoo.tests import BaseCase, tagged

from ..tools import rhythm
from ..tools.params import CadenceParams


def sums(gaps_per_customer, peers):
    """The per-customer summary rhythm.py reads, from lists of gaps (days) and peer codes."""
    k = np.array([len(g) for g in gaps_per_customer], dtype="float64")
    logs = [np.log(np.asarray(g, dtype="float64")) for g in gaps_per_customer]
    return {
        "k": k,
        "mean_log": np.array([lg.mean() if len(lg) else np.nan for lg in logs]),
        "sd_log": np.array([lg.std(ddof=1) if len(lg) > 1 else np.nan for lg in logs]),
        "peer": np.asarray(peers, dtype="int64"),
    }


@tagged("post_install", "-at_install", "order_retention")
class TestToolsRhythm(BaseCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.integers(0, 6), st.floats(1, 500)), min_size=1, max_size=60))
    def test_group_moments_and_median_match_pandas(self, pairs):
        """Count, mean, sample sd (NaN below two values) and median per key equal pandas' groupby."""
        keys = np.array([key for key, _v in pairs], dtype="int64")
        values = np.array([value for _k, value in pairs])
        count, mean, std = rhythm.group_moments(keys, values, 8)
        median = rhythm.group_median(keys, values, 8)
        grouped = pd.Series(values).groupby(keys)
        expected = pd.DataFrame({"count": grouped.count(), "mean": grouped.mean(), "std": grouped.std()})
        expected = expected.reindex(range(8))
        assert_allclose(count, expected["count"].fillna(0))
        assert_allclose(mean, expected["mean"], rtol=1e-9)
        assert_allclose(std, expected["std"], rtol=1e-7, atol=1e-9)
        assert_allclose(median, grouped.median().reindex(range(8)), rtol=1e-12)

    def test_shrunk_mu_hand_computed(self):
        """(sum of log gaps + kappa·mu_peer) / (k + kappa); the peer value without gaps or with NaN sums."""
        mu = rhythm.shrunk_mu(
            np.array([4.0, 0.0, 2.0]),
            np.array([4 * np.log(10), 0.0, np.nan]),
            np.array([np.log(20)] * 3),
            4.0,
        )
        assert_allclose(mu, [(4 * np.log(10) + 4 * np.log(20)) / 8, np.log(20), np.log(20)])

    def test_peer_table_pools_the_gaps(self):
        """Base and group figures pooled from per-customer sums equal those over the gaps themselves; a group
        with fewer than min_peer_gaps gaps is not usable; the sd is floored."""
        rng = np.random.default_rng(2)
        gaps = [rng.lognormal(np.log(20), 0.5, n) for n in (12, 9, 20, 1, 0)] + [[7.0, 7.0]]
        peers = [0, 0, 1, 1, -1, 2]
        base_mu, base_sd, group_mu, group_sd, usable = rhythm.peer_table(
            sums(gaps, peers), CadenceParams(min_peer_gaps=15)
        )
        every = np.log(np.concatenate([np.asarray(g, dtype="float64") for g in gaps]))
        assert_allclose([base_mu, base_sd], [every.mean(), every.std(ddof=1)], rtol=1e-12)
        group0 = np.log(np.concatenate(gaps[:2]))
        assert_allclose([group_mu[0], group_sd[0]], [group0.mean(), group0.std(ddof=1)], rtol=1e-12)
        self.assertEqual(usable.tolist(), [True, True, False])
        self.assertEqual(group_sd[2], 0.15, "identical gaps: the floor min_log_sd")
        assert_allclose(
            rhythm.peer_mu(
                np.array(peers),
                sums(gaps, peers)["k"],
                np.array([np.log(g).sum() for g in gaps]),
                CadenceParams(min_peer_gaps=15),
            ),
            [group_mu[0], group_mu[0], group_mu[1], group_mu[1], base_mu, base_mu],
            rtol=1e-12,
        )

    def test_no_gaps_anywhere(self):
        """Nobody has a gap: the defaults default_gap_days / default_log_sd are the prior."""
        base_mu, base_sd, _mu, _sd, usable = rhythm.peer_table(sums([[], []], [-1, 0]), CadenceParams())
        assert_allclose([base_mu, base_sd], [np.log(30.0), 0.6])
        self.assertFalse(usable.any())

    def test_customer_rhythm_and_warning_floors(self):
        """A clockwork customer's warning level is floored at expected + 2 days and expected × 1.15; a
        one-order customer gets the peer prior; levels are rounded to 6 decimals."""
        params = CadenceParams()
        population = SimpleNamespace(
            base_mu=np.log(30.0),
            base_sd=0.5,
            peer_mu=np.array([np.log(10.0)]),
            peer_sd=np.array([0.3]),
            peer_usable=np.array([True]),
        )
        summary = sums([[10.0] * 40, [], []], [0, 0, -1])
        mu, sd, expected, warning = rhythm.customer_rhythm(summary, population, params)
        assert_allclose(expected, [10.0, 10.0, 30.0], rtol=1e-6)
        assert_allclose(sd[1:], [0.3, 0.5])
        assert_allclose(sd[0], np.sqrt(4 * 0.3**2 / (39 + 4)), rtol=1e-12)
        assert_allclose(warning, np.round(np.maximum(np.exp(mu + sd), np.maximum(expected + 2, expected * 1.15)), 6))
        self.assertEqual(warning[0], 12.0, "sd ~0.09: the +2 days floor")
        self.assertEqual(warning.tolist(), np.round(warning, 6).tolist())

    def test_overdue_probability_and_spread(self):
        """Half the gaps are shorter than the expected gap; a silence of 0 counts as half a day; the ± is
        half the width of exp(mu ± sd), in whole days."""
        mu, sd = np.array([np.log(20.0)] * 3), np.array([0.5] * 3)
        p = rhythm.overdue_probability(np.array([20, 0, 200]), mu, sd)
        assert_allclose(p[0], 0.5)
        assert_allclose(p[1], rhythm.overdue_probability(np.array([0.5]), mu[:1], sd[:1])[0])
        self.assertGreater(p[2], 0.99)
        self.assertEqual(rhythm.gap_spread(mu, sd).tolist(), [int(np.rint(20 * np.sinh(0.5)))] * 3)
