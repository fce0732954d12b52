"""tools/bgnbd.py on its own: the BG/NBD fit, P(no order) under it, and the log-normal fallback."""

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

from odoo.tests import BaseCase, tagged

from ..tools import bgnbd
from ..tools.params import CadenceParams


def simulate(customers, weeks, r=0.8, alpha=4.0, a=0.6, b=3.0, seed=1):
    """Repeat counts, recency and age (weeks) of customers drawn from a BG/NBD process: purchase rate
    ~ Gamma(r, alpha), drop-out probability after each purchase ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    x, t_x = np.zeros(customers), np.zeros(customers)
    T = rng.uniform(weeks / 3, weeks, customers)
    rate = rng.gamma(r, 1.0 / alpha, customers)
    drop = rng.beta(a, b, customers)
    for i in range(customers):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / rate[i])
            if t > T[i]:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < drop[i]:
                break
    return x, t_x, T


@tagged("post_install", "-at_install", "order_retention")
class TestToolsBgnbd(BaseCase):
    def test_fit_finds_the_likelihood_optimum(self):
        """On a simulated base the fit lands on the likelihood's optimum (no nearby parameters fit better)
        and recovers the population's mean purchase rate r/alpha."""
        x, t_x, T = simulate(3000, 78)
        fitted = bgnbd.fit_bgnbd(x, t_x, T)
        self.assertIsNotNone(fitted)
        best = bgnbd._bgnbd_negll(np.log(fitted), x, t_x, T)
        for step in np.eye(4) * 0.05:
            for sign in (1, -1):
                self.assertGreaterEqual(bgnbd._bgnbd_negll(np.log(fitted) + sign * step, x, t_x, T), best - 1e-6)
        r, alpha, _a, _b = fitted
        assert_allclose(r / alpha, 0.8 / 4.0, rtol=0.15)

    def test_fit_needs_repeat_customers(self):
        """Fewer than min_fit_customers repeat customers: no fit; a larger base is fitted on a seeded sample."""
        x, t_x, T = simulate(400, 52, seed=3)
        self.assertIsNone(bgnbd.fit_bgnbd(x, t_x, T, CadenceParams(min_fit_customers=int((x > 0).sum()) + 1)))
        sampled = bgnbd.fit_bgnbd(x, t_x, T, CadenceParams(fit_sample=300))
        self.assertEqual(sampled, bgnbd.fit_bgnbd(x, t_x, T, CadenceParams(fit_sample=300)))
        self.assertNotEqual(sampled, bgnbd.fit_bgnbd(x, t_x, T))

    def test_p_none_hand_computed(self):
        """One-order customers are alive: p = ((alpha+T)/(alpha+T+tau))^r; a repeat customer silent long after
        its last purchase is probably gone; a longer horizon leaves less chance of no order, but never less than
        the chance that the customer dropped out."""
        fitted = (0.8, 4.0, 0.6, 3.0)
        p = bgnbd.bgnbd_p_none(fitted, np.array([0.0, 5.0, 5.0]), np.array([0.0, 10.0, 50.0]), np.array([52.0] * 3), 13)
        assert_allclose(p[0], (56 / 69) ** 0.8)
        odds = (0.6 / 7) * (56 / 14) ** 5.8
        assert_allclose(p[1], odds / (1 + odds) + (56 / 69) ** 5.8 / (1 + odds))
        self.assertGreater(p[1], p[2])
        longer = bgnbd.bgnbd_p_none(fitted, np.array([5.0]), np.array([50.0]), np.array([52.0]), 26)
        self.assertLess(longer[0], p[2])
        gone = (0.6 / 7) * (56 / 54) ** 5.8  # odds of having dropped out: p never falls below that share
        self.assertGreater(longer[0], gone / (1 + gone))

    def test_inputs_in_weeks(self):
        """x = occasions - 1, t_x = last - first, T = as_of - first, in weeks."""
        summary = {"count": np.array([1, 4]), "first": np.array([100, 30]), "last": np.array([100, 65])}
        x, t_x, T = bgnbd.bgnbd_inputs(summary, 135)
        self.assertEqual((x.tolist(), t_x.tolist(), T.tolist()), ([0.0, 3.0], [0.0, 5.0], [5.0, 15.0]))

    def test_lognormal_fallback(self):
        """Without BG/NBD: P(alive | silence t) = pi·S(t) / (pi·S(t) + 1 - pi) with the log-normal survival S,
        and p = 1 - P(alive) + P(alive)·S(t + horizon)/S(t); a silence of 0 counts as half a day."""
        params = CadenceParams(prior_alive=0.9)
        days, mu, sd = np.array([10, 60, 0]), np.full(3, np.log(20.0)), np.full(3, 0.5)
        p = bgnbd.rule_p_none(None, None, None, None, days, mu, sd, 90, params)
        survival = stats.lognorm(s=0.5, scale=20.0).sf
        t = np.array([10.0, 60.0, 0.5])
        alive = 0.9 * survival(t) / (0.9 * survival(t) + 0.1)
        assert_allclose(p, 1 - alive + alive * survival(t + 90) / survival(t), rtol=1e-9)
        fitted = (0.8, 4.0, 0.6, 3.0)
        x, t_x, T = np.array([3.0]), np.array([10.0]), np.array([20.0])
        assert_allclose(
            bgnbd.rule_p_none(fitted, x, t_x, T, days[:1], mu[:1], sd[:1], 90, params),
            bgnbd.bgnbd_p_none(fitted, x, t_x, T, 90 / 7),
        )
