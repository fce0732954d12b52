"""Ringostat: a Webhooks 2.0 webhook on the events "After call" and "After outgoing call"
(https://help.ringostat.com/en/articles/6313229-how-to-realise-the-ringostat-integration-using-webhooks and
https://help.ringostat.com/en/articles/6559993-webhooks-incoming-call-event). Ringostat sends the parameters
the webhook lists, under the names given there; set these names (README, Ringostat):
``uniqueid`` (Call ID), ``caller`` (Caller number), ``dst`` (Destination number), ``calldate`` (Call date; any
of Ringostat's date formats), ``billsec`` (Talk time), ``disposition`` (Call status: ANSWERED or PROPER is
answered, NO ANSWER, BUSY, FAILED... are not), ``employee`` (the employee's extension or SIP login) and
``employee_email``; an optional ``direction`` (the outgoing webhook's URL adds ``&direction=out``).
Ringostat signs nothing: the URL carries the company's token (?token=...)."""

from .common import agent, field, iso, moment, seconds

ANSWERED = ("ANSWERED", "ANSWER", "PROPER")


def to_rows(payload, tz=None):
    call_id = field(payload, "uniqueid", "call_id")
    if not call_id:
        raise ValueError("uniqueid is missing")
    disposition = field(payload, "disposition", "call_status").upper()
    if not disposition:
        raise ValueError("disposition is missing (ANSWERED, NO ANSWER, BUSY, FAILED)")
    answered = disposition in ANSWERED
    outbound = field(payload, "direction", "call_type").lower() in ("out", "outbound", "outgoing", "1")
    return [
        {
            "call_id": call_id,
            "number": field(payload, "dst") if outbound else field(payload, "caller"),
            "direction": "outbound" if outbound else "inbound",
            "start": iso(moment(payload.get("calldate"), tz, "calldate")),
            "duration": seconds(payload.get("billsec"), "billsec") if answered else 0,
            "answered": answered,
            "agent": agent(
                extension=field(payload, "employee", "employee_ext") or (field(payload, "caller") if outbound else ""),
                email=field(payload, "employee_email"),
            ),
        }
    ]
