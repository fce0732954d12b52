"""Zadarma: the PBX call notifications NOTIFY_END (an incoming call ended) and NOTIFY_OUT_END (an outgoing call
ended), https://zadarma.com/en/support/api/#api_webhooks and the official client's
lib/Webhook/NotifyEnd.php / NotifyOutEnd.php (github.com/zadarma/user-api-v1).

Form fields: ``event``, ``call_start`` (local time of the account's time zone), ``pbx_call_id`` (the call id),
``caller_id`` / ``called_did`` (NOTIFY_END: the customer and our number), ``internal`` (the extension) /
``destination`` (NOTIFY_OUT_END: the customer), ``duration`` (seconds), ``disposition`` ("answered", "busy",
"cancel", "no answer", "failed", ...).
Signature (header ``Signature``): base64 of the HMAC-SHA1, keyed with the account's API secret, of
caller_id + called_did + call_start (NOTIFY_END) or internal + destination + call_start (NOTIFY_OUT_END).
Other events (NOTIFY_START, NOTIFY_ANSWER, NOTIFY_RECORD...) carry no finished call: ignored. Zadarma checks a
new notification URL with GET ?zd_echo=<text>, answered with the text itself (``echo``)."""

import base64
import hashlib
import hmac
import re

from .common import Ignored, agent, field, iso, moment, seconds

END_EVENTS = {
    "NOTIFY_END": (("caller_id", "called_did", "call_start"), "inbound"),
    "NOTIFY_OUT_END": (("internal", "destination", "call_start"), "outbound"),
}
_ECHO = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def echo(value):
    """The text to answer a URL check with, or None when ``value`` is not a plausible check token."""
    return value if isinstance(value, str) and _ECHO.fullmatch(value) else None


def signature(secret, payload):
    """The Signature header Zadarma sends with an end-of-call ``payload`` (None for other events)."""
    spec = END_EVENTS.get(payload.get("event") if isinstance(payload.get("event"), str) else None)
    if not spec or not secret:
        return None
    message = "".join(str(payload.get(name) or "") for name in spec[0])
    digest = hmac.new(secret.encode(), message.encode("utf-8", "surrogatepass"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_valid(secret, payload, header):
    expected = signature(secret, payload)
    return bool(expected and isinstance(header, str) and hmac.compare_digest(expected, header.strip()))


def event_of(payload):
    event = field(payload, "event").upper()
    if event not in END_EVENTS:
        raise Ignored("event %s is not the end of a call" % (event or "(missing)"))
    return event


def ignored_reason(payload):
    """Why ``payload`` carries no finished call (another event), or None: an end of call, or an unreadable
    event, which the signature check then refuses."""
    try:
        event_of(payload)
    except Ignored as exc:
        return str(exc)
    except ValueError:
        return None
    return None


def to_rows(payload, tz=None):
    event = event_of(payload)
    call_id = field(payload, "pbx_call_id")
    if not call_id:
        raise ValueError("pbx_call_id is missing")
    answered = field(payload, "disposition").lower() == "answered"
    outbound = END_EVENTS[event][1] == "outbound"
    return [
        {
            "call_id": call_id,
            "number": field(payload, "destination") if outbound else field(payload, "caller_id"),
            "direction": END_EVENTS[event][1],
            "start": iso(moment(payload.get("call_start"), tz, "call_start")),
            "duration": seconds(payload.get("duration"), "duration") if answered else 0,
            "answered": answered,
            "agent": agent(extension=field(payload, "internal")),
        }
    ]
