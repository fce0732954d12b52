"""The thresholds of the cadence engine, CadenceParams (part of the engine; no Odoo import)."""

from dataclasses import dataclass, field

from .explanations import DEFAULT_TEMPLATES


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
