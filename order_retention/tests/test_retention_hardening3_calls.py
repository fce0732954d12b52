"""Hardening, round three (issue #21): the retention call, its outcome dialog and who sees it - attacked over real
JSON-RPC (/web/dataset/call_kw) as an Own Documents Only salesperson, a second salesperson, a salesperson of
another company and a portal user; each attack is checked from a fresh cache to have changed nothing.

1. The outcome dialog applies the rules of closing a retention call directly: the caller's right to that call
   (assignee, the customer's salesperson, All Documents, sales managers), the follow-up's company (one of the
   caller's companies, whose retention calls alone they list) and the caller's own calls (a call the telephony
   attributes to a colleague verifies nothing for anyone else).
2. *Lost for good* by a salesperson is a request a sales manager confirms or rejects (per company); until then the
   customer stays in the call queue.
3. The complaint analysis reaches someone else than the salesperson who reported it, and only a sales manager
   removes it.
4. Done retention calls and their verifying calls stay hidden from Own Documents Only colleagues.
5. The closing note is escaped once: no literal ``<br/>`` in the chatter.
6. Far due dates and an empty due date are clear refusals, never a traceback (OverflowError, TypeError)."""

import datetime

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from ..models.retention_policy import retention_system
from .queue_common import MANAGER, PASSWORD, REFUSED, SALES, QueueFixture, RpcMixin

D = datetime.timedelta
ACCESS = {"odoo.exceptions.AccessError"}
OUTCOME = "mail.activity.retention.outcome"
REQUEST = "retention.lost.request"


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionHardening3Calls(QueueFixture, RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._queue_setup()
        env = cls.env
        us = env.ref("base.us")
        own = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)], "password": PASSWORD}
        cls.all_docs = new_test_user(
            env,
            "h3_all_docs",
            groups="sales_team.group_sale_salesman_all_leads,base.group_partner_manager",
            name="Alma All-Docs",
            **own,
        )
        cls.portal = new_test_user(env, "h3_portal", groups="base.group_portal", name="Pat Portal", **own)
        cls.other_company = env["res.company"].create({"name": "H3 Sister Co", "country_id": us.id})
        sister = {
            "password": PASSWORD,
            "company_id": cls.other_company.id,
            "company_ids": [Command.set(cls.other_company.ids)],
        }
        cls.sister = new_test_user(env, "h3_sister", groups=SALES, name="Sid Sister", **sister)
        cls.sister_manager = new_test_user(env, "h3_sister_mgr", groups=MANAGER, name="Sia Sister-Boss", **sister)
        cls.own = cls._customer("H3 Own Account", cls.s1, var=1000, phone="+1 415-555-7100")
        cls.colleague_customer = cls._customer("H3 Colleague Account", cls.s2, var=900, phone="+1 415-555-7200")
        cls.unowned = cls._customer("H3 Nobody's Account", None, var=800, phone="+1 415-555-7300")
        with retention_system():
            (cls.own | cls.colleague_customer | cls.unowned).write({"retention_team_id": cls.team.id})
        cls.price = env.ref("order_retention.churn_reason_price")
        cls.complaint = env.ref("order_retention.churn_reason_complaint")
        cls.todo_type = env.ref("mail.mail_activity_data_todo")

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _pbx_as(self, number, agent=None, seconds=60, company=None):
        """A verified telephony call, attributed to ``agent`` (its user_login) when given."""
        type(self)._phone_seq += 1
        call_id = "H3-%s-%s" % (self._testMethodName[-30:], self._phone_seq)
        row = {
            "call_id": call_id,
            "number": number,
            "direction": "outbound",
            "start": (self.env.cr.now() + D(seconds=5 + self._phone_seq)).isoformat(),
            "duration": seconds,
        }
        if agent:
            row["user_login"] = agent.login
        report = self.env["retention.call"]._retention_ingest([(0, row)], "pbx", company or self.company)
        self.assertEqual(report["created"], 1, report)
        return self.env["retention.call"].search([("external_id", "=", call_id)])

    def _outcome_rpc(self, activity, next_step="lost_for_good", reason=None, outcome="reached", feedback=None):
        """The outcome dialog over JSON-RPC as the logged-in user: create it, confirm it. Returns (result, error)
        of the first refused step, else of the confirmation."""
        vals = {"activity_id": activity.id, "outcome": outcome}
        if outcome == "reached":
            vals.update(churn_reason_id=(reason or self.price).id, next_step=next_step)
        if feedback is not None:
            vals["feedback"] = feedback
        wizard_id, error = self._rpc(OUTCOME, "create", [vals])
        if error:
            return wizard_id, error
        return self._rpc(OUTCOME, "action_done", wizard_id if isinstance(wizard_id, list) else [wizard_id])

    def _open(self, activity):
        self.env.invalidate_all()
        record = self.env["mail.activity"].with_context(active_test=False).browse(activity.id)
        return bool(record.exists() and record.active and not record.retention_call_id)

    def assertUntouched(self, activity, customer, call=None):
        """The retention call is open and unverified, the customer in the loop, the call unused."""
        self.assertTrue(self._open(activity), "the retention call was closed")
        self.assertFalse(customer.retention_lost_for_good, "the customer left the loop")
        if call:
            self.assertFalse(call.consumed_date or call.activity_id, "the call was used")

    def _in_queue(self, customer):
        return customer.id in [row[-1] for row in self.Queue._retention_candidates(self.today + D(days=60))]

    def _requests(self, customer):
        return self.env[REQUEST].with_context(active_test=False).search([("partner_id", "=", customer.id)])

    # ------------------------------------------------------------------
    # 1. the outcome dialog applies the rules of closing the call directly
    # ------------------------------------------------------------------

    def test_dialog_colleague_call_on_colleague_customer(self):
        """A salesperson cannot close a colleague's retention call on the colleague's customer with the colleague's
        call: neither with the outcome dialog (as lost for good) nor directly."""
        activity = self._system_call(self.colleague_customer, self.s2)
        call = self._pbx_as("+1 415-555-7200", agent=self.s2)
        self._login(self.s1)
        self.assertRefused(self._outcome_rpc(activity), ACCESS)
        self.assertUntouched(activity, self.colleague_customer, call)
        self.assertRefused(self._rpc("mail.activity", "action_done", [activity.id]), ACCESS)
        self.assertUntouched(activity, self.colleague_customer, call)
        # the assignee closes it with their own call
        self._login(self.s2)
        self.assertAllowed(self._outcome_rpc(activity, next_step="expects_order"))
        self.assertFalse(self._open(activity))
        self.assertEqual(activity.with_context(active_test=False).retention_call_id, call)

    def test_dialog_colleague_call_on_own_customer(self):
        """A call the telephony attributes to a colleague does not verify the salesperson's own retention call
        (theirs are their own calls); a call of no agent or of theirs does."""
        activity = self._system_call(self.own, self.s1)
        colleague_call = self._pbx_as("+1 415-555-7100", agent=self.s2)
        self._login(self.s1)
        self.assertRefused(self._outcome_rpc(activity, next_step="expects_order"))
        self.assertRefused(self._rpc("mail.activity", "action_done", [activity.id]))
        self.assertUntouched(activity, self.own, colleague_call)
        own_call = self._pbx_as("+1 415-555-7100", agent=self.s1, seconds=30)
        self.assertAllowed(self._outcome_rpc(activity, next_step="expects_order"))
        self.assertEqual(activity.with_context(active_test=False).retention_call_id, own_call)

    def test_dialog_unrelated_salesperson_on_unowned_customer(self):
        """A salesperson cannot close a retention call assigned to somebody else on a customer nobody owns."""
        activity = self._system_call(self.unowned, self.fallback)
        call = self._pbx_as("+1 415-555-7300")
        for user in (self.s1, self.s3):
            self._login(user)
            self.assertRefused(self._outcome_rpc(activity), ACCESS)
            self.assertRefused(self._rpc("mail.activity", "action_feedback", [activity.id], feedback="x"), ACCESS)
            self.assertUntouched(activity, self.unowned, call)
        self._login(self.fallback)
        self.assertAllowed(self._outcome_rpc(activity, next_step="expects_order"))
        self.assertFalse(self._open(activity))

    def test_dialog_other_company(self):
        """A salesperson of company 2 neither lists company 1's retention calls (with their value at risk) nor
        closes one, even with a call of company 1; nor does a sales manager of company 2."""
        activity = self._system_call(self.colleague_customer, self.s2)
        self.assertEqual(activity.retention_company_id, self.company)
        call = self._pbx_as("+1 415-555-7200")
        for user in (self.sister, self.sister_manager):
            self._login(user)
            rows = self.assertAllowed(
                self._rpc(
                    "mail.activity",
                    "search_read",
                    [("retention_followup", "=", True)],
                    fields=["retention_value_at_risk", "res_id"],
                )
            )
            self.assertNotIn(activity.id, [row["id"] for row in rows], "company 1's calls are listed")
            self.assertRefused(self._rpc("mail.activity", "read", [activity.id], ["retention_value_at_risk"]))
            self.assertRefused(self._outcome_rpc(activity), ACCESS)
            self.assertRefused(self._rpc("mail.activity", "action_done", [activity.id]), ACCESS)
            self.assertUntouched(activity, self.colleague_customer, call)
        # the manager of company 1 may (a sales manager's right on their company's calls)
        self._login(self.leader)
        self.assertAllowed(self._outcome_rpc(activity, next_step="expects_order"))
        self.assertFalse(self._open(activity))

    def test_dialog_portal(self):
        """A portal user gets nothing from the dialog."""
        activity = self._system_call(self.own, self.s1)
        call = self._pbx_as("+1 415-555-7100")
        self._login(self.portal)
        self.assertRefused(self._outcome_rpc(activity))
        self.assertRefused(self._rpc(REQUEST, "search_read", [], fields=["partner_id"]))
        self.assertUntouched(activity, self.own, call)

    # ------------------------------------------------------------------
    # 2. lost for good is a request a sales manager confirms
    # ------------------------------------------------------------------

    def test_lost_for_good_by_salesperson_is_a_request(self):
        """A salesperson's *lost for good* records a request; the customer stays in the queue until a manager of
        the company confirms it; neither the salesperson nor another company confirms or forges it."""
        activity = self._system_call(self.own, self.s1)
        self._pbx_as("+1 415-555-7100")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity, feedback="They buy elsewhere now"))
        self.assertFalse(self._open(activity), "the retention call itself is closed")
        self.assertFalse(self.own.retention_lost_for_good, "not lost for good before a manager confirms")
        self.assertTrue(self._in_queue(self.own), "the customer stays in the call queue")
        request = self._requests(self.own)
        self.assertRecordValues(
            request,
            [
                {
                    "state": "pending",
                    "requested_by_id": self.s1.id,
                    "company_id": self.company.id,
                    "churn_reason_id": self.price.id,
                }
            ],
        )
        self.assertIn("They buy elsewhere now", request.note)
        self.assertTrue(self.own.retention_lost_requested)
        self.assertIn("requested", str(self.own.message_ids[:1].body).lower())
        # the salesperson sees it, but confirms nothing, forges nothing
        self.assertEqual(self.assertAllowed(self._rpc(REQUEST, "search", [])), request.ids)
        for method, args in [
            ("action_confirm", []),
            ("write", [{"state": "confirmed"}]),
            ("unlink", []),
        ]:
            self.assertRefused(self._rpc(REQUEST, method, request.ids, *args))
        self.assertRefused(self._rpc("res.partner", "action_retention_confirm_lost", self.own.ids), ACCESS)
        self.assertRefused(
            self._rpc(REQUEST, "create", [{"partner_id": self.colleague_customer.id, "company_id": self.company.id}])
        )
        self.assertRefused(self._rpc("res.partner", "write", self.own.ids, {"retention_lost_for_good": True}))
        # another salesperson does not see it (the customer is not theirs); company 2's manager neither
        self._login(self.s2)
        self.assertEqual(self.assertAllowed(self._rpc(REQUEST, "search", [])), [])
        self._login(self.sister_manager)
        self.assertEqual(self.assertAllowed(self._rpc(REQUEST, "search", [])), [])
        self.assertRefused(self._rpc(REQUEST, "action_confirm", request.ids))
        self.assertRefused(self._rpc("res.partner", "action_retention_confirm_lost", self.own.ids))
        self.env.invalidate_all()
        self.assertEqual(request.state, "pending")
        self.assertFalse(self.own.retention_lost_for_good)
        # the manager of the company lists it and confirms it
        self._login(self.leader)
        self.assertIn(request.id, self.assertAllowed(self._rpc(REQUEST, "search", [("state", "=", "pending")])))
        self.assertAllowed(self._rpc(REQUEST, "action_confirm", request.ids))
        self.env.invalidate_all()
        self.assertRecordValues(request, [{"state": "confirmed", "decided_by_id": self.leader.id}])
        self.assertTrue(self.own.retention_lost_for_good)
        self.assertFalse(self.own.retention_lost_requested)
        self.assertFalse(self._in_queue(self.own), "confirmed: out of the call queue")
        self.assertRefused(self._rpc(REQUEST, "action_reject", request.ids), REFUSED)

    def test_lost_for_good_request_rejected(self):
        """A manager rejects the request from the customer: the customer stays in the loop and the chatter says
        who rejected it."""
        activity = self._system_call(self.own, self.s1)
        self._pbx_as("+1 415-555-7100")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity))
        self.assertRefused(self._rpc("res.partner", "action_retention_reject_lost", self.own.ids), ACCESS)
        self._login(self.leader)
        self.assertAllowed(self._rpc("res.partner", "action_retention_reject_lost", self.own.ids))
        self.env.invalidate_all()
        request = self._requests(self.own)
        self.assertRecordValues(request, [{"state": "rejected", "decided_by_id": self.leader.id}])
        self.assertFalse(self.own.retention_lost_for_good)
        self.assertTrue(self._in_queue(self.own))
        self.assertIn("rejected by Leo Leader", str(self.own.message_ids[:1].body))

    def test_lost_for_good_by_manager_is_immediate(self):
        """A sales manager closing a call as lost for good confirms it at once."""
        activity = self._system_call(self.own, self.leader)
        self._pbx_as("+1 415-555-7100")
        self._login(self.leader)
        self.assertAllowed(self._outcome_rpc(activity))
        self.env.invalidate_all()
        self.assertTrue(self.own.retention_lost_for_good)
        self.assertRecordValues(self._requests(self.own), [{"state": "confirmed", "decided_by_id": self.leader.id}])
        self.assertFalse(self._in_queue(self.own))

    # ------------------------------------------------------------------
    # 3. the complaint analysis
    # ------------------------------------------------------------------

    def _complaint_todo(self, customer):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("activity_type_id", "=", self.todo_type.id),
                ("summary", "ilike", "Complaint analysis"),
            ]
        )

    def test_complaint_analysis_reaches_someone_else(self):
        """Without a team leader the complaint analysis goes to the fallback user; with the salesperson being the
        fallback too, to a sales manager; never to the salesperson who reported it."""
        leaderless = self.env["crm.team"].create({"name": "H3 Leaderless", "user_id": False})
        with retention_system():
            self.own.write({"retention_team_id": leaderless.id})
        activity = self._system_call(self.own, self.s1)
        self._pbx_as("+1 415-555-7100")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity, reason=self.complaint, next_step="expects_order"))
        todo = self._complaint_todo(self.own)
        self.assertEqual(todo.user_id, self.fallback)
        todo.with_user(self.leader).unlink()
        # the salesperson is the fallback user as well: a sales manager gets it
        self.env["ir.config_parameter"].sudo().set_param("order_retention.fallback_user_id", self.s1.id)
        activity = self._system_call(self.own, self.s1)
        self._pbx_as("+1 415-555-7100")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity, reason=self.complaint, next_step="expects_order"))
        todo = self._complaint_todo(self.own)
        self.assertEqual(len(todo), 1)
        self.assertNotEqual(todo.user_id, self.s1)
        self.assertTrue(todo.user_id.has_group("sales_team.group_sale_manager"))
        # the salesperson leading the team does not get it either
        self.team.user_id = self.s1
        todo.with_user(self.leader).unlink()
        activity = self._system_call(self.colleague_customer, self.s1)
        self._pbx_as("+1 415-555-7200")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity, reason=self.complaint, next_step="expects_order"))
        self.assertNotEqual(self._complaint_todo(self.colleague_customer).user_id, self.s1)

    def test_complaint_analysis_removed_by_a_manager_only(self):
        """The salesperson who reported the complaint cannot delete, cancel, close or take over its analysis; a
        sales manager can remove it."""
        activity = self._system_call(self.own, self.s1)
        self._pbx_as("+1 415-555-7100")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity, reason=self.complaint, next_step="expects_order"))
        todo = self._complaint_todo(self.own)
        self.assertEqual(todo.user_id, self.leader)
        for method, args, kwargs in [
            ("unlink", [], {}),
            ("action_cancel", [], {}),
            ("action_done", [], {}),
            ("action_feedback", [], {"feedback": "nothing to see"}),
            ("write", [{"active": False}], {}),
            ("write", [{"user_id": self.s1.id}], {}),
            ("write", [{"res_id": self.unowned.id}], {}),
        ]:
            with self.subTest(method=method, args=args):
                self.assertRefused(self._rpc("mail.activity", method, todo.ids, *args, **kwargs))
                self.env.invalidate_all()
                self.assertTrue(todo.exists() and todo.active, "the complaint analysis was removed")
                self.assertEqual(todo.user_id, self.leader)
        self.assertRefused(self._rpc("res.partner", "activity_unlink", self.own.ids, ["mail.mail_activity_data_todo"]))
        self.assertTrue(todo.exists())
        self._login(self.leader)
        self.assertAllowed(self._rpc("mail.activity", "unlink", todo.ids))
        self.assertFalse(todo.exists())

    # ------------------------------------------------------------------
    # 4. done retention calls stay with their customer's salesperson
    # ------------------------------------------------------------------

    def test_done_calls_hidden_from_colleagues(self):
        """A colleague's done retention call (the archived activity, its chatter message) and the call that
        verified it are invisible to an Own Documents Only salesperson; their own and unowned customers' are
        visible, as are all of them to All Documents users and managers."""
        theirs = self._system_call(self.colleague_customer, self.s2)
        their_call = self._pbx_as("+1 415-555-7200", agent=self.s2)
        free = self._system_call(self.unowned, self.fallback)
        free_call = self._pbx_as("+1 415-555-7300")
        self._login(self.s2)
        self.assertAllowed(self._outcome_rpc(theirs, next_step="expects_order", feedback="secret terms"))
        self._login(self.fallback)
        self.assertAllowed(self._outcome_rpc(free, next_step="expects_order"))
        retention_type = self.activity_type.id
        msg_domain = [("mail_activity_type_id", "=", retention_type), ("model", "=", "res.partner")]
        theirs_msg = self.env["mail.message"].search(msg_domain + [("res_id", "=", self.colleague_customer.id)])
        free_msg = self.env["mail.message"].search(msg_domain + [("res_id", "=", self.unowned.id)])
        self.assertTrue(theirs_msg and free_msg)
        self._login(self.s1)
        done = self.assertAllowed(
            self._rpc(
                "mail.activity",
                "search",
                [("id", "in", [theirs.id, free.id])],
                context={"active_test": False},
            )
        )
        self.assertEqual(done, [free.id], "a colleague's done retention call is listed")
        self.assertRefused(self._rpc("mail.activity", "read", [theirs.id], ["note", "retention_call_id"]), ACCESS)
        messages = self.assertAllowed(self._rpc("mail.message", "search", msg_domain))
        self.assertNotIn(theirs_msg.id, messages, "its chatter message is readable")
        self.assertIn(free_msg.id, messages)
        self.assertRefused(self._rpc("mail.message", "read", theirs_msg.ids, ["body"]), ACCESS)
        self.assertRefused(self._rpc("retention.call", "read", their_call.ids, ["duration_seconds"]), ACCESS)
        self.assertAllowed(self._rpc("retention.call", "read", free_call.ids, ["duration_seconds"]))
        # the chatter of the colleague's customer as the web client loads it
        response = self.url_open(
            "/mail/thread/messages",
            data='{"params": {"thread_model": "res.partner", "thread_id": %d, "limit": 100}}'
            % self.colleague_customer.id,
            headers={"Content-Type": "application/json"},
        )
        self.assertNotIn("secret terms", response.text)
        for user in (self.s2, self.all_docs, self.leader):
            self._login(user)
            self.assertIn(theirs_msg.id, self.assertAllowed(self._rpc("mail.message", "search", msg_domain)))
            self.assertAllowed(self._rpc("mail.activity", "read", [theirs.id], ["note"]))
            self.assertAllowed(self._rpc("retention.call", "read", their_call.ids, ["duration_seconds"]))

    # ------------------------------------------------------------------
    # 5. the closing note is escaped once
    # ------------------------------------------------------------------

    def test_closing_note_escaped_once(self):
        """The outcome, the verification and the notes are lines of the chatter message: no literal <br/>, the
        salesperson's text escaped exactly once."""
        activity = self._system_call(self.own, self.s1)
        self._pbx_as("+1 415-555-7100")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity, next_step="expects_order", feedback="Call <b>me</b> & co"))
        message = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.own.id), ("mail_activity_type_id", "!=", False)],
            limit=1,
        )
        body = str(message.body)
        self.assertNotIn("&lt;br", body, "a literal <br/> in the chatter")
        self.assertNotIn("&amp;lt;", body, "escaped twice")
        self.assertIn("Closed by a verified call", body)
        self.assertIn("Why not ordering: Price", body)
        self.assertIn("Call &lt;b&gt;me&lt;/b&gt; &amp; co", body)
        self.assertNotIn("<b>me</b>", body)

    # ------------------------------------------------------------------
    # 6. far and empty due dates
    # ------------------------------------------------------------------

    def test_snooze_far_due_date(self):
        """Snoozing an activity due 9999-12-31 (a retention call or a plain to-do) is a clear refusal, not an
        OverflowError."""
        far = datetime.date(9999, 12, 31)
        call = self._system_call(self.own, self.s1)
        todo = self.own.activity_schedule("mail.mail_activity_data_todo", user_id=self.s1.id, summary="H3 todo")
        self.env.flush_all()
        self.env.cr.execute("UPDATE mail_activity SET date_deadline = %s WHERE id IN %s", [far, (call.id, todo.id)])
        self.env.invalidate_all()
        self._login(self.s1)
        for activity in (call, todo):
            with self.subTest(activity=activity.summary):
                self.assertRefused(self._rpc("mail.activity", "action_snooze", activity.ids))
                self.env.invalidate_all()
                self.assertEqual(activity.date_deadline, far)
        # a to-do of the salesperson's own set to the last day, then snoozed: refused as well
        own_todo = self.assertAllowed(
            self._rpc(
                "mail.activity",
                "create",
                [
                    {
                        "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                        "res_id": self.own.id,
                        "activity_type_id": self.todo_type.id,
                        "user_id": self.s1.id,
                        "date_deadline": "9999-12-30",
                    }
                ],
            )
        )
        own_todo = own_todo if isinstance(own_todo, list) else [own_todo]
        self.assertRefused(self._rpc("mail.activity", "action_snooze", own_todo))

    def test_empty_due_date_of_retention_call(self):
        """date_deadline False (or None, or '') on a retention call is a clear refusal for a salesperson and a
        manager, alone or with other fields, by write and by the form's save; the form's onchange of an emptied date
        answers instead of crashing."""
        activity = self._system_call(self.own, self.s1)
        before = activity.date_deadline
        for user in (self.s1, self.leader):
            self._login(user)
            for value in (False, None, ""):
                for extra in ({}, {"summary": "x"}, {"user_id": self.s1.id}):
                    with self.subTest(user=user.login, value=value, extra=extra):
                        self.assertRefused(
                            self._rpc("mail.activity", "write", [activity.id], dict(extra, date_deadline=value))
                        )
                        self.assertRefused(
                            self._rpc(
                                "mail.activity",
                                "web_save",
                                [activity.id],
                                dict(extra, date_deadline=value),
                                specification={"date_deadline": {}},
                            )
                        )
                        self.env.invalidate_all()
                        self.assertEqual(activity.date_deadline, before)
                # the form clearing the date (onchange) answers, where Odoo's state left unassigned crashed
                self.assertAllowed(
                    self._rpc(
                        "mail.activity",
                        "onchange",
                        [activity.id],
                        {"date_deadline": False},
                        ["date_deadline"],
                        {"date_deadline": {}, "state": {}},
                    )
                )

    def test_lost_for_good_request_moot_once_the_customer_orders(self):
        """A pending request has nothing left to decide once the customer orders again (their win-back closes the
        follow-ups): it is marked Ordered Again, out of the managers' list of requests to decide."""
        activity = self._system_call(self.own, self.s1)
        self._pbx_as("+1 415-555-7100")
        self._login(self.s1)
        self.assertAllowed(self._outcome_rpc(activity))
        request = self._requests(self.own)
        self.assertEqual(request.state, "pending")
        self.env["retention.cycle"]._retention_close_followups(self.own)
        self.assertEqual(request.state, "ordered")
        self.assertFalse(self.own.retention_lost_for_good)
        # a decided request is history: nothing changes it any more
        self._login(self.leader)
        self.assertRefused(self._rpc(REQUEST, "action_confirm", request.ids))
