import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.order_retention.models.retention_cycle import LAST_ALLOCATE_PARAM, LAST_COMPUTE_PARAM
from odoo.addons.order_retention.tests.common import RetentionCommon, set_retention_settings
from odoo.addons.queue_job.tests.common import JobMixin

from ..models.retention_cycle import CHANNEL

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention_queue_job")
class TestRetentionQueueJob(RetentionCommon, JobMixin):
    """The daily cycle through the job queue: recompute job, write-back shards, finish, allocation;
    idempotence, no overlap, failures visible."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_retention_settings(cls.env, retention_lost_probability=1.0)
        set_retention_settings(cls.env, retention_lost_cap_days=5000)
        # five customers who stopped ordering: each needs a retention call (within the default capacity of 20)
        cls.lapsed = cls.env["res.partner"]
        for number in range(5):
            customer = cls._create_customer("Queued Lapse %s" % number, user=cls.salesman)
            cls._create_orders(customer, cls._regular_dates(cls.BASE - D(days=40 + number), 10, 6), amount=100.0)
            cls.lapsed |= customer
        cls.Cycle = cls.env["retention.cycle"]

    def _at_six(self):
        return freeze_time(datetime.datetime.combine(self.BASE, datetime.time(6, 0)))

    def _cron(self):
        with self._at_six():
            return self.env["res.partner"]._cron_retention_cycle(batch_size=2)

    def _all_followups_count(self):
        """Retention calls of every customer, open or done."""
        return (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search_count([("activity_type_id", "=", self.env.ref("order_retention.mail_act_retention_call").id)])
        )

    def _param(self, name):
        return self.env["ir.config_parameter"].get_param(name)

    def _names(self, jobs):
        return sorted(job.func.__name__ for job in jobs)

    def test_cron_enqueues_recompute_then_write_back_finish_allocation(self):
        """The cron enqueues the recompute on root.order_retention; it enqueues the write-back shard(s) and
        the finish job, which enqueues one allocation job, which creates the calls."""
        day = str(self.BASE)
        with self.trap_jobs() as trap:
            self._cron()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                self.Cycle._job_retention_compute,
                args=(day,),
                properties={"channel": CHANNEL, "identity_key": "order_retention.compute.%s" % day},
            )
            with self._at_six():
                trap.perform_enqueued_jobs()  # the recompute: the write-back shard(s), then the finish job
                names = self._names(trap.enqueued_jobs)
                self.assertEqual(names, ["_job_retention_finish", "_job_retention_write_back"])
                self.assertFalse(any(self._all_followups(c) for c in self.lapsed), "no call before the allocation")
                trap.perform_enqueued_jobs()  # the write-back, then the finish: the allocation
                self.assertEqual(self._param(LAST_COMPUTE_PARAM), day)
                self.assertFalse(self._param(LAST_ALLOCATE_PARAM) == day, "enqueued, not run yet")
                [allocate] = trap.enqueued_jobs
                self.assertEqual(allocate.func.__name__, "_job_retention_allocate")
                self.assertEqual(allocate.args, (day,))
                self.assertEqual(allocate.channel, CHANNEL)
                self.assertEqual(allocate.identity_key, "order_retention.allocate.%s" % day)
                self.assertIn(day, allocate.description)
                trap.perform_enqueued_jobs()
                self.assertFalse(trap.enqueued_jobs, "the allocation enqueues nothing more")
        self.env.invalidate_all()
        self.assertEqual(self._param(LAST_ALLOCATE_PARAM), day)
        self.assertEqual(set(self.lapsed.mapped("retention_status")) - {"warm", "cold", "lost"}, set())
        for customer in self.lapsed:
            self.assertEqual(len(self._open_followups(customer)), 1, customer.name)

    def test_allocation_is_idempotent(self):
        """The allocation job run twice (a retry, a second cycle the same day) creates no second call; it does
        nothing for a day that is not the day last computed; once allocated, neither the recompute job nor the
        finish job enqueue it again."""
        day = str(self.BASE)
        with self._at_six():
            self.assertEqual(self.Cycle._job_retention_allocate(str(self.BASE - D(days=1))), 0, "not computed")
            self.Cycle._retention_compute_all(self.BASE)
            self.assertEqual(self.Cycle._job_retention_allocate(str(self.BASE + D(days=1))), 0, "not computed")
            self.assertFalse(any(self._all_followups(c) for c in self.lapsed))
            # one call for each of the five lapsed test customers (the count also holds the demo's customers)
            before = self._all_followups_count()
            created = self.Cycle._job_retention_allocate(day)
            self.assertEqual(created, self._all_followups_count() - before)
            self.assertGreaterEqual(created, 5)
            for customer in self.lapsed:
                self.assertEqual(len(self._all_followups(customer)), 1, customer.name)
            self.assertEqual(self._param(LAST_ALLOCATE_PARAM), day)
            self.assertEqual(self.Cycle._job_retention_allocate(day), 0, "already allocated today")
            with self.trap_jobs() as trap:
                self.assertEqual(self.Cycle._job_retention_compute(day), 0, "computed and allocated: nothing to do")
                self.assertEqual(self.Cycle._job_retention_finish(day), 0)
                trap.assert_jobs_count(0)
            # the day reset (Settings' Run now): the day is computed again and allocated again, nothing twice
            self.Cycle._retention_reset_day()
            with self.trap_jobs() as trap:
                self.Cycle._job_retention_compute(day)
                trap.perform_enqueued_jobs()  # the write-back and the finish
                self.assertEqual(self._names(trap.enqueued_jobs), ["_job_retention_allocate"])
                trap.perform_enqueued_jobs()
        self.assertEqual(self._param(LAST_ALLOCATE_PARAM), day)
        for customer in self.lapsed:
            self.assertEqual(len(self._all_followups(customer)), 1, customer.name)

    def test_allocation_enqueued_once(self):
        """The allocation job of a day is identified by its day: enqueued twice, it is one job."""
        with self._at_six():
            self.Cycle._retention_compute_all(self.BASE)
            first = self.Cycle._retention_enqueue_allocation(self.BASE)
            second = self.Cycle._retention_enqueue_allocation(self.BASE)
        self.assertEqual(first.uuid, second.uuid)
        jobs = self.env["queue.job"].search([("channel", "=", CHANNEL)])
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs.identity_key, "order_retention.allocate.%s" % self.BASE)

    def test_cycles_never_overlap(self):
        """While a job of the cycle is open the cron enqueues nothing; enqueuing twice gives one job."""
        self._cron()
        jobs = self.env["queue.job"].search([("channel", "=", CHANNEL)])
        self.assertEqual(len(jobs), 1)
        self.assertIn(str(self.BASE), jobs.name)
        self._cron()
        self.assertEqual(self.env["queue.job"].search_count([("channel", "=", CHANNEL)]), 1, "no second cycle")
        with self._at_six():
            self.Cycle._retention_compute_all(self.BASE)
            self.Cycle._retention_enqueue_allocation(self.BASE)
        allocation = self.env["queue.job"].search(
            [("channel", "=", CHANNEL), ("identity_key", "=", "order_retention.allocate.%s" % self.BASE)]
        )
        self.assertEqual(len(allocation), 1)
        jobs.state = "done"
        self._cron()
        self.assertEqual(self.env["queue.job"].search_count([("channel", "=", CHANNEL)]), 2, "the allocation is open")
        allocation.state = "failed"  # a failure stays visible in Queue Jobs and does not block the next cycle
        self._cron()
        self.assertEqual(self.env["queue.job"].search_count([("channel", "=", CHANNEL)]), 3)

    def test_failed_allocation_is_visible(self):
        """A failed allocation job stays in Queue Jobs named after its day and does not block the next cycle;
        requeued and run, it creates the day's calls."""
        with self._at_six():
            self.Cycle._retention_compute_all(self.BASE)
            job = self.Cycle._retention_enqueue_allocation(self.BASE)
        record = job.db_record()
        self.assertEqual(record.channel, CHANNEL)
        self.assertIn(str(self.BASE), record.name)
        self.assertIn("schedule the retention calls", record.name)
        record.write({"state": "failed", "exc_info": "boom"})
        self.assertEqual(self.Cycle._retention_open_jobs(), 0, "a failed job does not block the next cycle")
        self.assertEqual(self.env["queue.job"].search([("channel", "=", CHANNEL), ("state", "=", "failed")]), record)
        self.assertFalse(self._param(LAST_ALLOCATE_PARAM) == str(self.BASE))
        with self._at_six():
            job.perform()
        self.assertEqual(self._param(LAST_ALLOCATE_PARAM), str(self.BASE))
        for customer in self.lapsed:
            self.assertEqual(len(self._open_followups(customer)), 1, customer.name)

    def test_write_back_in_shards(self):
        """The recompute enqueues the write-back in shards of customers that run side by side, and the
        finish job after all of them; performed, they classify every customer once and the allocation
        follows."""
        day = str(self.BASE)
        with self._at_six(), self.trap_jobs() as trap:
            enqueued = self.Cycle._job_retention_compute(day, shard_size=2)
            write_backs = [job for job in trap.enqueued_jobs if job.func.__name__ == "_job_retention_write_back"]
            [finish] = [job for job in trap.enqueued_jobs if job.func.__name__ == "_job_retention_finish"]
            self.assertEqual(enqueued, len(write_backs) + 1)
            self.assertGreaterEqual(len(write_backs), 3, "5 lapsed customers and the demo's, 2 a shard")
            self.assertEqual(set(finish.depends_on), set(write_backs), "the finish waits for every shard")
            self.assertTrue(all(not job.depends_on for job in write_backs), "the shards run side by side")
            self.assertTrue(all(job.channel == CHANNEL for job in write_backs + [finish]))
            self.assertEqual(
                sorted(job.description.split(": ")[1].split(" (")[0] for job in write_backs),
                sorted("write back part %d/%d" % (n, len(write_backs)) for n in range(1, len(write_backs) + 1)),
            )
            self.assertFalse(self._param(LAST_COMPUTE_PARAM) == day)
            self.env.invalidate_all()
            self.assertFalse(any(self.lapsed.mapped("retention_status")), "staged, not written back yet")
            trap.perform_enqueued_jobs()
            self.assertEqual(self._param(LAST_COMPUTE_PARAM), day)
            trap.perform_enqueued_jobs()  # the allocation
            # a write-back shard run again (a retry) writes nothing twice
            self.assertEqual(self.Cycle._job_retention_write_back(day, min(self.lapsed.ids), max(self.lapsed.ids)), 0)
        self.env.invalidate_all()
        self.assertEqual(set(self.lapsed.mapped("retention_status")) - {"warm", "cold", "lost"}, set())
        for customer in self.lapsed:
            self.assertEqual(len(customer.retention_history_ids), 1, customer.name)
            self.assertEqual(len(self._open_followups(customer)), 1, customer.name)
