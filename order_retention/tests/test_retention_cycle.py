import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import sql_db
from odoo.tests import Form, tagged

from ..models.retention_cycle import CYCLE_LOCK_KEY, LAST_ALLOCATE_PARAM
from ..models.retention_queue import RetentionQueue
from .common import RetentionCommon, set_retention_settings

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionCycle(RetentionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a very regular customer: every 10 days, 12 occasions, last on BASE
        cls.regular = cls._create_customer("Regular Ten-Day Co", user=cls.salesman)
        cls._create_orders(cls.regular, cls._regular_dates(cls.BASE, 10, 12))
        # by default only the absolute cap (far away) makes a customer lost; tests that need lost lower it
        set_retention_settings(cls.env, retention_lost_probability=1.0)
        set_retention_settings(cls.env, retention_lost_cap_days=5000)

    def _status_on(self, partner, day):
        self._run(day)
        return partner.retention_status

    def _warm_day(self, partner):
        """First day on which ``partner`` is past its usual gap but within its warning level."""
        self._run(self.BASE + D(days=1))
        expected, warning = partner.retention_expected_gap_days, partner.retention_warning_days
        self.assertLess(expected, warning, "the warning level lies beyond the usual gap")
        day = self.BASE + D(days=int(expected) + 1)
        self.assertLessEqual((day - self.BASE).days, warning)
        return day

    def test_status_transitions_over_months(self):
        """A regular customer goes active -> warm -> cold -> lost as the silence grows, in its status history; the
        customer's chatter, which everybody who opens the customer reads, holds none of it (issue #23)."""
        set_retention_settings(self.env, retention_lost_cap_days=120)
        self.assertEqual(self._status_on(self.regular, self.BASE + D(days=2)), "active")
        self.assertEqual(self._status_on(self.regular, self._warm_day(self.regular)), "warm")
        warning = self.regular.retention_warning_days
        self.assertEqual(self._status_on(self.regular, self.BASE + D(days=int(warning) + 2)), "cold")
        self.assertTrue(self.regular.retention_missing_order)
        self.assertEqual(self._status_on(self.regular, self.BASE + D(days=121)), "lost")
        history = self.regular.retention_history_ids.sorted(lambda h: (h.date, h.id))
        self.assertEqual(history.mapped("new_status"), ["active", "warm", "cold", "lost"])
        self.assertEqual(history.mapped("old_status"), [False, "active", "warm", "cold"])
        self.assertTrue(all(h.explanation for h in history), "each change keeps the numbers behind it")
        bodies = (
            self.env["mail.message"]
            .search([("model", "=", "res.partner"), ("res_id", "=", self.regular.id)])
            .mapped("body")
        )
        self.assertFalse([b for b in bodies if "Retention status" in b], "status changes stay out of the chatter")

    def test_first_classification_is_not_history(self):
        """A company's first classification (none of its customers has a status yet: the first night after the
        install) is where every customer starts, not a change: nothing of it in the status history, each customer's
        Status Since holds the day. From the next night on, changes are entered, and so is a new customer's first
        status (issue #23: a million "- to Lost" rows dated the first night told nothing and took 25 s)."""
        company = self.env.company
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE retention_customer SET retention_status = NULL, retention_status_since = NULL "
            "WHERE company_id = %s",
            [company.id],
        )
        self.env.invalidate_all()
        history = self.env["retention.status.history"]
        before = history.search([])
        first_day = self.BASE + D(days=2)
        self._run(first_day)
        self.assertEqual(self.regular.retention_status, "active")
        self.assertEqual(self.regular.retention_status_since, first_day)
        classified = self.env["retention.customer"].search_count(
            [("company_id", "=", company.id), ("retention_status", "!=", False)]
        )
        self.assertGreater(classified, 1, "the whole base of the company is classified")
        self.assertEqual(history.search([]), before, "the first classification enters nothing in the history")
        # the next nights: a change is entered, and a customer new to the company with its first status
        newcomer = self._create_customer("Newcomer Co", user=self.salesman)
        self._create_orders(newcomer, [first_day + D(days=1)])
        warm_day = self._warm_day(self.regular)
        self._run(warm_day)
        self.assertEqual(self.regular.retention_status, "warm")
        entered = (history.search([]) - before).filtered(lambda h: h.partner_id in self.regular | newcomer)
        self.assertEqual(
            sorted((h.partner_id.name, h.old_status, h.new_status) for h in entered),
            [("Newcomer Co", False, "active"), ("Regular Ten-Day Co", "active", "warm")],
        )

    def test_warm_followup_repeats_every_14_days(self):
        """Warm: one follow-up due today, assigned to the salesperson; the next one 14 days after it was done."""
        warm_day = self._warm_day(self.regular)
        self._run(warm_day)
        self.assertEqual(self.regular.retention_status, "warm")
        followup = self._open_followups(self.regular)
        self.assertEqual(len(followup), 1)
        self.assertRecordValues(followup, [{"user_id": self.salesman.id, "date_deadline": warm_day}])
        self.assertIn("silent", followup.note or "", "the note explains why")
        self._close(followup, warm_day)
        # keep the customer warm through the period: raise the thresholds so status stays warm
        set_retention_settings(self.env, retention_cold_multiple=50)
        self._run(warm_day + D(days=13))
        self.assertEqual(self.regular.retention_status, "warm")
        self.assertFalse(self._open_followups(self.regular), "nothing before the interval has passed")
        self._run(warm_day + D(days=14))
        self.assertEqual(len(self._open_followups(self.regular)), 1, "a new follow-up 14 days after the last was done")

    def test_cold_interval_and_settings_change(self):
        """Cold follow-ups repeat at the cold interval; changing it in Settings changes the schedule; 0 stops them."""
        day = self.BASE + D(days=40)
        self._run(day)
        self.assertEqual(self.regular.retention_status, "cold")
        self._close(self._open_followups(self.regular), day)
        self._run(day + D(days=29))
        self.assertFalse(self._open_followups(self.regular), "cold interval is 30 days by default")
        set_retention_settings(self.env, retention_cold_interval_days=20)
        self.Cycle._retention_reset_day()
        self._run(day + D(days=29))
        self.assertEqual(len(self._open_followups(self.regular)), 1, "a shorter interval applies at once")
        self._close(self._open_followups(self.regular), day + D(days=29))
        set_retention_settings(self.env, retention_cold_interval_days=0)
        self._run(day + D(days=90))
        self.assertFalse(self._open_followups(self.regular), "0 means no follow-up")

    def test_rerun_creates_nothing_twice(self):
        """Running the cycle twice the same day, or in a fresh day-reset, keeps exactly one open follow-up."""
        day = self.BASE + D(days=40)
        self._run(day)
        self._run(day)
        self.Cycle._retention_reset_day()
        self._run(day)
        self.assertEqual(len(self._all_followups(self.regular)), 1)
        histories = self.regular.retention_history_ids.filtered(lambda h: h.date == day)
        self.assertEqual(len(histories), 1, "one status change recorded once")

    def test_concurrent_run_is_skipped(self):
        """While another transaction holds the cycle lock, a step does nothing (no duplicate follow-ups)."""
        day = self.BASE + D(days=40)
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_xact_lock(%s)", (CYCLE_LOCK_KEY,))
            self.assertEqual(self.Cycle._run_step(today=day), 0)
            self.assertFalse(self._all_followups(self.regular))
        finally:
            other.rollback()
            other.close()
        self._run(day)
        self.assertEqual(len(self._open_followups(self.regular)), 1)

    def test_reorder_closes_followups_and_wins_back(self):
        """An order from a cold customer: status active, follow-up closed with a note, order flagged won back."""
        day = self.BASE + D(days=40)
        self._run(day)
        self.assertEqual(self.regular.retention_status, "cold")
        followup = self._open_followups(self.regular)
        self.assertEqual(len(followup), 1)
        contact = self.env["res.partner"].create({"name": "Buyer at Regular", "parent_id": self.regular.id})
        order = self._create_orders(contact, [day], state="draft")
        order.action_confirm()
        self.assertEqual(self.regular.retention_status, "active")
        self.assertFalse(self._open_followups(self.regular))
        self.assertTrue(order.retention_won_back)
        self.assertEqual(order.retention_status_at_order, "cold")
        self.assertFalse(followup.active, "the follow-up is done (archived), not deleted")
        messages = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", self.regular.id)])
        self.assertTrue(any("back to active" in (m.body or "") for m in messages))
        win_back = self.regular.retention_history_ids.filtered("is_win_back")
        self.assertEqual(win_back.sale_order_id, order)

    def test_reorder_found_by_cycle(self):
        """Orders confirmed without the confirmation hook (imports) still close follow-ups at the next cycle."""
        day = self.BASE + D(days=40)
        self._run(day)
        self.assertTrue(self._open_followups(self.regular))
        self._create_orders(self.regular, [day + D(days=1)])
        self._run(day + D(days=2))
        self.assertEqual(self.regular.retention_status, "active")
        self.assertFalse(self._open_followups(self.regular))

    def test_assignment_fallbacks(self):
        """Salesperson, else the team leader of the latest order's team, else the Settings user."""
        no_user = self._create_customer("No Salesperson Ltd")
        self._create_orders(no_user, self._regular_dates(self.BASE, 10, 6), user=self.env["res.users"])
        orphan_team = self.env["crm.team"].create({"name": "Leaderless"})
        orphan = self._create_customer("Orphan Ltd")
        self._create_orders(orphan, self._regular_dates(self.BASE, 10, 6), team=orphan_team, user=self.env["res.users"])
        self.env["ir.config_parameter"].set_param("order_retention.fallback_user_id", str(self.fallback.id))
        self._run(self.BASE + D(days=40))
        self.assertEqual(self._open_followups(self.regular).user_id, self.salesman)
        self.assertEqual(self._open_followups(no_user).user_id, self.leader)
        self.assertEqual(self._open_followups(orphan).user_id, self.fallback)

    def test_failed_allocation_is_retried(self):
        """An allocation that fails creates nothing and does not mark the day allocated: the next step of the
        same day runs it again and every customer gets their call (nothing is skipped for the day)."""
        other = self._create_customer("Second Lapsed Inc", user=self.salesman)
        self._create_orders(other, self._regular_dates(self.BASE, 10, 12))
        day = self.BASE + D(days=40)

        def broken(queue, *args, **kwargs):
            raise ValueError("broken allocation")

        with freeze_time(datetime.datetime.combine(day, datetime.time(6, 0))):
            self.assertEqual(self.Cycle._run_step(today=day), 1, "the computation; the allocation remains")
            with (
                patch.object(RetentionQueue, "_retention_create_calls", broken),
                self.assertRaises(ValueError),
                self.env.cr.savepoint(),
            ):
                self.Cycle._run_step(today=day)
            self.env.invalidate_all()
            self.assertNotEqual(self.env["ir.config_parameter"].get_param(LAST_ALLOCATE_PARAM), self._day(day))
            self.assertFalse(self._all_followups(self.regular) | self._all_followups(other))
            self.assertEqual(self.Cycle._run_step(today=day), 0)
        self.env.invalidate_all()
        self.assertEqual(self.env["ir.config_parameter"].get_param(LAST_ALLOCATE_PARAM), self._day(day))
        self.assertEqual(len(self._open_followups(self.regular)), 1)
        self.assertEqual(len(self._open_followups(other)), 1)

    def test_cron_steps_report_progress(self):
        """The cron entry point computes first (one step left), then allocates the follow-ups in one step
        whatever the number of customers (nothing left); a further step the same day does nothing."""
        customers = self.regular
        for i in range(3):
            customer = self._create_customer("Batch Customer %s" % i, user=self.salesman)
            self._create_orders(customer, self._regular_dates(self.BASE, 10, 5))
            customers |= customer
        day = self.BASE + D(days=60)
        self.env["ir.config_parameter"].set_param("order_retention.last_compute_date", False)
        cron = self.env.ref("order_retention.ir_cron_retention_cycle")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id, "done": 0, "remaining": 0})
        Cycle = self.Cycle.with_context(ir_cron_progress_id=progress.id)
        self.assertEqual(Cycle._run_step(batch_size=2, today=day), 1, "after the computation, the allocation")
        self.assertRecordValues(progress, [{"done": 1, "remaining": 1}])
        self.assertFalse(self._all_followups(self.regular), "no call before the allocation")
        self.assertEqual(Cycle._run_step(batch_size=2, today=day), 0, "one allocation, not one step per batch")
        self.assertRecordValues(progress, [{"done": 1, "remaining": 0}])
        for customer in customers:
            self.assertEqual(len(self._all_followups(customer)), 1, customer.name)
        progress.write({"done": 0})
        self.assertEqual(Cycle._run_step(batch_size=2, today=day), 0)
        self.assertRecordValues(progress, [{"done": 0, "remaining": 0}])  # a further step reports nothing
        for customer in customers:
            self.assertEqual(len(self._all_followups(customer)), 1, customer.name)

    def test_customer_put_back_gets_a_call_at_the_next_allocation(self):
        """A customer put back in the follow-ups after the day's allocation ("lost for good" lifted by a sales
        manager) gets no call from another step that day (one allocation a day, bounded by the team), and gets
        one at the next day's allocation."""
        self.regular.sudo().write({"retention_lost_for_good": True})
        day = self.BASE + D(days=60)
        self._run(day)
        self.assertIn(self.regular.retention_status, ("warm", "cold", "lost"))
        self.assertFalse(self._all_followups(self.regular), "no retention call while lost for good")
        self.regular.with_user(self.leader).action_retention_resume_followups()
        self.assertFalse(self.regular.retention_lost_for_good)
        self.assertEqual(self.Cycle._run_step(today=day), 0, "today's allocation already ran")
        self.env.invalidate_all()
        self.assertFalse(self._all_followups(self.regular))
        self._run(day + D(days=1))
        self.assertEqual(len(self._open_followups(self.regular)), 1)


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionSettings(RetentionCommon):
    def test_settings_round_trip_including_zero(self):
        """Every retention setting saves and reloads, and 0 survives (it does not fall back to the default)."""
        values = {
            "retention_warm_interval_days": 0,
            "retention_cold_interval_days": 45,
            "retention_lost_interval_days": 0,
            "retention_warning_z": 1.5,
            "retention_cold_multiple": 1.25,
            "retention_lost_probability": 0.9,
            "retention_lost_cap_days": 200,
            "retention_shrinkage_kappa": 0.0,
            "retention_min_call_seconds": 0,
        }
        with Form(self.env["res.config.settings"]) as settings:
            for name, value in values.items():
                setattr(settings, name, value)
            settings.retention_fallback_user_id = self.fallback
        settings.save().execute()
        reloaded = Form(self.env["res.config.settings"])
        for name, value in values.items():
            self.assertEqual(getattr(reloaded, name), value, name)
        self.assertEqual(reloaded.retention_fallback_user_id, self.fallback)
        self.assertEqual(reloaded.retention_activity_type_id, self.activity_type)
        # the current company's own settings: 0 is kept as 0 (no follow-up), not read back as the default
        self.assertEqual(self.env.company.retention_warm_interval_days, 0)
        self.assertFalse(self.env["ir.config_parameter"].get_param("order_retention.warm_interval_days"))

    def test_settings_reject_negative(self):
        """A negative interval is refused with a message naming the setting."""
        from odoo.exceptions import ValidationError

        with self.assertRaisesRegex(ValidationError, "Warm follow-up"):
            self.env["res.config.settings"].create({"retention_warm_interval_days": -1})

    def test_run_now_triggers_cron(self):
        """Run now saves, resets the day and triggers the cycle's cron."""
        self.env["ir.config_parameter"].set_param("order_retention.last_compute_date", "2025-01-01")
        settings = self.env["res.config.settings"].create({})
        action = settings.action_retention_run_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertFalse(self.env["ir.config_parameter"].get_param("order_retention.last_compute_date"))
        cron = self.env.ref("order_retention.ir_cron_retention_cycle")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
