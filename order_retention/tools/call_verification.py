"""Pure helpers of the call log (no Odoo import): parsing telephony input and deciding which
logged call, if any, verifies a follow-up activity.

* ``strip_extension(number)``: drop "x12", "ext. 12", ";ext=12", "#12" tails before normalising.
* ``parse_duration(value)``: seconds from 65, "65", "65.4", "1:05" or "00:01:05"; ValueError otherwise.
* ``parse_start(value)``: naive UTC datetime from ISO-8601 (with or without offset / "Z") or
  "YYYY-MM-DD HH:MM[:SS]"; ValueError otherwise.
* ``parse_direction(value)``: 'inbound' or 'outbound' from in/inbound/incoming/out/outbound/outgoing.
* ``choose_call(created, calls, min_seconds)``: the call that verifies an activity created at
  ``created``: verified, at least ``min_seconds`` long, started at or after ``created``, not used
  for another activity; the earliest such call wins. Returns ``(call, None)`` or
  ``(None, (reason, details))`` with reason in no_call / unverified_only / before_activity /
  too_short / already_used and ``details`` the numbers for the user's message.
"""
import datetime
import re

_EXTENSION = re.compile(r"\s*(?:;\s*ext\s*=|\bext\.?|\bextension|\bx|#)\s*\d+\s*$", re.IGNORECASE)
_DIRECTIONS = {
    "in": "inbound", "inbound": "inbound", "incoming": "inbound", "i": "inbound",
    "out": "outbound", "outbound": "outbound", "outgoing": "outbound", "o": "outbound",
}
MAX_DURATION = 24 * 3600


def strip_extension(number):
    return _EXTENSION.sub("", (number or "").strip())


def parse_duration(value):
    if isinstance(value, bool) or value is None:
        raise ValueError("duration is missing")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d+(?::\d{1,2}){1,2}", text):
            seconds = 0.0
            for part in text.split(":"):
                seconds = seconds * 60 + int(part)
        else:
            try:
                seconds = float(text)
            except ValueError:
                raise ValueError("duration %r is not a number of seconds" % (value,)) from None
    if seconds != seconds or seconds < 0 or seconds > MAX_DURATION:
        raise ValueError("duration %r is out of range (0 to 86400 seconds)" % (value,))
    return int(round(seconds))


def parse_start(value):
    if not value or not isinstance(value, str):
        raise ValueError("start is missing (ISO-8601 date and time expected)")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("start %r is not an ISO-8601 date and time" % (value,)) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if not 1990 <= moment.year <= 2100:
        raise ValueError("start %r is out of range" % (value,))
    return moment


def parse_direction(value):
    direction = _DIRECTIONS.get(str(value or "").strip().lower())
    if not direction:
        raise ValueError("direction %r is not one of inbound/outbound" % (value,))
    return direction


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
    long_enough = [c for c in after if c["duration"] >= min_seconds]
    if not long_enough:
        return None, ("too_short", {"longest": max(c["duration"] for c in after), "minimum": min_seconds})
    free = [c for c in long_enough if not c["used"]]
    if not free:
        return None, ("already_used", {"count": len(long_enough)})
    return free[0], None
