"""The telephony adapters on their own (no database): each provider's documented record mapped to the intake's
row (talk time, never the ringing; unanswered calls kept with 0 s), its signature helpers, and a seeded fuzz of
every mapper (a malformed record is a ValueError with a reason, never another exception)."""

import base64
import datetime
import hashlib
import hmac
import math
import random
from xml.etree import ElementTree

from odoo.tests import BaseCase, tagged
from odoo.tools.misc import file_path

from ..tools import call_verification as cv
from ..tools import telephony
from ..tools.telephony import common
from ..tools.telephony import twilio as tel_twilio
from ..tools.telephony import zadarma as tel_zadarma
from . import telephony_payloads as payloads

START = datetime.datetime(2026, 1, 5, 10, 0, 0)  # naive UTC
NUMBER = "+380441234567"
SEED = 20260524


def rows(provider, payload, kind, tz=payloads.KYIV):
    body = common.nest_form(payload.items()) if kind == "form" else payload
    return telephony.rows_of(provider, body, tz)


@tagged("post_install", "-at_install", "order_retention")
class TestToolsTelephony(BaseCase):
    def _one(self, provider, **kw):
        payload, kind = payloads.MAKERS[provider]("C-1", NUMBER, START, **kw)
        result, ignored = rows(provider, payload, kind)
        self.assertIsNone(ignored)
        self.assertEqual(len(result), 1)
        return result[0]

    def test_answered_call_every_provider(self):
        """A realistic answered call of each provider: the customer's number, outbound, the start in UTC (local
        times read in the account's time zone), the talk time and the agent."""
        agents = {"asterisk": "101", "3cx": "101", "twilio": "alice", "zadarma": "100", "binotel": "901"}
        agents["ringostat"] = "201"
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                row = self._one(provider, talk=47, ring=9)
                self.assertEqual(row["number"], NUMBER)
                self.assertEqual(row["direction"], "outbound")
                self.assertTrue(row["answered"])
                self.assertEqual(row["duration"], 47)
                self.assertEqual(row["agent"].get("extension"), agents[provider])
                start = cv.parse_start(row["start"])
                expected = START + datetime.timedelta(seconds=9) if provider == "twilio" else START
                self.assertEqual(start, expected, "Twilio's start is its answer: end minus CallDuration")
                self.assertTrue(row["call_id"])

    def test_unanswered_call_every_provider(self):
        """An unanswered call (no answer) is a row with answered False and 0 s, whatever the ringing."""
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                row = self._one(provider, talk=0, ring=25, answered=False)
                self.assertFalse(row["answered"])
                self.assertEqual(row["duration"], 0)

    def test_long_ring_short_talk(self):
        """40 s of ringing and 6 s of talk: the row says 6 s (Asterisk's duration, Binotel's waitsec, 3CX's time
        before CallEstablishedTimeUTC and Ringostat's duration are never the length)."""
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                self.assertEqual(self._one(provider, talk=6, ring=40)["duration"], 6)

    def test_asterisk_duration_not_billsec_is_refused(self):
        """An integrator who swapped billsec and duration (billsec longer than the whole call) gets a reason."""
        payload, _kind = payloads.asterisk("A-1", NUMBER, START, 8, 25)
        payload.update(billsec="33", duration="8")
        with self.assertRaisesRegex(ValueError, "billsec"):
            rows("asterisk", payload, "form")

    def test_asterisk_epoch_start_inbound_and_channel_agent(self):
        """${CDR(start,u)} (a Unix time with microseconds) and an inbound call: the customer is src and the agent the
        extension of dstchannel; an accountcode wins over the channel."""
        payload = {
            "uniqueid": "1767607200.77",
            "src": "0441234567",
            "dst": "101",
            "start": "%d.123456" % payloads.epoch(START),
            "billsec": "30",
            "disposition": "ANSWERED",
            "channel": "PJSIP/trunk-00000001",
            "dstchannel": "PJSIP/101-00000002",
        }
        row = rows("asterisk", payload, "form")[0][0]
        self.assertEqual(
            (row["direction"], row["number"], row["agent"]), ("inbound", "0441234567", {"extension": "101"})
        )
        self.assertEqual(cv.parse_start(row["start"]), START)
        payload["accountcode"] = "ann"
        self.assertEqual(rows("asterisk", payload, "form")[0][0]["agent"], {"extension": "ann"})
        self.assertEqual(common.extension_of_channel("Local/205@from-queue-00000012;1"), "205")

    def test_threecx_stable_id_and_missed(self):
        """3CX sends no call id: the same journal entry gives the same id, another start another id; a Missed call
        is an unanswered inbound call; .NET's default date rendering is read."""
        payload, _kind = payloads.threecx(None, NUMBER, START, 30, 5)
        first = rows("3cx", payload, "json")[0][0]["call_id"]
        self.assertEqual(rows("3cx", dict(payload), "json")[0][0]["call_id"], first)
        self.assertNotEqual(
            rows("3cx", dict(payload, start_utc="2026-01-05T10:00:01Z"), "json")[0][0]["call_id"], first
        )
        missed = rows("3cx", dict(payload, call_type="Missed", start_utc="1/5/2026 10:00:00 AM"), "json")[0][0]
        self.assertEqual((missed["direction"], missed["answered"], missed["duration"]), ("inbound", False, 0))
        self.assertEqual(cv.parse_start(missed["start"]), START)
        bracket = {
            "CallType": "Inbound",
            "Number": NUMBER,
            "Agent": "101",
            "Duration": "00:01:05",
            "CallStartTimeUTC": "2026-01-05 10:00:00",
        }
        self.assertEqual(rows("3cx", bracket, "json")[0][0]["duration"], 65)

    def test_threecx_template_posts_what_the_adapter_reads(self):
        """The shipped 3CX template is well-formed XML, authenticates with Basic (the token as user), journals calls
        (scenario ReportCall) and posts every key the adapter reads, each from the 3CX variable it stands for."""
        root = ElementTree.parse(file_path("order_retention/static/telephony/3cx_odoo_retention.xml")).getroot()
        self.assertEqual(root.tag, "Crm")
        self.assertEqual(root.find("Authentication").get("Type"), "Basic")
        self.assertIn("[OdooToken]", root.find("Authentication/Value").text)
        scenario = root.find("Scenarios/Scenario[@Id='ReportCall']")
        self.assertEqual(scenario.find("Request").get("Url"), "[OdooUrl]")
        posted = {v.get("Key"): v.text for v in scenario.iter("Value")}
        expected = {
            "call_type": "CallType",
            "number": "Number",
            "agent": "Agent",
            "agent_email": "AgentEmail",
            "duration": "Duration",
            "start_utc": "CallStartTimeUTC",
            "established_utc": "CallEstablishedTimeUTC",
            "end_utc": "CallEndTimeUTC",
        }
        for key, variable in expected.items():
            with self.subTest(key=key):
                self.assertIn("[%s]" % variable, posted.get(key) or "")

    def test_twilio_statuses_and_signature(self):
        """Only final statuses are calls (ringing is ignored); busy, no-answer, failed and canceled are
        unanswered; the signature is Twilio's own (the library's validator), bound to the URL and the form."""
        payload, _kind = payloads.twilio("CA" + "1" * 32, NUMBER, START, 47, 9)
        self.assertEqual(
            rows("twilio", dict(payload, CallStatus="ringing"), "form"),
            ([], "CallStatus ringing is not a finished call"),
        )
        for status in ("busy", "no-answer", "failed", "canceled"):
            self.assertFalse(rows("twilio", dict(payload, CallStatus=status), "form")[0][0]["answered"])
        inbound = rows("twilio", dict(payload, From=NUMBER, To="+14155550100", Direction="inbound"), "form")[0][0]
        self.assertEqual(
            (inbound["direction"], inbound["number"], inbound["agent"]),
            ("inbound", NUMBER, {"extension": "+14155550100"}),
        )
        from twilio.request_validator import RequestValidator

        url = "https://odoo.example.com/order_retention/calls/twilio"
        signature = RequestValidator("secret-token-1").compute_signature(url, payload)
        self.assertTrue(tel_twilio.signature_valid("secret-token-1", url, payload, signature))
        self.assertFalse(tel_twilio.signature_valid("another-token", url, payload, signature))
        self.assertFalse(tel_twilio.signature_valid("secret-token-1", url + "?x=1", payload, signature))
        self.assertFalse(
            tel_twilio.signature_valid("secret-token-1", url, dict(payload, CallDuration="470"), signature)
        )
        self.assertFalse(tel_twilio.signature_valid("secret-token-1", url, payload, ""))

    def test_zadarma_signature_and_events(self):
        """Zadarma's signature is base64(HMAC-SHA1(secret, internal + destination + call_start)) for NOTIFY_OUT_END
        and caller_id + called_did + call_start for NOTIFY_END; other events are ignored; zd_echo is echoed only
        when it looks like a check token."""
        payload, _kind = payloads.zadarma("1767607200.123", NUMBER, START, 47, 9)
        message = payload["internal"] + payload["destination"] + payload["call_start"]
        expected = base64.b64encode(hmac.new(b"zd-secret", message.encode(), hashlib.sha1).digest()).decode()
        self.assertEqual(tel_zadarma.signature("zd-secret", payload), expected)
        self.assertTrue(tel_zadarma.signature_valid("zd-secret", payload, expected))
        self.assertFalse(
            tel_zadarma.signature_valid("zd-secret", dict(payload, duration="4700", destination="1"), expected)
        )
        self.assertFalse(tel_zadarma.signature_valid("other", payload, expected))
        inbound = {
            "event": "NOTIFY_END",
            "call_start": "2026-01-05 12:00:00",
            "pbx_call_id": "in_1",
            "caller_id": NUMBER,
            "called_did": "380441110000",
            "internal": "100",
            "duration": "20",
            "disposition": "answered",
        }
        message = inbound["caller_id"] + inbound["called_did"] + inbound["call_start"]
        self.assertEqual(
            tel_zadarma.signature("k" * 20, inbound),
            base64.b64encode(hmac.new(b"k" * 20, message.encode(), hashlib.sha1).digest()).decode(),
        )
        row = rows("zadarma", inbound, "form")[0][0]
        self.assertEqual((row["direction"], row["number"], row["duration"]), ("inbound", NUMBER, 20))
        self.assertEqual(cv.parse_start(row["start"]), START, "12:00 in Kyiv is 10:00 UTC in January")
        self.assertEqual(rows("zadarma", {"event": "NOTIFY_START"}, "form")[0], [])
        self.assertEqual(tel_zadarma.echo("a1B2-c3"), "a1B2-c3")
        self.assertIsNone(tel_zadarma.echo("<script>"))

    def test_binotel_nested_form_and_other_requests(self):
        """apiCallCompleted's callDetails[...] form keys are read nested; incoming calls (callType 0) take the
        customer from externalNumber; other request types are ignored; a bad callType is a reason."""
        payload, _kind = payloads.binotel("555", NUMBER, START, 47, 9)
        payload["callDetails[employeeData][email]"] = "ann@example.com"
        row = rows("binotel", payload, "form")[0][0]
        self.assertEqual(row["agent"], {"extension": "901", "email": "ann@example.com"})
        self.assertEqual(cv.parse_start(row["start"]), START)
        self.assertEqual(
            rows("binotel", dict(payload, **{"callDetails[callType]": "0"}), "form")[0][0]["direction"], "inbound"
        )
        self.assertEqual(rows("binotel", {"requestType": "apiCallSettings"}, "form")[0], [])
        with self.assertRaisesRegex(ValueError, "callType"):
            rows("binotel", dict(payload, **{"callDetails[callType]": "7"}), "form")
        with self.assertRaisesRegex(ValueError, "twice"):
            common.nest_form([("a[b]", "1"), ("a", "2")])

    def test_malformed_records(self):
        """A record without its call id, with an unreadable time or length, or not a record at all: ValueError."""
        for provider, breaks in {
            "asterisk": [{"uniqueid": ""}, {"start": "yesterday"}, {"billsec": "-3"}, {"disposition": ""}],
            "3cx": [{"call_type": "Sideways"}, {"start_utc": ""}, {"end_utc": "2026-01-05T09:00:00Z"}],
            "twilio": [{"CallSid": ""}, {"Timestamp": "soon"}, {"CallDuration": "1e9"}],
            "zadarma": [{"pbx_call_id": ""}, {"call_start": "25:00"}, {"duration": "abc"}],
            "binotel": [{"callDetails[generalCallID]": "", "callDetails[callID]": ""}, {"callDetails[startTime]": "x"}],
            "ringostat": [{"uniqueid": ""}, {"calldate": "2026-13-45 10:00:00"}, {"disposition": ""}],
        }.items():
            payload, kind = payloads.MAKERS[provider]("M-1", NUMBER, START, 30, 5)
            for change in breaks:
                with self.subTest(provider=provider, change=change), self.assertRaises(ValueError):
                    rows(provider, dict(payload, **change), kind)
            with self.subTest(provider=provider, body="list"), self.assertRaises(ValueError):
                telephony.rows_of(provider, [payload])

    def test_moments(self):
        """Every time format the providers use, and nothing else."""
        for text, tz in (
            ("2026-01-05T10:00:00Z", None),
            ("2026-01-05T12:00:00+02:00", None),
            ("2026-01-05 12:00:00", "Europe/Kyiv"),
            ("Mon, 05 Jan 2026 10:00:00 +0000", None),
            ("1767607200", None),
            ("1767607200000", None),
            ("1/5/2026 10:00:00 AM", None),
            ("2026-01-05 12:00:00.250", "Europe/Kyiv"),
        ):
            with self.subTest(text=text):
                self.assertEqual(common.moment(text, tz, "t"), START)
        for bad in ("", None, True, [], "2026-02-30 10:00:00", "tomorrow", "99999999999999999", "1/5/2026 25:00:00"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                common.moment(bad, "UTC", "t")
        with self.assertRaises(ValueError):
            common.moment("2026-01-05 12:00:00", "Mars/Olympus", "t")

    def test_mappers_fuzz(self):
        """Seeded fuzz: every provider's record with fields replaced by odd values (types, NaN, huge numbers,
        control characters, lone surrogates, long text, nested containers) or removed: each either maps to rows
        of the intake's types or raises ValueError / is ignored, never another exception."""
        rng = random.Random(SEED)
        odd = [
            None,
            "",
            " ",
            0,
            -1,
            1.5,
            math.nan,
            math.inf,
            10**40,
            True,
            [],
            {},
            ["x"],
            {"a": {"b": 1}},
            "\x00",
            "\ud800",
            "x" * 5000,
            "١٢٣",
            "00:99",
            "-5",
            "1e3",
            "2026-01-05T10:00:00Z",
            "NaN",
            "ANSWERED",
            "answered",
            "NOTIFY_END",
            "apiCallCompleted",
            "client:",
            "PJSIP/-",
            "=1+1",
        ]
        counts = {"rows": 0, "value_error": 0, "ignored": 0}
        for provider, maker in payloads.MAKERS.items():
            for n in range(150):
                payload, kind = maker(
                    "F-%d" % n, NUMBER, START, rng.randint(0, 4000), rng.randint(0, 60), answered=rng.random() < 0.7
                )
                body = common.nest_form(payload.items()) if kind == "form" else payload
                for _i in range(rng.randint(1, 4)):
                    key = rng.choice(list(body))
                    if rng.random() < 0.15:
                        body.pop(key)
                    else:
                        body[key] = rng.choice(odd)
                with self.subTest(provider=provider, n=n):
                    try:
                        result, ignored = telephony.rows_of(provider, body, rng.choice([None, "UTC", payloads.KYIV]))
                    except ValueError as exc:
                        self.assertTrue(str(exc).strip())
                        counts["value_error"] += 1
                        continue
                    counts["ignored" if ignored else "rows"] += 1
                    for row in result:
                        self.assertIsInstance(row["call_id"], str)
                        self.assertIsInstance(row["number"], str)
                        self.assertIn(row["direction"], ("inbound", "outbound"))
                        self.assertIsInstance(row["answered"], bool)
                        self.assertTrue(0 <= row["duration"] <= 86400)
                        self.assertTrue(row["answered"] or row["duration"] == 0)
                        self.assertIsInstance(row["agent"], dict)
        self.assertGreater(counts["rows"], 100, counts)
        self.assertGreater(counts["value_error"], 100, counts)
