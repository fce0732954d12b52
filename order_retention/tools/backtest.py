"""Back-testing the cadence engine on a company's own history (pure: pandas/numpy, no Odoo).

``backtest(orders, as_of, horizon_days, params)`` classifies every customer as of a past date
``as_of`` using only the orders before it (the engine ignores later ones), then looks at what
actually happened in the ``horizon_days`` after it. Returns ``(per_status, metrics)``:

* ``per_status``: DataFrame indexed by status (active, warm, cold, lost) with ``customers``,
  ``ordered`` (customers who ordered within the horizon) and ``order_rate`` (0-1);
* ``metrics``: dict with ``customers``, ``no_order`` (customers who did not order within the
  horizon) and precision / recall of two flags against "did not order within the horizon":
  ``lost_precision``, ``lost_recall``, ``missing_precision``, ``missing_recall`` (NaN when the
  denominator is 0).
"""
import datetime

import numpy as np
import pandas as pd

from . import cadence


def backtest(orders, as_of, horizon_days=90, params=None):
    if horizon_days < 1:
        raise ValueError("the horizon must be at least one day")
    result = cadence.compute_cadence(orders, as_of, params)
    dates = pd.to_datetime(orders["date"]).dt.normalize()
    start, end = pd.Timestamp(as_of), pd.Timestamp(as_of + datetime.timedelta(days=horizon_days))
    later = orders.loc[(dates > start) & (dates <= end), "partner_id"].unique()
    ordered = result.index.isin(later)
    frame = pd.DataFrame({"status": result["status"].to_numpy(), "ordered": ordered})
    per_status = frame.groupby("status")["ordered"].agg(customers="size", ordered="sum")
    per_status = per_status.reindex(list(cadence.STATUSES), fill_value=0)
    per_status["ordered"] = per_status["ordered"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_status["order_rate"] = per_status["ordered"] / per_status["customers"].replace(0, np.nan)
    silent = ~ordered
    lost = result["status"].to_numpy() == "lost"
    missing = result["missing_order"].to_numpy()

    def ratio(num, den):
        return float(num) / den if den else float("nan")

    metrics = {
        "customers": int(len(result)),
        "no_order": int(silent.sum()),
        "lost_precision": ratio((lost & silent).sum(), lost.sum()),
        "lost_recall": ratio((lost & silent).sum(), silent.sum()),
        "missing_precision": ratio((missing & silent).sum(), missing.sum()),
        "missing_recall": ratio((missing & silent).sum(), silent.sum()),
    }
    return per_status, metrics
