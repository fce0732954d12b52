"""Each customer's ordering rhythm: gap statistics, shrinkage toward the peers, expected gap, warning level
and overdue probability (part of the cadence engine; no Odoo import).

Gaps (days between consecutive purchase occasions, >= 1) are modelled on the log scale, where purchase
intervals are roughly normal. A customer with k gaps, mean log gap m and sample sd s is shrunk toward its
peer group (same ``peer_group``; the whole base when the group has fewer than ``min_peer_gaps`` gaps;
``default_gap_days`` / ``default_log_sd`` when nobody has a gap; the peer sd is floored at ``min_log_sd``):

    mu  = (k·m + kappa·mu_peer) / (k + kappa)
    var = (max(k-1, 0)·s² + kappa·sd_peer²) / (max(k-1, 0) + kappa)

``sd_peer`` is the total sd of the group's log gaps, so customers with little history get the wide peer
uncertainty and long histories their own. A one-order customer gets the peer prior. Expected gap = exp(mu);
warning level = exp(mu + z·sd) (z = 1: about 16 % of normal gaps exceed it), floored at expected +
``min_warning_margin_days`` and expected × ``min_warning_ratio`` so that very regular customers are not
flagged a day late. overdue_probability = Φ((ln t - mu)/sd) for a silence of t days.

Everything works on per-customer sums (count, mean and sd of the gaps and log gaps), so that the peer figures
of the whole base can be pooled from shards of customers.
"""

import numpy as np
from scipy import special


def group_moments(keys, values, n):
    """count, mean and sample std (ddof=1, NaN below two values) of ``values`` per integer key in [0, n)."""
    count = np.bincount(keys, minlength=n).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(keys, weights=values, minlength=n) / count
        dev = values - mean[keys]
        var = np.bincount(keys, weights=dev * dev, minlength=n) / (count - 1)
    var[count < 2] = np.nan
    return count, mean, np.sqrt(var)


def group_median(keys, values, n):
    """Median of ``values`` per integer key in [0, n) (NaN for keys without values)."""
    whole = values.astype("int64")
    if len(values) and values.min() >= 0 and values.max() < 2**31 and np.array_equal(whole, values):
        # whole numbers of days, the gaps: one sort of (key, value) packed in an int64 (three times faster than
        # sorting by two keys; a million customers' gaps are sorted this way every night)
        packed = np.sort((keys.astype("int64") << 32) | whole)
        keys, values = packed >> 32, (packed & 0xFFFFFFFF).astype("float64")
    else:
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


def shrunk_mu(k, sum_log, mu_peer, kappa):
    """Mean log gap of customers with ``k`` gaps summing to ``sum_log`` (log days), shrunk toward
    ``mu_peer`` with the weight ``kappa`` (in gaps); the peer value when there is no gap."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(k + kappa > 0, (sum_log + kappa * mu_peer) / (k + kappa), mu_peer)
    return np.where(np.isfinite(mu), mu, mu_peer)


def peer_table(summary, params):
    """Pooled log-gap mean and sd of the whole base and of every peer group, from the customers'
    sums (the same figures as over the gaps themselves: within + between sums of squares).

    ``summary``: per-customer arrays ``k`` (gaps), ``mean_log``, ``sd_log`` and ``peer`` (code, -1 for
    none). Returns ``(base_mu, base_sd, group_mu, group_sd, usable)``, the group arrays indexed by code."""
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


def peer_mu(peer, k, sum_log, params):
    """Per customer the mean log gap of its peer group (as peer_table's, the whole base when the group has
    too few gaps), from per-customer gap counts ``k`` and log-gap sums ``sum_log``: the churn model's
    features use it to see the customers' rhythm as of a past day."""
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


def customer_rhythm(summary, population, params):
    """Per customer: mu and sd of the log gap after shrinkage toward the peer prior, the expected
    gap and the warning level (days, rounded to 6 decimals so that a silence equal to a level compares
    as equal). ``population`` holds the peer figures of peer_table (``base_mu``, ``base_sd``,
    ``peer_mu``, ``peer_sd``, ``peer_usable``)."""
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
    mu = shrunk_mu(k, np.nan_to_num(summary["mean_log"]) * k, mu_peer, kappa)
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


def overdue_probability(days_since, mu, sd):
    """Share of the customer's log-normal gap distribution below a silence of ``days_since`` days (0-1;
    a silence of 0 counts as half a day)."""
    return special.ndtr((np.log(np.maximum(days_since, 0.5)) - mu) / sd)


def gap_spread(mu, sd):
    """The ± of the explanation, whole days: half the width of exp(mu ± sd)."""
    return np.rint((np.exp(mu + sd) - np.exp(mu - sd)) / 2.0).astype("int64")
