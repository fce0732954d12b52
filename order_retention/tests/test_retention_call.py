import base64
import datetime

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import BaseCase, Form, new_test_user, tagged

from ..models.retention_policy import retention_system
from ..tools import call_verification as cv
from .common import RetentionCommon, set_retention_settings

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestToolsCallVerification(BaseCase):
    def test_parsers(self):
        """Durations, starts, directions and extensions parse the way PBX exports write them."""
        for raw, seconds in [(65, 65), ("65", 65), ("65.4", 65), ("1:05", 65), ("00:01:05", 65), ("0", 0)]:
            with self.subTest(raw=raw):
                self.assertEqual(cv.parse_duration(raw), seconds)
        for bad in (None, "", "abc", -1, "-5", 100000, True, float("nan")):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                cv.parse_duration(bad)
        self.assertEqual(cv.parse_start("2026-03-01T10:00:00Z"), datetime.datetime(2026, 3, 1, 10))
        self.assertEqual(cv.parse_start("2026-03-01T12:00:00+02:00"), datetime.datetime(2026, 3, 1, 10))
        self.assertEqual(cv.parse_start("2026-03-01 10:00"), datetime.datetime(2026, 3, 1, 10))
        for bad in (None, "", "yesterday", "2026-13-01T00:00:00", 12345, "1800-01-01T00:00:00"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                cv.parse_start(bad)
        self.assertEqual(cv.parse_direction("IN"), "inbound")
        self.assertEqual(cv.parse_direction("outgoing"), "outbound")
        with self.assertRaises(ValueError):
            cv.parse_direction("sideways")
        for raw in (
            "650-253-0000 x12",
            "650-253-0000 ext. 12",
            "650-253-0000;ext=12",
            "650-253-0000 #12",
            "650-253-0000 extension 12",
        ):
            with self.subTest(raw=raw):
                self.assertEqual(cv.strip_extension(raw), "650-253-0000")

    def test_choose_call(self):
        """The earliest verified, long-enough, unused call after creation wins; otherwise the reason is given."""
        t0 = datetime.datetime(2026, 1, 1, 9)

        def call(i, minutes, seconds, verified=True, used=False):
            return {"id": i, "start": t0 + D(minutes=minutes), "duration": seconds, "verified": verified, "used": used}

        self.assertEqual(cv.choose_call(t0, [], 20)[1][0], "no_call")
        self.assertEqual(cv.choose_call(t0, [call(1, 5, 60, verified=False)], 20)[1][0], "unverified_only")
        self.assertEqual(cv.choose_call(t0, [call(1, -5, 60)], 20)[1][0], "before_activity")
        self.assertEqual(cv.choose_call(t0, [call(1, 5, 19)], 20)[1], ("too_short", {"longest": 19, "minimum": 20}))
        self.assertEqual(cv.choose_call(t0, [call(1, 5, 20)], 20)[0]["id"], 1)
        self.assertEqual(cv.choose_call(t0, [call(1, 5, 60, used=True)], 20)[1][0], "already_used")
        self.assertEqual(cv.choose_call(t0, [call(2, 9, 60), call(1, 5, 60), call(3, 1, 5)], 20)[0]["id"], 1)


class CallCommon(RetentionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.us")
        cls.customer = cls._create_customer(
            "Callable Corp", user=cls.salesman, phone="+1 650-253-0000", country_id=cls.env.ref("base.us").id
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Carla Callable", "parent_id": cls.customer.id, "mobile": "(650) 555-0199"}
        )
        cls.Call = cls.env["retention.call"]

    def _activity(self, partner=None, user=None, automated=True):
        partner = partner or self.customer
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": self.activity_type.id,
                "user_id": (user or self.salesman).id,
                "summary": "Retention call",
                "automated": automated,
            }
        )

    def _pbx_call(self, seconds, start, number="+1 650 253 0000", call_id=None):
        self._seq = getattr(self, "_seq", 0) + 1
        report = self.Call._retention_ingest(
            [
                (
                    0,
                    {
                        "call_id": call_id or "T%s-%s" % (id(self), self._seq),
                        "number": number,
                        "direction": "outbound",
                        "start": start.isoformat(),
                        "duration": seconds,
                    },
                )
            ],
            "pbx",
            self.company,
        )
        self.assertEqual(report["created"], 1, report)
        return self.Call.search([], order="id desc", limit=1)


@tagged("post_install", "-at_install", "order_retention")
class TestCallVerification(CallCommon):
    def _paths(self):
        return {
            "action_done": lambda act: act.action_done(),
            "action_feedback": lambda act: act.action_feedback(feedback="talked"),
            "feedback_schedule_next": lambda act: act.action_feedback_schedule_next(feedback="talked"),
            "mixin activity_feedback": lambda act: self.customer.activity_feedback(
                ["order_retention.mail_act_retention_call"], feedback="talked"
            ),
            "archive": lambda act: act.write({"active": False}),
            "action_archive": lambda act: act.action_archive(),
        }

    def test_every_done_path_refused_without_call(self):
        """Each way to mark the activity done is refused while no qualifying call exists."""
        for name, path in self._paths().items():
            with self.subTest(path=name):
                activity = self._activity()
                with self.assertRaisesRegex(UserError, "cannot be marked done"):
                    path(activity)
                self.assertTrue(activity.active)
                activity.with_context(active_test=False).sudo()._retention_close_system("cleanup")

    def test_every_done_path_accepted_with_call(self):
        """Each way to mark the activity done works with a qualifying call, which gets linked."""
        for name, path in self._paths().items():
            with self.subTest(path=name):
                activity = self._activity()
                call = self._pbx_call(45, activity.create_date + D(seconds=5))
                path(activity)
                self.assertFalse(activity.active, "done (archived, kept for reporting)")
                self.assertEqual(activity.retention_call_id, call)
                self.assertEqual(call.activity_id, activity)

    def test_chatter_names_the_call(self):
        """The done message says which call closed the activity."""
        activity = self._activity()
        self._pbx_call(47, activity.create_date + D(seconds=5))
        messages, _next = activity._action_done(feedback="all good")
        self.assertIn("47 s", str(messages.body))
        self.assertIn("all good", str(messages.body))

    def test_schedule_wizard_done(self):
        """The schedule wizard's "Mark as Done" is held to the same rule."""
        wizard = (
            self.env["mail.activity.schedule"]
            .with_context(active_model="res.partner", active_id=self.customer.id)
            .create({"activity_type_id": self.activity_type.id, "activity_user_id": self.salesman.id})
        )
        with self.assertRaisesRegex(UserError, "cannot be marked done"):
            wizard.action_schedule_activities_done()
        self._pbx_call(30, self.env.cr.now() + D(seconds=1))
        wizard.action_schedule_activities_done()
        self.assertTrue(self.Call.search([("commercial_partner_id", "=", self.customer.id)]).activity_id)

    def test_minimum_length(self):
        """19 s is refused, 20 s accepted with the default minimum; the Settings value applies."""
        activity = self._activity()
        self._pbx_call(19, activity.create_date + D(seconds=5))
        with self.assertRaisesRegex(UserError, "19 s, less than 20 s"):
            activity.action_done()
        self._pbx_call(20, activity.create_date + D(seconds=60))
        activity.action_done()
        self.assertFalse(activity.active)
        set_retention_settings(self.env, retention_min_call_seconds=90)
        second = self._activity()
        self._pbx_call(60, second.create_date + D(seconds=5))
        with self.assertRaisesRegex(UserError, "less than 90 s"):
            second.action_done()

    def test_call_before_activity_refused(self):
        """A call made before the activity existed does not count."""
        activity = self._activity()
        self._pbx_call(300, activity.create_date - D(minutes=10))
        with self.assertRaisesRegex(UserError, "since the activity was created"):
            activity.action_done()

    def test_one_call_closes_one_activity(self):
        """A call that closed an activity cannot close another, even in the same batch."""
        first, second = self._activity(), self._activity()
        self._pbx_call(60, first.create_date + D(seconds=5))
        with self.assertRaisesRegex(UserError, "cannot be marked done"):
            (first | second).action_done()
        self.assertTrue(first.active and second.active, "all or nothing")
        first.action_done()
        with self.assertRaisesRegex(UserError, "already closed other activities"):
            second.action_done()

    def test_other_company_call_does_not_verify(self):
        """A customer shared by two companies: a call logged by the other company's PBX does not close the
        follow-up, whose company was decided when it was created; giving the assignee access to the other
        company afterwards changes nothing, a follow-up of the other company is closed by it."""
        other = self.env["res.company"].create(
            {"name": "Retention Sister Co", "country_id": self.env.ref("base.us").id}
        )
        activity = self._activity()
        self.Call._retention_ingest(
            [
                (
                    0,
                    {
                        "call_id": "SISTER-1",
                        "number": "+1 650 253 0000",
                        "direction": "outbound",
                        "start": (activity.create_date + D(seconds=5)).isoformat(),
                        "duration": 120,
                    },
                )
            ],
            "pbx",
            other,
        )
        sister_call = self.Call.search([("external_id", "=", "SISTER-1")])
        self.assertEqual(sister_call.commercial_partner_id, self.customer, "matched: the customer is shared")
        with self.assertRaisesRegex(UserError, "no call logged"):
            activity.action_done()
        self.assertEqual(activity.retention_company_id, self.company)
        self.salesman.company_ids = [Command.link(other.id)]
        with self.assertRaisesRegex(UserError, "no call logged"):
            activity.action_done()
        self.assertTrue(activity.active)
        sister_activity = self._activity()
        with retention_system():
            sister_activity.retention_company_id = other
        self.Call._retention_ingest(
            [
                (
                    0,
                    {
                        "call_id": "SISTER-2",
                        "number": "+1 650 253 0000",
                        "direction": "outbound",
                        "start": (sister_activity.create_date + D(seconds=9)).isoformat(),
                        "duration": 120,
                    },
                )
            ],
            "pbx",
            other,
        )
        sister_activity.action_done()
        self.assertEqual(sister_activity.retention_call_id.company_id, other)

    def test_manual_call_never_verifies(self):
        """A call typed by hand is unverified, even if the user claims otherwise in the values."""
        activity = self._activity()
        manual = self.Call.with_user(self.salesman).create(
            {
                "partner_id": self.customer.id,
                "phone_number": "+16502530000",
                "duration_seconds": 300,
                "start": activity.create_date + D(seconds=5),
                "source": "pbx",
                "external_id": "forged",
            }
        )
        self.assertEqual(manual.source, "manual")
        self.assertFalse(manual.verified)
        with self.assertRaisesRegex(UserError, "manually logged"):
            activity.action_done()

    def test_context_keys_do_not_bypass(self):
        """No context key switches the rule off."""
        activity = self._activity()
        for key in (
            "order_retention_system_close",
            "order_retention_skip_verification",
            "mail_activity_automation_skip",
            "order_retention_ingest_token",
            "active_test",
        ):
            with self.subTest(key=key), self.assertRaises(UserError):
                activity.with_context(**{key: True}).action_done()

    def test_system_close_bypasses(self):
        """The retention cycle's own closure (customer ordered) needs no call."""
        activity = self._activity()
        activity._retention_close_system("ordered again")
        self.assertFalse(activity.active)

    def test_unlink_rules(self):
        """A salesperson cannot cancel a retention call; a manager can, and it is logged."""
        activity = self._activity()
        with self.assertRaisesRegex(UserError, "cannot be cancelled"):
            activity.with_user(self.salesman).unlink()
        activity.with_user(self.leader).unlink()
        self.assertFalse(activity.exists())
        bodies = self.customer.message_ids.mapped("body")
        self.assertTrue(any("cancelled by Leo Leader" in str(b) for b in bodies))

    def test_manager_override_with_reason(self):
        """Managers close without a call through the override wizard, with a logged reason; salespeople cannot."""
        activity = self._activity()
        wizard = (
            self.env["mail.activity.retention.override"]
            .with_user(self.leader)
            .create({"activity_ids": [(6, 0, activity.ids)], "reason": "Ordered by e-mail after a visit"})
        )
        wizard.action_close()
        self.assertFalse(activity.active)
        self.assertTrue(
            any("Ordered by e-mail after a visit" in str(b) for b in self.customer.message_ids.mapped("body"))
        )
        other = self._activity()
        with self.assertRaises(AccessError):
            self.env["mail.activity.retention.override"].with_user(self.salesman).create(
                {"activity_ids": [(6, 0, other.ids)], "reason": "nope"}
            ).action_close()

    def test_other_activity_types_untouched(self):
        """Ordinary activities (no flag) close as usual."""
        todo = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "user_id": self.salesman.id,
            }
        )
        todo.action_done()
        self.assertFalse(todo.exists())


@tagged("post_install", "-at_install", "order_retention")
class TestCallMatchingAndImport(CallCommon):
    def test_numbers_match_in_every_format(self):
        """National, international, spaces, dashes, dots and extensions all match the customer (or its contact)."""
        for number, partner in [
            ("(650) 253-0000", self.customer),
            ("650.253.0000 x123", self.customer),
            ("+1 650 253 0000 ext. 45", self.customer),
            ("+16502530000", self.customer),
            ("6502530000", self.customer),
            ("650-555-0199", self.contact),
            ("+1 (650) 555 0199;ext=7", self.contact),
        ]:
            with self.subTest(number=number):
                call = self._pbx_call(30, datetime.datetime(2026, 1, 5, 10), number=number)
                self.assertEqual(call.match_state, "matched")
                self.assertEqual(call.partner_id, partner)
                self.assertEqual(call.commercial_partner_id, self.customer)

    def test_unmatched_kept_and_rematched(self):
        """An unknown number is kept unmatched, then matched when a customer gets that number."""
        call = self._pbx_call(30, datetime.datetime(2026, 1, 5, 10), number="+1 415 555 0142")
        self.assertEqual(call.match_state, "unmatched")
        newcomer = self._create_customer("Newcomer Inc", user=self.salesman)
        newcomer.phone = "415-555-0142"
        self.assertEqual(call.partner_id, newcomer)
        self.assertEqual(call.match_state, "late", "matched only after the number was typed in: not trusted yet")
        with self.assertRaises(AccessError):
            call.with_user(self.salesman).action_confirm_match()
        call.with_user(self.leader).action_confirm_match()
        self.assertEqual(call.match_state, "matched")

    def test_ambiguous_number(self):
        """A number shared by two customers is not guessed."""
        self._create_customer("Twin A", phone="+1 212 555 0100")
        self._create_customer("Twin B", phone="212-555-0100")
        call = self._pbx_call(30, datetime.datetime(2026, 1, 5, 10), number="+12125550100")
        self.assertEqual(call.match_state, "ambiguous")
        self.assertFalse(call.partner_id)

    def test_ingest_many_malformed_rows(self):
        """250 malformed rows are reported one by one; the good rows around them are kept."""
        bad_rows = []
        for i in range(250):
            kind = i % 5
            row = {
                "call_id": "BAD%s" % i,
                "number": "+16502530000",
                "direction": "outbound",
                "start": "2026-01-05T10:00:00",
                "duration": 30,
            }
            if kind == 0:
                row["start"] = "05/01/2026 garbage %s" % i
            elif kind == 1:
                row["duration"] = "-%s" % i
            elif kind == 2:
                row["direction"] = "?%s" % i
            elif kind == 3:
                row["call_id"] = ""
            else:
                row = ["not", "an", "object", i]
            bad_rows.append(row)
        good = [
            {
                "call_id": "GOOD%s" % i,
                "number": number,
                "direction": "in",
                "start": "2026-01-05T10:0%s:00Z" % i,
                "duration": 25,
            }
            for i, number in enumerate(["+16502530000", "999-00", "123", "+999 1", "6505550199"])
        ]
        rows = list(enumerate(bad_rows[:125] + good + bad_rows[125:]))
        report = self.Call._retention_ingest(rows, "pbx", self.company)
        self.assertEqual((report["created"], report["rejected"], report["duplicate"]), (5, 250, 0))
        self.assertEqual(len({e["row"] for e in report["errors"]}), 250)
        calls = self.Call.search([("external_id", "like", "GOOD")])
        self.assertEqual(len(calls), 5)
        self.assertEqual(sorted(calls.mapped("match_state")), ["invalid", "invalid", "invalid", "matched", "matched"])
        again = self.Call._retention_ingest(rows, "pbx", self.company)
        self.assertEqual((again["created"], again["duplicate"]), (0, 5), "idempotent on the PBX call id")

    def _import(self, text, layout="generic"):
        wizard = (
            self.env["retention.call.import"]
            .with_user(self.leader)
            .create({"file": base64.b64encode(text.encode()), "filename": "cdr.csv", "layout": layout})
        )
        wizard.action_preview()
        return wizard

    def test_csv_import_generic(self):
        """Preview changes nothing; import keeps good rows, reports bad ones by line; re-import creates nothing."""
        lines = [
            "call_id;number;direction;start;duration;user_login",
            "C1;+1 650 253 0000;out;2026-01-05T10:00:00;42;",
            "C2;650-555-0199;in;2026-01-05 11:00;1:05;",
            "C3;+1 650 253 0000;out;not a date;42;",
            "C4;;out;2026-01-05T10:00:00;42;",
            "C5;+1 650 253 0000;out;2026-01-05T10:00:00;42;nobody@nowhere",
        ]
        lines += [
            "X%s;%s;out;2026-01-06T09:%02d:00;%s;" % (i, "garbage" * (i % 2), i % 60, "abc" if i % 3 else 30)
            for i in range(200)
        ]
        wizard = self._import("\n".join(lines) + "\n")
        self.assertFalse(self.Call.search([("source", "=", "csv")]), "nothing imported by the preview")
        self.assertIn("Line 4:", wizard.preview)
        wizard.action_import()
        self.assertIn("Line 4:", wizard.result)
        self.assertIn("Line 6:", wizard.result)
        imported = self.Call.search([("source", "=", "csv")])
        self.assertIn("C1", imported.mapped("external_id"))
        self.assertEqual(imported.filtered(lambda c: c.external_id == "C2").duration_seconds, 65)
        self.assertTrue(all(imported.mapped("verified")))
        count = len(imported)
        self._import("\n".join(lines) + "\n").action_import()
        self.assertEqual(self.Call.search_count([("source", "=", "csv")]), count)

    def test_csv_import_asterisk(self):
        """An Asterisk CDR export: extension calling out is outbound to dst; billsec is the duration."""
        text = (
            "accountcode,src,dst,calldate,billsec,disposition,uniqueid\n"
            ",201,6502530000,2026-01-05 10:00:00,33,ANSWERED,1704448800.1\n"
            ",6505550199,201,2026-01-05 11:00:00,12,NO ANSWER,1704452400.2\n"
        )
        self._import(text, "asterisk").action_import()
        out = self.Call.search([("external_id", "=", "1704448800.1")])
        self.assertRecordValues(
            out, [{"direction": "outbound", "duration_seconds": 33, "partner_id": self.customer.id}]
        )
        missed = self.Call.search([("external_id", "=", "1704452400.2")])
        self.assertRecordValues(
            missed, [{"direction": "inbound", "duration_seconds": 0, "partner_id": self.contact.id}]
        )

    def test_csv_wrong_layout(self):
        """A file missing the layout's columns gets a clear error naming them."""
        with self.assertRaisesRegex(UserError, "uniqueid"):
            self._import("a,b\n1,2\n", "asterisk")

    def test_security(self):
        """Own-documents salespeople see only their customers' calls; nobody edits the telephony's facts."""
        mine = self._pbx_call(30, datetime.datetime(2026, 1, 5, 10))
        other_customer = self._create_customer("Someone Else's", user=self.leader, phone="+1 305 555 0111")
        theirs = self._pbx_call(30, datetime.datetime(2026, 1, 5, 10), number="+13055550111")
        self.assertEqual(theirs.commercial_partner_id, other_customer)
        visible = self.Call.with_user(self.salesman).search([("id", "in", (mine | theirs).ids)])
        self.assertEqual(visible, mine)
        with self.assertRaises(AccessError):
            mine.with_user(self.salesman).write({"duration_seconds": 999})
        with self.assertRaises(AccessError, msg="the telephony's facts are not edited, even by a manager"):
            mine.with_user(self.leader).write({"duration_seconds": 999})
        mine.with_user(self.leader).write({"note": "Spoke with the buyer"})
        self.assertEqual(mine.duration_seconds, 30)
        all_docs = new_test_user(self.env, "ret_all_docs", groups="sales_team.group_sale_salesman_all_leads")
        self.assertEqual(self.Call.with_user(all_docs).search_count([("id", "in", (mine | theirs).ids)]), 2)

    def test_partner_smart_button(self):
        """The customer's call count and action cover its contacts' calls."""
        self._pbx_call(30, datetime.datetime(2026, 1, 5, 10))
        self._pbx_call(30, datetime.datetime(2026, 1, 5, 11), number="6505550199")
        self.assertEqual(self.customer.retention_call_count, 2)
        action = self.customer.action_view_retention_calls()
        self.assertEqual(self.Call.search_count(action["domain"]), 2)

    def test_settings_token_form(self):
        """Generating a token from Settings shows it once, in a dialog with a copy button, and stores only its hash."""
        settings = Form(self.env["res.config.settings"].with_user(self.env.ref("base.user_admin"))).save()
        action = settings.action_retention_generate_pbx_token()
        self.assertEqual((action["tag"], action["target"]), ("order_retention.pbx_token_dialog", "new"))
        token = action["params"]["token"]
        self.assertGreaterEqual(len(token), 40)
        self.assertNotIn(token, str(settings.read()), "the clear token is not readable from the settings afterwards")
        self.assertEqual(self.company.retention_pbx_token_hint, "…" + token[-4:])
        self.assertNotIn(token, str(self.company.sudo().retention_pbx_token_hash))
        self.assertEqual(self.env["res.company"]._retention_company_for_token(token), self.company)
        settings.action_retention_revoke_pbx_token()
        self.assertFalse(self.env["res.company"]._retention_company_for_token(token))
