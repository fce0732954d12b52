"""18.0.1.6.0: the retention cycle's settings belong to each company (issue 23: a customer of two companies is
classified and followed up by each with its own orders, salespeople and settings).

Until this version the thresholds, follow-up intervals, stopping rules, the shortest verified call and the win-back
minimum were one value for the database (ir.config_parameter, ``order_retention.*``). They are now fields of
res.company, which the ORM has just added with their defaults: every company gets the value the database had, so
nothing a team had set changes on upgrade, and the old parameters are removed (Settings no longer reads them). A
value that is not a number or is out of range (only possible by editing the parameter by hand) is left at the
default and logged. The quotation hygiene's duplicate window stays a setting of the database.
"""

import logging

_logger = logging.getLogger(__name__)

# field (= column of res_company) -> (old parameter key, type, minimum, maximum)
MOVED = {
    "retention_warm_interval_days": ("order_retention.warm_interval_days", int, 0, None),
    "retention_cold_interval_days": ("order_retention.cold_interval_days", int, 0, None),
    "retention_lost_interval_days": ("order_retention.lost_interval_days", int, 0, None),
    "retention_warning_z": ("order_retention.warning_z", float, 0.0, None),
    "retention_cold_multiple": ("order_retention.cold_multiple", float, 1.0, None),
    "retention_lost_probability": ("order_retention.lost_probability", float, 0.0, 1.0),
    "retention_lost_cap_days": ("order_retention.lost_cap_days", int, 1, None),
    "retention_shrinkage_kappa": ("order_retention.shrinkage_kappa", float, 0.0, None),
    "retention_max_unanswered": ("order_retention.max_unanswered", int, 1, None),
    "retention_stop_after_days": ("order_retention.stop_after_days", int, 0, None),
    "retention_call_again_max_days": ("order_retention.call_again_max_days", int, 1, None),
    "retention_min_call_seconds": ("order_retention.min_call_seconds", int, 0, None),
    "retention_winback_min_amount": ("order_retention.winback_min_amount", float, 0.0, None),
}


def _value(raw, cast, minimum, maximum):
    """The parameter's text as the field's value, or None when it is not a usable number."""
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    value = int(number) if cast is int else number
    if value < minimum or (maximum is not None and value > maximum):
        return None
    if cast is int and abs(value) > 2**31 - 1:
        return None
    return value


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "SELECT key, value FROM ir_config_parameter WHERE key IN %s",
        (tuple(key for key, *_rest in MOVED.values()),),
    )
    stored = dict(cr.fetchall())
    for column, (key, cast, minimum, maximum) in MOVED.items():
        if key not in stored:
            continue
        value = _value(stored[key], cast, minimum, maximum)
        if value is None:
            _logger.warning(
                "order_retention: the setting %s was %r, not a usable value: every company keeps the default",
                key,
                stored[key],
            )
            continue
        cr.execute("UPDATE res_company SET %s = %%s" % column, (value,))  # column: a name of MOVED, not input
        _logger.info("order_retention: %s = %s given to every company (%d)", key, value, cr.rowcount)
    cr.execute("DELETE FROM ir_config_parameter WHERE key IN %s", (tuple(key for key, *_rest in MOVED.values()),))
