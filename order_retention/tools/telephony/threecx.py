"""3CX: the call journaling of a server-side CRM integration template (ours:
static/telephony/3cx_odoo_retention.xml), https://www.3cx.com/docs/crm-template-xml-description/ ("Call
Journaling").

3CX's variables: ``[CallType]`` (Inbound, Outbound, Missed, Notanswered), ``[Number]`` (the customer's number),
``[Agent]`` (the extension), ``[AgentEmail]``, ``[Duration]`` (the talk time, hh:mm:ss),
``[CallStartTimeUTC]``, ``[CallEstablishedTimeUTC]`` (answered), ``[CallEndTimeUTC]``. Our template posts them
as JSON under the keys call_type, number, agent, agent_email, duration, start_utc, established_utc and
end_utc; the variables' own names are read too, for a hand-written template.
3CX sends no call id: it is derived from the number, the agent, the start and the call type, so the same
journal entry sent twice is one call. The talk time is established to end when both are given, else
``[Duration]``; a Missed or Notanswered call, or one never established, is unanswered (0 s)."""

from .common import agent, field, iso, moment, seconds, stable_id

TYPES = {"inbound": ("inbound", True), "outbound": ("outbound", True), "missed": ("inbound", False)}
TYPES["notanswered"] = ("outbound", False)


def to_rows(payload, tz=None):
    call_type = field(payload, "call_type", "CallType").replace(" ", "").lower()
    if call_type not in TYPES:
        raise ValueError("CallType %s is not Inbound, Outbound, Missed or Notanswered" % (call_type or "(missing)"))
    direction, answered = TYPES[call_type]
    number = field(payload, "number", "Number")
    start_text = field(payload, "start_utc", "CallStartTimeUTC")
    start = moment(start_text, "UTC", "CallStartTimeUTC")
    established = field(payload, "established_utc", "CallEstablishedTimeUTC")
    end = field(payload, "end_utc", "CallEndTimeUTC")
    talk = 0
    if answered and established and end:
        talk = int(
            (
                moment(end, "UTC", "CallEndTimeUTC") - moment(established, "UTC", "CallEstablishedTimeUTC")
            ).total_seconds()
        )
        if talk < 0:
            raise ValueError("CallEndTimeUTC is before CallEstablishedTimeUTC")
    elif answered:
        duration = field(payload, "duration", "Duration")
        talk = seconds(duration.split(".")[0], "Duration") if duration else 0
        answered = bool(duration)
    agent_ext = field(payload, "agent", "Agent")
    return [
        {
            "call_id": stable_id("3cx", number, agent_ext, iso(start), call_type),
            "number": number,
            "direction": direction,
            "start": iso(start),
            "duration": talk,
            "answered": answered,
            "agent": agent(extension=agent_ext, email=field(payload, "agent_email", "AgentEmail")),
        }
    ]
