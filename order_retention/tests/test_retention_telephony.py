"""Issue #24: one intake URL per provider, /order_retention/calls/<provider>, attacked and used over real HTTP.

For each provider (Asterisk / FreePBX, 3CX, Twilio, Zadarma, Binotel, Ringostat) a record built from its
documentation (tests/telephony_payloads.py) is sent with the provider's own authentication: an answered call
verifies the agent's retention call, an unanswered one is stored but never verifies, a long ring with a short
talk stores the talk time; unsigned, wrongly signed, revoked or turned-off requests get 401/403 JSON and store
nothing; a replay stores nothing twice. Twilio requests are signed with the twilio library."""

import base64
import datetime
import hashlib
import hmac
import json

from twilio.request_validator import RequestValidator

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..tools import telephony
from . import telephony_payloads as payloads

TWILIO_TOKEN = "twilio-auth-token-0123456789"
ZADARMA_SECRET = "zadarma-api-secret-0123"
AGENTS = {"twilio": "tel_ann"}  # Twilio names the browser agent by its client identity: Ann's login


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionTelephony(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        ua = cls.env.ref("base.ua")
        cls.company = cls.env.company
        cls.company.country_id = ua
        own = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.ann = new_test_user(cls.env, "tel_ann", groups="sales_team.group_sale_salesman", name="Ann", **own)
        cls.bob = new_test_user(cls.env, "tel_bob", groups="sales_team.group_sale_salesman", name="Bob", **own)
        cls.manager = new_test_user(cls.env, "tel_mgr", groups="sales_team.group_sale_manager", name="Meg", **own)
        cls.ann.retention_phone_extension = "101"
        cls.bob.retention_phone_extension = "102"
        cls.activity_type = cls.env.ref("order_retention.mail_act_retention_call")
        cls.customers = {}
        for n, provider in enumerate(telephony.PROVIDERS):
            cls.customers[provider] = cls.env["res.partner"].create(
                {
                    "name": "Telephony Customer %s" % provider,
                    "is_company": True,
                    "user_id": cls.ann.id,
                    "phone": "+380 44 123 45 %02d" % n,
                    "country_id": ua.id,
                }
            )
        cls.configs = {c.provider: c for c in cls.env["retention.telephony"]._retention_ensure(cls.company)}
        cls.tokens = {}
        for provider, config in cls.configs.items():
            if config.auth == "token":
                cls.tokens[provider] = config.action_retention_generate_token()["params"]["token"]
        cls.configs["twilio"].write({"secret_input": TWILIO_TOKEN, "enabled": True})
        cls.configs["zadarma"].write({"secret_input": ZADARMA_SECRET, "enabled": True})
        for config in cls.configs.values():
            config.tz = payloads.KYIV

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _number(self, provider):
        return "+3804412345%02d" % list(telephony.PROVIDERS).index(provider)

    def _record(self, provider, call_id, talk=47, ring=9, answered=True, agent=None, start=None):
        start = start or (fields.Datetime.now() + datetime.timedelta(seconds=2)).replace(microsecond=0)
        return payloads.MAKERS[provider](
            call_id,
            self._number(provider),
            start,
            talk,
            ring,
            answered=answered,
            agent=agent or AGENTS.get(provider, "101"),
            tz=payloads.KYIV,
        )

    def _post(self, provider, payload, kind, auth=True, token=None, headers=None, secret=None):
        """POST ``payload`` the way ``provider`` sends it, authenticated its way (unless ``auth`` is False)."""
        path = "/order_retention/calls/%s" % provider
        headers = dict(headers or {})
        token = token or self.tokens.get(provider)
        if auth and provider in ("binotel", "ringostat"):
            path += "?token=%s" % token
        if kind == "json":
            data = json.dumps(payload)
            headers.setdefault("Content-Type", "application/json")
        else:
            data = dict(payload)
        if auth and provider == "asterisk":
            data["token"] = token
        elif auth and provider == "3cx":
            headers["Authorization"] = "Basic " + base64.b64encode(("%s:x" % token).encode()).decode()
        elif auth and provider == "twilio":
            url = self.base_url() + path
            headers["X-Twilio-Signature"] = RequestValidator(secret or TWILIO_TOKEN).compute_signature(url, payload)
        elif auth and provider == "zadarma":
            message = payload["internal"] + payload["destination"] + payload["call_start"]
            digest = hmac.new((secret or ZADARMA_SECRET).encode(), message.encode(), hashlib.sha1).digest()
            headers["Signature"] = base64.b64encode(digest).decode()
        self.env.flush_all()
        response = self.url_open(path, data=data, headers=headers)
        self.env.invalidate_all()
        return response

    def _calls(self, provider):
        return self.env["retention.call"].sudo().search([("source", "=", provider)])

    def _activity(self, provider, user=None):
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customers[provider].id,
                "activity_type_id": self.activity_type.id,
                "user_id": (user or self.ann).id,
                "summary": "Retention call",
                "automated": True,
            }
        )

    def assertJson(self, response, status):
        self.assertEqual(response.status_code, status, response.text[:300])
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        return response.json()

    # ------------------------------------------------------------------
    # a call of each provider, answered or not
    # ------------------------------------------------------------------

    def test_answered_call_verifies(self):
        """Each provider's answered call of 47 s is stored with its talk time and its agent (Ann, by extension or
        Twilio Client identity) and closes Ann's retention call."""
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                activity = self._activity(provider)
                payload, kind = self._record(provider, "OK-%s-1" % provider)
                body = self.assertJson(self._post(provider, payload, kind), 200)
                self.assertEqual((body["created"], body["rejected"]), (1, 0), body)
                if provider == "binotel":
                    self.assertEqual(body["status"], "success")
                call = self._calls(provider)
                self.assertRecordValues(
                    call,
                    [
                        {
                            "duration_seconds": 47,
                            "answered": True,
                            "user_id": self.ann.id,
                            "verified": True,
                            "partner_id": self.customers[provider].id,
                            "match_state": "matched",
                            "qualifies": True,
                        }
                    ],
                )
                ok, text = activity.with_user(self.ann)._retention_close_preview()
                self.assertTrue(ok, text)
                activity.with_user(self.ann).action_feedback(feedback="talked")
                self.assertEqual(call.activity_id, activity)

    def test_unanswered_and_short_talk_never_verify(self):
        """An unanswered call is stored (a real attempt: 0 s, not answered) but never verifies; 40 s of ringing
        with 6 s of talk stores 6 s, too short to verify."""
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                activity = self._activity(provider)
                payload, kind = self._record(provider, "NA-%s" % provider, talk=0, ring=25, answered=False)
                self.assertEqual(self.assertJson(self._post(provider, payload, kind), 200)["created"], 1)
                call = self._calls(provider)
                self.assertRecordValues(call, [{"answered": False, "duration_seconds": 0, "qualifies": False}])
                ok, text = activity.with_user(self.ann)._retention_close_preview()
                self.assertFalse(ok)
                self.assertIn("not answered", text)
                payload, kind = self._record(provider, "SHORT-%s" % provider, talk=6, ring=40)
                self.assertEqual(self.assertJson(self._post(provider, payload, kind), 200)["created"], 1)
                short = self._calls(provider) - call
                self.assertRecordValues(short, [{"answered": True, "duration_seconds": 6, "qualifies": False}])
                with self.assertRaisesRegex(UserError, "6 s"):
                    activity.with_user(self.ann).action_feedback(feedback="talked")

    def test_replay_is_idempotent(self):
        """The provider retries: the same record again is a duplicate, nothing is stored twice."""
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                payload, kind = self._record(provider, "RE-%s" % provider)
                first = self.assertJson(self._post(provider, payload, kind), 200)
                again = self.assertJson(self._post(provider, payload, kind), 200)
                self.assertEqual((first["created"], again["created"], again["duplicate"]), (1, 0, 1))
                self.assertEqual(len(self._calls(provider)), 1)

    # ------------------------------------------------------------------
    # authentication
    # ------------------------------------------------------------------

    def test_unauthenticated_and_wrongly_signed_store_nothing(self):
        """No token or signature: 401; a wrong token: 401; a wrong signature (another secret, or a record changed
        after signing): 403; every answer JSON, nothing stored."""
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                payload, kind = self._record(provider, "BAD-%s" % provider)
                self.assertIn("error", self.assertJson(self._post(provider, payload, kind, auth=False), 401))
                if provider in ("twilio", "zadarma"):
                    self.assertJson(self._post(provider, payload, kind, secret="not-the-secret-at-all"), 403)
                    signed = self._post  # sign the record, then change its length
                    headers = {}
                    if provider == "twilio":
                        url = self.base_url() + "/order_retention/calls/twilio"
                        headers["X-Twilio-Signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(url, payload)
                        tampered = dict(payload, CallDuration="4700")
                    else:
                        message = payload["internal"] + payload["destination"] + payload["call_start"]
                        headers["Signature"] = base64.b64encode(
                            hmac.new(ZADARMA_SECRET.encode(), message.encode(), hashlib.sha1).digest()
                        ).decode()
                        tampered = dict(payload, destination="+380500000000")
                    self.assertJson(signed(provider, tampered, kind, auth=False, headers=headers), 403)
                else:
                    self.assertJson(self._post(provider, payload, kind, token="not-a-token"), 401)
                self.assertFalse(self._calls(provider))

    def test_turned_off_and_revoked(self):
        """A provider turned off answers 403 and stores nothing; a revoked token or secret is refused."""
        for provider in telephony.PROVIDERS:
            with self.subTest(provider=provider):
                config = self.configs[provider]
                payload, kind = self._record(provider, "OFF-%s" % provider)
                config.enabled = False
                self.assertIn("turned off", self.assertJson(self._post(provider, payload, kind), 403)["error"])
                config.enabled = True
                config.action_retention_revoke()
                self.assertIn(self._post(provider, payload, kind).status_code, (401, 403))
                self.assertFalse(self._calls(provider))

    def test_other_company_token(self):
        """A token files calls under its own company only; an archived company's token is refused."""
        other = self.env["res.company"].create({"name": "Other Telephony Co", "country_id": self.env.ref("base.ua").id})
        config = self.env["retention.telephony"]._retention_ensure(other).filtered(lambda c: c.provider == "asterisk")
        token = config.action_retention_generate_token()["params"]["token"]
        config.tz = payloads.KYIV
        payload, kind = self._record("asterisk", "CO-1")
        body = self.assertJson(self._post("asterisk", payload, kind, token=token), 200)
        self.assertEqual(body["created"], 1, body)
        self.assertEqual(self._calls("asterisk").company_id, other)
        self.assertEqual(self.assertJson(self._post("asterisk", payload, kind), 200)["created"], 1)
        other.active = False
        payload, kind = self._record("asterisk", "CO-2")
        self.assertJson(self._post("asterisk", payload, kind, token=token), 403)

    # ------------------------------------------------------------------
    # requests of the wrong shape
    # ------------------------------------------------------------------

    def test_request_shapes(self):
        """Unknown provider 404, GET 405, a huge body 413, a wrong content type 415, malformed JSON 400, a
        malformed record 200 with its reason, a notification without a finished call 200 "ignored" (all JSON,
        nothing stored); Zadarma's URL check is echoed."""
        self.assertJson(self.url_open("/order_retention/calls/skype", data={"a": "1"}), 404)
        self.assertJson(self.url_open("/order_retention/calls/asterisk"), 405)
        huge = {"uniqueid": "H", "junk": "x" * (300 * 1024), "token": self.tokens["asterisk"]}
        self.assertJson(self.url_open("/order_retention/calls/asterisk", data=huge), 413)
        headers = {"Content-Type": "text/plain", "Authorization": "Bearer %s" % self.tokens["asterisk"]}
        self.assertJson(self.url_open("/order_retention/calls/asterisk", data="uniqueid=1", headers=headers), 415)
        headers["Content-Type"] = "application/json"
        self.assertJson(self.url_open("/order_retention/calls/asterisk", data="{not json", headers=headers), 400)
        self.assertJson(self.url_open("/order_retention/calls/asterisk", data="[{}, {}]", headers=headers), 400)
        payload, kind = self._record("asterisk", "MAL-1")
        payload["billsec"] = "-3"
        body = self.assertJson(self._post("asterisk", payload, kind), 200)
        self.assertEqual((body["created"], body["rejected"]), (0, 1))
        self.assertIn("billsec", body["errors"][0]["reason"])
        payload, kind = self._record("binotel", "MAL-2")
        payload["requestType"] = "receivedTheCall"
        self.assertIn("ignored", self.assertJson(self._post("binotel", payload, kind), 200))
        payload, kind = self._record("twilio", "CA" + "9" * 32)
        payload["CallStatus"] = "ringing"
        self.assertIn("ignored", self.assertJson(self._post("twilio", payload, kind), 200))
        start = self.url_open("/order_retention/calls/zadarma", data={"event": "NOTIFY_START", "pbx_call_id": "z"})
        self.assertIn("ignored", self.assertJson(start, 200))
        echo = self.url_open("/order_retention/calls/zadarma?zd_echo=abc123XYZ")
        self.assertEqual((echo.status_code, echo.text), (200, "abc123XYZ"))
        self.assertJson(self.url_open("/order_retention/calls/zadarma?zd_echo=%3Cscript%3E"), 404)
        stored = self.env["retention.call"].sudo().search([("source", "in", list(telephony.PROVIDERS))])
        self.assertFalse(stored, stored.read(["source", "external_id", "duration_seconds"]))

    # ------------------------------------------------------------------
    # the agent of a call
    # ------------------------------------------------------------------

    def test_calls_by_the_caller(self):
        """A call the telephony attributes to Bob (his extension, or his e-mail for Binotel) is Bob's: it does not
        close Ann's retention call; a call of an extension nobody has verifies only for a sales manager, and is
        Bob's once his extension says so."""
        activity = self._activity("asterisk")
        payload, kind = self._record("asterisk", "BOB-1", agent="102")
        self.assertEqual(self.assertJson(self._post("asterisk", payload, kind), 200)["created"], 1)
        self.assertEqual(self._calls("asterisk").user_id, self.bob)
        ok, text = activity.with_user(self.ann)._retention_close_preview()
        self.assertFalse(ok)
        self.assertIn("colleague", text)
        self.bob.email = "bob@example.com"
        payload, kind = self._record("binotel", "BOB-2", agent="999")
        payload["callDetails[employeeData][email]"] = "BOB@example.com"
        self._post("binotel", payload, kind)
        self.assertEqual(self._calls("binotel").user_id, self.bob, "no user has extension 999: the e-mail decides")
        stray = self._activity("ringostat")
        payload, kind = self._record("ringostat", "STRAY-1", agent="777")
        self._post("ringostat", payload, kind)
        call = self._calls("ringostat")
        self.assertRecordValues(call, [{"user_id": False, "agent_ref": "extension=777"}])
        self.assertFalse(stray.with_user(self.ann)._retention_close_preview()[0], "nobody's extension: not Ann's call")
        self.assertTrue(stray.with_user(self.manager)._retention_close_preview()[0])
        self.bob.retention_phone_extension = "777"
        self.assertEqual(call.user_id, self.bob, "calls of the extension are Bob's once it is his")

    # ------------------------------------------------------------------
    # settings
    # ------------------------------------------------------------------

    def test_settings_tokens_and_secrets(self):
        """A sales manager opens the providers from Settings (a row each), generates a token shown once (in the URL
        for Binotel and Ringostat), sets a secret that is never shown back; a salesperson can do none of it."""
        action = self.env["retention.telephony"].with_user(self.manager).action_retention_open()
        views = self.env["retention.telephony"].with_user(self.manager).get_views([(False, "list"), (False, "form")])
        self.assertIn("tz", views["models"]["retention.telephony"]["fields"])
        self.assertEqual(
            self.env["res.config.settings"].create({}).action_retention_telephony()["domain"], action["domain"]
        )
        rows = self.env["retention.telephony"].with_user(self.manager).search(action["domain"])
        self.assertEqual(sorted(rows.mapped("provider")), sorted(telephony.PROVIDERS))
        binotel = rows.filtered(lambda c: c.provider == "binotel")
        dialog = binotel.action_retention_generate_token()["params"]
        self.assertTrue(dialog["url"].endswith("/order_retention/calls/binotel?token=%s" % dialog["token"]))
        self.assertTrue(binotel.token_hint.endswith(dialog["token"][-4:]))
        twilio = rows.filtered(lambda c: c.provider == "twilio")
        twilio.secret_input = "a-new-twilio-token-42"
        twilio.invalidate_recordset()
        self.assertEqual(twilio.secret_hint, "…n-42")
        self.assertFalse(twilio.secret_input, "a secret is never shown back")
        with self.assertRaises(AccessError):
            twilio.read(["secret"])
        with self.assertRaises(UserError):
            twilio.action_retention_generate_token()
        with self.assertRaises(AccessError):
            self.env["retention.telephony"].with_user(self.ann).action_retention_open()
        with self.assertRaises(AccessError):
            binotel.with_user(self.ann).action_retention_generate_token()
