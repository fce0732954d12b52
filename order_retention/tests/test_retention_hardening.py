"""The call discipline holds against the salespeople it disciplines (ORM level; the same attacks over
JSON-RPC are in test_retention_attacks.py): win-back rules, consumption, late matches, customers with an
open retention call, system fields, the salesperson rule, rights of public methods."""

import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, new_test_user, tagged

from ..tools import call_verification as cv
from .common import clock_cases, frozen_clock, set_retention_settings, utc_to_local_date
from .test_retention_call import CallCommon

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestToolsStrictParsing(BaseCase):
    def test_durations_are_whole_seconds(self):
        """m:ss needs seconds below 60; fractions never round up to the minimum; absurd values are refused."""
        for raw, seconds in [("1:39", 99), ("0:05:00", 300), (19.5, 19), ("19.9", 19), (86400, 86400), ("0", 0)]:
            with self.subTest(raw=raw):
                self.assertEqual(cv.parse_duration(raw), seconds)
        for bad in (
            "1:99",
            "1:60",
            10**400,
            float("inf"),
            float("nan"),
            "1e400",
            "NaN",
            "-1",
            -0.5,
            "999999:00",
            86401,
            "12 s",
            [],
            {},
            "1:2:3:4",
            "٣٠",
        ):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                cv.parse_duration(bad)

    def test_starts(self):
        """Far dates, offsets that overflow and calls from the future are refused with a reason."""
        now = datetime.datetime(2026, 11, 25, 12, 0)
        self.assertEqual(cv.parse_start("2026-11-25T12:04:59Z", now=now), datetime.datetime(2026, 11, 25, 12, 4, 59))
        for bad in (
            "2026-11-25T12:05:01Z",
            "2026-11-25T14:00:00+01:00",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00",
            "9999-12-31",
            "2026-02-30T10:00:00",
            "2026-03-01T10:00:00\x00",
            "2026-03-01T10:00\ud800",
            20260301,
        ):
            with self.subTest(bad=bad), self.assertRaises(ValueError) as caught:
                cv.parse_start(bad, now=now)
            caught.exception.args[0].encode("utf-8")  # the reason itself is always valid text

    def test_numbers_and_text(self):
        """Numbers need 3 digits before any extension; NUL, surrogates and non-scalars are refused."""
        self.assertEqual(cv.parse_number(" +1 650 253 0000 x12 "), "+1 650 253 0000 x12")
        for bad in ("x12", "ext. 12", "+", "1" * 300, "a\x00b", "\ud800123", {"n": 1}, None, ""):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                cv.parse_number(bad)
        self.assertEqual(cv.safe_text("\ud800\x00abc"), "??abc")
        self.assertEqual(cv.safe_text(10**400), "<a 401-digit number>")


class HardeningCommon(CallCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = new_test_user(
            cls.env, "ret_seller", name="Sam Seller", groups="sales_team.group_sale_salesman,base.group_partner_manager"
        )
        cls.customer.user_id = cls.seller
        cls.portal = new_test_user(cls.env, "ret_portal", groups="base.group_portal")

    def _followup(self):
        return self._activity(user=self.seller)


@tagged("post_install", "-at_install", "order_retention")
class TestCallHardening(HardeningCommon):
    def test_call_is_consumed_forever(self):
        """A call that closed A cannot close B, even after a manager deleted A."""
        first = self._followup()
        call = self._pbx_call(60, first.create_date + D(seconds=5))
        first.with_user(self.seller).action_done()
        self.assertTrue(call.consumed_date)
        first.with_user(self.leader).unlink()
        self.assertFalse(call.activity_id, "the link is gone with the activity ...")
        self.assertTrue(call.consumed_date, "... the consumption is not")
        second = self._followup()
        with self.assertRaisesRegex(UserError, "already closed other activities"):
            second.with_user(self.seller).action_done()
        with self.assertRaises(AccessError):
            call.with_user(self.leader).write({"consumed_date": False})

    def test_reopen_needs_a_new_call(self):
        """Only a manager reopens a done retention call, and it then needs a new call."""
        activity = self._followup()
        self._pbx_call(60, activity.create_date + D(seconds=5))
        activity.with_user(self.seller).action_done()
        with self.assertRaises(AccessError):
            activity.with_user(self.seller).write({"active": True})
        activity.with_user(self.leader).action_unarchive()
        self.assertTrue(activity.active)
        self.assertFalse(activity.retention_call_id)
        with self.assertRaisesRegex(UserError, "already closed other activities"):
            activity.with_user(self.seller).action_done()

    def test_identity_and_forged_creation(self):
        """Retyping, moving or re-linking is refused; a retention call cannot be created done or linked."""
        activity = self._followup()
        call = self._pbx_call(60, activity.create_date + D(seconds=5))
        todo = self.env.ref("mail.mail_activity_data_todo")
        for vals in (
            {"activity_type_id": todo.id},
            {"res_id": self.contact.id},
            {"retention_call_id": call.id},
            {"date_done": "2026-01-01"},
            {"retention_company_id": self.company.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                activity.with_user(self.seller).write(vals)
        activity.with_user(self.seller).write(
            {"user_id": self.salesman.id, "date_deadline": activity.date_deadline + D(days=1)}
        )
        self.assertEqual(activity.user_id, self.salesman, "reassigning stays allowed")
        base = {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": self.customer.id,
            "activity_type_id": self.activity_type.id,
            "user_id": self.seller.id,
        }
        for forged in ({"active": False}, {"retention_call_id": call.id}, {"date_done": "2026-01-01"}):
            with self.subTest(forged=forged), self.assertRaises(AccessError):
                self.env["mail.activity"].with_user(self.seller).create(dict(base, **forged))
        with self.assertRaises(AccessError):
            self.env["mail.activity"].with_user(self.seller).create({**base, "activity_type_id": todo.id}).write(
                {"activity_type_id": self.activity_type.id}
            )
        self.assertTrue(activity.active)
        self.assertFalse(activity.retention_call_id)

    def test_late_match_at_intake_and_after(self):
        """A customer who got the number after the call: the call is flagged late and does not verify."""
        activity = self._followup()
        start = activity.create_date + D(seconds=5)
        with freeze_time(start + D(hours=1)):
            self.customer.with_user(self.seller).phone = "+1 650 253 7777"
        call = self._pbx_call(120, start, number="+16502537777")
        self.assertEqual(call.commercial_partner_id, self.customer)
        self.assertEqual(call.match_state, "late")
        with self.assertRaisesRegex(UserError, "matched after a number change"):
            activity.with_user(self.seller).action_done()
        call.with_user(self.leader).action_confirm_match()
        activity.with_user(self.seller).action_done()
        self.assertEqual(activity.retention_call_id, call)

    def test_planted_number_does_not_verify(self):
        """A number put on the customer (or on a new contact) after the retention call was created does not
        close it, until a sales manager confirms the call."""
        activity = self._followup()
        self.env.cr.execute(
            "UPDATE mail_activity SET create_date = create_date - interval '1 hour' WHERE id = %s", [activity.id]
        )
        activity.invalidate_recordset(["create_date"])
        self.contact.with_user(self.seller).mobile = "+1 650 555 4444"
        planted = (
            self.env["res.partner"]
            .with_user(self.seller)
            .create({"name": "Planted Contact", "parent_id": self.customer.id, "phone": "+1 650 555 5555"})
        )
        now = datetime.datetime.now().replace(microsecond=0)
        calls = self._pbx_call(60, now, number="+16505554444") | self._pbx_call(60, now, number="+16505555555")
        self.assertEqual(calls.mapped("match_state"), ["matched", "matched"], "the numbers were there before the calls")
        self.assertEqual(calls.partner_id, self.contact | planted)
        with self.assertRaisesRegex(UserError, "added to the customer after"):
            activity.with_user(self.seller).action_done()
        calls[0].with_user(self.leader).action_confirm_match()
        activity.with_user(self.seller).action_done()
        self.assertEqual(activity.retention_call_id, calls[0])

    def test_postponing_is_bounded(self):
        """A salesperson postpones a retention call up to its limit, never past it; a manager further. The limit
        is 7 full days after its creation day in the salesperson's timezone, at most one day more, whatever the
        hour (now, then 00:30, 10:30, 12:00 and 23:30 UTC for salespeople in UTC+14 and UTC-11)."""
        for instant, tz in clock_cases():
            with self.subTest(instant=str(instant), tz=tz), frozen_clock(self.env, instant, tz, self.seller):
                activity = self._followup()
                self.assertAlmostEqual(activity.create_date, instant, delta=D(seconds=30), msg="create dates follow")
                limit = activity._retention_postpone_limit()
                created = utc_to_local_date(activity.create_date, self.seller.tz or "UTC")
                self.assertIn((limit - created).days, (7, 8), "7 full days in the salesperson's timezone, at most 8")
                # Odoo's snooze counts 7 days from the due date or the server's (UTC) date, the later: a fresh
                # retention call (due on its creation day) can always be snoozed once
                snoozed = max(activity.date_deadline, instant.date()) + D(days=7)
                self.assertLessEqual(snoozed, limit, "a fresh retention call can be snoozed once")
                activity.with_user(self.seller).action_snooze()
                self.assertEqual(activity.date_deadline, snoozed)
                activity.with_user(self.seller).write({"date_deadline": limit})
                with self.assertRaisesRegex(AccessError, "postponed up to 7 days"):
                    activity.with_user(self.seller).write({"date_deadline": limit + D(days=1)})
                with self.assertRaises(AccessError):
                    activity.with_user(self.seller).action_snooze()
                self.assertEqual(activity.date_deadline, limit)
                activity.with_user(self.leader).action_snooze()
                self.assertEqual(activity.date_deadline, limit + D(days=7))
                activity.with_user(self.seller).write({"date_deadline": limit})  # earlier is always fine
                self.assertEqual(activity.date_deadline, limit)

    def test_moving_a_contact_does_not_move_its_calls(self):
        """Calls stay with the customer they were matched to when the contact moves to another company."""
        call = self._pbx_call(60, datetime.datetime(2026, 1, 5, 10), number="6505550199")
        self.assertEqual(call.commercial_partner_id, self.customer)
        elsewhere = self._create_customer("Elsewhere Ltd", user=self.seller)
        self.contact.with_user(self.seller).parent_id = elsewhere
        self.assertEqual(call.commercial_partner_id, self.customer)

    def test_foreign_company_number_is_a_row_error(self):
        """A number owned only by another company's contact is rejected without naming that contact."""
        other = self.env["res.company"].create(
            {"name": "Foreign Retention Co", "country_id": self.env.ref("base.us").id}
        )
        self.env["res.partner"].create(
            {"name": "Secret Foreign Buyer", "company_id": other.id, "phone": "+1 212 555 0199"}
        )
        report = self.Call._retention_ingest(
            [
                (
                    0,
                    {
                        "call_id": "F-1",
                        "number": "+1 212 555 0199",
                        "direction": "in",
                        "start": "2026-01-05T10:00:00Z",
                        "duration": 60,
                    },
                ),
                (
                    1,
                    {
                        "call_id": "F-2",
                        "number": "+1 650 253 0000",
                        "direction": "in",
                        "start": "2026-01-05T10:00:00Z",
                        "duration": 60,
                    },
                ),
            ],
            "pbx",
            self.company,
        )
        self.assertEqual((report["created"], report["rejected"]), (1, 1))
        self.assertIn("another company", report["errors"][0]["reason"])
        self.assertNotIn("Secret", report["errors"][0]["reason"])

    def test_future_call_rejected(self):
        """A call starting more than 5 minutes from now is a row error; good rows around it are stored."""
        future = (datetime.datetime.now() + D(minutes=30)).isoformat()
        report = self.Call._retention_ingest(
            [
                (
                    0,
                    {
                        "call_id": "FUT-1",
                        "number": "+1 650 253 0000",
                        "direction": "in",
                        "start": future,
                        "duration": 60,
                    },
                ),
                (
                    1,
                    {
                        "call_id": "FUT-2",
                        "number": "+1 650 253 0000",
                        "direction": "in",
                        "start": "2026-01-05T10:00:00Z",
                        "duration": "1:39",
                    },
                ),
            ],
            "pbx",
            self.company,
        )
        self.assertEqual((report["created"], report["rejected"]), (1, 1))
        self.assertIn("future", report["errors"][0]["reason"])
        self.assertEqual(self.Call.search([("external_id", "=", "FUT-2")]).duration_seconds, 99)


@tagged("post_install", "-at_install", "order_retention")
class TestCustomerHardening(HardeningCommon):
    def test_system_fields_of_partners_and_orders(self):
        """Statistics, status and follow-up bookkeeping are written by the cycle only."""
        for vals in (
            {"retention_status": "active"},
            {"retention_lost_for_good": True},
            {"retention_waiting_since": "2099-01-01"},
            {"retention_customer_id": False},
            {"retention_restore_order_id": False},
            {"retention_phone_changed": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.customer.with_user(self.seller).write(vals)
        created = (
            self.env["res.partner"]
            .with_user(self.seller)
            .create({"name": "Fresh Forge", "retention_status": "lost", "retention_waiting_since": "2099-01-01"})
        )
        self.assertFalse(created.retention_status or created.retention_waiting_since)
        self.assertFalse(self.env["retention.customer"].search([("partner_id", "=", created.id)]), "no row forged")
        order = self._create_orders(self.customer, [datetime.date(2026, 1, 5)], state="draft", user=self.seller)
        with self.assertRaises(AccessError):
            order.with_user(self.seller).write({"retention_won_back": True})

    def test_salesperson_change(self):
        """Own-documents salespeople claim unowned customers only; managers and all-documents users reassign."""
        unowned = self._create_customer("Nobody's Co")
        unowned.with_user(self.seller).user_id = self.seller
        self.assertEqual(unowned.user_id, self.seller)
        theirs = self._create_customer("Leader's Co", user=self.leader)
        for partner, user in ((theirs, self.seller), (self.customer, self.salesman), (self.customer, False)):
            with self.subTest(partner=partner.name, user=user), self.assertRaises(AccessError):
                partner.with_user(self.seller).write({"user_id": user.id if user else False})
        all_docs = new_test_user(
            self.env, "ret_all_docs_h", groups="sales_team.group_sale_salesman_all_leads,base.group_partner_manager"
        )
        theirs.with_user(all_docs).user_id = self.seller
        self.assertEqual(theirs.user_id, self.seller)

    def test_customer_with_open_followup_cannot_disappear(self):
        """Archive, toggle, delete or merge of the customer or a contact is refused; a manager's is logged."""
        activity = self._followup()
        attempts = {
            "archive": lambda p: p.write({"active": False}),
            "action_archive": lambda p: p.action_archive(),
            "toggle_active": lambda p: p.toggle_active(),
            "unlink": lambda p: p.unlink(),
        }
        for partner in (self.customer, self.contact):
            for name, attempt in attempts.items():
                with (
                    self.subTest(partner=partner.name, path=name),
                    self.assertRaisesRegex(UserError, "open retention call"),
                ):
                    attempt(partner.with_user(self.seller))
        other = self._create_customer("Merge Target", user=self.seller)
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.seller)
            .create({"partner_ids": [Command.set([self.customer.id, other.id])], "dst_partner_id": other.id})
        )
        with self.assertRaisesRegex(UserError, "open retention call"):
            wizard.action_merge()
        self.assertTrue(activity.exists() and activity.active)
        self.contact.with_user(self.leader).action_archive()
        self.assertFalse(self.contact.active)
        self.assertIn("retention call was open", str(self.customer.message_ids[:1].body))

    def test_public_methods_check_rights(self):
        """Portal and salespeople cannot run manager actions; portal cannot run internal ones."""
        call = self._pbx_call(60, datetime.datetime(2026, 1, 5, 10), number="+1 415 555 0100")
        for user in (self.portal, self.seller):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.customer.with_user(user).action_retention_recompute()
                with self.assertRaises(AccessError):
                    call.with_user(user).action_rematch()
                with self.assertRaises(AccessError):
                    call.with_user(user).action_confirm_match()
        for method in (
            "action_view_retention_calls",
            "action_view_retention_activities",
            "action_retention_find_duplicate_quotations",
        ):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(self.customer.with_user(self.portal), method)()
        self.customer.with_user(self.leader).action_retention_recompute()

    def test_csv_import_company_must_be_allowed(self):
        """A manager cannot import calls into a company they do not work for."""
        other = self.env["res.company"].create({"name": "Not Mine Co"})
        wizard = (
            self.env["retention.call.import"]
            .with_user(self.leader)
            .create({"file": "Y2FsbF9pZCxudW1iZXIsZGlyZWN0aW9uLHN0YXJ0LGR1cmF0aW9uCg==", "layout": "generic"})
        )
        wizard.sudo().company_id = other
        with self.assertRaisesRegex(AccessError, "not one of your companies"):
            wizard.with_user(self.leader).action_import()


@tagged("post_install", "-at_install", "order_retention")
class TestWinBackHardening(HardeningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.regular = cls._create_customer("Regular Win-Back Co", user=cls.salesman)
        cls._create_orders(cls.regular, cls._regular_dates(cls.BASE, 10, 12))
        set_retention_settings(cls.env, retention_lost_probability=1.0)
        set_retention_settings(cls.env, retention_lost_cap_days=5000)
        cls.day = cls.BASE + D(days=40)

    def _cold_with_followup(self):
        self._run(self.day)
        self.assertEqual(self.regular.retention_status, "cold")
        followup = self._open_followups(self.regular)
        self.assertEqual(len(followup), 1)
        return followup

    def _confirm(self, amount):
        order = self._create_orders(self.regular, [self.day], amount=amount, state="draft")
        order.action_confirm()
        return order

    def test_zero_amount_order_wins_nobody_back(self):
        """A 0-value order closes nothing and does not count for the rhythm."""
        followup = self._cold_with_followup()
        order = self._confirm(0.0)
        self.assertFalse(order.retention_won_back)
        self.assertTrue(followup.active)
        self._run(self.day + D(days=1))
        self.assertEqual(self.regular.retention_status, "cold")

    def test_minimum_amount_setting(self):
        """Above the Settings minimum only."""
        set_retention_settings(self.env, retention_winback_min_amount=50)
        followup = self._cold_with_followup()
        self.assertFalse(self._confirm(40.0).retention_won_back)
        self.assertTrue(followup.active)
        self.assertTrue(self._confirm(600.0).retention_won_back)
        self.assertFalse(followup.active)

    def test_cancelled_winback_puts_the_followup_back(self):
        """Cancelled within 30 days: the next cycle creates a follow-up due that day naming the order."""
        self._cold_with_followup()
        order = self._confirm(100.0)
        self.assertFalse(self._open_followups(self.regular))
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(self.regular.retention_restore_order_id, order)
        next_day = self.day + D(days=1)
        self._run(next_day)
        restored = self._open_followups(self.regular)
        self.assertEqual(len(restored), 1)
        self.assertEqual(restored.date_deadline, next_day)
        self.assertIn(order.name, str(restored.note))
        self.assertFalse(self.regular.retention_restore_order_id)
        self._run(next_day + D(days=1))
        self.assertEqual(len(self._open_followups(self.regular)), 1, "put back once")

    def test_late_cancellation_does_not_restore(self):
        """Cancelled more than 30 days after the win-back: the interval rules as usual."""
        self._cold_with_followup()
        order = self._confirm(100.0)
        with freeze_time(order.date_order + D(days=31)):
            order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertFalse(self.regular.retention_restore_order_id)
