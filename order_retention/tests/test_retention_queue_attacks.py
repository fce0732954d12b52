"""Attacks on the retention-call queue over real JSON-RPC (/web/dataset/call_kw), as an Own Documents Only
salesperson, a portal user and the public: retention calls created by hand, due dates and call-backs pushed out of
bounds, calls handed to someone who cannot work them, capacities and queue fields written, the manager's put-back,
the workload of colleagues, the queue's private methods; and a seeded fuzz of the due date and of the outcome
dialog's call-back date. Every refusal must be a clear error (a handled Odoo exception with a message: no crash,
no HTTP 500), and the data is checked unchanged from a fresh cache."""

import datetime
import logging
import random

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .queue_common import PASSWORD, REFUSED, SALES, QueueFixture, RpcMixin

D = datetime.timedelta
ACCESS = {"odoo.exceptions.AccessError"}
# the public user has no session: the call_kw route answers "session expired" before any model code runs
PUBLIC = REFUSED | {"odoo.http.SessionExpiredException"}
RETENTION_XMLID = "order_retention.mail_act_retention_call"
PARTNER_QUEUE_FIELDS = {
    "retention_waiting_since": "2020-01-01",
    "retention_call_stop": "attempts",
    "retention_kept_in_queue": True,
    "retention_call_priority": 10**9,
    "retention_queue_user_id": None,  # set in the test (a colleague)
    "retention_unanswered_calls": 0,
    "retention_low_touch_optout": True,
    "retention_low_touch_date": "2099-01-01",
}
SEED = 20260420

_logger = logging.getLogger(__name__)


def fuzz_values(rng, today, count):
    """Date-ish inputs: fixed edge cases (year 1 and 9999, invalid days, other formats, unicode digits, types a
    date field never takes) plus ``count`` random ones (ISO dates of any year, near today, ints, junk text)."""
    values = [
        None,
        False,
        True,
        "",
        " ",
        "0001-01-01",
        "9999-12-31",
        "10000-01-01",
        "0000-00-00",
        "2024-02-30",
        "2099-12-31",
        "2099-12-31T23:59:59Z",
        "31/12/2099",
        "tomorrow",
        "2026-13-01",
        "２０９９-０１-０１",
        "\x00",
        "2099-12-31\x00",
        "9" * 5000,
        0,
        -1,
        1,
        20991231,
        2**31,
        2**63,
        10**30,
        1.5,
        [],
        [2099, 12, 31],
        {},
        {"year": 2099},
        (today + D(days=1)).isoformat(),
        (today + D(days=7)).isoformat(),
        (today + D(days=30)).isoformat(),
        (today + D(days=90)).isoformat(),
        (today + D(days=91)).isoformat(),
        (today + D(days=3650)).isoformat(),
        (today + D(days=3651)).isoformat(),
        today.isoformat(),
        (today - D(days=1)).isoformat(),
    ]
    junk = "abcdefghijklmnopqrstuvwxyz0123456789-/:. TZé€"
    for _i in range(count):
        kind = rng.randrange(5)
        if kind == 0:
            values.append("%04d-%02d-%02d" % (rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28)))
        elif kind == 1:
            values.append((today + D(days=rng.randint(-400, 4000))).isoformat())
        elif kind == 2:
            values.append(rng.choice([rng.randint(-(10**12), 10**12), rng.random() * 10**6]))
        elif kind == 3:
            values.append("".join(rng.choice(junk) for _c in range(rng.randint(1, 25))))
        else:
            values.append((today + D(days=rng.randint(1, 120))).isoformat())
    return values


def as_date(value):
    """The date ``value`` stands for when Odoo's Date field reads it, else None."""
    try:
        return fields.Date.to_date(value) if value else None
    except (TypeError, ValueError):
        return None


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionQueueAttacks(QueueFixture, RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._queue_setup()
        env = cls.env
        own = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)], "password": PASSWORD}
        cls.portal = new_test_user(env, "qa_portal", groups="base.group_portal", name="Pat Portal", **own)
        cls.archived = new_test_user(env, "qa_archived", groups=SALES, name="Archie Archived", **own)
        cls.archived.active = False
        cls.other_company = env["res.company"].create({"name": "Queue Sister Co", "country_id": env.ref("base.us").id})
        cls.sister = new_test_user(
            env,
            "qa_sister",
            groups=SALES,
            name="Sid Sister",
            password=PASSWORD,
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )
        cls.root = env.ref("base.user_root")
        # s2 (capacity 2) already holds two open retention calls: full
        cls.own = cls._customer("Own Account", cls.s1, var=1000, silent=100, phone="+1 415-555-7000")
        cls.colleague_customer = cls._customer("Colleague Account", cls.s2, var=900, silent=100)
        cls.unowned = cls._customer("Nobody's Account", None, var=800, silent=100)
        cls.stopped = cls._customer("Stopped Account", cls.s1, var=700, silent=100, retention_call_stop="attempts")
        cls.full_a = cls._customer("Full A", cls.s2, var=600, silent=100)
        cls.full_b = cls._customer("Full B", cls.s2, var=500, silent=100)
        cls.reason = env.ref("order_retention.churn_reason_price")

    def _state(self, activity):
        self.env.invalidate_all()
        record = self.env["mail.activity"].with_context(active_test=False).browse(activity.id)
        if not record.exists():
            return None
        return (record.active, record.user_id.id, record.date_deadline, record.res_id, record.retention_call_id.id)

    def _retention_count(self):
        self.env.flush_all()
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search_count([("activity_type_id", "=", self.activity_type.id)])
        )

    # ------------------------------------------------------------------
    # only the system creates retention calls
    # ------------------------------------------------------------------

    def test_create_retention_call_by_hand(self):
        """mail.activity create, the chatter's activity_schedule and the schedule wizard, on one's own customer, a
        colleague's and an unowned one, as a salesperson, a portal user and the public: all refused, nothing
        created."""
        before = self._retention_count()
        model_id = self.env["ir.model"]._get_id("res.partner")
        for user in (self.s1, self.portal, None):
            self._login(user)
            names = REFUSED if user else PUBLIC
            for partner in (self.own, self.colleague_customer, self.unowned):
                label = "%s on %s" % (user and user.login or "public", partner.name)
                vals = {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": self.activity_type.id,
                    "user_id": (user or self.s1).id,
                    "summary": "my own retention call",
                }
                with self.subTest(path="mail.activity.create", who=label):
                    self.assertRefused(self._rpc("mail.activity", "create", vals), names)
                with self.subTest(path="activity_schedule xmlid", who=label):
                    self.assertRefused(
                        self._rpc("res.partner", "activity_schedule", [partner.id], act_type_xmlid=RETENTION_XMLID),
                        names,
                    )
                with self.subTest(path="activity_schedule type id", who=label):
                    self.assertRefused(
                        self._rpc(
                            "res.partner",
                            "activity_schedule",
                            [partner.id],
                            activity_type_id=self.activity_type.id,
                            user_id=(user or self.s1).id,
                        ),
                        names,
                    )
                with self.subTest(path="mail.activity.schedule wizard", who=label):
                    context = {"active_model": "res.partner", "active_id": partner.id, "active_ids": [partner.id]}
                    wizard_id, error = self._rpc(
                        "mail.activity.schedule",
                        "create",
                        {
                            "res_model": "res.partner",
                            "res_ids": str([partner.id]),
                            "activity_type_id": self.activity_type.id,
                            "activity_user_id": (user or self.s1).id,
                        },
                        context=context,
                    )
                    if error:  # portal and public cannot even open the wizard
                        self.assertRefused((wizard_id, error), names)
                    else:
                        self.assertRefused(
                            self._rpc(
                                "mail.activity.schedule", "action_schedule_activities", [wizard_id], context=context
                            )
                        )
        self.assertEqual(self._retention_count(), before, "a retention call was created by hand")

    # ------------------------------------------------------------------
    # due dates and call-backs
    # ------------------------------------------------------------------

    def test_due_date_out_of_bounds(self):
        """A due date two months out, in 2099, in 9999 or none at all on one's own retention call: refused with a
        clear message."""
        activity = self._system_call(self.own, self.s1)
        before = self._state(activity)
        self._login(self.s1)
        for value, text in (
            ((self.today + D(days=60)).isoformat(), "postponed up to 7 days"),
            ("2099-12-31", "more than 10 years ahead"),
            ("9999-12-31", "more than 10 years ahead"),
            (False, "needs a due date"),
        ):
            with self.subTest(value=value):
                self.assertRefused(
                    self._rpc("mail.activity", "write", [activity.id], {"date_deadline": value}), contains=text
                )
                self.assertEqual(self._state(activity), before)

    def test_call_again_out_of_bounds(self):
        """The outcome dialog's call-back in 2099 or 9999: refused, the retention call stays open."""
        activity = self._system_call(self.own, self.s1)
        before = self._state(activity)
        self._login(self.s1)
        for value in ("2099-12-31", "9999-12-31"):
            with self.subTest(value=value):
                wizard_id = self.assertAllowed(
                    self._rpc(
                        "mail.activity.retention.outcome",
                        "create",
                        {
                            "activity_id": activity.id,
                            "outcome": "reached",
                            "churn_reason_id": self.reason.id,
                            "next_step": "call_again",
                            "next_call_date": value,
                        },
                    )
                )
                self.assertRefused(
                    self._rpc("mail.activity.retention.outcome", "action_done", [wizard_id]),
                    contains="at most 90 days ahead",
                )
                self.assertEqual(self._state(activity), before)

    # ------------------------------------------------------------------
    # reassignment
    # ------------------------------------------------------------------

    def test_reassign_to_someone_who_cannot_work_it(self):
        """Handing one's retention call to a portal user, OdooBot, an archived user, a user of another company
        only, a colleague at full capacity, or nobody: refused, the call unchanged. A colleague with a free slot
        may take it."""
        self._system_call(self.full_a, self.s2)
        self._system_call(self.full_b, self.s2)
        self.assertEqual(self.Queue._retention_free_slots([self.s2.id]), {self.s2.id: 0})
        activity = self._system_call(self.own, self.s1)
        before = self._state(activity)
        self._login(self.s1)
        for target, text in (
            (self.portal, "active internal user with sales rights"),
            (self.root, "active internal user with sales rights"),
            (self.archived, "active internal user with sales rights"),
            (self.sister, "does not work for"),
            (self.s2, "no free retention-call capacity"),
            (None, "not to nobody"),
        ):
            with self.subTest(target=target and target.login):
                self.assertRefused(
                    self._rpc("mail.activity", "write", [activity.id], {"user_id": target and target.id or False}),
                    contains=text,
                )
                self.assertEqual(self._state(activity), before)
        self.assertAllowed(self._rpc("mail.activity", "write", [activity.id], {"user_id": self.s3.id}))
        self.assertEqual(self._state(activity)[1], self.s3.id)

    # ------------------------------------------------------------------
    # settings and queue fields
    # ------------------------------------------------------------------

    def test_capacities_are_managers_business(self):
        """A salesperson cannot raise their capacity (membership or company default), opt out, join a team with
        a capacity, or change the low-touch settings."""
        self._login(self.s1)
        for vals in ({"retention_call_capacity": 1000}, {"retention_call_optout": True}):
            with self.subTest(member=vals):
                self.assertRefused(self._rpc("crm.team.member", "write", [self.m1.id], vals), ACCESS)
        self.assertRefused(
            self._rpc(
                "crm.team.member",
                "create",
                {"crm_team_id": self.team.id, "user_id": self.s1.id, "retention_call_capacity": 1000},
            ),
            ACCESS,
        )
        for vals in (
            {"retention_call_capacity": 1000},
            {"retention_low_touch_lost": "email"},
            {"retention_low_touch_max": 100000},
        ):
            with self.subTest(company=vals):
                self.assertRefused(self._rpc("res.company", "write", [self.company.id], vals), ACCESS)
        self.env.invalidate_all()
        self.assertEqual((self.m1.retention_call_capacity, self.m1.retention_call_optout), (3, False))
        self.assertEqual(self.company.retention_call_capacity, 4)
        self.assertEqual(self.company.retention_low_touch_lost, "none")
        self.assertEqual(self.Queue._retention_capacities([self.s1.id]), {self.s1.id: 3})

    def test_partner_queue_fields_are_the_systems(self):
        """Waiting since, the stop, kept in queue, the call worth, the queue, the unanswered count and the
        low-touch fields of one's own customer: each write refused; on creation they are dropped."""
        values = dict(PARTNER_QUEUE_FIELDS, retention_queue_user_id=self.s2.id)
        self._login(self.s1)
        for name, value in values.items():
            with self.subTest(field=name):
                self.assertRefused(
                    self._rpc("res.partner", "write", [self.own.id], {name: value}),
                    ACCESS,
                    contains="computed by the retention cycle",
                )
                self.assertRefused(self._rpc("res.partner", "write", [self.stopped.id], {name: value}), ACCESS)
        self.env.invalidate_all()
        self.assertFalse(self.own.retention_waiting_since or self.own.retention_kept_in_queue)
        self.assertEqual(self.stopped.retention_call_stop, "attempts")
        self.assertFalse(self.own.retention_low_touch_optout)
        new_id = self.assertAllowed(self._rpc("res.partner", "create", dict(values, name="Forged", user_id=self.s1.id)))
        forged = self.env["res.partner"].browse(new_id)
        for name in values:
            with self.subTest(created=name):
                self.assertFalse(forged[name], "%s was set on creation" % name)

    def test_keep_in_queue_is_a_managers_action(self):
        """action_retention_keep_in_queue: refused for a salesperson, a portal user and the public."""
        for user in (self.s1, self.portal, None):
            self._login(user)
            with self.subTest(user=user and user.login):
                result, error = self._rpc("res.partner", "action_retention_keep_in_queue", [self.stopped.id])
                self.assertTrue(error, result)
                if user:
                    self.assertRefused((result, error), ACCESS)
        self.env.invalidate_all()
        self.assertEqual(self.stopped.retention_call_stop, "attempts")
        self.assertFalse(self.stopped.retention_kept_in_queue)

    def test_workload_own_row_only(self):
        """A salesperson reads their own workload row only; a portal user none; the public nothing."""
        Workload = self.env["retention.workload"]
        rows = {r.user_id: r for r in Workload.search([("user_id", "in", (self.s1 | self.s2).ids)])}
        self._login(self.s1)
        seen = self.assertAllowed(self._rpc("retention.workload", "search_read", [], ["user_id", "capacity"]))
        self.assertEqual([r["user_id"][0] for r in seen], [self.s1.id])
        self.assertRefused(self._rpc("retention.workload", "read", [rows[self.s2].id], ["open_count"]), ACCESS)
        groups = self.assertAllowed(
            self._rpc("retention.workload", "read_group", [], ["waiting_count:sum"], ["user_id"])
        )
        self.assertEqual([g["user_id"][0] for g in groups], [self.s1.id])
        self._login(self.portal)
        self.assertRefused(self._rpc("retention.workload", "search_read", [], ["user_id"]), ACCESS)
        self._login(None)
        result, error = self._rpc("retention.workload", "search_read", [], ["user_id"])
        self.assertTrue(error, result)

    def test_queue_internals_unreachable(self):
        """The queue's machinery, the unsubscribe token and the workload view's DDL are private: refused for a
        salesperson, a portal user and the public, and nothing happens."""
        today = str(self.today)
        calls = [
            ("retention.queue", "_retention_allocate", [today]),
            ("retention.queue", "_retention_capacities", []),
            ("retention.queue", "_retention_free_slots", []),
            ("retention.queue", "_retention_winback_rates", [today]),
            ("retention.queue", "_retention_candidates", [today]),
            ("retention.queue", "_retention_create_calls", [today, {str(self.s1.id): [self.own.id]}, {}, {}, None]),
            ("retention.queue", "_retention_store_queue", [today, {}, {}, {}]),
            ("retention.queue", "_retention_send_low_touch", [today, {}, {}, {}]),
            ("retention.queue", "_retention_send_one", [self.own.id, "email", self.company.id]),
            ("res.partner", "_retention_unsubscribe", [self.own.id]),
            ("res.partner", "_retention_unsubscribe_token", [self.own.id]),
            ("res.partner", "_retention_unsubscribe_url", [self.own.id]),
            ("retention.workload", "init", []),
            ("mail.activity", "_retention_close_system", [[]]),
        ]
        before = self._retention_count()
        for user in (self.s1, self.portal, None):
            self._login(user)
            for model, method, args in calls:
                with self.subTest(user=user and user.login, method="%s.%s" % (model, method)):
                    result, error = self._rpc(model, method, *args)
                    self.assertTrue(error, "%s ran %s.%s: %r" % (user and user.login, model, method, result))
                    if user:
                        self.assertRefused((result, error), ACCESS)
        self.env.invalidate_all()
        self.assertEqual(self._retention_count(), before)
        self.assertFalse(self.own.retention_low_touch_optout)
        self.assertFalse(self.own.retention_waiting_since)

    # ------------------------------------------------------------------
    # seeded fuzz
    # ------------------------------------------------------------------

    def _classify(self, outcome, tally):
        """'ok', 'refused' (a clear error) or 'crash' (anything else) for one RPC outcome; the crash is kept."""
        result, error = outcome
        if not error:
            return "ok"
        data = error.get("data") or {}
        if data.get("name") in REFUSED and (data.get("message") or "").strip():
            return "refused"
        tally["crashes"].append("%s: %s" % (data.get("name"), (data.get("message") or "")[:200]))
        return "crash"

    def test_fuzz_due_date(self):
        """Seeded fuzz of date_deadline writes on one's own retention call: no crash; a refusal is clear; what is
        accepted is a real date within the salesperson's limit (7 days after creation), and is what is stored."""
        rng = random.Random(SEED)
        activity = self._system_call(self.own, self.s1)
        limit = activity._retention_postpone_limit()
        original = activity.date_deadline
        values = fuzz_values(rng, self.today, 60)
        tally = {"ok": 0, "refused": 0, "crash": 0, "crashes": []}
        self._login(self.s1)
        for value in values:
            outcome = self._rpc("mail.activity", "write", [activity.id], {"date_deadline": value})
            kind = self._classify(outcome, tally)
            tally[kind] += 1
            day = as_date(value)
            with self.subTest(value=repr(value)[:60]):
                self.assertNotEqual(kind, "crash", tally["crashes"][-1:] or "")
                if kind == "ok":
                    self.assertTrue(day and day <= limit, "accepted %r" % (value,))
                    self.assertEqual(self._state(activity)[2], day)
                    activity.date_deadline = original  # back to the start (as the system)
                    self.env.flush_all()
                else:
                    self.assertEqual(self._state(activity)[2], original)
                    if day and day <= limit:
                        self.fail("refused a date within the limit: %r" % (value,))
        self.assertTrue(self._state(activity)[0], "the retention call stays open")
        _logger.info(
            "fuzz date_deadline: %d inputs, %d accepted, %d refused, %d crashes",
            len(values),
            tally["ok"],
            tally["refused"],
            tally["crash"],
        )
        self.assertEqual(tally["crash"], 0, tally["crashes"])
        self.assertGreater(tally["ok"], 0)

    def test_fuzz_call_again(self):
        """Seeded fuzz of the outcome dialog's call-back date (create the dialog, confirm it): no crash; dates in
        (today, today + 90 days] pass the date check (and stop at the call verification: no call was logged);
        everything else is refused by the date check with a clear message; the retention call stays open."""
        rng = random.Random(SEED + 1)
        activity = self._system_call(self.own, self.s1)
        before = self._state(activity)
        values = fuzz_values(rng, self.user_today, 60)
        tally = {"ok": 0, "refused": 0, "crash": 0, "crashes": []}
        date_texts = ("Pick the date to call again", "at most 90 days ahead")
        self._login(self.s1)
        for value in values:
            vals = {
                "activity_id": activity.id,
                "outcome": "reached",
                "churn_reason_id": self.reason.id,
                "next_step": "call_again",
                "next_call_date": value,
            }
            outcome = self._rpc("mail.activity.retention.outcome", "create", vals)
            if not outcome[1]:
                outcome = self._rpc("mail.activity.retention.outcome", "action_done", [outcome[0]])
            kind = self._classify(outcome, tally)
            tally[kind] += 1
            day = as_date(value)
            with self.subTest(value=repr(value)[:60]):
                self.assertNotEqual(kind, "crash", tally["crashes"][-1:] or "")
                self.assertEqual(kind, "refused", "the dialog closed the call without a verified call")
                message = outcome[1]["data"]["message"]
                if day and self.user_today < day <= self.user_today + D(days=90):
                    self.assertIn("cannot be marked done yet", message)
                else:
                    self.assertTrue(any(t in message for t in date_texts), message)
        self.assertEqual(self._state(activity), before)
        _logger.info(
            "fuzz next_call_date: %d inputs, %d refused, %d crashes", len(values), tally["refused"], tally["crash"]
        )
        self.assertEqual(tally["crash"], 0, tally["crashes"])
