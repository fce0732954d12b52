"""The population: per-customer sufficient statistics of the orders, and the base-wide figures fitted once
on them (part of the cadence engine; no Odoo import).

``summarise`` reduces rows of orders holding whole customers to purchase occasions (all orders of one
calendar day are one) and about 15 numbers per customer; ``fit_population`` fits, on the summaries of every
customer, what the per-customer formulas need from the whole base: the peer priors of the rhythm, BG/NBD,
the churn model with its threshold and the RFM reference ranks. Customers can then be scored shard by shard
(scoring.py) with the same figures as in one run.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bgnbd import bgnbd_inputs, fit_bgnbd
from .churn_model import ChurnModel, fit_churn_model, occasion_arrays, predict_churn, today_features
from .logistic import mcc_threshold
from .rhythm import customer_rhythm, group_median, group_moments, peer_table


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


def summarise(pid, day, amount, peer, peer_index):
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
    # (numbers, the adapter's sales teams, are factorised as they are: as objects they took four times longer)
    values = (
        peer
        if getattr(peer, "dtype", None) is not None and peer.dtype.kind in "fiu"
        else pd.Series(peer, dtype="object")
    )
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
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
    k, mean_gap, std_gap = group_moments(gap_cust, gaps, n_cust)
    _k, mean_log, sd_log = group_moments(gap_cust, log_gaps, n_cust)
    summary = {
        "partner_id": occ_pid[cust_start],
        "count": (cust_end - cust_start).astype("int64"),
        "first": occ_day[cust_start],
        "last": occ_day[cust_end - 1],
        "total": np.add.reduceat(occ_amount, cust_start),
        "k": k,
        "mean_gap": mean_gap,
        "median_gap": group_median(gap_cust, gaps, n_cust),
        "std_gap": std_gap,
        "mean_log": mean_log,
        "sd_log": sd_log,
        "peer": cust_peer,
    }
    return summary, {"pid": occ_pid, "day": occ_day, "amount": occ_amount}


def fit_population(summary, occasions, as_of_day, params):
    """Population figures from the summaries of every customer and the occasions of (a sample of)
    them: peer priors, BG/NBD, the churn model with its threshold, the RFM references."""
    base_mu, base_sd, group_mu, group_sd, usable = peer_table(summary, params)
    x, t_x, T = bgnbd_inputs(summary, as_of_day)
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
    _mu, _sd, expected, _warning = customer_rhythm(summary, population, params)
    occ = occasion_arrays(occasions, summary) if len(occasions["pid"]) else None
    first_day = int(summary["first"].min()) if len(summary["first"]) else as_of_day
    model = (
        fit_churn_model(occ, as_of_day, first_day, params)
        if occ is not None
        else ChurnModel(used=False, fallback_reason="few_customers", horizon_days=params.churn_horizon_days)
    )
    if model.used:
        days_since = (as_of_day - summary["last"]).astype("int64")
        churn = predict_churn(model, today_features(summary, expected, days_since, params))
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
