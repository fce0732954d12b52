"""How the module's searchable computed fields read a search term ``(field, operator, value)``.

Every search method of the module (Missing Orders, day counts, retention calls, the mailing filters,
the dashboard's call states) takes the operator and the value from the caller, RPC included. These
helpers accept what a person or a saved filter can mean and refuse anything else with a UserError that
says what works, never a traceback (NotImplementedError, TypeError, OverflowError...).
"""

import numbers

from odoo.exceptions import UserError
from odoo.osv import expression

# the largest day count a search accepts (a century): a bigger one is a typo, and a date that far away
# does not exist (datetime overflows)
MAX_SEARCH_DAYS = 36_500


def _bool_value(env, value, field_label):
    """True/False for a value that means one (booleans, None, 0, 1), else a UserError."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise UserError(env._("Search %(field)s with = True or = False.", field=field_label))


def boolean_domain(env, operator, value, domain, field_label, negative=None):
    """The domain of ``field <operator> <value>`` for a boolean field that is true exactly on ``domain``
    (and false on ``negative``, by default the negation of ``domain``).

    Accepts = and != with a boolean (None and False alike, as Odoo does), in and not in with a list of
    booleans; refuses the rest with a UserError naming ``field_label``."""
    if operator in ("=", "!="):
        wanted = {_bool_value(env, value, field_label)}
        if operator == "!=":
            wanted = {True, False} - wanted
    elif operator in ("in", "not in") and isinstance(value, list | tuple | set):
        wanted = {_bool_value(env, item, field_label) for item in value}
        if operator == "not in":
            wanted = {True, False} - wanted
    else:
        raise UserError(env._("Search %(field)s with = True or = False.", field=field_label))
    if wanted == {True, False}:
        return expression.TRUE_DOMAIN
    if not wanted:
        return expression.FALSE_DOMAIN
    if wanted == {True}:
        return list(domain)
    return list(negative) if negative is not None else ["!", *expression.normalize_domain(list(domain))]


def day_count(env, operator, value, field_label):
    """A whole number of days from a search value (int, float or a numeric string), within
    MAX_SEARCH_DAYS either way; a UserError for anything else."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str):
        raise UserError(
            env._("Search %(field)s with a number of days, e.g. %(field)s > 30.", field=field_label),
        )
    try:
        days = round(float(value))
    except (TypeError, ValueError, OverflowError):
        days = None
    if days is None or abs(days) > MAX_SEARCH_DAYS:
        raise UserError(
            env._(
                "Search %(field)s with a number of days between -%(max)s and %(max)s (got %(value)s).",
                field=field_label,
                max=MAX_SEARCH_DAYS,
                value=str(value)[:40],
            )
        )
    return days


def selection_values(env, operator, value, allowed, field_label):
    """The selection keys asked for by ``field <operator> <value>`` (=, !=, in, not in over ``allowed``);
    a UserError for other operators or unknown keys."""
    if operator in ("=", "!="):
        values = [value]
    elif operator in ("in", "not in") and isinstance(value, list | tuple | set):
        values = list(value)
    else:
        raise UserError(env._("Search %(field)s with = or in.", field=field_label))
    unknown = [item for item in values if item is not False and item is not None and item not in allowed]
    if unknown:
        raise UserError(
            env._(
                "%(field)s has no value %(value)s; use one of: %(allowed)s.",
                field=field_label,
                value=str(unknown[0])[:40],
                allowed=", ".join(allowed),
            )
        )
    asked = {item for item in values if item in allowed}
    return asked if operator in ("=", "in") else set(allowed) - asked


def check_any_operators(model, domain):
    """Refuse ``any`` / ``not any`` on the model's computed search fields that are not relations: Odoo reads
    their value as a sub-domain before any search method is called and would fail with an AssertionError or a
    KeyError (``[("retention_missing_order", "any", 5)]``). Called from ``_search`` of the models that have
    such fields."""
    for leaf in domain or ():
        if not (isinstance(leaf, list | tuple) and len(leaf) == 3 and leaf[1] in ("any", "not any")):
            continue
        field = model._fields.get(leaf[0]) if isinstance(leaf[0], str) else None
        if field is not None and field.search and not field.relational:
            raise UserError(
                model.env._(
                    "%(field)s is not a relation: search it with = or another comparison, not %(operator)s.",
                    field=field._description_string(model.env),
                    operator=leaf[1],
                )
            )
