"""Customer ordering cadence engine, its entry point (pure Python: numpy, pandas, scipy; no Odoo import).

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

Where the engine is
-------------------
=================  ==================================================================================
cadence.py         the entry point: ``compute_cadence``, ``CadenceShards`` (a base fed in shards of whole
                   customers), the validation of the orders; re-exports the public names below
params.py          ``CadenceParams``, the thresholds (every one has a default)
population.py      per-customer sufficient statistics of the orders (``summarise``) and the base-wide
                   figures fitted once on them (``fit_population``: ``Population``)
rhythm.py          gap statistics, shrinkage toward the peer group, expected gap, warning level, overdue
                   probability (the method is in its docstring)
bgnbd.py           the rules' P(no order in a horizon): BG/NBD, or its log-normal fallback
churn_model.py     the learned churn model (``ChurnModel``, its features, fit, scores, ``churn_effects``)
logistic.py        L2 logistic regression, AUC and the expected-MCC threshold it uses
rfm.py             RFM scores and segments (``RFM_SEGMENTS``)
explanations.py    the explanation sentences (``DEFAULT_TEMPLATES``)
scoring.py         the result frame of a chunk of customers: statuses (rules, then the learned model),
                   probabilities, value, RFM, explanation (``RESULT_COLUMNS``, ``STATUSES``)
=================  ==================================================================================

Everything is vectorised (sorting, ``np.bincount``, ``np.add.reduceat``): no per-customer loop,
no ``groupby.apply``; only the explanation sentences are formatted row by row.

This file also loads by its path alone, without Odoo and outside the order_retention package
(scripts/benchmark.py): it then registers its folder as a package of its own to import the modules above.
"""

import datetime

import numpy as np
import pandas as pd

if not __package__:
    # loaded by file path alone: no parent package for the relative imports below, so this folder becomes
    # a package named after this module ("<name>_engine", loaded afresh) and this module one of its modules
    import importlib.util
    import os
    import sys

    _folder = os.path.dirname(os.path.abspath(__file__))
    _package = __name__ + "_engine"
    for _stale in [name for name in sys.modules if name == _package or name.startswith(_package + ".")]:
        del sys.modules[_stale]
    _spec = importlib.util.spec_from_file_location(
        _package, os.path.join(_folder, "__init__.py"), submodule_search_locations=[_folder]
    )
    sys.modules[_package] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_package])
    __spec__ = importlib.util.spec_from_file_location(_package + ".cadence", __file__)
    __package__ = _package

from .bgnbd import bgnbd_p_none, fit_bgnbd
from .churn_model import (
    CHURN_FEATURES,
    FALLBACK_REASONS,
    ChurnModel,
    churn_effects,
    churn_model_from_dict,
    fit_churn_model,
    predict_churn,
)
from .explanations import DEFAULT_TEMPLATES
from .logistic import auc_score, fit_logistic, mcc_threshold
from .params import CadenceParams
from .population import Population, fit_population, summarise
from .rfm import _SEGMENT_GRID, RFM_SEGMENTS  # noqa: F401 (_SEGMENT_GRID: the tests read it here)
from .scoring import DAYS_PER_YEAR, RESULT_COLUMNS, STATUSES, empty_result, score_customers

__all__ = [
    "CHURN_FEATURES",
    "DAYS_PER_YEAR",
    "DEFAULT_TEMPLATES",
    "FALLBACK_REASONS",
    "RESULT_COLUMNS",
    "RFM_SEGMENTS",
    "STATUSES",
    "CadenceParams",
    "CadenceShards",
    "ChurnModel",
    "Population",
    "auc_score",
    "bgnbd_p_none",
    "churn_effects",
    "churn_model_from_dict",
    "compute_cadence",
    "fit_bgnbd",
    "fit_churn_model",
    "fit_logistic",
    "fit_population",
    "mcc_threshold",
    "predict_churn",
    "score_customers",
]


def _validate(orders):
    """The columns of ``orders`` as arrays (partner ids int64, day numbers since 1970, float amounts, peer
    groups), or a ValueError that says what is wrong (missing column, empty partner, not a date or a number)."""
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


def _concat(parts, keys):
    """One array per key from the parts' arrays; each part's array is released once copied, so that memory
    holds the parts and the whole of one key at a time, not twice everything."""
    whole = {}
    for key in keys:
        whole[key] = np.concatenate([part.pop(key) for part in parts])
    return whole


def _slice(arrays, start, stop):
    return {key: values[start:stop] for key, values in arrays.items()}


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
        return self.add_arrays(*_validate(orders))

    def add_arrays(self, pid, day, amount, peer):
        """``add`` for orders already checked and split into arrays (partner ids int64, days since 1970 int64,
        float amounts, peer groups), as ``frames.FactShard.arrays`` reads them; returns the shard's customers."""
        keep = day <= self.as_of_day
        if not keep.any():
            return 0
        summary, occasions = summarise(pid[keep], day[keep], np.nan_to_num(amount[keep]), peer[keep], self.peer_index)
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

    def score(self, chunk_size=200_000, previous_status=None, explain=True):
        """Result frames of chunk_size customers each, in partner_id order. ``previous_status``:
        optional function (partner ids -> their stored statuses), and ``explain``, see score_customers."""
        if self.population is None:
            self.fit()
        total = len(self.summary["count"])
        for start in range(0, total, max(int(chunk_size), 1)):
            chunk = _slice(self.summary, start, start + chunk_size)
            previous = previous_status(chunk["partner_id"]) if previous_status else None
            yield score_customers(chunk, self.population, self.params, previous_status=previous, explain=explain)


def compute_cadence(orders, as_of, params=None):
    """Cadence, alert, status and RFM of every customer as of ``as_of`` (see the module docstring)."""
    params = params or CadenceParams()
    shards = CadenceShards(as_of, params)
    if orders is None or len(orders) == 0:
        if orders is not None:
            _validate(orders)
        return empty_result(params)
    if not shards.add(orders):
        return empty_result(params)
    shards.fit()
    return next(shards.score(chunk_size=len(shards.summary["count"])))
