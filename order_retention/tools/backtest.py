"""Back-testing the cadence engine on a company's own history (pure: pandas/numpy, no Odoo).

``backtest(orders, as_of, horizon_days, params)`` classifies every customer as of a past date
``as_of`` using only the orders before it (the engine ignores later ones; the learned churn
model is fitted on the history before ``as_of`` and scores P(no order in ``horizon_days``)),
then looks at what actually happened in the ``horizon_days`` after it. Returns
``(per_status, metrics)``:

* ``per_status``: DataFrame indexed by status (active, warm, cold, lost) with ``customers``,
  ``ordered`` (customers who ordered within the horizon) and ``order_rate`` (0-1) under the
  engine's statuses (learned lost), and the same three under the rules alone, prefixed ``rule_``;
* ``metrics``: dict with ``customers``, ``no_order`` (customers who did not order within the
  horizon), precision / recall of flags against "did not order within the horizon":
  ``lost_precision``, ``lost_recall`` (learned lost; the rules' when the model fell back),
  ``rule_lost_precision``, ``rule_lost_recall``, ``missing_precision``, ``missing_recall``; the
  AUC of the scores: ``auc`` (churn_probability) and ``rule_auc`` (the rules' P(no order),
  ``p_no_order_90d``); ``model_used`` and ``churn_model`` (the engine's ChurnModel). Ratios are
  NaN when their denominator is 0.
"""

import dataclasses
import datetime

import numpy as np
import pandas as pd

from . import cadence


def auc(labels, scores):
    """Area under the ROC curve of ``scores`` for the boolean ``labels`` (probability that a
    random positive scores above a random negative; ties count half). NaN without both labels."""
    return cadence.auc_score(labels, scores)


def _per_status(statuses, ordered):
    frame = pd.DataFrame({"status": statuses, "ordered": ordered})
    table = frame.groupby("status")["ordered"].agg(customers="size", ordered="sum")
    table = table.reindex(list(cadence.STATUSES), fill_value=0)
    table["ordered"] = table["ordered"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["order_rate"] = table["ordered"] / table["customers"].replace(0, np.nan)
    return table


def _ratio(num, den):
    return float(num) / den if den else float("nan")


def backtest(orders, as_of, horizon_days=90, params=None):
    if horizon_days < 1:
        raise ValueError("the horizon must be at least one day")
    params = dataclasses.replace(params or cadence.CadenceParams(), churn_horizon_days=horizon_days)
    result = cadence.compute_cadence(orders, as_of, params)
    dates = pd.to_datetime(orders["date"]).dt.normalize()
    start, end = pd.Timestamp(as_of), pd.Timestamp(as_of + datetime.timedelta(days=horizon_days))
    later = orders.loc[(dates > start) & (dates <= end), "partner_id"].unique()
    ordered = result.index.isin(later)
    per_status = _per_status(result["status"].to_numpy(), ordered)
    rule = _per_status(result["rule_status"].to_numpy(), ordered)
    per_status = per_status.join(rule.add_prefix("rule_"))
    silent = ~ordered
    lost = result["status"].to_numpy() == "lost"
    rule_lost = result["rule_status"].to_numpy() == "lost"
    missing = result["missing_order"].to_numpy().astype(bool)
    model = result.attrs["churn_model"]
    metrics = {
        "customers": int(len(result)),
        "no_order": int(silent.sum()),
        "lost_precision": _ratio((lost & silent).sum(), lost.sum()),
        "lost_recall": _ratio((lost & silent).sum(), silent.sum()),
        "rule_lost_precision": _ratio((rule_lost & silent).sum(), rule_lost.sum()),
        "rule_lost_recall": _ratio((rule_lost & silent).sum(), silent.sum()),
        "missing_precision": _ratio((missing & silent).sum(), missing.sum()),
        "missing_recall": _ratio((missing & silent).sum(), silent.sum()),
        "auc": auc(silent, result["churn_probability"].to_numpy(dtype="float64")) if len(result) else float("nan"),
        "rule_auc": auc(silent, result["p_no_order_90d"].to_numpy(dtype="float64")) if len(result) else float("nan"),
        "model_used": bool(model.used),
        "churn_model": model,
    }
    return per_status, metrics
