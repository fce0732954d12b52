"""The daily retention cycle as queue jobs (OCA queue_job), on the channel root.order_retention.

The cron enqueues one *recompute* job; when it is done it enqueues the *follow-up* batches (1,000
customers each, by partner id range) in as many chains as the Settings' parallel retention jobs,
so that at most that many run at the same time. Every job is idempotent: the recompute is skipped
when today's is already written, a batch only checks the customers of its id range that are not
checked today yet; identity keys keep a job from being enqueued twice, and the cron enqueues
nothing while a job of the previous cycle is still open (two cycles never overlap).
"""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.order_retention.models.retention_cycle import LAST_COMPUTE_PARAM
from odoo.addons.queue_job.delay import chain
from odoo.addons.queue_job.exception import RetryableJobError

from .res_config_settings import CAPACITY_PARAM

_logger = logging.getLogger(__name__)

CHANNEL = "root.order_retention"
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
    def _retention_enqueue_cycle(self, today=None, batch_size=1000):
        """Enqueue today's cycle (cron): its recompute job, which enqueues the follow-up batches.
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
        )._job_retention_compute(day, batch_size)

    @api.model
    def _job_retention_compute(self, day, batch_size=1000):
        """Job: recompute every customer as of ``day`` (once), then enqueue the follow-up batches."""
        today = fields.Date.to_date(day)
        if not self._retention_try_lock():
            raise RetryableJobError("Another retention cycle step holds the lock", seconds=60)
        if self.env["ir.config_parameter"].sudo().get_param(LAST_COMPUTE_PARAM) != day:
            self._retention_compute_all(today)
        return self._retention_enqueue_followups(today, batch_size)

    @api.model
    def _retention_followup_ranges(self, today, batch_size):
        """(first id, last id) of each batch of ``batch_size`` customers whose follow-up is to check today."""
        Partner = self.env["res.partner"]
        query = Partner._search(self._retention_followup_domain(today))
        rows = self.env.execute_query(
            SQL(
                """
            SELECT MIN(id), MAX(id) FROM (
                SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %(size)s AS batch FROM (%(ids)s) todo
            ) numbered GROUP BY batch ORDER BY batch
            """,
                size=batch_size,
                ids=query.select(SQL.identifier("res_partner", "id")),
            )
        )
        return [tuple(row) for row in rows]

    @api.model
    def _retention_enqueue_followups(self, today, batch_size=1000):
        """Enqueue the follow-up batches of ``today`` in N chains (N = parallel retention jobs).
        Returns the number of batches."""
        day = fields.Date.to_string(today)
        ranges = self._retention_followup_ranges(today, batch_size)
        capacity = max(int(self.env["ir.config_parameter"].sudo().get_param(CAPACITY_PARAM) or 1), 1)
        chains = [[] for _i in range(min(capacity, len(ranges)))]
        for number, (first_id, last_id) in enumerate(ranges, 1):
            chains[(number - 1) % len(chains)].append(
                self.delayable(
                    channel=CHANNEL,
                    identity_key="order_retention.followups.%s.%s-%s" % (day, first_id, last_id),
                    description=self.env._(
                        "Retention follow-ups %(day)s: batch %(number)s/%(total)s (customers %(first)s-%(last)s)",
                        day=day,
                        number=number,
                        total=len(ranges),
                        first=first_id,
                        last=last_id,
                    ),
                )._job_retention_followups(day, first_id, last_id, batch_size)
            )
        for jobs in chains:
            chain(*jobs).delay()
        _logger.info("Retention cycle %s: %d follow-up batches enqueued in %d chains", day, len(ranges), len(chains))
        return len(ranges)

    @api.model
    def _job_retention_followups(self, day, first_id, last_id, batch_size=1000):
        """Job: check the follow-ups of the customers of ids ``first_id``..``last_id`` still to check on
        ``day`` (a retry or a second run only finds those not done yet). Returns how many were checked."""
        today = fields.Date.to_date(day)
        partners = self.env["res.partner"].search(
            self._retention_followup_domain(today) + [("id", ">=", first_id), ("id", "<=", last_id)],
            order="id",
            limit=batch_size,
        )
        if partners:
            self._retention_process_batch(partners, today)
        return len(partners)
