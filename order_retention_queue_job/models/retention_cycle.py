"""The daily retention cycle as queue jobs (OCA queue_job), on the channel root.order_retention.

The cron enqueues one *recompute* job: it reads every order (in shards, bounded memory), fits and
scores every customer into the stage table and records the day's run, then enqueues the *write-back*
of the results in shards of 100,000 customers (disjoint partner id ranges: history, fields, chatter,
closed follow-ups), which run side by side, and after them a *finish* job that marks the day computed
and enqueues the day's *allocation*: the retention-call queue (retention.queue) gives the free slots of
each salesperson's capacity to the customers whose call is worth most. The allocation is bounded by the
team, not by the base (at most the sum of the capacities in calls, a few set-based statements): one job,
not batches. Every job is idempotent: the recompute is skipped when today's is already written, a
write-back range written twice changes nothing, the allocation does nothing when the day's has already
run (order_retention.last_allocate_date); identity keys keep a job from being enqueued twice, and the
cron enqueues nothing while a job of the previous cycle is still open (two cycles never overlap).
"""

import logging

from odoo import api, fields, models

from odoo.addons.order_retention.models.retention_cycle import LAST_ALLOCATE_PARAM, LAST_COMPUTE_PARAM
from odoo.addons.queue_job.delay import chain, group
from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

CHANNEL = "root.order_retention"
WRITE_BACK_SHARD = 100_000  # customers written back per job
OPEN_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class RetentionCycle(models.AbstractModel):
    _inherit = "retention.cycle"

    @api.model
    def _retention_open_jobs(self):
        """Jobs of a retention cycle that are not finished (failed ones do not block the next cycle)."""
        return (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("channel", "=like", CHANNEL + "%"),
                    ("state", "in", OPEN_STATES),
                ]
            )
        )

    @api.model
    def _retention_enqueue_cycle(self, today=None):
        """Enqueue today's cycle (cron): its recompute job, which enqueues the write-back and the allocation.
        Returns the job, or None when a cycle is still running."""
        today = today or fields.Date.context_today(self)
        if not self._retention_try_lock() or self._retention_open_jobs():
            _logger.info("Retention cycle still running (open jobs on %s): nothing enqueued", CHANNEL)
            return None
        day = fields.Date.to_string(today)
        return self.with_delay(
            channel=CHANNEL,
            identity_key="order_retention.compute.%s" % day,
            description=self.env._("Retention cycle %(day)s: recompute every customer", day=day),
        )._job_retention_compute(day)

    @api.model
    def _job_retention_compute(self, day, shard_size=WRITE_BACK_SHARD):
        """Job: recompute every customer as of ``day`` into the stage table, then enqueue the write-back
        shards and, after them, the finish job. When the day is already computed, enqueue its allocation
        directly (unless it already ran). Returns the number of jobs enqueued."""
        today = fields.Date.to_date(day)
        if not self._retention_try_lock():
            raise RetryableJobError("Another retention cycle step holds the lock", seconds=60)
        if self.env["ir.config_parameter"].sudo().get_param(LAST_COMPUTE_PARAM) == day:
            return 1 if self._retention_enqueue_allocation(today) else 0
        self._retention_stage(today)
        ranges = self.env["retention.write.back"]._retention_stage_ranges(shard_size)
        _ = self.env._
        label = _("Retention cycle %(day)s: write back part %(number)s/%(total)s (customers %(first)s-%(last)s)")
        write_backs = [
            self._retention_range_delayable("write_back", label, day, number, ranges)._job_retention_write_back(
                day, *ranges[number - 1]
            )
            for number in range(1, len(ranges) + 1)
        ]
        finish = self.delayable(
            channel=CHANNEL,
            identity_key="order_retention.finish.%s" % day,
            description=_("Retention cycle %(day)s: finish the recompute", day=day),
        )._job_retention_finish(day)
        if write_backs:
            chain(group(*write_backs), finish).delay()
        else:
            finish.delay()
        _logger.info("Retention cycle %s: %d write-back shards enqueued", day, len(write_backs))
        return len(write_backs) + 1

    @api.model
    def _retention_range_delayable(self, kind, label, day, number, ranges):
        """A job of the day's ``kind`` for the ``number``-th (1-based) id range of ``ranges``, on the
        retention channel: identified by its day and range (enqueued once), named after them by
        ``label`` (a translated text with the fields day, number, total, first and last)."""
        first_id, last_id = ranges[number - 1]
        return self.delayable(
            channel=CHANNEL,
            identity_key="order_retention.%s.%s.%s-%s" % (kind, day, first_id, last_id),
            description=label
            % {"day": day, "number": number, "total": len(ranges), "first": first_id, "last": last_id},
        )

    @api.model
    def _job_retention_write_back(self, day, first_id, last_id):
        """Job: write back the staged results of the customers of ids ``first_id``..``last_id``. Runs
        beside the other shards of the day (a shared lock); a retry writes nothing twice. Returns the
        number of customer rows written."""
        if not self._retention_try_lock(shared=True):
            raise RetryableJobError("A retention cycle step that needs the cycle alone is running", seconds=60)
        written, _changes = self.env["retention.write.back"]._retention_apply_stage(
            fields.Date.to_date(day), first_id, last_id
        )
        return written

    @api.model
    def _job_retention_finish(self, day):
        """Job: the day's results are written back: mark the day computed, enqueue the day's allocation."""
        today = fields.Date.to_date(day)
        if not self._retention_try_lock():
            raise RetryableJobError("Another retention cycle step holds the lock", seconds=60)
        self._retention_finish_compute(today)
        return 1 if self._retention_enqueue_allocation(today) else 0

    @api.model
    def _retention_enqueue_allocation(self, today):
        """Enqueue the allocation of ``today`` (one job, identified by its day) unless it already ran.
        Returns the job, or None."""
        day = fields.Date.to_string(today)
        if self.env["ir.config_parameter"].sudo().get_param(LAST_ALLOCATE_PARAM) == day:
            return None
        return self.with_delay(
            channel=CHANNEL,
            identity_key="order_retention.allocate.%s" % day,
            description=self.env._("Retention cycle %(day)s: schedule the retention calls (call queue)", day=day),
        )._job_retention_allocate(day)

    @api.model
    def _job_retention_allocate(self, day):
        """Job: the day's allocation of the retention-call queue (retention.queue), once per day: does nothing
        when it already ran for ``day``, or when ``day`` is not the day last computed (a later cycle, or a
        reset, took over). Returns the number of retention calls created."""
        if not self._retention_try_lock():
            raise RetryableJobError("Another retention cycle step holds the lock", seconds=60)
        ICP = self.env["ir.config_parameter"].sudo()
        if ICP.get_param(LAST_ALLOCATE_PARAM) == day:
            _logger.info("Retention cycle %s: the allocation already ran", day)
            return 0
        if ICP.get_param(LAST_COMPUTE_PARAM) != day:
            _logger.info("Retention cycle %s: not the day last computed, no allocation", day)
            return 0
        created = self._retention_schedule_followups(fields.Date.to_date(day))
        ICP.set_param(LAST_ALLOCATE_PARAM, day)
        return created
