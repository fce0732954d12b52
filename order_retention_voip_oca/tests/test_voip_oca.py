"""OCA's softphone (voip_oca) with Order Retention, over real JSON-RPC and HTTP: retention calls are listed in
the softphone's call activities, a call placed from the softphone (its browser-written call log) does not verify
the retention call, the telephony's record of the call does; the softphone's SIP user names the agent."""

import datetime

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.order_retention.tests.queue_common import RpcMixin

PASSWORD = "Voip-Retention-2026!"


@tagged("post_install", "-at_install", "order_retention_voip_oca")
class TestRetentionVoipOca(RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ua = cls.env.ref("base.ua")
        cls.company = cls.env.company
        cls.company.country_id = ua
        cls.ann = new_test_user(
            cls.env,
            "voip_ann",
            groups="sales_team.group_sale_salesman",
            name="Ann Voip",
            password=PASSWORD,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.ann.voip_username = "ann-sip"
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Softphone Customer",
                "is_company": True,
                "user_id": cls.ann.id,
                "phone": "+380 44 765 43 21",
                "country_id": ua.id,
            }
        )
        cls.activity_type = cls.env.ref("order_retention.mail_act_retention_call")
        config = (
            cls.env["retention.telephony"]._retention_ensure(cls.company).filtered(lambda c: c.provider == "asterisk")
        )
        cls.token = config.action_retention_generate_token()["params"]["token"]
        config.tz = "UTC"

    def _activity(self):
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer.id,
                "activity_type_id": self.activity_type.id,
                "user_id": self.ann.id,
                "automated": True,
                # due on UTC's today, which voip_oca's list compares with (date_deadline <= now, in UTC): the default,
                # the creator's today, is already tomorrow in UTC-east timezones between their midnight and UTC's
                "date_deadline": fields.Date.today(),
            }
        )

    def _pbx_record(self, call_id, billsec, agent="ann-sip"):
        """The PBX's CDR of the call, posted by its hangup handler (Asterisk intake)."""
        start = (fields.Datetime.now() + datetime.timedelta(seconds=2)).replace(microsecond=0)
        data = {
            "uniqueid": call_id,
            "src": "201",
            "dst": "+380447654321",
            "start": start.strftime("%Y-%m-%d %H:%M:%S"),
            "billsec": str(billsec),
            "duration": str(billsec + 7),
            "disposition": "ANSWERED",
            "accountcode": agent,
            "token": self.token,
        }
        self.env.flush_all()
        response = self.url_open("/order_retention/calls/asterisk", data=data)
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["created"], 1, response.text)
        return self.env["retention.call"].search([("external_id", "=", call_id)])

    def test_retention_type_is_a_phone_call(self):
        """The retention call activity type has the phonecall category the softphones list (voip_oca, and Odoo
        Enterprise VoIP alike)."""
        self.assertEqual(self.activity_type.category, "phonecall")

    def test_listed_in_softphone_activities(self):
        """The salesperson's softphone lists the retention call due today among its call activities (voip_oca's
        get_call_activities, as its Activities tab calls it), with the customer to dial."""
        activity = self._activity()
        self.authenticate("voip_ann", PASSWORD)
        result, error = self._rpc("mail.activity", "get_call_activities", "", 0, 50)
        self.assertFalse(error, error)
        listed = {a["id"]: a for a in result.get("mail.activity", [])}
        self.assertIn(activity.id, listed)
        self.assertEqual(listed[activity.id]["activity_category"], "phonecall")
        result, error = self._rpc("mail.activity", "get_call_activities", "Softphone", 0, 50)
        self.assertFalse(error, error)
        self.assertIn(activity.id, [a["id"] for a in result.get("mail.activity", [])], "found by the customer's name")

    def test_softphone_call_does_not_verify(self):
        """A call placed from the softphone writes voip_oca's call log (create, accept, terminate: all from the
        browser) and creates no telephony call: the retention call still cannot be marked done; once the PBX's
        record of that call arrives (answered, 45 s, Ann's SIP user), it can."""
        activity = self._activity()
        self.authenticate("voip_ann", PASSWORD)
        call, error = self._rpc(
            "voip.call",
            "create_call",
            {  # as the softphone's agent service sends it when dialling from an activity
                "partner_id": self.customer.id,
                "phone_number": "+380447654321",
                "type_call": "outgoing",
                "state": "calling",
            },
        )
        self.assertFalse(error, error)
        self.assertIsInstance(call, dict, call)
        self.assertEqual(self.env["voip.call"].browse(call["id"]).partner_id, self.customer)
        for method in ("accept_call", "terminate_call"):
            _result, error = self._rpc("voip.call", method, [call["id"]])
            self.assertFalse(error, error)
        self.assertEqual(self.env["voip.call"].browse(call["id"]).state, "terminated")
        self.assertFalse(self.env["retention.call"].search([("partner_id", "=", self.customer.id)]))
        _result, error = self._rpc(
            "mail.activity", "action_feedback", [activity.id], feedback="called from the softphone"
        )
        self.assertEqual(error["data"]["name"], "odoo.exceptions.UserError", error)
        self.assertIn("no call logged", error["data"]["message"])
        self.assertTrue(activity.exists() and activity.active)
        record = self._pbx_record("1767607200.501", 45)
        self.assertRecordValues(
            record, [{"user_id": self.ann.id, "duration_seconds": 45, "partner_id": self.customer.id}]
        )
        _result, error = self._rpc(
            "mail.activity", "action_feedback", [activity.id], feedback="called from the softphone"
        )
        self.assertFalse(error, error)
        self.assertEqual(record.activity_id, activity)

    def test_sip_user_names_the_agent(self):
        """The PBX names the agent by the softphone's SIP user: the call is that user's own; an unknown SIP user
        is nobody's."""
        self.assertEqual(self._pbx_record("1767607200.601", 30).user_id, self.ann)
        self.assertFalse(self._pbx_record("1767607200.602", 30, agent="nobody-sip").user_id)
