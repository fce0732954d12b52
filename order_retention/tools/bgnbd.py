"""The rules' probability of no order in a horizon: BG/NBD, or its log-normal fallback (part of the cadence
engine; no Odoo import).

P(no order in the next tau days) comes from a BG/NBD model (Fader, Hardie & Lee 2005) fitted by maximum
likelihood on the whole base (a deterministic sample of at most ``fit_sample`` customers, time in weeks):
p = (1 - P(alive)) + P(alive)·((alpha+T)/(alpha+T+tau))^(r+x). BG/NBD deems one-order customers alive
(x = 0 → P(alive) = 1), so they become lost through the absolute cap. With fewer than ``min_fit_customers``
repeat customers the model is not fitted; instead P(alive | silence t) = pi·S(t) / (pi·S(t) + 1 - pi) with a
prior pi = ``prior_alive`` and the log-normal survival S of the customer's gaps (see rhythm.py), and
p = (1 - P(alive)) + P(alive)·S(t+tau)/S(t).
"""

import numpy as np
from scipy import optimize, special

from .params import CadenceParams

WEEK_DAYS = 7.0


def _bgnbd_negll(log_params, x, t_x, T):
    r, alpha, a, b = np.exp(log_params)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x), -np.inf)
    ll = a1 + a2 + np.logaddexp(a3, a4)
    value = -ll.sum()
    return value if np.isfinite(value) else 1e300


def fit_bgnbd(x, t_x, T, params=None):
    """Maximum-likelihood BG/NBD parameters (r, alpha, a, b) on repeat counts ``x``, recency
    ``t_x`` and age ``T`` (same time unit); None when there are too few repeat customers or
    the optimiser fails."""
    params = params or CadenceParams()
    if (x > 0).sum() < params.min_fit_customers:
        return None
    if len(x) > params.fit_sample:
        pick = np.sort(np.random.default_rng(params.seed).choice(len(x), params.fit_sample, replace=False))
        x, t_x, T = x[pick], t_x[pick], T[pick]
    start = np.log([1.0, max(float(np.mean(T)), 1.0), 1.0, 3.0])
    res = optimize.minimize(
        _bgnbd_negll, start, args=(x, t_x, T), method="L-BFGS-B", bounds=[(-9.0, 9.0)] * 4, options={"maxiter": 300}
    )
    if not np.isfinite(res.fun) or res.fun >= 1e300:
        return None
    return tuple(np.exp(res.x))


def bgnbd_p_none(fitted, x, t_x, T, tau):
    """P(no purchase in (T, T+tau]) under fitted BG/NBD parameters."""
    r, alpha, a, b = fitted
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        odds = np.where(x > 0, (a / np.maximum(b + x - 1, 1e-12)) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        p_alive = 1.0 / (1.0 + odds)
        p_alive = np.nan_to_num(p_alive, nan=0.0)
        stay = ((alpha + T) / (alpha + T + tau)) ** (r + x)
    return np.clip((1.0 - p_alive) + p_alive * stay, 0.0, 1.0)


def bgnbd_inputs(summary, as_of_day):
    """Repeat purchases x, recency t_x and age T (weeks) of BG/NBD, from the customers' occasion count and
    first and last occasion days (days since 1970) in ``summary``."""
    first, last = summary["first"], summary["last"]
    return summary["count"] - 1.0, (last - first) / WEEK_DAYS, (as_of_day - first) / WEEK_DAYS


def rule_p_none(fitted, x, t_x, T, days_since, mu, sd, horizon_days, params):
    """P(no order in ``horizon_days``) from the fitted BG/NBD parameters, or (without them)
    from the log-normal gap survival (``mu`` / ``sd`` of the log gap) with a prior probability of
    being alive."""
    if fitted:
        return bgnbd_p_none(fitted, x, t_x, T, horizon_days / WEEK_DAYS)
    # still alive ~ the silence is an ordinary gap; if alive, log-normal conditional survival
    t = np.maximum(days_since, 0.5)
    surv_now = special.ndtr(-(np.log(t) - mu) / sd)
    surv_then = special.ndtr(-(np.log(t + horizon_days) - mu) / sd)
    with np.errstate(invalid="ignore", divide="ignore"):
        stay = np.clip(np.nan_to_num(np.where(surv_now > 0, surv_then / surv_now, 1.0), nan=1.0), 0.0, 1.0)
    prior = params.prior_alive
    p_alive = prior * surv_now / (prior * surv_now + (1.0 - prior))
    return np.clip((1.0 - p_alive) + p_alive * stay, 0.0, 1.0)
