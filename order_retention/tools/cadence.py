"""Customer ordering cadence engine (pure Python: numpy, pandas, scipy; no Odoo import).

Public API
----------
``compute_cadence(orders, as_of, params=None) -> pandas.DataFrame``

``orders`` columns:
    ``partner_id``  int, the customer (commercial partner);
    ``date``        date, datetime or datetime64 (naive or tz-aware) of the confirmed order;
    ``amount``      float in one currency, NaN allowed (counts as 0 money, the order still counts);
    ``peer_group``  optional, any hashable (e.g. sales team id); NaN/None = no group.
``as_of``: ``datetime.date``; orders dated after it are ignored, which makes back-tests possible.

Result: one row per customer with at least one order on or before ``as_of``, indexed by
``partner_id`` (int64), sorted by it. Columns (dates are ``datetime64[ns]`` at midnight):

=====================  =======  ===============================================================
column                 dtype    meaning
=====================  =======  ===============================================================
order_count            int64    purchase occasions (all orders of one calendar day are one)
first_order_date       date64   first occasion
last_order_date        date64   last occasion
days_since_last        int64    as_of - last occasion, in days
total_amount           float64  sum of amounts (NaN counted as 0)
mean_gap               float64  mean days between occasions (NaN with no gap)
median_gap             float64  median gap (NaN with no gap)
std_gap                float64  sample std of gaps (NaN with fewer than two gaps)
expected_gap           float64  exp(mu): the customer's usual gap after shrinkage (never NaN)
gap_spread             int64    the ± of the explanation: (exp(mu + sd) - exp(mu - sd)) / 2, rounded
expected_next_date     date64   last occasion + round(expected_gap)
warning_days           float64  silence after which an order counts as missing (never NaN)
warning_date           date64   last occasion + floor(warning_days): missing from the day after
gap_log_sd             float64  sd of the log gaps after shrinkage (with expected_gap: the percentile)
overdue_days           float64  days_since_last - expected_gap (negative: not due yet)
overdue_probability    float64  share of the customer's gap distribution below the silence (0-1)
p_no_order_90d         float64  P(no order in the next ``horizon_days`` days) (0-1)
missing_order          bool     days_since_last > warning_days
status                 object   'active' | 'warm' | 'cold' | 'lost'
rfm_recency            int64    1-5, recency quintile (5 = most recent)
rfm_frequency          int64    1-5, occasion bands 1 / 2 / 3 / 4-5 / 6+
rfm_monetary           int64    1-5, total amount quintile (5 = highest)
rfm_score              object   e.g. '545'
rfm_segment            object   one of RFM_SEGMENTS
explanation            object   one sentence with the numbers
churn_probability      float64  P(no order in the next ``churn_horizon_days`` days) (0-1): the
                                learned model's, or the rules' (BG/NBD) when it fell back
annual_value           float64  yearly run-rate of the customer's orders (amount per year)
value_at_risk          float64  annual_value × churn_probability
rule_status            object   the status under the rules alone (before the learned lost)
=====================  =======  ===============================================================

``result.attrs["churn_model"]`` holds the run's ``ChurnModel`` (coefficients, threshold,
training rows, or the reason of the fallback); ``churn_effects(model)`` turns it into odds ratios.

Method
------
Gaps (days between consecutive occasions, >= 1) are modelled on the log scale, where purchase
intervals are roughly normal. A customer with k gaps, mean log gap m and sample sd s is shrunk
toward its peer group (same ``peer_group``; the whole base when the group has fewer than
``min_peer_gaps`` gaps; ``default_gap_days`` / ``default_log_sd`` when nobody has a gap; the peer
sd is floored at ``min_log_sd``):

    mu  = (k·m + kappa·mu_peer) / (k + kappa)
    var = (max(k-1, 0)·s² + kappa·sd_peer²) / (max(k-1, 0) + kappa)

``sd_peer`` is the total sd of the group's log gaps, so customers with little history get the
wide peer uncertainty and long histories their own. A one-order customer gets the peer prior.
expected gap = exp(mu); warning level = exp(mu + z·sd) (z = 1: about 16 % of normal gaps exceed
it), floored at expected + ``min_warning_margin_days`` and expected × ``min_warning_ratio`` so
that very regular customers are not flagged a day late. overdue_probability = Φ((ln t - mu)/sd).

Status: active while the silence t <= expected gap; warm up to ``cold_multiple`` × warning level;
cold beyond; lost once the alert fired and either P(no order in the next ``horizon_days``) >=
``lost_probability`` (and t > ``lost_min_multiple`` × warning level, so that cold is a real stage
even for clockwork customers) or t > ``lost_cap_days``.

P(no order in the horizon) comes from a BG/NBD model (Fader, Hardie & Lee 2005) fitted by maximum
likelihood on the whole base (a deterministic sample of at most ``fit_sample`` customers, time in
weeks): p = (1 - P(alive)) + P(alive)·((alpha+T)/(alpha+T+tau))^(r+x). BG/NBD deems one-order
customers alive (x = 0 → P(alive) = 1), so they become lost through the absolute cap. With fewer
than ``min_fit_customers`` repeat customers the model is not fitted; instead P(alive | silence t)
= pi·S(t) / (pi·S(t) + 1 - pi) with a prior pi = ``prior_alive`` and the log-normal survival S of
the customer's gaps, and p = (1 - P(alive)) + P(alive)·S(t+tau)/S(t).

Learned churn probability (``churn_learning``): a logistic regression fitted at each run on the
company's own history, so each business gets its own effects and threshold. Training rows: for
every origin as_of - s (s = 30, 60, ..., 180 days; origins with under 60 days of history before
them are skipped), every customer with an occasion on or before the origin, labelled 1 when it
had no occasion after the origin up to as_of; features seen from the origin: ln(occasions), days
silent, days silent ÷ expected gap (the shrunk gap above, peer groups as of as_of), ln(1 + average
occasion amount), ln s. All origins are stacked, inputs standardised, weights L2-penalised,
fitted with L-BFGS (at most ``churn_fit_sample`` rows, a seeded sample). Today's score uses the
same features with s = ``churn_horizon_days``. Threshold t* maximises the Matthews correlation of
the expected confusion counts of today's scores (``mcc_threshold``: no labels needed). Lost =
cold-or-lost under the rules and churn_probability >= max(t*, 0.5); customers the rules call lost
but the model does not become cold; active and warm never become lost (the alert must have fired
first). Fallback to the rules (and their BG/NBD probability over the churn horizon) with fewer than
2 usable origins, fewer than 200 customers at the oldest one, or fewer than 30 rows of either label.

Value: annual_value = max(total amount, 0) × 365.25 / (last - first occasion + expected gap), i.e.
the amount per day over the span the occasions cover (n orders of a every g days give a·365/g);
a one-order customer's span is its expected gap (the peer rhythm) or its silence since that order,
whichever is longer (one order and 31 silent days: at most one order per 31 days).

RFM: recency and monetary quintiles by percentile rank (ties share a score); frequency in fixed
occasion bands, because quintiles break on ties; segments from the usual R × F grid.

Everything is vectorised (sorting, ``np.bincount``, ``np.add.reduceat``): no per-customer loop,
no ``groupby.apply``; only the explanation sentences are formatted row by row.
"""

import dataclasses
import datetime
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

STATUSES = ("active", "warm", "cold", "lost")
RFM_SEGMENTS = [
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]
# segment of each (recency score, frequency score), rows R = 1..5, columns F = 1..5
_SEGMENT_GRID = [
    ["Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    ["About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"],
    ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Loyal"],
    ["New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
]
DEFAULT_TEMPLATES = {
    "regular": "Usually orders every {gap}±{spread} days ({count} orders); silent for {days} days",
    "single": "Only one order so far ({last}); similar customers order every {gap} days; silent for {days} days",
    "missing": ", past the {warning}-day warning level: missing order.",
    "due": ", next order expected around {next}.",
    "churn": " Learned from your history: {chance}% chance of no order in the next {horizon} days.",
}
RESULT_COLUMNS = [
    "order_count",
    "first_order_date",
    "last_order_date",
    "days_since_last",
    "total_amount",
    "mean_gap",
    "median_gap",
    "std_gap",
    "expected_gap",
    "gap_spread",
    "expected_next_date",
    "warning_days",
    "warning_date",
    "gap_log_sd",
    "overdue_days",
    "overdue_probability",
    "p_no_order_90d",
    "missing_order",
    "status",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_score",
    "rfm_segment",
    "explanation",
    "churn_probability",
    "annual_value",
    "value_at_risk",
    "rule_status",
]
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class CadenceParams:
    """Thresholds of the engine; every one has a default."""

    kappa: float = 4.0  # weight of the peer prior, in gaps
    warning_z: float = 1.0  # warning level = exp(mu + z·sd)
    min_warning_margin_days: float = 2.0  # warning level >= expected gap + this
    min_warning_ratio: float = 1.15  # warning level >= expected gap × this
    cold_multiple: float = 1.0  # cold once the silence exceeds this × warning level
    lost_probability: float = 0.85  # lost when P(no order in the horizon) >= this (and alert fired); 1 = rule off
    lost_cap_days: int = 365  # ... or when silent longer than this (and alert fired)
    lost_min_multiple: float = 2.0  # never lost before this multiple of the warning level (below the cap)
    horizon_days: int = 90
    min_peer_gaps: int = 30  # a peer group needs this many gaps, else the whole base is the peer
    default_gap_days: float = 30.0  # prior when nobody has two orders
    default_log_sd: float = 0.6
    min_log_sd: float = 0.15  # floor of a peer group's log-gap sd (identical gaps would give 0)
    fit_sample: int = 20000  # BG/NBD is fitted on at most this many customers
    min_fit_customers: int = 20  # repeat customers needed to fit BG/NBD
    prior_alive: float = 0.9  # without BG/NBD: prior probability that a customer is still buying
    churn_learning: bool = True  # learn churn_probability and lost from the history (else the rules)
    churn_horizon_days: int = 180  # churn_probability = P(no order in this many days)
    churn_origin_step_days: int = 30  # training origins as_of - s for s = step, 2·step, ...
    churn_max_origin_days: int = 180  # ... up to this many days
    churn_min_history_days: int = 60  # an origin needs this much history before it
    churn_min_origins: int = 2  # fallback to the rules below this many usable origins,
    churn_min_customers: int = 200  # ... this many customers at the oldest origin,
    churn_min_label_rows: int = 30  # ... or this many training rows of either label
    churn_l2: float = 1.0  # L2 penalty on the standardised weights
    churn_fit_sample: int = 200000  # the regression is fitted on at most this many rows
    churn_min_lost_probability: float = 0.5  # lost needs p >= max(t*, this)
    churn_sample_customers: int = 200000  # a sharded run trains the regression on about this many customers
    seed: int = 0
    explanation_templates: dict = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))


def _validate(orders):
    missing = {"partner_id", "date", "amount"} - set(orders.columns)
    if missing:
        raise ValueError(
            "orders lacks the column(s) %s (expected partner_id, date, amount[, peer_group])"
            % ", ".join(sorted(missing))
        )
    if orders["partner_id"].isna().any():
        raise ValueError("orders has rows without partner_id")
    try:
        try:
            dates = pd.to_datetime(orders["date"])
        except ValueError:  # strings in several ISO layouts (with and without fractions of seconds)
            dates = pd.to_datetime(orders["date"], format="mixed")
    except (ValueError, TypeError) as exc:
        raise ValueError("orders.date holds values that are not dates: %s" % exc) from exc
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    if dates.isna().any():
        raise ValueError("orders.date has empty values")
    try:
        amounts = pd.to_numeric(orders["amount"]).astype("float64")
    except (ValueError, TypeError) as exc:
        raise ValueError("orders.amount holds values that are not numbers: %s" % exc) from exc
    peer = orders["peer_group"] if "peer_group" in orders.columns else pd.Series(np.nan, index=orders.index)
    return (
        orders["partner_id"].to_numpy(dtype="int64"),
        dates.to_numpy(dtype="datetime64[D]").astype("int64"),
        amounts.to_numpy(),
        peer.to_numpy(),
    )


def _empty_result(params):
    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in RESULT_COLUMNS})
    frame.index = pd.Index([], dtype="int64", name="partner_id")
    frame.attrs["churn_model"] = ChurnModel(
        used=False, fallback_reason="few_customers", horizon_days=params.churn_horizon_days
    )
    return frame


def _group_moments(keys, values, n):
    """count, mean and sample std (ddof=1, NaN below two values) of ``values`` per integer key."""
    count = np.bincount(keys, minlength=n).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(keys, weights=values, minlength=n) / count
        dev = values - mean[keys]
        var = np.bincount(keys, weights=dev * dev, minlength=n) / (count - 1)
    var[count < 2] = np.nan
    return count, mean, np.sqrt(var)


def _group_median(keys, values, n):
    """Median of ``values`` per integer key (NaN for keys without values)."""
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    count = np.bincount(keys, minlength=n)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    median = np.full(n, np.nan)
    has = count > 0
    lo = start[has] + (count[has] - 1) // 2
    hi = start[has] + count[has] // 2
    median[has] = (values[lo] + values[hi]) / 2.0
    return median


def _shrunk_mu(k, sum_log, mu_peer, kappa):
    """Mean log gap of customers with ``k`` gaps summing to ``sum_log`` (log days), shrunk toward
    ``mu_peer`` with the weight ``kappa`` (in gaps); the peer value when there is no gap."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(k + kappa > 0, (sum_log + kappa * mu_peer) / (k + kappa), mu_peer)
    return np.where(np.isfinite(mu), mu, mu_peer)


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


# ----------------------------------------------------------------------
# Learned churn probability (regularised logistic regression on rolling origins)
# ----------------------------------------------------------------------

CHURN_FEATURES = ("log_orders", "days_silent", "silence_ratio", "log_avg_amount", "log_horizon")
FALLBACK_REASONS = ("disabled", "few_origins", "few_customers", "few_labels", "fit_failed")


@dataclass(frozen=True)
class ChurnModel:
    """What the churn model of one run learned, or why it fell back to the rules.

    ``coefficients`` apply to standardised features (``(x - means) / scales``, in the order of
    ``feature_names``); ``raw_coefficients`` / ``raw_intercept`` to the features themselves:
    ln(order count), days silent, days silent ÷ expected gap, ln(1 + average order amount),
    ln(horizon days). ``fallback_reason`` is '' when the model is used, else one of
    FALLBACK_REASONS; ``origins`` are the horizons s (days before as_of) used for training.
    """

    used: bool
    fallback_reason: str
    horizon_days: int
    origins: tuple = ()
    customers_at_oldest: int = 0
    training_rows: int = 0
    no_order_rows: int = 0
    feature_names: tuple = CHURN_FEATURES
    means: tuple = ()
    scales: tuple = ()
    coefficients: tuple = ()
    intercept: float = 0.0
    raw_coefficients: tuple = ()
    raw_intercept: float = 0.0
    threshold: float = float("nan")  # t*: the expected-MCC optimum over today's scores
    lost_threshold: float = float("nan")  # max(t*, 0.5): lost from this probability on
    typical_gap: float = float("nan")  # median expected gap (days) of today's customers
    train_auc: float = float("nan")  # AUC of the fitted model on its own training rows
    fit_seconds: float = field(default=0.0, compare=False)

    def as_dict(self):
        """Plain builtins (JSON-ready; NaN as None)."""

        def clean(value):
            if isinstance(value, tuple):
                return [clean(v) for v in value]
            if isinstance(value, float) and not np.isfinite(value):
                return None
            return value

        return {name: clean(getattr(self, name)) for name in self.__dataclass_fields__}


def churn_model_from_dict(values):
    """A ChurnModel from ChurnModel.as_dict() output (lists back to tuples, None back to NaN);
    unknown keys are ignored."""
    known = ChurnModel.__dataclass_fields__
    kwargs = {}
    for name, value in (values or {}).items():
        if name not in known:
            continue
        if isinstance(value, list):
            value = tuple(value)
        elif value is None:
            value = float("nan")
        kwargs[name] = value
    kwargs.setdefault("used", False)
    kwargs.setdefault("fallback_reason", "")
    kwargs.setdefault("horizon_days", CadenceParams.churn_horizon_days)
    return ChurnModel(**kwargs)


def _sigmoid(z):
    return special.expit(z)


def fit_logistic(X, y, l2=1.0, max_iter=200):
    """L2-regularised logistic regression fitted with L-BFGS on standardised inputs.

    ``X``: (n, d) float array, ``y``: (n,) 0/1. Columns are standardised to mean 0 / sd 1 (a
    constant column gets scale 1); the penalty ``l2``·||w||²/2 applies to the standardised
    weights, not to the intercept. Returns ``(intercept, weights, means, scales)`` or None when
    the optimiser fails."""
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    n, d = X.shape
    means = X.mean(axis=0)
    scales = X.std(axis=0)
    scales = np.where(scales > 1e-12, scales, 1.0)
    Z = np.empty((n, d + 1))
    Z[:, 0] = 1.0
    Z[:, 1:] = (X - means) / scales
    penalty = np.r_[0.0, np.full(d, float(l2))] / n  # mean loss: the penalty is divided by n too

    def loss(w):
        z = Z @ w
        value = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * np.dot(penalty * w, w)
        grad = Z.T @ (_sigmoid(z) - y) / n + penalty * w
        return value, grad

    start = np.zeros(d + 1)
    rate = min(max(y.mean(), 1e-6), 1 - 1e-6)
    start[0] = np.log(rate / (1 - rate))
    res = optimize.minimize(
        loss, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "gtol": 1e-7, "ftol": 1e-12}
    )
    if not np.all(np.isfinite(res.x)):
        return None
    return float(res.x[0]), res.x[1:], means, scales


def auc_score(labels, scores):
    """Area under the ROC curve (Mann-Whitney, ties count half); NaN without both labels."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype="float64")
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    ranks = stats.rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def mcc_threshold(probabilities):
    """Probability threshold t* that maximises the Matthews correlation of the *expected*
    confusion counts, without labels: flag the k customers with the highest p; expected
    TP = Σp of those k, FP = k - TP, FN = Σp - TP, TN = N - k - FN, which simplifies to
    MCC(k) = (N·TP - k·Σp) / sqrt(k·Σp·(N - Σp)·(N - k)). Only cuts between distinct values are
    considered (ties are flagged together). Returns the smallest p among the flagged (so that
    ``p >= t*`` flags them); NaN when p is empty or constant."""
    p = np.sort(np.asarray(probabilities, dtype="float64"))[::-1]
    n = len(p)
    if n < 2 or p[0] == p[-1]:
        return float("nan")
    total = p.sum()
    k = np.arange(1, n + 1, dtype="float64")
    tp = np.cumsum(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        mcc = (n * tp - k * total) / np.sqrt(k * total * (n - total) * (n - k))
    valid = np.r_[p[:-1] > p[1:], False]  # cut after the last of a tie group, never after everyone
    mcc = np.where(valid & np.isfinite(mcc), mcc, -np.inf)
    return float(p[int(np.argmax(mcc))])


def churn_effects(model):
    """Odds ratios of 'no order in the horizon' behind a fitted ChurnModel, for plain-words
    explanations. Keys: ``silent_100_days`` (100 more silent days, at the typical expected gap:
    the silence ratio grows too), ``one_more_gap`` (silent one more expected gap, at the typical
    gap), ``orders_doubled`` (twice as many past orders), ``amount_doubled`` (twice the average
    order amount, approximately: ln(1 + a)), ``horizon_doubled``. Empty dict for a fallback."""
    if not model.used or not model.raw_coefficients:
        return {}
    beta = dict(zip(model.feature_names, model.raw_coefficients, strict=False))
    gap = model.typical_gap if np.isfinite(model.typical_gap) and model.typical_gap > 0 else 30.0
    log2 = np.log(2.0)
    return {
        "silent_100_days": float(np.exp(100.0 * (beta["days_silent"] + beta["silence_ratio"] / gap))),
        "one_more_gap": float(np.exp(beta["silence_ratio"] + gap * beta["days_silent"])),
        "orders_doubled": float(np.exp(log2 * beta["log_orders"])),
        "amount_doubled": float(np.exp(log2 * beta["log_avg_amount"])),
        "horizon_doubled": float(np.exp(log2 * beta["log_horizon"])),
    }


def _churn_features(occ, origin, horizon, params):
    """Features of every customer with an occasion on or before the day ``origin`` (days since
    1970), seen from that day, and the mask of those customers. ``occ`` holds the occasion
    arrays of compute_cadence (sorted by customer then day). Occasions up to a day form a prefix
    of each customer's occasions, so counts, amounts and log-gap sums are prefix-sum lookups."""
    rel_origin = min(max(origin - occ["first_day"], -1), occ["width"] - 1)  # never reach the next customer's keys
    count_o = np.searchsorted(occ["key"], occ["cust_key"] + rel_origin, side="right") - occ["cust_start"]
    present = count_o > 0
    start = occ["cust_start"][present]
    count_o = count_o[present]
    last_idx = start + count_o - 1
    cum_amount, cum_log = occ["cum_amount"], occ["cum_log"]
    total_o = cum_amount[last_idx] - cum_amount[start] + occ["amount"][start]
    k_o = (count_o - 1).astype("float64")
    sum_log_o = cum_log[last_idx] - cum_log[start]
    mu_peer = _peer_mu(occ["peer"][present], k_o, sum_log_o, params)
    expected = np.exp(_shrunk_mu(k_o, sum_log_o, mu_peer, params.kappa))
    silent = (origin - occ["day"][last_idx]).astype("float64")
    features = np.column_stack(
        [
            np.log(count_o),
            silent,
            silent / expected,
            np.log1p(np.maximum(total_o / count_o, 0.0)),
            np.full(len(count_o), np.log(horizon)),
        ]
    )
    return features, present, count_o


def _peer_mu(peer, k, sum_log, params):
    """Per customer the mean log gap of its peer group (as _peer_prior), from per-customer sums."""
    total_k = k.sum()
    base = float(sum_log.sum() / total_k) if total_k else float(np.log(params.default_gap_days))
    mu_peer = np.full(len(k), base)
    grouped = peer >= 0
    if grouped.any():
        n_groups = int(peer.max()) + 1
        group_k = np.bincount(peer[grouped], weights=k[grouped], minlength=n_groups)
        group_sum = np.bincount(peer[grouped], weights=sum_log[grouped], minlength=n_groups)
        usable = group_k >= max(params.min_peer_gaps, 2)
        use = grouped.copy()
        use[grouped] = usable[peer[grouped]]
        mu_peer[use] = group_sum[peer[use]] / group_k[peer[use]]
    return mu_peer


def _churn_training_set(occ, as_of_day, first_day, params):
    """Stacked training rows over the origins as_of - s (s = step, 2·step, ... max): features,
    labels (1 = no order after the origin up to as_of), the s used and the customers at the
    oldest usable origin."""
    blocks, labels, used = [], [], []
    oldest_customers = 0
    for s in range(params.churn_origin_step_days, params.churn_max_origin_days + 1, params.churn_origin_step_days):
        origin = as_of_day - s
        if origin - first_day < params.churn_min_history_days:
            continue
        features, present, count_o = _churn_features(occ, origin, s, params)
        if not len(features):
            continue
        blocks.append(features)
        labels.append(count_o == occ["count"][present])  # nothing after the origin
        used.append(s)
        oldest_customers = len(features)  # s grows: the last usable origin is the oldest
    if not blocks:
        return np.empty((0, len(CHURN_FEATURES))), np.empty(0, dtype=bool), (), 0
    return np.vstack(blocks), np.concatenate(labels), tuple(used), oldest_customers


def fit_churn_model(occ, as_of_day, first_day, params):
    """Fit the churn model on the company's own history (see the module docstring); returns a
    ChurnModel without threshold, or with ``used=False`` and the reason of the fallback."""
    horizon = params.churn_horizon_days
    if not params.churn_learning:
        return ChurnModel(used=False, fallback_reason="disabled", horizon_days=horizon)
    started = time.perf_counter()
    X, y, origins, oldest = _churn_training_set(occ, as_of_day, first_day, params)
    info = {
        "horizon_days": horizon,
        "origins": origins,
        "customers_at_oldest": oldest,
        "training_rows": int(len(y)),
        "no_order_rows": int(y.sum()),
    }
    if len(origins) < params.churn_min_origins:
        return ChurnModel(used=False, fallback_reason="few_origins", **info)
    if oldest < params.churn_min_customers:
        return ChurnModel(used=False, fallback_reason="few_customers", **info)
    if min(y.sum(), len(y) - y.sum()) < params.churn_min_label_rows:
        return ChurnModel(used=False, fallback_reason="few_labels", **info)
    if len(y) > params.churn_fit_sample:
        pick = np.sort(np.random.default_rng(params.seed).choice(len(y), params.churn_fit_sample, replace=False))
        X, y = X[pick], y[pick]
    fitted = fit_logistic(X, y, params.churn_l2)
    if fitted is None:
        return ChurnModel(used=False, fallback_reason="fit_failed", **info)
    intercept, weights, means, scales = fitted
    raw = weights / scales
    auc = auc_score(y, X @ raw)  # the intercept does not change the ranking
    return ChurnModel(
        used=True,
        fallback_reason="",
        **info,
        means=tuple(means.tolist()),
        scales=tuple(scales.tolist()),
        coefficients=tuple(weights.tolist()),
        intercept=intercept,
        raw_coefficients=tuple(raw.tolist()),
        raw_intercept=float(intercept - np.dot(raw, means)),
        train_auc=auc,
        fit_seconds=time.perf_counter() - started,
    )


def predict_churn(model, features):
    """P(no order in the horizon) for raw feature rows under a fitted ChurnModel. Summed column by
    column rather than with a matrix product: a BLAS product may round differently with the number
    of rows, and the customer at the lost threshold must score the same in a shard as in the base."""
    z = np.full(len(features), float(model.raw_intercept))
    for column, coefficient in enumerate(model.raw_coefficients):
        z += features[:, column] * coefficient
    return _sigmoid(z)


def _rule_p_none(fitted, x, t_x, T, days_since, mu, sd, horizon_days, params):
    """P(no order in ``horizon_days``) from the fitted BG/NBD parameters, or (without them)
    from the log-normal gap survival with a prior probability of being alive."""
    weeks = 7.0
    if fitted:
        return bgnbd_p_none(fitted, x, t_x, T, horizon_days / weeks)
    # still alive ~ the silence is an ordinary gap; if alive, log-normal conditional survival
    t = np.maximum(days_since, 0.5)
    surv_now = special.ndtr(-(np.log(t) - mu) / sd)
    surv_then = special.ndtr(-(np.log(t + horizon_days) - mu) / sd)
    with np.errstate(invalid="ignore", divide="ignore"):
        stay = np.clip(np.nan_to_num(np.where(surv_now > 0, surv_then / surv_now, 1.0), nan=1.0), 0.0, 1.0)
    prior = params.prior_alive
    p_alive = prior * surv_now / (prior * surv_now + (1.0 - prior))
    return np.clip((1.0 - p_alive) + p_alive * stay, 0.0, 1.0)


def _occasion_index(occ_day, occ_amount, cust_start, count, cust_peer, new_cust, same, log_gaps):
    """Arrays that let _churn_features see the history as of any day with prefix sums: a sorted
    (customer, day) key, cumulative amounts and cumulative log gaps aligned on occasions."""
    cust_of_occ = np.cumsum(new_cust) - 1
    rel = occ_day - occ_day.min()
    width = int(rel.max()) + 2  # keys of one customer stay below the next customer's
    log_gap = np.zeros(len(occ_day))
    log_gap[1:][same] = log_gaps
    cust_index = np.arange(len(cust_start), dtype="int64")
    return {
        "key": cust_of_occ * width + rel,
        "cust_key": cust_index * width,
        "first_day": int(occ_day.min()),
        "width": width,
        "cust_start": cust_start,
        "count": count,
        "day": occ_day,
        "amount": occ_amount,
        "cum_amount": np.cumsum(occ_amount),
        "cum_log": np.cumsum(log_gap),
        "peer": cust_peer,
    }


def _rfm(recency, order_count, monetary):
    """R, F, M scores, the score string and the segment, from the percentile ranks of recency
    (-days silent) and of the total amount among the whole base, and the occasion count."""
    r = np.clip(np.ceil(recency * 5), 1, 5).astype("int64")
    m = np.clip(np.ceil(monetary * 5), 1, 5).astype("int64")
    f = np.select([order_count <= 1, order_count == 2, order_count == 3, order_count <= 5], [1, 2, 3, 4], 5).astype(
        "int64"
    )
    grid = np.array(_SEGMENT_GRID, dtype=object)
    segment = grid[r - 1, f - 1]
    score = np.char.add(np.char.add(r.astype("U1"), f.astype("U1")), m.astype("U1"))
    return r, f, m, score.astype(object), segment


def _explain(templates, count, gap, spread, days, warning, last, nxt, missing):
    """One sentence per customer from the (possibly translated) templates."""
    sentences = {
        (single, late): templates["single" if single else "regular"] + templates["missing" if late else "due"]
        for single in (False, True)
        for late in (False, True)
    }
    return [
        sentences[c <= 1, bool(mis)].format(gap=g, spread=s, count=c, days=d, last=lst, warning=w, next=n)
        for c, g, s, d, w, lst, n, mis in zip(
            count.tolist(),
            gap.tolist(),
            spread.tolist(),
            days.tolist(),
            warning.tolist(),
            last.tolist(),
            nxt.tolist(),
            missing.tolist(),
            strict=False,
        )
    ]


# ----------------------------------------------------------------------
# Shards: per-customer summaries, population figures fitted once, scoring
# ----------------------------------------------------------------------


@dataclass
class Population:
    """Base-wide figures the per-customer formulas need, fitted once on the whole base (or, for the
    churn regression of a very large base, on a deterministic sample of customers), so that the
    customers can then be scored shard by shard with the same figures.

    ``peer_mu`` / ``peer_sd`` / ``peer_usable`` are indexed by peer code (see ``peer_index`` of
    CadenceShards); ``recency_ref`` / ``monetary_ref`` are the sorted -days silent and total amounts
    of every customer (the RFM percentile ranks are taken against them)."""

    as_of_day: int
    base_mu: float
    base_sd: float
    peer_mu: np.ndarray
    peer_sd: np.ndarray
    peer_usable: np.ndarray
    bgnbd: tuple | None
    model: ChurnModel
    recency_ref: np.ndarray
    monetary_ref: np.ndarray
    customers: int = 0


def _summarise(pid, day, amount, peer, peer_index):
    """Per-customer sufficient statistics of rows holding whole customers (any order), and their
    purchase occasions (one per customer and day). ``peer_index`` maps peer group values to codes
    and grows with new values, so that codes agree across shards."""
    # (customer, day) order; the adapter's stream comes in that order already (a stable sort would
    # leave it as it is, so it is only checked)
    if not np.all((pid[1:] > pid[:-1]) | ((pid[1:] == pid[:-1]) & (day[1:] >= day[:-1]))):
        order = np.lexsort((day, pid))
        pid, day, amount, peer = pid[order], day[order], amount[order], peer[order]
    new_occ = np.concatenate(([True], (pid[1:] != pid[:-1]) | (day[1:] != day[:-1])))
    occ_idx = np.flatnonzero(new_occ)
    occ_pid, occ_day = pid[occ_idx], day[occ_idx]
    occ_amount = np.add.reduceat(amount, occ_idx)
    new_cust = np.concatenate(([True], occ_pid[1:] != occ_pid[:-1]))
    cust_start = np.flatnonzero(new_cust)
    cust_end = np.concatenate((cust_start[1:], [len(occ_pid)]))
    n_cust = len(cust_start)
    # peer group of each customer: the group of its latest order that has one
    codes, uniques = pd.factorize(pd.Series(peer, dtype="object"), use_na_sentinel=True)
    global_codes = np.array([peer_index.setdefault(value, len(peer_index)) for value in uniques], dtype="int64")
    row_cust = np.cumsum(np.concatenate(([True], pid[1:] != pid[:-1]))) - 1
    cust_peer = np.full(n_cust, -1, dtype="int64")
    has_peer = codes >= 0
    cust_peer[row_cust[has_peer]] = global_codes[codes[has_peer]]  # date-sorted rows: the last one wins
    # gaps between consecutive occasions of a customer
    cust_of_occ = np.cumsum(new_cust) - 1
    same = occ_pid[1:] == occ_pid[:-1]
    gaps = np.diff(occ_day)[same].astype("float64")
    gap_cust = cust_of_occ[1:][same]
    log_gaps = np.log(gaps)
    k, mean_gap, std_gap = _group_moments(gap_cust, gaps, n_cust)
    _k, mean_log, sd_log = _group_moments(gap_cust, log_gaps, n_cust)
    summary = {
        "partner_id": occ_pid[cust_start],
        "count": (cust_end - cust_start).astype("int64"),
        "first": occ_day[cust_start],
        "last": occ_day[cust_end - 1],
        "total": np.add.reduceat(occ_amount, cust_start),
        "k": k,
        "mean_gap": mean_gap,
        "median_gap": _group_median(gap_cust, gaps, n_cust),
        "std_gap": std_gap,
        "mean_log": mean_log,
        "sd_log": sd_log,
        "peer": cust_peer,
    }
    return summary, {"pid": occ_pid, "day": occ_day, "amount": occ_amount}


def _concat(parts, keys):
    return {key: np.concatenate([part[key] for part in parts]) for key in keys}


def _slice(arrays, start, stop):
    return {key: values[start:stop] for key, values in arrays.items()}


def _peer_table(summary, params):
    """Pooled log-gap mean and sd of the whole base and of every peer group, from the customers'
    sums (the same figures as over the gaps themselves: within + between sums of squares)."""
    k = summary["k"]
    mean_log = np.nan_to_num(summary["mean_log"])
    ss = np.where(k >= 2, np.nan_to_num(summary["sd_log"]) ** 2 * (k - 1), 0.0)
    sum_log = mean_log * k
    n = float(k.sum())
    if n > 0:
        base_mu = float(sum_log.sum() / n)
        base_ss = float(ss.sum() + (k * (mean_log - base_mu) ** 2).sum())
        base_sd = float(np.sqrt(base_ss / (n - 1))) if n > 1 else params.default_log_sd
    else:
        base_mu, base_sd = float(np.log(params.default_gap_days)), params.default_log_sd
    if not np.isfinite(base_sd):
        base_sd = params.default_log_sd
    base_sd = max(base_sd, params.min_log_sd)
    peer = summary["peer"]
    n_groups = int(peer.max()) + 1 if len(peer) else 0
    grouped = (peer >= 0) & (k > 0)
    group_n = np.bincount(peer[grouped], weights=k[grouped], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        group_mu = np.bincount(peer[grouped], weights=sum_log[grouped], minlength=n_groups) / group_n
        between = k[grouped] * (mean_log[grouped] - group_mu[peer[grouped]]) ** 2
        group_ss = np.bincount(peer[grouped], weights=ss[grouped] + between, minlength=n_groups)
        group_sd = np.sqrt(group_ss / (group_n - 1))
    group_sd[group_n < 2] = np.nan
    usable = (group_n >= params.min_peer_gaps) & np.isfinite(group_sd)
    return base_mu, base_sd, group_mu, np.maximum(np.nan_to_num(group_sd), params.min_log_sd), usable


def _rhythm(summary, population, params):
    """Per customer: mu and sd of the log gap after shrinkage toward the peer prior, the expected
    gap and the warning level (days)."""
    k = summary["k"]
    peer = summary["peer"]
    mu_peer = np.full(len(k), population.base_mu)
    sd_peer = np.full(len(k), population.base_sd)
    has_group = peer >= 0
    use = np.zeros(len(k), dtype=bool)
    use[has_group] = population.peer_usable[peer[has_group]]
    mu_peer[use] = population.peer_mu[peer[use]]
    sd_peer[use] = population.peer_sd[peer[use]]
    kappa = params.kappa
    mu = _shrunk_mu(k, np.nan_to_num(summary["mean_log"]) * k, mu_peer, kappa)
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.maximum(k - 1, 0)
        var = np.where(
            dof + kappa > 0,
            (dof * np.nan_to_num(summary["sd_log"]) ** 2 + kappa * sd_peer**2) / (dof + kappa),
            sd_peer**2,
        )
    sd = np.sqrt(np.where(np.isfinite(var) & (var > 0), var, sd_peer**2))
    sd = np.where(sd > 1e-6, sd, 1e-6)
    expected = np.round(np.exp(mu), 6)  # rounded: a silence equal to a level compares as equal
    warning = np.round(
        np.maximum.reduce(
            [
                np.exp(mu + params.warning_z * sd),
                expected + params.min_warning_margin_days,
                expected * params.min_warning_ratio,
            ]
        ),
        6,
    )
    return mu, sd, expected, warning


def _bgnbd_inputs(summary, as_of_day):
    """Repeat purchases x, recency t_x and age T (weeks) of BG/NBD."""
    weeks = 7.0
    first, last = summary["first"], summary["last"]
    return summary["count"] - 1.0, (last - first) / weeks, (as_of_day - first) / weeks


def _today_features(summary, expected, days_since, params):
    count, total = summary["count"], summary["total"]
    return np.column_stack(
        [
            np.log(count),
            days_since.astype("float64"),
            days_since / expected,
            np.log1p(np.maximum(total / count, 0.0)),
            np.full(len(count), np.log(params.churn_horizon_days)),
        ]
    )


def _occasion_arrays(occasions, summary):
    """The occasion index of _churn_features from occasions sorted by (customer, day)."""
    occ_pid, occ_day, occ_amount = occasions["pid"], occasions["day"], occasions["amount"]
    new_cust = np.concatenate(([True], occ_pid[1:] != occ_pid[:-1]))
    cust_start = np.flatnonzero(new_cust)
    cust_end = np.concatenate((cust_start[1:], [len(occ_pid)]))
    same = occ_pid[1:] == occ_pid[:-1]
    log_gaps = np.log(np.diff(occ_day)[same].astype("float64"))
    peer_of = dict(zip(summary["partner_id"].tolist(), summary["peer"].tolist(), strict=False))
    cust_peer = np.array([peer_of[p] for p in occ_pid[cust_start].tolist()], dtype="int64")
    count = (cust_end - cust_start).astype("int64")
    return _occasion_index(occ_day, occ_amount, cust_start, count, cust_peer, new_cust, same, log_gaps)


def fit_population(summary, occasions, as_of_day, params):
    """Population figures from the summaries of every customer and the occasions of (a sample of)
    them: peer priors, BG/NBD, the churn model with its threshold, the RFM references."""
    base_mu, base_sd, group_mu, group_sd, usable = _peer_table(summary, params)
    x, t_x, T = _bgnbd_inputs(summary, as_of_day)
    population = Population(
        as_of_day=as_of_day,
        base_mu=base_mu,
        base_sd=base_sd,
        peer_mu=group_mu,
        peer_sd=group_sd,
        peer_usable=usable,
        bgnbd=fit_bgnbd(x, t_x, T, params),
        model=ChurnModel(used=False, fallback_reason="few_customers", horizon_days=params.churn_horizon_days),
        recency_ref=np.sort(-(as_of_day - summary["last"]).astype("float64")),
        monetary_ref=np.sort(summary["total"].astype("float64")),
        customers=len(summary["count"]),
    )
    _mu, _sd, expected, _warning = _rhythm(summary, population, params)
    occ = _occasion_arrays(occasions, summary) if len(occasions["pid"]) else None
    first_day = int(summary["first"].min()) if len(summary["first"]) else as_of_day
    model = (
        fit_churn_model(occ, as_of_day, first_day, params)
        if occ is not None
        else ChurnModel(used=False, fallback_reason="few_customers", horizon_days=params.churn_horizon_days)
    )
    if model.used:
        days_since = (as_of_day - summary["last"]).astype("int64")
        churn = predict_churn(model, _today_features(summary, expected, days_since, params))
        threshold = mcc_threshold(churn)
        lost_threshold = (
            max(threshold, params.churn_min_lost_probability)
            if np.isfinite(threshold)
            else params.churn_min_lost_probability
        )
        model = dataclasses.replace(model, threshold=threshold, lost_threshold=lost_threshold)
    population.model = dataclasses.replace(
        model, typical_gap=float(np.median(expected)) if len(expected) else float("nan")
    )
    return population


def _percentile_rank(reference, values):
    """pandas' rank(method="average", pct=True) of ``values`` among the sorted ``reference``."""
    below = np.searchsorted(reference, values, side="left")
    equal = np.searchsorted(reference, values, side="right") - below
    return (below + (equal + 1) / 2.0) / max(len(reference), 1)


def score_customers(summary, population, params, previous_status=None):
    """The result frame (see the module docstring) of the customers of ``summary`` under the
    population figures: every formula is per customer, so shards give the same rows as one run.
    ``previous_status``: optional array of the customers' stored statuses; then only the customers
    whose status changes get their explanation sentence, the others None (formatting sentences is
    most of the scoring time, and a nightly run only records the sentence of a change)."""
    as_of_day = population.as_of_day
    count, first, last, total = summary["count"], summary["first"], summary["last"], summary["total"]
    n_cust = len(count)
    days_since = (as_of_day - last).astype("int64")
    mu, sd, expected, warning = _rhythm(summary, population, params)
    overdue_probability = special.ndtr((np.log(np.maximum(days_since, 0.5)) - mu) / sd)
    missing = days_since > warning

    # probability of no order in the horizon (rules) and in the churn horizon (fallback score)
    x, t_x, T = _bgnbd_inputs(summary, as_of_day)
    fitted = population.bgnbd
    p_none = _rule_p_none(fitted, x, t_x, T, days_since, mu, sd, params.horizon_days, params)
    churn = _rule_p_none(fitted, x, t_x, T, days_since, mu, sd, params.churn_horizon_days, params)

    status = np.select(
        [days_since <= expected, days_since <= warning * params.cold_multiple],
        ["active", "warm"],
        "cold",
    ).astype(object)
    improbable = p_none >= params.lost_probability if params.lost_probability < 1 else np.zeros(n_cust, dtype=bool)
    lost = missing & (
        (improbable & (days_since > params.lost_min_multiple * warning)) | (days_since > params.lost_cap_days)
    )
    status[lost] = "lost"
    rule_status = status.copy()

    # learned churn probability: the model decides who of the cold-or-lost customers is lost
    model = population.model
    if model.used:
        churn = predict_churn(model, _today_features(summary, expected, days_since, params))
        learned_lost = np.isin(rule_status, ("cold", "lost")) & (churn >= model.lost_threshold)
        status[(rule_status == "lost") & ~learned_lost] = "cold"
        status[learned_lost] = "lost"
    churn = np.clip(churn, 0.0, 1.0)

    # value: yearly run-rate over the observed span plus one expected gap (n regular orders of
    # amount a every g days: n·a over n·g days = a·365/g); one order: at most once per expected gap
    # (the peers' rhythm) and per day of silence since (31 days without a 2nd order: <= 1 per 31 days)
    span = np.where(count > 1, (last - first) + expected, np.maximum(expected, days_since))
    annual_value = np.maximum(total, 0.0) * DAYS_PER_YEAR / span

    r, f, m, score, segment = _rfm(
        _percentile_rank(population.recency_ref, -days_since.astype("float64")),
        count,
        _percentile_rank(population.monetary_ref, total.astype("float64")),
    )
    next_day = last + np.rint(expected).astype("int64")
    epoch = np.datetime64("1970-01-01", "D")
    first_dt = (epoch + first.astype("timedelta64[D]")).astype("datetime64[ns]")
    last_dt = (epoch + last.astype("timedelta64[D]")).astype("datetime64[ns]")
    next_dt = (epoch + next_day.astype("timedelta64[D]")).astype("datetime64[ns]")
    # missing from the day after the warning date: days_since > warning <=> as_of > last + floor(warning)
    warn_day = last + np.floor(warning).astype("int64")
    warn_dt = (epoch + warn_day.astype("timedelta64[D]")).astype("datetime64[ns]")
    spread = np.rint((np.exp(mu + sd) - np.exp(mu - sd)) / 2.0).astype("int64")
    wanted = np.ones(n_cust, dtype=bool) if previous_status is None else status != np.asarray(previous_status, object)
    sentences = _explain(
        params.explanation_templates,
        count[wanted],
        np.rint(expected[wanted]).astype("int64"),
        spread[wanted],
        days_since[wanted],
        np.rint(warning[wanted]).astype("int64"),
        np.datetime_as_string(last_dt[wanted], unit="D"),
        np.datetime_as_string(next_dt[wanted], unit="D"),
        missing[wanted],
    )
    if model.used:
        template = params.explanation_templates.get("churn", DEFAULT_TEMPLATES["churn"])
        chances = np.rint(churn[wanted] * 100).astype("int64")
        endings = {c: template.format(chance=c, horizon=params.churn_horizon_days) for c in np.unique(chances).tolist()}
        sentences = [text + endings[c] for text, c in zip(sentences, chances.tolist(), strict=False)]
    if previous_status is None:
        explanation = sentences
    else:
        explanation = np.full(n_cust, None, dtype=object)
        explanation[wanted] = sentences
    result = pd.DataFrame(
        {
            "order_count": count,
            "first_order_date": first_dt,
            "last_order_date": last_dt,
            "days_since_last": days_since,
            "total_amount": total,
            "mean_gap": summary["mean_gap"],
            "median_gap": summary["median_gap"],
            "std_gap": summary["std_gap"],
            "expected_gap": expected,
            "gap_spread": spread,
            "expected_next_date": next_dt,
            "warning_days": warning,
            "warning_date": warn_dt,
            "gap_log_sd": sd,
            "overdue_days": days_since - expected,
            "overdue_probability": overdue_probability,
            "p_no_order_90d": p_none,
            "missing_order": missing,
            "status": status,
            "rfm_recency": r,
            "rfm_frequency": f,
            "rfm_monetary": m,
            "rfm_score": score,
            "rfm_segment": segment,
            "explanation": explanation,
            "churn_probability": churn,
            "annual_value": annual_value,
            "value_at_risk": annual_value * churn,
            "rule_status": rule_status,
        },
        index=pd.Index(summary["partner_id"], name="partner_id"),
    )
    result.attrs["churn_model"] = model
    return result


def _churn_sampled(partner_ids, rate):
    """Deterministic customer sample of about ``rate`` (multiplicative hash of the id)."""
    if rate >= 1:
        return np.ones(len(partner_ids), dtype=bool)
    hashed = (partner_ids.astype("uint64") * np.uint64(2654435761)) % np.uint64(2**32)
    return hashed < np.uint64(int(rate * 2**32))


class CadenceShards:
    """compute_cadence for a base too large to hold at once: feed it shards of orders, each holding
    whole customers (``add``), then ``fit`` the population figures and ``score`` the customers in
    chunks. Memory holds one shard of orders and ~15 numbers per customer, plus the occasions of
    the churn regression's customer sample (every customer up to ``params.churn_sample_customers``
    expected customers, then a deterministic sample of that size). With one shard, or a base under
    the sample size, the rows equal compute_cadence's."""

    SUMMARY_KEYS = (
        "partner_id",
        "count",
        "first",
        "last",
        "total",
        "k",
        "mean_gap",
        "median_gap",
        "std_gap",
        "mean_log",
        "sd_log",
        "peer",
    )

    def __init__(self, as_of, params=None, expected_customers=0):
        if not isinstance(as_of, datetime.date):
            raise ValueError("as_of must be a datetime.date, not %r" % (as_of,))
        if isinstance(as_of, datetime.datetime):
            as_of = as_of.date()
        self.params = params or CadenceParams()
        self.as_of_day = int(np.datetime64(as_of, "D").astype("int64"))
        self.sample_rate = min(1.0, self.params.churn_sample_customers / max(int(expected_customers or 0), 1))
        self.peer_index = {}
        self._summaries, self._occasions = [], []
        self.summary = self.population = None

    def add(self, orders):
        """Summarise one shard of orders (columns as compute_cadence's); returns its customers."""
        if orders is None or not len(orders):
            if orders is not None:
                _validate(orders)
            return 0
        pid, day, amount, peer = _validate(orders)
        keep = day <= self.as_of_day
        if not keep.any():
            return 0
        summary, occasions = _summarise(pid[keep], day[keep], np.nan_to_num(amount[keep]), peer[keep], self.peer_index)
        self._summaries.append(summary)
        sampled = _churn_sampled(occasions["pid"], self.sample_rate)
        self._occasions.append({key: values[sampled] for key, values in occasions.items()})
        return len(summary["count"])

    def fit(self):
        """Population figures over every customer added; returns the number of customers."""
        if self._summaries:
            self.summary = _concat(self._summaries, self.SUMMARY_KEYS)
            occasions = _concat(self._occasions, ("pid", "day", "amount"))
        else:
            self.summary = {key: np.empty(0, dtype="int64") for key in self.SUMMARY_KEYS}
            occasions = {key: np.empty(0, dtype="int64") for key in ("pid", "day", "amount")}
        self._summaries, self._occasions = [], []
        ids = self.summary["partner_id"]
        if np.any(ids[1:] <= ids[:-1]):  # shards added out of customer order
            order = np.argsort(ids, kind="stable")
            self.summary = {key: values[order] for key, values in self.summary.items()}
            occ_order = np.lexsort((occasions["day"], occasions["pid"]))
            occasions = {key: values[occ_order] for key, values in occasions.items()}
            ids = self.summary["partner_id"]
            if np.any(ids[1:] == ids[:-1]):
                raise ValueError("a customer's orders were split over several shards")
        self.population = fit_population(self.summary, occasions, self.as_of_day, self.params)
        return self.population.customers

    def score(self, chunk_size=200_000, previous_status=None):
        """Result frames of chunk_size customers each, in partner_id order. ``previous_status``:
        optional function (partner ids -> their stored statuses), see score_customers."""
        if self.population is None:
            self.fit()
        total = len(self.summary["count"])
        for start in range(0, total, max(int(chunk_size), 1)):
            chunk = _slice(self.summary, start, start + chunk_size)
            previous = previous_status(chunk["partner_id"]) if previous_status else None
            yield score_customers(chunk, self.population, self.params, previous_status=previous)


def compute_cadence(orders, as_of, params=None):
    """Cadence, alert, status and RFM of every customer as of ``as_of`` (see the module docstring)."""
    params = params or CadenceParams()
    shards = CadenceShards(as_of, params)
    if orders is None or len(orders) == 0:
        if orders is not None:
            _validate(orders)
        return _empty_result(params)
    if not shards.add(orders):
        return _empty_result(params)
    shards.fit()
    return next(shards.score(chunk_size=len(shards.summary["count"])))
