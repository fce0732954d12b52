"""Asterisk / FreePBX: the CDR of a finished call, sent by a hangup handler with CURL() (a form body) or
SHELL(curl ...) (a form or JSON body).

Fields (the CDR variables of the channel, https://docs.asterisk.org/Configuration/Reporting/Call-Detail-Records-CDR/):
``uniqueid`` (the call id), ``src`` / ``dst`` (caller and called numbers), ``start`` and ``answer`` (local
"YYYY-MM-DD HH:MM:SS" of the PBX's time zone, or Unix times with ${CDR(start,u)}), ``billsec`` (answer to
hang-up: the talk time), ``duration`` (start to hang-up, ringing included: never used as the length),
``disposition`` (ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION), ``accountcode`` (the agent, when the PBX sets
one per extension), ``channel`` / ``dstchannel`` (the agent's extension from "PJSIP/101-0000002a"), and an
optional ``direction`` (inbound/outbound; else an internal caller, an extension of at most ``INTERNAL_DIGITS``
digits, means an outbound call).
Only an ANSWERED call is answered; its length is ``billsec``; any other disposition is stored with 0 s."""

from .common import agent, extension_of_channel, field, iso, moment, seconds

INTERNAL_DIGITS = 5


def _internal(number):
    digits = "".join(ch for ch in number if ch.isdigit())
    return bool(number) and len(digits) <= INTERNAL_DIGITS and len(digits) == len(number.strip().lstrip("+"))


def to_rows(payload, tz=None):
    call_id = field(payload, "uniqueid", "linkedid")
    if not call_id:
        raise ValueError("uniqueid is missing")
    src, dst = field(payload, "src"), field(payload, "dst")
    disposition = field(payload, "disposition").upper()
    if not disposition:
        raise ValueError("disposition is missing (ANSWERED, NO ANSWER, BUSY, FAILED)")
    answered = disposition == "ANSWERED"
    talk = seconds(payload.get("billsec"), "billsec") if answered else 0
    if answered and payload.get("duration") not in (None, "") and talk > seconds(payload.get("duration"), "duration"):
        raise ValueError("billsec (%s s) is longer than duration: the CDR variables are swapped" % talk)
    direction = field(payload, "direction").lower()
    if direction not in ("inbound", "outbound", "in", "out"):
        direction = "outbound" if _internal(src) and not _internal(dst) else "inbound"
    outbound = direction.startswith("out")
    channel = field(payload, "channel" if outbound else "dstchannel", "channel")
    return [
        {
            "call_id": call_id,
            "number": dst if outbound else src,
            "direction": "outbound" if outbound else "inbound",
            "start": iso(moment(payload.get("start"), tz, "start")),
            "duration": talk,
            "answered": answered,
            "agent": agent(
                extension=field(payload, "accountcode") or extension_of_channel(channel) or (src if outbound else "")
            ),
        }
    ]
