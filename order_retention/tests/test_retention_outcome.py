"""Closing a retention call with its outcome: reached / no answer / wrong number, why the customer is not
ordering, the next step and its effects; Why Customers Leave."""

import datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from ..models.retention_policy import retention_system
from .common import clock_cases, frozen_clock, utc_to_local_date
from .test_retention_hardening import HardeningCommon

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionOutcome(HardeningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.price = cls.env.ref("order_retention.churn_reason_price")
        cls.complaint = cls.env.ref("order_retention.churn_reason_complaint")
        with retention_system():
            cls.customer.write({"retention_status": "cold", "retention_team_id": cls.team.id})

    def _close(self, outcome="reached", reason=None, next_step="expects_order", date=None, feedback="Talked"):
        """Open the dialog as the salesperson from the activity and confirm it; returns (activity, action)."""
        activity = self._followup()
        self._pbx_call(75, activity.create_date + D(seconds=5))
        action = activity.with_user(self.seller).action_retention_mark_done()
        self.assertEqual(action["res_model"], "mail.activity.retention.outcome")
        form = Form(self.env[action["res_model"]].with_user(self.seller).with_context(**action["context"]))
        form.outcome = outcome
        if outcome == "reached":
            form.churn_reason_id = reason or self.price
            form.next_step = next_step
            if date:
                form.next_call_date = date
        form.feedback = feedback
        result = form.save().action_done()
        return activity, result

    def test_outcome_stored_on_call_and_customer(self):
        """The verifying call and the customer keep the outcome; the chatter says it."""
        activity, _result = self._close()
        call = activity.retention_call_id
        self.assertRecordValues(
            call,
            [
                {
                    "outcome": "reached",
                    "churn_reason_id": self.price.id,
                    "next_step": "expects_order",
                    "status_at_call": "cold",
                    "outcome_user_id": self.seller.id,
                }
            ],
        )
        self.assertRecordValues(
            self.customer,
            [
                {
                    "retention_last_outcome": "reached",
                    "retention_last_churn_reason_id": self.price.id,
                    "retention_lost_for_good": False,
                }
            ],
        )
        self.assertFalse(activity.active)
        body = str(self.customer.message_ids[:1].body)
        self.assertIn("Why not ordering: Price", body)
        self.assertIn("Talked", body)

    def test_no_call_no_outcome(self):
        """The dialog does not bypass the verification: without a call nothing is stored."""
        activity = self._followup()
        form = Form(
            self.env["mail.activity.retention.outcome"]
            .with_user(self.seller)
            .with_context(default_activity_id=activity.id)
        )
        form.churn_reason_id = self.price
        form.next_step = "lost_for_good"
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "cannot be marked done"):
            wizard.action_done()
        self.assertTrue(activity.active)
        self.assertFalse(self.customer.retention_lost_for_good)

    def test_reached_needs_reason_and_step(self):
        """Reached without a reason is refused with a clear message."""
        activity = self._followup()
        self._pbx_call(75, activity.create_date + D(seconds=5))
        wizard = (
            self.env["mail.activity.retention.outcome"]
            .with_user(self.seller)
            .create({"activity_id": activity.id, "outcome": "reached"})
        )
        with self.assertRaisesRegex(UserError, "why they are not ordering"):
            wizard.action_done()
        self.assertTrue(activity.active)

    def test_call_again_on_a_date(self):
        """The next retention call is due the agreed day, and the cycle does not add another one."""
        when = datetime.date.today() + D(days=40)
        activity, _result = self._close(next_step="call_again", date=when)
        follow = self._open_followups(self.customer)
        self.assertEqual(len(follow), 1)
        self.assertRecordValues(
            follow,
            [
                {
                    "date_deadline": when,
                    "user_id": self.seller.id,
                    "retention_company_id": activity.retention_company_id.id,
                }
            ],
        )
        self.assertEqual(self.customer.retention_next_call_date, when)

    def test_call_again_dates_are_the_salespersons(self):
        """'After today' and the agreed date are the salesperson's, whatever the hour and their timezone (now,
        then 00:30, 10:30, 12:00 and 23:30 UTC in UTC+14 and UTC-11): their today is refused, their tomorrow is
        the due date of the next retention call, and the outcome is dated their today."""
        for instant, tz in clock_cases():
            with self.subTest(instant=str(instant), tz=tz), frozen_clock(self.env, instant, tz, self.seller):
                today = utc_to_local_date(instant, self.seller.tz or "UTC")
                with self.assertRaisesRegex(UserError, "after today"), self.env.cr.savepoint():
                    self._close(next_step="call_again", date=today)
                self.env.invalidate_all()
                activity, _result = self._close(next_step="call_again", date=today + D(days=1))
                follow = self._open_followups(self.customer).filtered(lambda a, t=today: a.date_deadline > t)
                self.assertEqual(len(follow), 1, "one call back, due the agreed day")
                self.assertEqual(follow.date_deadline, today + D(days=1))
                self.assertEqual(follow.user_id, self.seller)
                self.assertEqual(self.customer.retention_last_outcome_date, today)
                self.assertEqual(self.customer.retention_next_call_date, today + D(days=1))
                follow.with_user(self.leader).unlink()  # the next round starts without it

    def test_lost_for_good_stops_followups_until_an_order(self):
        """A salesperson's lost for good is a request: the customer stays in the call queue until a sales manager
        confirms it; then no retention call while lost for good; a manager can undo it; an order clears it."""
        self._close(next_step="lost_for_good")
        Queue, later = self.env["retention.queue"], datetime.date.today() + D(days=60)
        self.assertFalse(self.customer.retention_lost_for_good, "a request, not yet a decision")
        self.assertTrue(self.customer.retention_lost_requested)
        self.assertIn(self.customer.id, [row[-1] for row in Queue._retention_candidates(later)], "still in the queue")
        with self.assertRaises(AccessError):
            self.customer.with_user(self.seller).action_retention_confirm_lost()
        self.customer.with_user(self.leader).action_retention_confirm_lost()
        self.assertTrue(self.customer.retention_lost_for_good)
        self.assertNotIn(self.customer.id, [row[-1] for row in Queue._retention_candidates(later)], "no call queue")
        with self.assertRaises(AccessError):
            self.customer.with_user(self.seller).action_retention_resume_followups()
        self.customer.with_user(self.leader).action_retention_resume_followups()
        self.assertFalse(self.customer.retention_lost_for_good)
        self.assertIn(self.customer.id, [row[-1] for row in Queue._retention_candidates(later)], "back in the queue")
        with retention_system():
            self.customer.retention_lost_for_good = True
        order = self._create_orders(self.customer, [datetime.date.today()], state="draft", user=self.seller)
        order.action_confirm()
        self.assertFalse(self.customer.retention_lost_for_good, "ordering again ends 'lost for good'")

    def test_quotation_requested(self):
        """A draft quotation is created for the customer and opened."""
        _activity, result = self._close(next_step="quotation")
        order = self.env["sale.order"].browse(result["res_id"])
        self.assertRecordValues(order, [{"partner_id": self.customer.id, "state": "draft", "user_id": self.seller.id}])

    def test_complaint_schedules_analysis_for_the_leader(self):
        """A complaint reason gives the sales team leader a complaint analysis to do."""
        self._close(reason=self.complaint)
        todo = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("activity_type_id", "=", self.env.ref("mail.mail_activity_data_todo").id),
            ]
        )
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.leader)
        self.assertIn("Complaint analysis", todo.summary)

    def test_rpc_close_records_nothing(self):
        """Closing without the dialog (RPC, button) still works, with the outcome 'not recorded'."""
        activity = self._followup()
        call = self._pbx_call(75, activity.create_date + D(seconds=5))
        activity.with_user(self.seller).action_feedback(feedback="done")
        self.assertEqual(call.outcome, "not_recorded")

    def test_no_answer(self):
        """No answer: stored, no reason, no next step."""
        activity, _result = self._close(outcome="no_answer")
        self.assertRecordValues(
            activity.retention_call_id, [{"outcome": "no_answer", "churn_reason_id": False, "next_step": False}]
        )

    def test_why_customers_leave(self):
        """One row per recorded outcome; the win-back rate counts reached customers who ordered within 90 days."""
        self._close(reason=self.price)
        other = self._create_customer("Second Leaver", user=self.seller, phone="+1 650 253 9999")
        with retention_system():
            other.retention_status = "lost"
        activity = self._activity(partner=other, user=self.seller)
        call = self._pbx_call(40, activity.create_date + D(seconds=5), number="+16502539999")
        wizard = (
            self.env["mail.activity.retention.outcome"]
            .with_user(self.seller)
            .create(
                {
                    "activity_id": activity.id,
                    "outcome": "reached",
                    "churn_reason_id": self.price.id,
                    "next_step": "expects_order",
                }
            )
        )
        wizard.action_done()
        self._create_orders(other, [call.start.date() + D(days=10)])
        self.env.flush_all()
        Report = self.env["retention.churn.report"]
        mine = [("reason_id", "=", self.price.id), ("partner_id", "in", (self.customer | other).ids)]
        rows = Report.search(mine)
        self.assertEqual(len(rows), 2)
        self.assertEqual(sorted(rows.mapped("status")), ["cold", "lost"])
        groups = Report._read_group(
            mine, ["reason_id"], ["reached_count:sum", "won_back_count:sum", "win_back_rate:avg"]
        )
        # both calls are today's: no win-back rate until their 90 days are over (see TestChurnReportWindow)
        self.assertEqual(groups[0][1:], (2, 1, False))
        self.assertEqual(Report.with_user(self.seller).search_count(mine), 2)
        statuses = [status for (status,) in Report._read_group([], ["status"], [])]
        rank = ["active", "warm", "cold", "lost", False]
        self.assertEqual(statuses, sorted(statuses, key=rank.index), "Active -> Warm -> Cold -> Lost")
        self.assertEqual(
            Report.with_user(self.salesman).search_count(mine),
            0,
            "own documents: another salesperson's calls and customers stay hidden",
        )

    def test_queue_sorts_and_sums_value_at_risk(self):
        """My Retention Calls carries the customer's value at risk: refreshed daily, sortable, summed."""
        other = self._create_customer("Risky Co", user=self.seller)
        with retention_system():
            self.customer.retention_value_at_risk = 1200.0
            other.retention_value_at_risk = 300.0
        first, second = self._followup(), self._activity(partner=other, user=self.seller)
        self.assertEqual((first.retention_value_at_risk, second.retention_value_at_risk), (1200.0, 300.0))
        self.env.cr.execute(
            "UPDATE retention_customer SET retention_value_at_risk = 5000 WHERE partner_id = %s", [other.id]
        )
        self.env["retention.customer"].invalidate_model(["retention_value_at_risk"])
        self.env["mail.activity"]._retention_refresh_values()
        Activity = self.env["mail.activity"].with_user(self.seller)
        queue = Activity.search([("id", "in", (first | second).ids)], order="retention_value_at_risk desc")
        self.assertEqual(queue.ids, [second.id, first.id])
        [(total,)] = Activity._read_group([("id", "in", queue.ids)], [], ["retention_value_at_risk:sum"])
        self.assertEqual(total, 6200.0)
        with self.assertRaises(AccessError):
            first.with_user(self.seller).write({"retention_value_at_risk": 0})


@tagged("post_install", "-at_install", "order_retention")
class TestOutcomeDialogPreview(HardeningCommon):
    """The outcome dialog's first line says which logged call will close the retention call, or what is still
    missing, before anything is filled in (issue #22)."""

    def _dialog(self, activity, user=None):
        action = activity.with_user(user or self.seller).action_retention_mark_done()
        return Form(self.env[action["res_model"]].with_user(user or self.seller).with_context(**action["context"]))

    def test_missing_call_said_first(self):
        activity = self._followup()
        form = self._dialog(activity)
        self.assertFalse(form.call_ready)
        self.assertIn("no call logged", form.call_preview)
        # a call too short: said with its length and the minimum
        self._pbx_call(12, activity.create_date + D(seconds=5))
        form = self._dialog(activity)
        self.assertFalse(form.call_ready)
        self.assertIn("12 s", form.call_preview)
        self.assertIn("20 s", form.call_preview)
        self.assertTrue(activity.active, "the preview changes nothing")

    def test_closing_call_named_in_the_reader_timezone(self):
        activity = self._followup()
        call = self._pbx_call(60, activity.create_date + D(seconds=5))
        for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
            with self.subTest(tz=tz):
                self.seller.tz = tz
                form = self._dialog(activity)
                self.assertTrue(form.call_ready)
                local = fields.Datetime.context_timestamp(self.seller.with_context(tz=tz), call.start)
                today = fields.Date.context_today(self.seller.with_context(tz=tz))
                self.assertIn("Call of 60 s", form.call_preview)
                self.assertIn(call.phone_number, form.call_preview)
                if local.date() == today:
                    self.assertIn("today at %s" % local.strftime("%H:%M"), form.call_preview)
                else:
                    self.assertNotIn("today", form.call_preview)
        self.assertTrue(activity.active, "the preview changes nothing")
        self.assertFalse(activity.retention_call_id)

    def test_colleague_sees_why_not(self):
        """A salesperson who may not close this call reads the refusal in the first line, no call details."""
        activity = self._followup()
        self._pbx_call(60, activity.create_date + D(seconds=5))
        colleague = new_test_user(self.env, "preview_colleague", groups="sales_team.group_sale_salesman")
        wizard = self.env["mail.activity.retention.outcome"].with_user(colleague).new({"activity_id": activity.id})
        self.assertFalse(wizard.call_ready)
        self.assertNotIn("Call of", wizard.call_preview)
