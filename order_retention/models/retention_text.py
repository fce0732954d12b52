"""Texts of the retention cycle in their reader's language: numbers with the right plural form, dates in the
reader's format, and the explanation sentence of a customer's status.

The nightly cycle runs as OdooBot; what it writes is read by a salesperson (the retention call's assignee), the
customer's salesperson or a manager. Texts shown on screens are rendered when read (in the reader's language);
texts that must be written once (chatter notes, call summaries and notes) are written in the language of their
reader (see ``reader_lang``).
"""

from odoo.tools import format_date, format_datetime
from odoo.tools.translate import LazyTranslate

from ..tools import plural

_lt = LazyTranslate(__name__)

# the forms of a number of units: "one" and "other" as English has them, "few" and "many" for the languages that
# have them (translated in their .po; untranslated, they fall back to "other")
UNITS = {
    "day": {
        "one": _lt("%(count)s day"),
        "few": _lt("%(count)s days [few]"),
        "many": _lt("%(count)s days [many]"),
        "other": _lt("%(count)s days"),
    },
    "order": {
        "one": _lt("%(count)s order"),
        "few": _lt("%(count)s orders [few]"),
        "many": _lt("%(count)s orders [many]"),
        "other": _lt("%(count)s orders"),
    },
    "call": {
        "one": _lt("%(count)s call"),
        "few": _lt("%(count)s calls [few]"),
        "many": _lt("%(count)s calls [many]"),
        "other": _lt("%(count)s calls"),
    },
    "customer": {
        "one": _lt("%(count)s customer"),
        "few": _lt("%(count)s customers [few]"),
        "many": _lt("%(count)s customers [many]"),
        "other": _lt("%(count)s customers"),
    },
}


def count_phrase(env, count, unit, shown=None):
    """ "34 days" / "34 дні": ``count`` units in env's language, the number shown as ``shown`` (default: the
    count; e.g. "14±2" with the count 2 that decides the form)."""
    forms = UNITS[unit]
    lang = env.lang or "en_US"
    wanted = plural.category(lang, count)
    text = forms[wanted]._translate(lang)
    if wanted in ("few", "many") and text == forms[wanted]._source:
        # no translation for this form in the reader's language: the general plural
        text = forms["other"]._translate(lang)
    return text % {"count": count if shown is None else shown}


def date_text(env, value):
    """A date as the reader writes it (12/04/2026, 04.12.2026...); empty for none."""
    return format_date(env, value) if value else ""


def datetime_text(env, value, tz=None):
    """A moment as the reader reads it: their date and time format, in their timezone (``tz``, else env's user's,
    else UTC); empty for none."""
    tz = tz or env.context.get("tz") or env.user.tz or "UTC"
    # dt_format False: the language's own date and time formats (12/05/2026 08:03:59, 05.12.2026 08:03:59), as
    # the rest of the screens show dates; babel's "medium" (Dec 5, 2026, 8:03:59 AM) would read differently
    return format_datetime(env, value, tz=tz, dt_format=False) if value else ""


def reader_lang(env, partner):
    """The language a note about the customer ``partner`` is written in: its salesperson's, else its company's,
    else the current one."""
    return partner.user_id.lang or (partner.company_id or env.company).partner_id.lang or env.lang or "en_US"


def explain(env, figures):
    """The sentence behind a status, in env's language, from the figures: ``count`` (orders), ``gap`` and
    ``spread`` (days), ``days`` (silent), ``last`` and ``next`` (dates), ``warning`` (days), ``missing``
    (bool), ``chance`` (0-1 or None when no learned model was used) and ``horizon`` (days)."""
    _ = env._
    days = count_phrase(env, figures["days"], "day")
    gap = round(figures["gap"] or 0)
    if (figures["count"] or 0) <= 1:
        text = _(
            "Only one order so far (%(last)s); similar customers order every %(gap)s; silent for %(days)s",
            last=date_text(env, figures["last"]),
            gap=count_phrase(env, gap, "day"),
            days=days,
        )
    else:
        spread = figures["spread"] or 0
        text = _(
            "Usually orders every %(gap)s (%(orders)s); silent for %(days)s",
            gap=count_phrase(env, spread, "day", shown="%s±%s" % (gap, spread)),
            orders=count_phrase(env, figures["count"], "order"),
            days=days,
        )
    if figures["missing"]:
        text += _(
            ", past the warning level of %(warning)s: missing order.",
            warning=count_phrase(env, round(figures["warning"] or 0), "day"),
        )
    else:
        text += _(", next order expected around %(next)s.", next=date_text(env, figures["next"]))
    if figures.get("chance") is not None:
        text += " " + _(
            "Learned from your history: %(chance)s%% chance of no order in the next %(horizon)s.",
            chance=round(figures["chance"] * 100),
            horizon=count_phrase(env, figures["horizon"], "day"),
        )
    return text
