"""The result frame of a chunk of customers under the population figures: status, probabilities, value,
RFM and the explanation (part of the cadence engine; no Odoo import). Every formula is per customer, so
shards of customers give the same rows as one run.

Status under the rules: active while the silence t <= expected gap; warm up to ``cold_multiple`` × warning
level; cold beyond; lost once the alert fired and either P(no order in the next ``horizon_days``) >=
``lost_probability`` (and t > ``lost_min_multiple`` × warning level, so that cold is a real stage even for
clockwork customers) or t > ``lost_cap_days``. With the learned churn model (churn_model.py): lost =
cold-or-lost under the rules and churn_probability >= max(t*, 0.5); customers the rules call lost but the
model does not become cold; active and warm never become lost (the alert must have fired first).

Value: annual_value = max(total amount, 0) × 365.25 / (last - first occasion + expected gap), i.e. the
amount per day over the span the occasions cover (n orders of a every g days give a·365/g); a one-order
customer's span is its expected gap (the peer rhythm) or its silence since that order, whichever is longer
(one order and 31 silent days: at most one order per 31 days). value_at_risk = annual_value × churn.
"""

import numpy as np
import pandas as pd

from .bgnbd import bgnbd_inputs, rule_p_none
from .churn_model import ChurnModel, predict_churn, today_features
from .explanations import explain, with_churn_chance
from .rfm import percentile_rank, rfm_scores
from .rhythm import customer_rhythm, gap_spread, overdue_probability

STATUSES = ("active", "warm", "cold", "lost")
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
EPOCH = np.datetime64("1970-01-01", "D")


def empty_result(params):
    """The result frame without customers: every column, an int64 partner_id index, the fallback model."""
    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in RESULT_COLUMNS})
    frame.index = pd.Index([], dtype="int64", name="partner_id")
    frame.attrs["churn_model"] = ChurnModel(
        used=False, fallback_reason="few_customers", horizon_days=params.churn_horizon_days
    )
    return frame


def rule_status(days_since, expected, warning, p_none, params):
    """The status under the rules alone (object array of STATUSES) from the silence, the expected gap and
    warning level (days) and P(no order in ``params.horizon_days``); see the module docstring."""
    status = np.select(
        [days_since <= expected, days_since <= warning * params.cold_multiple],
        ["active", "warm"],
        "cold",
    ).astype(object)
    if params.lost_probability < 1:
        improbable = p_none >= params.lost_probability
    else:
        improbable = np.zeros(len(days_since), dtype=bool)
    missing = days_since > warning
    lost = missing & (
        (improbable & (days_since > params.lost_min_multiple * warning)) | (days_since > params.lost_cap_days)
    )
    status[lost] = "lost"
    return status


def learned_status(rules, churn, model):
    """The status once the fitted churn model decides who of the cold-or-lost customers is lost: lost from
    ``model.lost_threshold`` on, the rules' other lost cold, active and warm as the rules say."""
    status = rules.copy()
    learned_lost = np.isin(rules, ("cold", "lost")) & (churn >= model.lost_threshold)
    status[(rules == "lost") & ~learned_lost] = "cold"
    status[learned_lost] = "lost"
    return status


def annual_value(count, first, last, total, expected, days_since):
    """Yearly run-rate over the observed span plus one expected gap (n regular orders of amount a every g
    days: n·a over n·g days = a·365/g); one order: at most once per expected gap (the peers' rhythm) and per
    day of silence since (31 days without a 2nd order: <= 1 per 31 days)."""
    span = np.where(count > 1, (last - first) + expected, np.maximum(expected, days_since))
    return np.maximum(total, 0.0) * DAYS_PER_YEAR / span


def _dates(days):
    """datetime64[ns] midnights of day numbers (days since 1970)."""
    return (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")


def _explanations(columns, wanted, params, model):
    """The explanation column from the other result columns: a sentence for the ``wanted`` customers (a
    list of them all when ``wanted`` is None), None for the others."""
    pick = np.ones(len(columns["order_count"]), dtype=bool) if wanted is None else wanted
    sentences = explain(
        params.explanation_templates,
        columns["order_count"][pick],
        np.rint(columns["expected_gap"][pick]).astype("int64"),
        columns["gap_spread"][pick],
        columns["days_since_last"][pick],
        np.rint(columns["warning_days"][pick]).astype("int64"),
        np.datetime_as_string(columns["last_order_date"][pick], unit="D"),
        np.datetime_as_string(columns["expected_next_date"][pick], unit="D"),
        columns["missing_order"][pick],
    )
    if model.used:
        churn = columns["churn_probability"][pick]
        sentences = with_churn_chance(sentences, params.explanation_templates, churn, params.churn_horizon_days)
    if wanted is None:
        return sentences
    explanation = np.full(len(pick), None, dtype=object)
    explanation[pick] = sentences
    return explanation


def score_customers(summary, population, params, previous_status=None, explain=True):
    """The result frame (see cadence.py) of the customers of ``summary`` (population.summarise) under the
    ``population`` figures (population.fit_population). ``previous_status``: optional array of the
    customers' stored statuses; then only the customers whose status changes get their explanation
    sentence, the others None (formatting sentences is most of the scoring time). ``explain=False``: no
    sentence at all (the explanation column all None), for a caller that puts them together when they are
    read."""
    as_of_day = population.as_of_day
    count, first, last, total = summary["count"], summary["first"], summary["last"], summary["total"]
    days_since = (as_of_day - last).astype("int64")
    mu, sd, expected, warning = customer_rhythm(summary, population, params)

    # probability of no order in the horizon (rules) and in the churn horizon (fallback score)
    x, t_x, T = bgnbd_inputs(summary, as_of_day)
    fitted = population.bgnbd
    p_none = rule_p_none(fitted, x, t_x, T, days_since, mu, sd, params.horizon_days, params)
    churn = rule_p_none(fitted, x, t_x, T, days_since, mu, sd, params.churn_horizon_days, params)
    rules = rule_status(days_since, expected, warning, p_none, params)
    status = rules.copy()
    model = population.model
    if model.used:  # the learned churn probability decides who of the cold-or-lost customers is lost
        churn = predict_churn(model, today_features(summary, expected, days_since, params))
        status = learned_status(rules, churn, model)
    churn = np.clip(churn, 0.0, 1.0)
    value = annual_value(count, first, last, total, expected, days_since)
    r, f, m, score, segment = rfm_scores(
        percentile_rank(population.recency_ref, -days_since.astype("float64")),
        count,
        percentile_rank(population.monetary_ref, total.astype("float64")),
    )
    columns = {
        "order_count": count,
        "first_order_date": _dates(first),
        "last_order_date": _dates(last),
        "days_since_last": days_since,
        "total_amount": total,
        "mean_gap": summary["mean_gap"],
        "median_gap": summary["median_gap"],
        "std_gap": summary["std_gap"],
        "expected_gap": expected,
        "gap_spread": gap_spread(mu, sd),
        "expected_next_date": _dates(last + np.rint(expected).astype("int64")),
        "warning_days": warning,
        # missing from the day after the warning date: days_since > warning <=> as_of > last + floor(warning)
        "warning_date": _dates(last + np.floor(warning).astype("int64")),
        "gap_log_sd": sd,
        "overdue_days": days_since - expected,
        "overdue_probability": overdue_probability(days_since, mu, sd),
        "p_no_order_90d": p_none,
        "missing_order": days_since > warning,
        "status": status,
        "rfm_recency": r,
        "rfm_frequency": f,
        "rfm_monetary": m,
        "rfm_score": score,
        "rfm_segment": segment,
        "churn_probability": churn,
        "annual_value": value,
        "value_at_risk": value * churn,
        "rule_status": rules,
    }
    if not explain:
        columns["explanation"] = np.full(len(status), None, dtype=object)
    else:
        wanted = None if previous_status is None else status != np.asarray(previous_status, object)
        columns["explanation"] = _explanations(columns, wanted, params, model)
    result = pd.DataFrame(
        {name: columns[name] for name in RESULT_COLUMNS}, index=pd.Index(summary["partner_id"], name="partner_id")
    )
    result.attrs["churn_model"] = model
    return result
