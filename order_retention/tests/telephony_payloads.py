"""Finished-call records as each provider sends them (field names and formats from the documentation pages
listed in docs/telephony_sources.md), shared by the adapters' unit tests, the HTTP tests and the fuzz suite.

Each maker takes the call id, the customer's number, the moment the call started (naive UTC), the talk time,
the ringing time and whether it was answered, and returns (payload, content type): "form" or "json"."""

import datetime
import zoneinfo

KYIV = "Europe/Kyiv"


def local(moment, tz):
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(zoneinfo.ZoneInfo(tz)).replace(tzinfo=None)


def epoch(moment):
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())


def asterisk(call_id, number, start, talk, ring, answered=True, agent="101", tz=KYIV):
    """The CDR variables a hangup handler posts with CURL() (a form), start in the PBX's local time."""
    return (
        {
            "uniqueid": call_id,
            "src": agent,
            "dst": number,
            "start": local(start, tz).strftime("%Y-%m-%d %H:%M:%S"),
            "answer": local(start + datetime.timedelta(seconds=ring), tz).strftime("%Y-%m-%d %H:%M:%S")
            if answered
            else "",
            "billsec": str(talk if answered else 0),
            "duration": str(ring + (talk if answered else 0)),
            "disposition": "ANSWERED" if answered else "NO ANSWER",
            "accountcode": "",
            "channel": "PJSIP/%s-0000002a" % agent,
        },
        "form",
    )


def threecx(call_id, number, start, talk, ring, answered=True, agent="101", tz=None):
    """Our 3CX template's call journaling (JSON); 3CX sends no call id (``call_id`` is unused)."""
    established = start + datetime.timedelta(seconds=ring)
    end = established + datetime.timedelta(seconds=talk if answered else 0)
    return (
        {
            "call_type": "Outbound" if answered else "Notanswered",
            "number": number,
            "agent": agent,
            "agent_email": "",
            "duration": "%02d:%02d:%02d" % (talk // 3600, talk % 3600 // 60, talk % 60) if answered else "00:00:00",
            "start_utc": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "established_utc": established.strftime("%Y-%m-%dT%H:%M:%SZ") if answered else "",
            "end_utc": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "json",
    )


def twilio(call_id, number, start, talk, ring, answered=True, agent="alice", tz=None):
    """A voice status callback (a form): the call of a browser agent (client:<identity>) to the customer."""
    end = start + datetime.timedelta(seconds=ring + (talk if answered else 0))
    payload = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": call_id,
        "CallStatus": "completed" if answered else "no-answer",
        "Direction": "inbound",
        "From": "client:%s" % agent,
        "To": number,
        "Timestamp": end.strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "CallbackSource": "call-progress-events",
        "SequenceNumber": "0",
    }
    if answered:
        payload["CallDuration"] = str(talk)
    return payload, "form"


def zadarma(call_id, number, start, talk, ring, answered=True, agent="100", tz=KYIV):
    """NOTIFY_OUT_END (a form), call_start in the account's time zone."""
    return (
        {
            "event": "NOTIFY_OUT_END",
            "call_start": local(start, tz).strftime("%Y-%m-%d %H:%M:%S"),
            "pbx_call_id": call_id,
            "caller_id": "+380441110000",
            "internal": agent,
            "destination": number,
            "duration": str(talk if answered else 0),
            "disposition": "answered" if answered else "no answer",
            "status_code": "16" if answered else "19",
            "is_recorded": "0",
            "call_id_with_rec": "",
        },
        "form",
    )


def binotel(call_id, number, start, talk, ring, answered=True, agent="901", tz=None):
    """apiCallCompleted (a form with callDetails[...] keys), startTime a Unix time."""
    details = {
        "companyID": "12345",
        "generalCallID": call_id,
        "callID": call_id + "1",
        "startTime": str(epoch(start)),
        "callType": "1",
        "internalNumber": agent,
        "externalNumber": number,
        "waitsec": str(ring),
        "billsec": str(talk if answered else 0),
        "disposition": "ANSWER" if answered else "NOANSWER",
        "isNewCall": "0",
        "employeeData[name]": "Ann",
        "employeeData[email]": "",
    }
    payload = {"requestType": "apiCallCompleted", "attemptsCounter": "1"}
    for key, value in details.items():  # employeeData[name] -> callDetails[employeeData][name]
        payload["callDetails[" + (key.replace("[", "][", 1) if "[" in key else key + "]")] = value
    return payload, "form"


def ringostat(call_id, number, start, talk, ring, answered=True, agent="201", tz=KYIV):
    """The "After outgoing call" webhook with the parameter names of the README (a form)."""
    return (
        {
            "uniqueid": call_id,
            "caller": agent,
            "dst": number,
            "calldate": local(start, tz).strftime("%Y-%m-%d %H:%M:%S"),
            "billsec": str(talk if answered else 0),
            "duration": str(ring + (talk if answered else 0)),
            "disposition": "ANSWERED" if answered else "NO ANSWER",
            "employee": agent,
            "direction": "out",
        },
        "form",
    )


MAKERS = {
    "asterisk": asterisk,
    "3cx": threecx,
    "twilio": twilio,
    "zadarma": zadarma,
    "binotel": binotel,
    "ringostat": ringostat,
}
