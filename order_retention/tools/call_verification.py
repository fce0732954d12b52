"""Pure helpers of the call log (no Odoo import): parsing telephony input and deciding which
logged call, if any, verifies a follow-up activity.

* ``strip_extension(number)``: drop "x12", "ext. 12", ";ext=12", "#12" tails before normalising.
* ``clean_text(value, name, max_length)``: a field of an input row as clean text (str or int only; no
  NUL, control characters or lone surrogates; bounded length); ValueError otherwise.
* ``safe_text(value)``: a short printable rendering of any input value for an error message (never
  echoes lone surrogates or NULs, which would break a JSON reply).
* ``parse_number(value)``: the raw phone number of a row (with at least 3 digits); ValueError otherwise.
* ``parse_duration(value)``: whole seconds, 0 to 86400, from 65, 65.9 (→ 65: a fraction never rounds
  a call up to the minimum), "65", "1:05" (m:ss) or "00:01:05" (h:mm:ss) with minutes and seconds
  below 60; ValueError otherwise (NaN, infinities, exponents, 10**400, "1:99", negatives).
* ``parse_start(value, now=None)``: naive UTC datetime from ISO-8601 (with or without offset / "Z") or
  "YYYY-MM-DD HH:MM[:SS]", between 1990 and 2100 and, when ``now`` is given, not more than
  ``FUTURE_TOLERANCE`` after it; ValueError otherwise.
* ``parse_direction(value)``: 'inbound' or 'outbound' from in/inbound/incoming/out/outbound/outgoing.
* ``parse_answered(value)``: True or False from a boolean, 1/0 or "true"/"false"/"yes"/"no"/"answered"
  (missing means answered: the generic intake's rows are answered calls unless they say otherwise).
* ``choose_call(created, calls, min_seconds)``: the call that verifies an activity created at
  ``created``: verified, started at or after ``created``, matched through a number the customer had
  before ``created`` (``number_since`` missing or not later), at least ``min_seconds`` long, not used
  for another activity, answered (an unanswered attempt has no talk time, whatever its length says); the
  earliest such call wins. Returns ``(call, None)`` or ``(None, (reason, details))`` with reason in no_call /
  unverified_only / before_activity / number_changed / unanswered_only / too_short / already_used and
  ``details`` the numbers for the user's message.
"""

import datetime
import math
import re

_EXTENSION = re.compile(r"\s*(?:;\s*ext\s*=|\bext\.?|\bextension|\bx|#)\s*\d+\s*$", re.IGNORECASE)
_DIRECTIONS = {
    "in": "inbound",
    "inbound": "inbound",
    "incoming": "inbound",
    "i": "inbound",
    "out": "outbound",
    "outbound": "outbound",
    "outgoing": "outbound",
    "o": "outbound",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_INTEGER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: "٣٠" is not a PBX duration
_DECIMAL = re.compile(r"[0-9]{1,9}\.[0-9]{1,9}")
_MINUTES = re.compile(r"([0-9]{1,6}):([0-5]?[0-9])")
_HOURS = re.compile(r"([0-9]{1,4}):([0-5]?[0-9]):([0-5]?[0-9])")
MAX_DURATION = 24 * 3600
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


def strip_extension(number):
    return _EXTENSION.sub("", (number or "").strip())


def safe_text(value, limit=40):
    """Printable, JSON-safe rendering of ``value`` for error messages, at most ``limit`` characters."""
    if isinstance(value, dict | list | tuple):
        return "<%s>" % type(value).__name__
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return "<a %d-digit number>" % len(str(abs(value))) if abs(value) < 10**4000 else "<a huge number>"
    text = value if isinstance(value, str) else repr(value) if isinstance(value, int | float) else type(value).__name__
    text = _CONTROL.sub("?", text[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


def clean_text(value, name, max_length):
    """``value`` of field ``name`` as stripped text: str or int only, no control characters or lone
    surrogates, at most ``max_length`` characters. Missing (None/empty) gives ""."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("%s must be text, not %s" % (name, type(value).__name__))
    if isinstance(value, int):
        if abs(value) >= 10**30:
            raise ValueError("%s is too long (at most %d characters)" % (name, max_length))
        value = str(value)
    if len(value) > max_length:
        raise ValueError("%s is too long (at most %d characters)" % (name, max_length))
    if _CONTROL.search(value):
        raise ValueError("%s contains control characters or invalid unicode" % name)
    return value.strip()


def parse_number(value):
    number = clean_text(value, "number", 64)
    if not number:
        raise ValueError("number is missing")
    if sum(ch.isdigit() for ch in strip_extension(number)) < 3:
        raise ValueError("number %s has fewer than 3 digits (before any extension)" % safe_text(number))
    return number


def parse_duration(value):
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("duration is missing")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("duration %s is not a number of seconds" % safe_text(value))
        seconds = math.floor(value) if value >= 0 else -1
    elif isinstance(value, str):
        seconds = _parse_duration_text(value)
    else:
        raise ValueError("duration must be a number of seconds, not %s" % type(value).__name__)
    if not 0 <= seconds <= MAX_DURATION:
        raise ValueError("duration %s is out of range (0 to 86400 seconds)" % safe_text(value))
    return int(seconds)


def _parse_duration_text(value):
    text = value.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return int(text.split(".")[0])  # whole seconds: a fraction never rounds a call up
    match = _MINUTES.fullmatch(text)
    if match:
        return int(match[1]) * 60 + int(match[2])
    match = _HOURS.fullmatch(text)
    if match:
        return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])
    raise ValueError("duration %s is not whole seconds, m:ss or h:mm:ss" % safe_text(value))


def parse_start(value, now=None):
    if not value or not isinstance(value, str):
        raise ValueError("start is missing (ISO-8601 date and time expected)")
    text = clean_text(value, "start", 40)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    except ValueError:
        raise ValueError("start %s is not an ISO-8601 date and time" % safe_text(value)) from None
    except OverflowError:
        raise ValueError("start %s is out of range (1990 to 2100)" % safe_text(value)) from None
    if not 1990 <= moment.year <= 2100:
        raise ValueError("start %s is out of range (1990 to 2100)" % safe_text(value))
    if now is not None and moment > now + FUTURE_TOLERANCE:
        raise ValueError(
            "start %s is in the future (more than 5 minutes after the server's time %s UTC)"
            % (safe_text(value), now.replace(microsecond=0).isoformat(sep=" "))
        )
    return moment


def parse_direction(value):
    direction = _DIRECTIONS.get(value.strip().lower()) if isinstance(value, str) else None
    if not direction:
        raise ValueError("direction %s is not one of inbound/outbound" % safe_text(value))
    return direction


_ANSWERED = {"1": True, "true": True, "yes": True, "answered": True, "0": False, "false": False, "no": False}
_ANSWERED["unanswered"] = False


def parse_answered(value):
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    answered = _ANSWERED.get(value.strip().lower()) if isinstance(value, str) else None
    if answered is None:
        raise ValueError("answered %s is not true or false" % safe_text(value))
    return answered


def choose_call(created, calls, min_seconds):
    """``calls``: iterable of dicts with id, start, duration, verified, used (bool)."""
    calls = sorted(calls, key=lambda c: (c["start"], c["id"]))
    if not calls:
        return None, ("no_call", {})
    verified = [c for c in calls if c["verified"]]
    if not verified:
        return None, ("unverified_only", {"count": len(calls)})
    after = [c for c in verified if c["start"] >= created]
    if not after:
        return None, ("before_activity", {"last": verified[-1]["start"]})
    # a number put on the customer after the follow-up was created proves nothing about the customer
    after = [c for c in after if not c.get("number_since") or c["number_since"] <= created]
    if not after:
        return None, ("number_changed", {})
    answered = [c for c in after if c.get("answered", True)]
    if not answered:
        return None, ("unanswered_only", {"count": len(after)})
    long_enough = [c for c in answered if c["duration"] >= min_seconds]
    if not long_enough:
        return None, ("too_short", {"longest": max(c["duration"] for c in answered), "minimum": min_seconds})
    free = [c for c in long_enough if not c["used"]]
    if not free:
        return None, ("already_used", {"count": len(long_enough)})
    return free[0], None
