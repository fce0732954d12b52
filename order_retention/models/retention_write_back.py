"""The night's write-back: the staged results compared with the stored figures, and only what changed written.

``retention.cycle`` (retention_cycle.py) fetches every customer's orders, fits the base-wide figures and scores each
customer into the stage table (``retention_result_stage``, unlogged, one row per customer and company). This model
writes them back, in a few set-based statements over the whole stage or over one range of customers (the queue jobs'
fan-out writes disjoint ranges side by side, ``_retention_stage_ranges``):

1. *Compare* (``_retention_diff``): each customer's staged row against its stored ``retention.customer`` row, once,
   into a temporary table of the rows to write. Figures that move a little every night (population fits, relative
   ranks, run-rates) count as changed only beyond a tolerance (the constants below): a night rewrites the customers
   whose figures moved, not a million rows.
2. *History* (``_retention_record_changes``): one ``retention.status.history`` row per status change.
3. *Write* (``_retention_apply_results``): the new customers inserted (the first classification of a large base loads
   the empty table without its secondary indexes), the changed rows updated, the customers no longer classified
   emptied. ``res_partner`` is never written.
4. *Consequences* (``_retention_apply_stage``): the value at risk of open calls, the restore and "lost for good"
   flags, and the follow-ups closed or renamed by a status change (``retention.cycle``, follow-up activities).

Every method is private: nothing here is reachable over RPC (tests/test_retention_attacks.py).
"""

import re

from odoo import api, fields, models
from odoo.tools import SQL

from .retention_cycle import STAGE_TABLE, STAGE_VIEW


class RetentionWriteBack(models.AbstractModel):
    _name = "retention.write.back"
    _description = "Customer Retention Write-back"

    @api.model
    def _retention_stage_ranges(self, size):
        """(first id, last id) of ranges of ``size`` customers covering the staged customers and the
        classified ones (who may have lost their status): the write-back's shards."""
        ids = SQL(
            "SELECT partner_id AS id FROM %s UNION SELECT partner_id FROM retention_customer "
            "WHERE retention_status IS NOT NULL",
            SQL.identifier(STAGE_TABLE),
        )
        return self._retention_id_ranges(ids, size)

    @api.model
    def _retention_id_ranges(self, ids, size):
        """(first id, last id) of consecutive ranges of ``size`` ids each, over the ids (a column ``id``)
        that the SQL query ``ids`` selects, in id order: the shards and batches of the cycle."""
        rows = self.env.execute_query(
            SQL(
                """
            SELECT MIN(id), MAX(id) FROM (
                SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %(size)s AS part FROM (%(ids)s) ids
            ) numbered GROUP BY part ORDER BY part
            """,
                size=size,
                ids=ids,
            )
        )
        return [tuple(row) for row in rows]

    @api.model
    def _retention_apply_stage(self, as_of, first_id=None, last_id=None, lap=None):
        """Write the staged results of the customers of ids ``first_id``..``last_id`` (every customer by
        default) back: history of status changes, customer fields (only what changed), the
        value at risk of open follow-ups, and the follow-ups closed or renamed by a change. Ranges are
        disjoint, so several can be written at the same time; writing a range twice changes nothing.
        Returns (customer rows written, changes)."""
        lap = lap or (lambda phase: None)
        cycle = self.env["retention.cycle"]
        cycle._retention_tune_transaction()
        id_range = (first_id, last_id) if first_id is not None else None
        in_range = self._retention_in_range("r.partner_id", id_range)
        self._retention_diff(as_of, id_range)
        changes = self._retention_record_changes(as_of)
        lap("history")
        written = self._retention_apply_results(as_of)
        self.env["mail.activity"]._retention_refresh_values(partner_range=(first_id, last_id))
        lap("update")
        # a customer back to active needs no restored follow-up; "lost for good" holds until they order again
        self.env.cr.execute(
            SQL(
                """
            UPDATE retention_customer r
               SET retention_restore_order_id = NULL, retention_lost_for_good = FALSE
             WHERE (retention_restore_order_id IS NOT NULL OR retention_lost_for_good)
               AND retention_status = 'active' AND %s
            """,
                in_range,
            )
        )
        self.env["retention.customer"].invalidate_model()
        self.env["retention.customer"]._retention_invalidate_readers()
        self.env["retention.status.history"].invalidate_model()
        lap("flags")
        # the status changes are not posted in the customer's chatter: anybody who can open the customer reads
        # its chatter, the status history keeps them for those who may read the figures
        cycle._retention_close_reordered(changes)
        cycle._retention_close_unclassified(changes)
        cycle._retention_rename_open_followups(changes)
        return written, changes

    @api.model
    def _retention_in_range(self, column, id_range):
        """SQL condition: the partner id ``column`` (trusted code, e.g. "r.partner_id") in the write-back's
        range ``id_range`` = (first id, last id); always true without a range."""
        if not id_range:
            return SQL("TRUE")
        return SQL("%s BETWEEN %s AND %s", SQL(column), *id_range)

    @api.model
    def _retention_diff(self, as_of, id_range=None):
        """Compare the staged results (as of ``as_of``) of the customers in ``id_range`` with their stored figures,
        once: the temporary table ``retention_diff`` holds a row per customer and company to write (the others are not
        touched), with its stored row (``customer_id``, NULL for a customer new to the company), the stored and the
        staged status (``new_status`` NULL: no longer classified, ``staged`` false), whether the status changed
        (``status_changed``) and whether its figures changed. The history and the three writes below read it instead
        of joining a million staged rows with a million stored ones each."""
        self.env["retention.customer"].flush_model()
        cr = self.env.cr
        stage = SQL.identifier(STAGE_VIEW)
        changed = SQL(
            """
            (c.retention_status, c.retention_last_order_date, c.retention_order_count, c.retention_total_amount,
             c.retention_mean_gap_days, c.retention_gap_std_days, c.retention_rfm_segment,
             c.retention_rfm_score, c.retention_team_id)
            IS DISTINCT FROM
            (t.status, t.last_order_date, t.order_count, t.total_amount, t.mean_gap, t.std_gap,
             t.rfm_segment, t.rfm_score, t.team_id)
            OR %(expected_next_moved)s OR %(warning_moved)s
            -- the "± days" of the rhythm: whole days of a fitted spread, a day either way is the same rhythm
            OR %(spread_moved)s
            OR c.retention_expected_gap_days IS NULL OR c.retention_warning_days IS NULL
            OR abs(c.retention_expected_gap_days - t.expected_gap) >= 0.5
            OR abs(c.retention_warning_days - t.warning_days) >= 0.5
            -- the spread of the log gaps, relative: 5 percent of it moves the overdue probability it gives by at most
            -- 1.2 points (0.242 x 5 percent, at one spread from the usual gap); an absolute 0.01 rewrote 173,000
            -- customers whose peer group's spread moved a little in a night
            OR abs(COALESCE(c.retention_gap_log_sd, 0) - t.gap_log_sd) > %(atol)s * abs(t.gap_log_sd)
            OR abs(COALESCE(c.retention_churn_probability, -1) - t.churn_probability) >= %(ptol)s
            OR abs(COALESCE(c.retention_p_no_order_90d, -1) - t.p_no_order_90d) >= %(ptol)s
            OR abs(COALESCE(c.retention_annual_value, 0) - t.annual_value)
               > %(atol)s * greatest(abs(t.annual_value), 1)
            -- value at risk = annual value x churn probability: it is rewritten when it moved by more than those
            -- two tolerances allow (5 percent of itself, or 5 points of probability of the annual value); relative to
            -- itself alone, the small values at risk of a third of a million steady customers drifted past 5 percent
            -- every day and were rewritten for nothing
            OR abs(COALESCE(c.retention_value_at_risk, 0) - t.value_at_risk)
               > greatest(%(atol)s * abs(t.value_at_risk), %(ptol)s * abs(t.annual_value), 1)
            """,
            ptol=self.PROBABILITY_TOLERANCE,
            atol=self.AMOUNT_TOLERANCE,
            spread_moved=self._retention_moved_beyond(
                "c.retention_gap_spread_days", "t.gap_spread", self.DAY_TOLERANCE
            ),
            expected_next_moved=self._retention_date_moved(
                "c.retention_expected_next_order_date", "t.expected_next_date", as_of
            ),
            warning_moved=self._retention_date_moved("c.retention_warning_date", "t.warning_date", as_of),
        )
        cr.execute(SQL("DROP TABLE IF EXISTS retention_diff"))
        # two joins instead of one full join (which PostgreSQL runs in one process): the staged customers with their
        # stored rows (new or changed), and the classified customers the stage no longer has; both run in parallel
        # workers, whose start the planner is told is cheap here (a million rows on each side: 3.0 s -> 2.5 s at 1M)
        cr.execute(SQL("SET LOCAL parallel_setup_cost = 0"))
        cr.execute(SQL("SET LOCAL parallel_tuple_cost = 0"))
        cr.execute(
            SQL(
                """
            CREATE TEMP TABLE retention_diff ON COMMIT DROP AS
            SELECT t.partner_id, t.company_id, c.id AS customer_id, c.retention_status AS old_status,
                   t.status AS new_status, c.retention_status IS DISTINCT FROM t.status AS status_changed,
                   TRUE AS staged, c.id IS NOT NULL AS changed
              FROM %(stage)s t
              LEFT JOIN retention_customer c ON c.partner_id = t.partner_id AND c.company_id = t.company_id
             WHERE (c.id IS NULL OR (%(changed)s)) AND %(stage_range)s
            UNION ALL
            SELECT c.partner_id, c.company_id, c.id, c.retention_status, NULL, TRUE, FALSE, FALSE
              FROM retention_customer c
             WHERE c.retention_status IS NOT NULL AND %(customer_range)s
               AND NOT EXISTS (SELECT 1 FROM %(stage_table)s t
                                WHERE t.partner_id = c.partner_id AND t.company_id = c.company_id)
            """,
                changed=changed,
                stage=stage,
                stage_table=SQL.identifier(STAGE_TABLE),
                stage_range=self._retention_in_range("t.partner_id", id_range),
                customer_range=self._retention_in_range("c.partner_id", id_range),
            )
        )
        cr.execute(SQL("RESET parallel_setup_cost"))
        cr.execute(SQL("RESET parallel_tuple_cost"))
        # its real size for the planner (a new temporary table is guessed small): a million new customers join the
        # stage and res_partner by hashing, not by a million index lookups (about 10 s at 1M)
        cr.execute(SQL("ANALYZE retention_diff"))

    @api.model
    def _retention_date_moved(self, stored, staged, as_of):
        """SQL condition: the stored date ``stored`` is rewritten with the staged ``staged`` (trusted column names).
        A date fitted from the population (the expected next order, the warning date: the last order plus a fitted
        gap, rounded to the day) moves by a day for a quarter of a million customers when the night's fit moves by
        a fraction of a day; a day's move is kept out (as the fitted gaps' half a day), unless the day it moves over
        is the night's own, give or take a day (a reader anywhere on Earth): there the day counts and the Missing
        Orders list must read the new date. Tomorrow's night compares the same dates again."""
        return SQL(
            """(%(beyond)s OR (%(stored)s <> %(staged)s
                AND greatest(%(stored)s, %(staged)s) BETWEEN %(as_of)s::date - 1 AND %(as_of)s::date + 1))""",
            beyond=self._retention_moved_beyond(stored, staged, self.DAY_TOLERANCE),
            stored=SQL(stored),
            staged=SQL(staged),
            as_of=as_of,
        )

    @api.model
    def _retention_moved_beyond(self, stored, staged, tolerance):
        """SQL condition: the stored value ``stored`` became or stopped being empty, or is more than ``tolerance``
        away from the staged ``staged`` (trusted column names; numbers or dates, whose difference is in days)."""
        stored, staged = SQL(stored), SQL(staged)
        return SQL(
            "((%(stored)s IS NULL) <> (%(staged)s IS NULL) OR abs(%(stored)s - %(staged)s) > %(tolerance)s)",
            stored=stored,
            staged=staged,
            tolerance=tolerance,
        )

    @api.model
    def _retention_record_changes(self, as_of):
        """Insert one history row per customer and company whose status changes (incl. customers who lost
        their last confirmed order), from ``retention_diff``; returns [(history_id, partner_id, old, new, company_id)]
        of the changes from a status (a customer's first status is recorded in the history only, and a company's first
        classification not at all: see the condition below)."""
        self.env["res.partner"].flush_model(["user_id"])
        [(nothing,)] = self.env.execute_query(
            SQL(
                "SELECT NOT EXISTS (SELECT 1 FROM %s WHERE NOT first_classification) "
                "AND NOT EXISTS (SELECT 1 FROM retention_diff WHERE old_status IS NOT NULL)",
                SQL.identifier(STAGE_TABLE),
            )
        )
        if nothing:  # every company's first classification: nothing to enter (a million rows not joined for nothing)
            return []
        rows = self.env.execute_query(
            SQL(
                """
            WITH inserted AS (
            INSERT INTO retention_status_history (partner_id, company_id, date, old_status, new_status,
                   days_since_last_order, warning_days, expected_gap_days, order_count, gap_spread_days,
                   last_order_date, expected_next_order_date, churn_probability, user_id,
                   is_win_back)
            SELECT d.partner_id, d.company_id, %(as_of)s, d.old_status, d.new_status, t.days_since_last,
                   t.warning_days, t.expected_gap, t.order_count, t.gap_spread, t.last_order_date,
                   t.expected_next_date, t.churn_probability, p.user_id,
                   COALESCE(d.old_status IN ('warm', 'cold', 'lost') AND d.new_status = 'active', FALSE)
              FROM retention_diff d
              LEFT JOIN %(stage)s t ON t.partner_id = d.partner_id AND t.company_id = d.company_id
              JOIN res_partner p ON p.id = d.partner_id
             -- a column of its own, not "old IS DISTINCT FROM new": ANALYZE counts it, and the planner sizes the
             -- night's few changes as they are (it took a sixth of the diff for them)
             WHERE d.status_changed
               -- a company's first classification is where its customers start, not a change: a million rows
               -- dated the first night ("- to Lost") would tell nothing of when anybody was lost, and each
               -- customer's "Status Since" holds that date; from then on, a new customer's first status is entered
               AND (d.old_status IS NOT NULL OR NOT t.first_classification)
            RETURNING id, partner_id, old_status, new_status, company_id
            )
            SELECT id, partner_id, old_status, new_status, company_id FROM inserted WHERE old_status IS NOT NULL
            """,
                as_of=as_of,
                stage=SQL.identifier(STAGE_VIEW),
            )
        )
        return rows

    # Figures that move a little every day (population fits, relative ranks, run-rates) are rewritten
    # only when they moved by more than these tolerances: absolute for probabilities, relative for
    # amounts (the value at risk, a product of both, by either) and the spread of the log gaps, whole days for the
    # fitted dates and the rhythm's "±". Everything else is compared exactly; day counts are not stored at all.
    PROBABILITY_TOLERANCE = 0.05
    AMOUNT_TOLERANCE = 0.05
    # whole days: the fitted dates (see _retention_date_moved) and the "±" of the rhythm move by one day unwritten
    DAY_TOLERANCE = 1

    # The figures of retention.customer the engine writes, and the stage column each comes from.
    RESULT_FIELDS = {
        "retention_status": "status",
        "retention_last_order_date": "last_order_date",
        "retention_order_count": "order_count",
        "retention_total_amount": "total_amount",
        "retention_mean_gap_days": "mean_gap",
        "retention_gap_std_days": "std_gap",
        "retention_expected_gap_days": "expected_gap",
        "retention_gap_spread_days": "gap_spread",
        "retention_expected_next_order_date": "expected_next_date",
        "retention_warning_days": "warning_days",
        "retention_warning_date": "warning_date",
        "retention_gap_log_sd": "gap_log_sd",
        "retention_p_no_order_90d": "p_no_order_90d",
        "retention_rfm_score": "rfm_score",
        "retention_rfm_segment": "rfm_segment",
        "retention_team_id": "team_id",
        "retention_churn_probability": "churn_probability",
        "retention_annual_value": "annual_value",
        "retention_value_at_risk": "value_at_risk",
    }

    # New customers above which a first classification of an empty table loads it without its secondary indexes
    BULK_LOAD_ROWS = 100_000

    @api.model
    def _retention_defer_indexes(self):
        """The first classification of a large base (an empty retention.customer and more than BULK_LOAD_ROWS new
        customers): drop the table's indexes but its keys and return their definitions, to be made again after the
        insert, as PostgreSQL advises for a bulk load (one sort per index instead of a million insertions into
        each: about 3 s at 1M). The table is empty and stays locked until the run commits."""
        [(empty, new)] = self.env.execute_query(
            SQL(
                "SELECT NOT EXISTS (SELECT 1 FROM retention_customer), "
                "(SELECT count(*) FROM retention_diff WHERE customer_id IS NULL)"
            )
        )
        if not empty or new <= self.BULK_LOAD_ROWS:
            return []
        rows = self.env.execute_query(
            SQL(
                """
            SELECT c.relname, pg_get_indexdef(i.indexrelid), pg_get_expr(i.indpred, i.indrelid)
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'retention_customer'::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            """
            )
        )
        # a partial index on columns the insert leaves empty (the queue's, the call stop...) stays: nothing goes in
        filled = {"partner_id", "company_id", "user_id", "retention_status_since", "retention_last_computed"}
        filled.update(self.RESULT_FIELDS)
        deferred = [
            (name, definition)
            for name, definition, predicate in rows
            if not predicate or filled & set(re.findall(r"[a-z_][a-z0-9_]*", predicate))
        ]
        for name, _definition in deferred:
            self.env.cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
        return [definition for _name, definition in deferred]

    @api.model
    def _retention_apply_results(self, as_of):
        """Write the engine's results into retention.customer (never res_partner) from ``retention_diff``, in three
        set-based statements: new customers inserted, the rows whose status or statistics changed updated (the
        others are not touched: no row version, no WAL), the customers no longer classified emptied. Returns the
        number of rows written."""
        now = fields.Datetime.now()
        cr = self.env.cr
        stage = SQL.identifier(STAGE_VIEW)
        names = list(self.RESULT_FIELDS)
        columns = SQL(", ").join(SQL.identifier(name) for name in names)
        values = SQL(", ").join(SQL("t.%s", SQL.identifier(col)) for col in self.RESULT_FIELDS.values())
        rebuild_indexes = self._retention_defer_indexes()
        cr.execute(
            SQL(
                """
            INSERT INTO retention_customer AS r (partner_id, company_id, user_id, retention_status_since,
                   retention_last_computed, %(columns)s)
            SELECT t.partner_id, t.company_id, p.user_id, %(as_of)s, %(now)s, %(values)s
              FROM retention_diff n
              JOIN %(stage)s t ON t.partner_id = n.partner_id AND t.company_id = n.company_id
              JOIN res_partner p ON p.id = t.partner_id
             WHERE n.customer_id IS NULL
            """,
                columns=columns,
                values=values,
                as_of=as_of,
                now=now,
                stage=stage,
            )
        )
        written = cr.rowcount
        for definition in rebuild_indexes:
            cr.execute(SQL(definition))  # PostgreSQL's own definitions (pg_indexes), as they were
        if written > 1000:
            # the planner's figures of the table (empty before a first classification) must see the new rows
            cr.execute(SQL("ANALYZE retention_customer"))
        assignments = SQL(", ").join(
            SQL("%s = t.%s", SQL.identifier(name), SQL.identifier(col)) for name, col in self.RESULT_FIELDS.items()
        )
        cr.execute(
            SQL(
                """
            UPDATE retention_customer r
               SET retention_status_since = CASE WHEN r.retention_status IS DISTINCT FROM t.status
                                                 THEN %(as_of)s ELSE COALESCE(r.retention_status_since, %(as_of)s) END,
                   %(assignments)s,
                   retention_last_computed = %(now)s
              FROM retention_diff d
              JOIN %(stage)s t ON t.partner_id = d.partner_id AND t.company_id = d.company_id
             WHERE r.id = d.customer_id AND d.changed
            """,
                as_of=as_of,
                now=now,
                assignments=assignments,
                stage=stage,
            )
        )
        written += cr.rowcount
        emptied = SQL(", ").join(
            SQL("%s = NULL", SQL.identifier(name)) for name in names if name != "retention_order_count"
        )
        cr.execute(
            SQL(
                """
            UPDATE retention_customer r
               SET %(emptied)s, retention_order_count = 0, retention_status_since = NULL,
                   retention_last_computed = %(now)s
              FROM retention_diff d
             WHERE r.id = d.customer_id AND NOT d.staged
            """,
                emptied=emptied,
                now=now,
            )
        )
        return written + cr.rowcount
