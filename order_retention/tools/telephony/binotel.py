"""Binotel: the apiCallCompleted webhook (http://developers.binotel.ua/ "WebHooks"; field names as in the
API's call records, e.g. the open-source client github.com/sashalenz/binotel-api, StatData.php and
EmployeeData.php).

A form POST with ``requestType=apiCallCompleted`` and ``callDetails[...]``: ``generalCallID`` (the call id,
the same through transfers), ``startTime`` (Unix time), ``callType`` (0 incoming, 1 outgoing),
``externalNumber`` (the customer), ``internalNumber`` (the extension), ``waitsec`` (ringing), ``billsec`` (the
talk time), ``disposition`` (ANSWER, TRANSFER: answered; BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL, VM...:
not), ``employeeData[email]``. Other request types (apiCallSettings, received, answered...) are ignored.
Binotel signs nothing: the URL carries the company's token (?token=...). Binotel expects
{"status": "success"} in the answer (``ACK``)."""

from .common import Ignored, agent, field, iso, moment, seconds

ANSWERED = ("ANSWER", "TRANSFER")
ACK = {"status": "success"}


def to_rows(payload, tz=None):
    request_type = field(payload, "requestType")
    if request_type != "apiCallCompleted":
        raise Ignored("requestType %s is not apiCallCompleted" % (request_type or "(missing)"))
    details = payload.get("callDetails")
    if not isinstance(details, dict):
        raise ValueError("callDetails is missing")
    call_id = field(details, "generalCallID", "callID")
    if not call_id:
        raise ValueError("callDetails[generalCallID] is missing")
    call_type = field(details, "callType")
    if call_type not in ("0", "1"):
        raise ValueError("callDetails[callType] %s is not 0 (incoming) or 1 (outgoing)" % (call_type or "(missing)"))
    answered = field(details, "disposition").upper() in ANSWERED
    return [
        {
            "call_id": call_id,
            "number": field(details, "externalNumber"),
            "direction": "outbound" if call_type == "1" else "inbound",
            "start": iso(moment(details.get("startTime"), tz, "callDetails[startTime]")),
            "duration": seconds(details.get("billsec"), "callDetails[billsec]") if answered else 0,
            "answered": answered,
            "agent": agent(
                extension=field(details, "internalNumber", "employeeData.internalNumber"),
                email=field(details, "employeeData.email"),
            ),
        }
    ]
