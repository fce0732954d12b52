"""What every telephony adapter shares (no Odoo import): reading a provider's fields, its moments and its
seconds, and turning a form body into nested dicts.

* ``Ignored``: raised by an adapter for a notification that carries no finished call (a call that starts,
  rings or is answered): the request is answered 200 and nothing is stored.
* ``field(payload, *names)``: the first non-empty value of ``payload`` under one of ``names`` (a name may be a
  path "a.b" into nested dicts), as clean text (at most ``MAX_FIELD`` characters, no control characters);
  ValueError on a list, dict or over-long value.
* ``seconds(value, name)``: whole seconds (0 to 86400) from a number, "65", "1:05" or "00:01:05".
* ``moment(value, tz, name)``: naive UTC datetime from a Unix time (seconds, maybe with a fraction or in
  milliseconds), ISO-8601 with an offset or "Z", RFC 2822 ("Mon, 05 Jan 2026 10:00:00 +0000") or a local
  "YYYY-MM-DD HH:MM:SS" read in the time zone ``tz`` (the provider's account time zone).
* ``iso(moment)``: the intake's start text ("2026-01-05T10:00:00Z").
* ``nest_form(pairs)``: a form body's (key, value) pairs as nested dicts: "callDetails[employeeData][email]"
  becomes {"callDetails": {"employeeData": {"email": ...}}} (PHP's convention, which Binotel uses).
* ``stable_id(prefix, *parts)``: a call id derived from the call's own facts, for providers that send none.
* ``extension_of_channel(channel)``: "101" from an Asterisk channel name ("PJSIP/101-0000002a", "SIP/101-00a1",
  "Local/101@from-queue-00000012;1").
"""

import datetime
import email.utils
import hashlib
import re
import zoneinfo

from .. import call_verification as cv

MAX_FIELD = 256
MAX_KEYS = 500  # form fields of one request
MAX_DEPTH = 4  # brackets in a form key
_EPOCH = re.compile(r"[0-9]{9,13}(?:\.[0-9]{1,9})?")
_LOCAL = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?)(?:\.[0-9]{1,9})?")
_US = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?: ?([AaPp][Mm]))?")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_CHANNEL = re.compile(r"^[A-Za-z0-9_]+/([^-@/;]+)")


class Ignored(Exception):
    """A notification that carries no finished call: answered 200, nothing stored."""


def _get(payload, name):
    value = payload
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def field(payload, *names, limit=MAX_FIELD):
    """First non-empty value under one of ``names`` as clean text ("" when none)."""
    for name in names:
        value = _get(payload, name)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, float):
            value = repr(value)
        text = cv.clean_text(value, name, limit)
        if text:
            return text
    return ""


def seconds(value, name):
    """Whole seconds of ``value`` (see call_verification.parse_duration), the field named in errors."""
    try:
        return cv.parse_duration(value if not isinstance(value, str) else value.strip())
    except ValueError as exc:
        raise ValueError(str(exc).replace("duration", name, 1)) from None


def moment(value, tz, name):
    """Naive UTC datetime of ``value`` (see the module's docstring); ValueError when unreadable."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int | float) else None
    if isinstance(value, bool) or not text or not text.strip():
        raise ValueError("%s is missing" % name)
    text = cv.clean_text(text, name, 64)
    try:
        return _moment(text, tz)
    except (ValueError, OverflowError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise ValueError("%s %s is not a date and time" % (name, cv.safe_text(text))) from None


def _moment(text, tz):
    if _EPOCH.fullmatch(text):
        stamp = float(text)
        if stamp > 10**11:  # milliseconds
            stamp /= 1000.0
        return datetime.datetime.fromtimestamp(int(stamp), datetime.timezone.utc).replace(tzinfo=None)
    if "," in text[:5] or re.search(r" [+-][0-9]{4}$| GMT$", text):
        parsed = email.utils.parsedate_to_datetime(text)
        return _utc(parsed, tz)
    match = _US.fullmatch(text)
    if match:  # .NET's default rendering of a DateTime (3CX): "1/5/2026 10:00:00 AM", in UTC
        month, day, year, hour, minute, second, half = match.groups()
        hour = int(hour) % 12 + (12 if half and half.lower() == "pm" else 0) if half else int(hour)
        return datetime.datetime(int(year), int(month), int(day), hour, int(minute), int(second))
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        parsed = datetime.datetime.fromisoformat(iso)
    except ValueError:
        match = _LOCAL.match(text)
        if not match:
            raise
        parsed = datetime.datetime.fromisoformat("%sT%s" % match.groups())
    return _utc(parsed, tz)


def _utc(parsed, tz):
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zoneinfo.ZoneInfo(tz or "UTC"))
    return parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def iso(value):
    return value.replace(microsecond=0).isoformat() + "Z"


def nest_form(pairs):
    """Nested dicts of a form body's (key, value) pairs (bracket keys); ValueError when too large or deep."""
    pairs = list(pairs)
    if len(pairs) > MAX_KEYS:
        raise ValueError("too many form fields (at most %d)" % MAX_KEYS)
    result = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        parts = [head] + _BRACKETS.findall(key[len(head) :])
        if len(parts) > MAX_DEPTH + 1 or not head:
            raise ValueError("form field %s is not supported" % cv.safe_text(key))
        node = result
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError("form field %s is given twice" % cv.safe_text(key))
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ValueError("form field %s is given twice" % cv.safe_text(key))
        node[parts[-1]] = value
    return result


def stable_id(prefix, *parts):
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()
    return "%s-%s" % (prefix, digest[:32])


def extension_of_channel(channel):
    match = _CHANNEL.match(channel or "")
    return match.group(1) if match else ""


def agent(**hints):
    """The agent hints of a row, without empty values."""
    return {key: value for key, value in hints.items() if value}
