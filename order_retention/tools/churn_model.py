"""The learned churn model: P(no order in the churn horizon) from a logistic regression fitted at each run
on the company's own history (part of the cadence engine; no Odoo import).

Each business gets its own effects and threshold. Training rows: for every origin as_of - s (s = 30, 60,
..., 180 days; origins with under 60 days of history before them are skipped), every customer with an
occasion on or before the origin, labelled 1 when it had no occasion after the origin up to as_of; features
seen from the origin: ln(occasions), days silent, days silent ÷ expected gap (the shrunk gap of rhythm.py,
peer groups as of as_of), ln(1 + average occasion amount), ln s. All origins are stacked, inputs
standardised, weights L2-penalised, fitted with L-BFGS (at most ``churn_fit_sample`` rows, a seeded sample;
logistic.py). Today's score uses the same features with s = ``churn_horizon_days``. Threshold t* maximises
the Matthews correlation of the expected confusion counts of today's scores (``mcc_threshold``: no labels
needed). Fallback to the rules (and their BG/NBD probability over the churn horizon) with fewer than 2
usable origins, fewer than 200 customers at the oldest one, or fewer than 30 rows of either label.

The history as of any origin is read from an occasion index (``occasion_arrays``): occasions up to a day
form a prefix of each customer's occasions, so counts, amounts and log-gap sums are prefix-sum lookups.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from .logistic import auc_score, fit_logistic, sigmoid
from .params import CadenceParams
from .rhythm import peer_mu, shrunk_mu

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
    mu_peer = peer_mu(occ["peer"][present], k_o, sum_log_o, params)
    expected = np.exp(shrunk_mu(k_o, sum_log_o, mu_peer, params.kappa))
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
    return sigmoid(z)


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


def today_features(summary, expected, days_since, params):
    """The churn features of the customers of ``summary`` seen from as_of (``days_since`` days silent,
    ``expected`` gaps) with s = the churn horizon: the rows predict_churn scores today."""
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


def occasion_arrays(occasions, summary):
    """The occasion index of _churn_features (see _occasion_index) from occasions sorted by (customer, day)."""
    occ_pid, occ_day, occ_amount = occasions["pid"], occasions["day"], occasions["amount"]
    new_cust = np.concatenate(([True], occ_pid[1:] != occ_pid[:-1]))
    cust_start = np.flatnonzero(new_cust)
    cust_end = np.concatenate((cust_start[1:], [len(occ_pid)]))
    same = occ_pid[1:] == occ_pid[:-1]
    log_gaps = np.log(np.diff(occ_day)[same].astype("float64"))
    # each customer's peer group, looked up in the summary by binary search (a dict of a million ids cost
    # about 250 MB for a moment at 1M customers, the peak of a night's run)
    ids, customers = summary["partner_id"], occ_pid[cust_start]
    sorter = None if np.all(ids[1:] > ids[:-1]) else np.argsort(ids, kind="stable")
    at = np.minimum(np.searchsorted(ids, customers, sorter=sorter), max(len(ids) - 1, 0))
    at = at if sorter is None else sorter[at]
    if len(customers) and (not len(ids) or not np.array_equal(ids[at], customers)):
        raise ValueError("occasions of customers missing from the summary")
    cust_peer = np.asarray(summary["peer"])[at].astype("int64") if len(customers) else np.empty(0, "int64")
    count = (cust_end - cust_start).astype("int64")
    return _occasion_index(occ_day, occ_amount, cust_start, count, cust_peer, new_cust, same, log_gaps)
