"""Twilio: the voice status callback of a call (https://www.twilio.com/docs/voice/api/call-resource#statuscallback
and https://www.twilio.com/docs/usage/webhooks/voice-webhooks), signed with ``X-Twilio-Signature``
(https://www.twilio.com/docs/usage/webhooks/webhooks-security), checked with the ``twilio`` library's
RequestValidator and the account's Auth Token.

Form fields: ``CallSid`` (the call id), ``AccountSid``, ``CallStatus`` (queued, ringing, in-progress: not final,
ignored; completed: answered; busy, no-answer, failed, canceled: unanswered), ``CallDuration`` (seconds of the
completed call, counted from the answer), ``From`` / ``To``, ``Direction`` (inbound; outbound-api,
outbound-dial: the customer is ``To``), ``Timestamp`` (RFC 2822, when the event fired: the end of the call).
The agent is a Twilio Client identity ("client:alice" in From or To) or, else, the Twilio number of our side."""

import datetime

from .common import Ignored, agent, field, iso, moment, seconds

FINAL = {"completed": True, "busy": False, "no-answer": False, "failed": False, "canceled": False}


class MissingLibrary(Exception):
    """The ``twilio`` library is not installed."""


def signature_valid(auth_token, url, params, signature):
    """True when ``signature`` signs ``url`` and the form ``params`` with ``auth_token`` (Twilio's own
    validator, imported on first use: the module works without the library, Twilio's intake does not)."""
    try:
        from twilio.request_validator import RequestValidator  # noqa: PLC0415 - optional, see the docstring
    except ImportError as exc:
        raise MissingLibrary(str(exc)) from None
    if not (auth_token and signature):
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def to_rows(payload, tz=None):
    status = field(payload, "CallStatus").lower()
    if status not in FINAL:
        raise Ignored("CallStatus %s is not a finished call" % (status or "(missing)"))
    call_id = field(payload, "CallSid")
    if not call_id:
        raise ValueError("CallSid is missing")
    answered = FINAL[status]
    talk = seconds(payload.get("CallDuration") or 0, "CallDuration") if answered else 0
    end = moment(payload.get("Timestamp"), "UTC", "Timestamp")
    start = end - datetime.timedelta(seconds=talk)
    caller, called = field(payload, "From"), field(payload, "To")
    if caller.lower().startswith("client:"):  # a browser (Twilio Client) agent called the customer
        outbound, identity, number = True, caller[7:], called
    elif called.lower().startswith("client:"):  # the customer's call reached a browser agent
        outbound, identity, number = False, called[7:], caller
    else:
        outbound = field(payload, "Direction").lower().startswith("outbound")
        identity, number = (caller, called) if outbound else (called, caller)
    return [
        {
            "call_id": call_id,
            "number": number,
            "direction": "outbound" if outbound else "inbound",
            "start": iso(start),
            "duration": talk,
            "answered": answered,
            "agent": agent(extension=identity),
        }
    ]
