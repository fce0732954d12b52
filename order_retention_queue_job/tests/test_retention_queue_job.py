import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.order_retention.tests.common import RetentionCommon
from odoo.addons.queue_job.tests.common import JobMixin

from ..models.res_config_settings import CAPACITY_PARAM
from ..models.retention_cycle import CHANNEL

D = datetime.timedelta


@tagged("post_install", "-at_install", "order_retention_queue_job")
class TestRetentionQueueJob(RetentionCommon, JobMixin):
    """The daily cycle through the job queue: recompute job, follow-up batches, idempotence, no overlap."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("order_retention.lost_probability", "1.0")
        cls.env["ir.config_parameter"].set_param("order_retention.lost_cap_days", "5000")
        # five customers who stopped ordering: each needs a retention call
        cls.lapsed = cls.env["res.partner"]
        for number in range(5):
            customer = cls._create_customer("Queued Lapse %s" % number, user=cls.salesman)
            cls._create_orders(customer, cls._regular_dates(cls.BASE - D(days=40 + number), 10, 6), amount=100.0)
            cls.lapsed |= customer
        cls.Cycle = cls.env["retention.cycle"]

    def _cron(self):
        with freeze_time(datetime.datetime.combine(self.BASE, datetime.time(6, 0))):
            return self.env["res.partner"]._cron_retention_cycle(batch_size=2)

    def test_cron_enqueues_recompute_then_batches(self):
        """The cron enqueues the recompute on root.order_retention; it enqueues the batches, which create the calls."""
        self.env["ir.config_parameter"].set_param(CAPACITY_PARAM, "2")
        with self.trap_jobs() as trap:
            self._cron()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                self.Cycle._job_retention_compute,
                args=(str(self.BASE), 2),
                properties={"channel": CHANNEL, "identity_key": "order_retention.compute.%s" % self.BASE},
            )
            with freeze_time(datetime.datetime.combine(self.BASE, datetime.time(6, 0))):
                trap.perform_enqueued_jobs()  # the recompute: the write-back shard(s), then the finish job
                names = sorted(job.func.__name__ for job in trap.enqueued_jobs)
                self.assertEqual(names, ["_job_retention_finish", "_job_retention_write_back"])
                trap.perform_enqueued_jobs()  # the write-back, then the finish: the follow-up batches
                followup_jobs = [job for job in trap.enqueued_jobs if job.func.__name__ == "_job_retention_followups"]
                self.assertEqual(len(followup_jobs), 3, "5 customers in batches of 2")
                self.assertTrue(all(job.channel == CHANNEL for job in followup_jobs))
                self.assertEqual(
                    sorted(job.description.split(": ")[1][:9] for job in followup_jobs),
                    ["batch 1/3", "batch 2/3", "batch 3/3"],
                )
                self.assertEqual(len({job.graph_uuid for job in followup_jobs}), 2, "two parallel chains")
                trap.perform_enqueued_jobs()
        self.env.invalidate_all()
        self.assertEqual(set(self.lapsed.mapped("retention_status")) - {"warm", "cold", "lost"}, set())
        for customer in self.lapsed:
            self.assertEqual(len(self._open_followups(customer)), 1, customer.name)

    def test_batches_are_idempotent(self):
        """Running a batch twice (a retry) creates no second call; a batch only sees its own id range."""
        with freeze_time(datetime.datetime.combine(self.BASE, datetime.time(6, 0))):
            self.Cycle._retention_compute_all(self.BASE)
            first, last = min(self.lapsed.ids), max(self.lapsed.ids)
            day = str(self.BASE)
            self.assertEqual(self.Cycle._job_retention_followups(day, first, first), 1)
            self.assertEqual(self.Cycle._job_retention_followups(day, first, first), 0, "already checked today")
            self.assertEqual(self.Cycle._job_retention_followups(day, first, last), 4)
        self.assertEqual(sum(len(self._open_followups(c)) for c in self.lapsed), 5)

    def test_cycles_never_overlap(self):
        """While a job of the cycle is open the cron enqueues nothing; enqueuing twice gives one job."""
        self._cron()
        jobs = self.env["queue.job"].search([("channel", "=", CHANNEL)])
        self.assertEqual(len(jobs), 1)
        self.assertIn(str(self.BASE), jobs.name)
        self._cron()
        self.assertEqual(self.env["queue.job"].search_count([("channel", "=", CHANNEL)]), 1, "no second cycle")
        jobs.state = "failed"  # a failure stays visible in Queue Jobs and does not block the next cycle
        self._cron()
        self.assertEqual(self.env["queue.job"].search_count([("channel", "=", CHANNEL)]), 2)

    def test_failed_batch_is_visible_with_its_range(self):
        """A batch job is named after its day and id range, so a failure in Queue Jobs says which customers."""
        with freeze_time(datetime.datetime.combine(self.BASE, datetime.time(6, 0))):
            self.Cycle._retention_compute_all(self.BASE)
            self.Cycle._retention_enqueue_followups(self.BASE, batch_size=3)
        jobs = self.env["queue.job"].search([("channel", "=", CHANNEL)]).sorted("name")
        self.assertEqual(len(jobs), 2)
        first, last = min(self.lapsed.ids), max(self.lapsed.ids)
        self.assertIn("batch 1/2 (customers %s-" % first, jobs[0].name)
        self.assertIn("-%s)" % last, jobs[1].name)
        self.assertEqual(
            jobs[0].identity_key,
            "order_retention.followups.%s.%s-%s" % (self.BASE, first, self.lapsed.sorted("id")[2].id),
        )

    def test_write_back_in_shards(self):
        """The recompute enqueues the write-back in shards of customers that run side by side, and the
        finish job after all of them; performed, they classify every customer once and the follow-ups
        follow."""
        day = str(self.BASE)
        with freeze_time(datetime.datetime.combine(self.BASE, datetime.time(6, 0))), self.trap_jobs() as trap:
            enqueued = self.Cycle._job_retention_compute(day, 2, shard_size=2)
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
            self.assertFalse(self.env["ir.config_parameter"].get_param("order_retention.last_compute_date") == day)
            self.env.invalidate_all()
            self.assertFalse(any(self.lapsed.mapped("retention_status")), "staged, not written back yet")
            trap.perform_enqueued_jobs()
            self.assertEqual(self.env["ir.config_parameter"].get_param("order_retention.last_compute_date"), day)
            trap.perform_enqueued_jobs()  # the follow-up batches
            # a write-back shard run again (a retry) writes nothing twice
            self.assertEqual(self.Cycle._job_retention_write_back(day, min(self.lapsed.ids), max(self.lapsed.ids)), 0)
        self.env.invalidate_all()
        self.assertEqual(set(self.lapsed.mapped("retention_status")) - {"warm", "cold", "lost"}, set())
        for customer in self.lapsed:
            self.assertEqual(len(customer.retention_history_ids), 1, customer.name)
            self.assertEqual(len(self._open_followups(customer)), 1, customer.name)
