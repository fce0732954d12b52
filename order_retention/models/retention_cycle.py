"""The daily retention cycle: ORM adapter around the pure cadence engine (tools/cadence.py).

1. *Fetch*: one SQL query streams confirmed orders (commercial partner, day, amount in company
   currency, sales team as peer group) out of PostgreSQL with COPY.
2. *Compute*: ``cadence.compute_cadence`` returns one row per customer (vectorised).
3. *Write back*: the rows are COPYed into a temporary table and applied with a few set-based
   statements: status history rows, partner fields, win-back closure of open follow-ups.
4. *Follow up*: the retention-call queue (retention.queue) gives the free slots of each salesperson's
   capacity to the warm/cold/lost customers whose call is worth most; the others wait, ranked, and may get
   a low-touch e-mail or SMS instead.
"""

import concurrent.futures
import datetime
import logging
import re
import time

import pandas as pd

from odoo import api, fields, models
from odoo.tools import SQL, config

from ..tools import cadence, frames
from . import retention_text
from .res_config_settings import retention_param

_logger = logging.getLogger(__name__)

RETENTION_STATUSES = [
    ("active", "Active"),
    ("warm", "Warm"),
    ("cold", "Cold"),
    ("lost", "Lost"),
]
RFM_SEGMENT_SELECTION = [(name, name) for name in cadence.RFM_SEGMENTS]
# One colour per status everywhere: kanban colour index (10 green, 2 orange, 4 blue, 0 grey); list
# decorations and badges use success / warning / info / muted, graphs the same hues (static/src/js).
STATUS_KANBAN_COLORS = {"active": 10, "warm": 2, "cold": 4, "lost": 0}
FOLLOWUP_STATUSES = ("warm", "cold", "lost")
INTERVAL_PARAMS = {
    "warm": "retention_warm_interval_days",
    "cold": "retention_cold_interval_days",
    "lost": "retention_lost_interval_days",
}
# Key of the transaction-level advisory lock that serialises cycles (cron, Run now, tests).
CYCLE_LOCK_KEY = 0x0DE12E7E
LAST_COMPUTE_PARAM = "order_retention.last_compute_date"
LAST_ALLOCATE_PARAM = "order_retention.last_allocate_date"
# Where the day's results wait between the recompute and their write-back (see RetentionCycle.init).
STAGE_TABLE = "retention_result_stage"
STAGE_VIEW = "retention_result_staged"  # the stage with labels and NULLs: what the write-back reads


def status_rank_sql(sql_expr):
    """SQL ranking a status column in RETENTION_STATUSES order (Active, Warm, Cold, Lost; empty last)."""
    return SQL("array_position(%s::varchar[], %s::varchar)", [key for key, _label in RETENTION_STATUSES], sql_expr)


def status_rank_terms(groupby_terms, fnames):
    """Copy of read_group's groupby terms in which the status fields ``fnames`` sort by rank."""
    return {spec: status_rank_sql(sql) if spec in fnames else sql for spec, sql in groupby_terms.items()}


def _one_ahead(items, prepare, name):
    """``prepare(item)`` of each item of the iterator ``items``, in order, each prepared in a thread while the caller
    works on the one before: the next chunk of customers is scored while PostgreSQL takes the last one in (psycopg2
    waits for it without holding the GIL, and numpy's loops release it), so the night's two cores both work. Memory
    holds two chunks. ``items`` is advanced in the thread only, one item at a time; an exception of the thread is
    raised here, in its place in the sequence."""

    def step():
        item = next(items, _DONE)
        return _DONE if item is _DONE else prepare(item)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) as pool:
        pending = pool.submit(step)
        while (prepared := pending.result()) is not _DONE:
            pending = pool.submit(step)
            yield prepared


_DONE = object()


class RetentionCycle(models.AbstractModel):
    _name = "retention.cycle"
    _description = "Customer Retention Cycle"

    # ------------------------------------------------------------------
    # PARAMETERS
    # ------------------------------------------------------------------

    @api.model
    def _retention_engine_params(self):
        """CadenceParams from the Settings (Sales > Settings > Customer Retention)."""
        env = self.env
        return cadence.CadenceParams(
            warning_z=retention_param(env, "retention_warning_z"),
            cold_multiple=retention_param(env, "retention_cold_multiple"),
            lost_probability=retention_param(env, "retention_lost_probability"),
            lost_cap_days=retention_param(env, "retention_lost_cap_days"),
            kappa=retention_param(env, "retention_shrinkage_kappa"),
            explanation_templates=self._retention_explanation_templates(),
        )

    @api.model
    def _retention_explanation_templates(self):
        """The engine's explanation sentences in the user's language (str.format fields: gap,
        spread, count, days, last, warning, next; chance and horizon for the learned probability)."""
        _ = self.env._
        return {
            "regular": _("Usually orders every {gap}±{spread} days ({count} orders); silent for {days} days"),
            "single": _(
                "Only one order so far ({last}); similar customers order every {gap} days; silent for {days} days"
            ),
            "missing": _(", past the {warning}-day warning level: missing order."),
            "due": _(", next order expected around {next}."),
            "churn": _(" Learned from your history: {chance}% chance of no order in the next {horizon} days."),
        }

    @api.model
    def _retention_activity_type(self):
        """The activity type scheduled for follow-ups (Settings), defaulting to the module's own."""
        type_id = self.env["ir.config_parameter"].sudo().get_param("order_retention.activity_type_id")
        activity_type = self.env["mail.activity.type"].browse(int(type_id)).exists() if type_id else None
        return activity_type or self.env.ref("order_retention.mail_act_retention_call")

    # ------------------------------------------------------------------
    # FETCH AND COMPUTE
    # ------------------------------------------------------------------

    @api.model
    def _retention_excluded_partners(self):
        """Ids of the partners never classified: your own companies' partners, contacts typed with one
        of your companies' names as their company (e.g. "YourCompany, Joel Willis"), and internal
        users' partners. A short list, looked up once so that the fact query tests it with a hash."""
        self.env["res.partner"].flush_model(["company_name"])
        self.env["res.users"].flush_model(["share", "partner_id"])
        self.env["res.company"].flush_model(["name", "partner_id"])
        [(ids,)] = self.env.execute_query(
            SQL(
                """
            SELECT COALESCE(array_agg(p.id), '{}') FROM res_partner p
             WHERE p.id IN (SELECT partner_id FROM res_company)
                OR p.id IN (SELECT partner_id FROM res_users WHERE share IS NOT TRUE)
                OR lower(p.company_name) IN (SELECT lower(name) FROM res_company)
            """
            )
        )
        return ids

    @api.model
    def _retention_fact_until(self, as_of):
        """The end of the day ``as_of`` (naive UTC, as ``date_order``): the fact query reads the orders before it."""
        return datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min)

    @api.model
    def _retention_fact_query(self, as_of, company, partners=None, excluded=None):
        """SQL of the order facts of every confirmed order of ``company`` before the end of ``as_of``:
        partner_id (the commercial partner), day (since 1970-01-01), amount (company currency), team_id,
        ordered_at and order_id, ordered by customer, then date and id. Each company's customers are
        classified on that company's orders only (one row of retention.customer per customer and company).
        ``partners``: only the orders of these commercial partners (ids; found through the contacts' index).
        ``excluded``: ``_retention_excluded_partners()`` when the caller already has it."""
        until = self._retention_fact_until(as_of)
        only = SQL()
        if partners is not None:
            only = SQL(
                "AND so.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s::int4[]))",
                list(partners),
            )
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   (so.date_order::date - DATE '1970-01-01')::int4 AS day,
                   so.amount_untaxed::float8 / COALESCE(NULLIF(so.currency_rate, 0), 1)::float8 AS amount,
                   so.team_id,
                   so.date_order AS ordered_at,
                   so.id AS order_id
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale' AND so.date_order < %(until)s AND so.company_id = %(company)s
               -- a 0-value (or below the Settings minimum) order is no order: it wins nobody back
               -- (in float8: numeric division of ten million orders, twice, took seconds)
               AND so.amount_untaxed::float8 / COALESCE(NULLIF(so.currency_rate, 0), 1)::float8 > %(min_amount)s
               -- never classify your own companies, their contacts nor internal users' partners, whether
               -- they ordered themselves or through a contact (a constant list: hashed by PostgreSQL)
               AND NOT (p.id = ANY(%(excluded)s::int4[]))
               AND NOT (p.commercial_partner_id = ANY(%(excluded)s::int4[]))
               %(only)s
             -- by customer, then in order: a stream can be cut into shards of whole customers, and each
             -- customer's last row is its latest order (whose sales team is the customer's peer group)
             ORDER BY p.commercial_partner_id, so.date_order, so.id
            """,
            until=until,
            company=company.id,
            min_amount=retention_param(self.env, "retention_winback_min_amount"),
            excluded=self._retention_excluded_partners() if excluded is None else excluded,
            only=only,
        )

    @api.model
    def _retention_flush_facts(self):
        """Write pending ORM changes the fact query reads (it reads the tables with SQL)."""
        self.env["sale.order"].flush_model(
            ["state", "date_order", "amount_untaxed", "currency_rate", "team_id", "partner_id", "company_id"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])

    @api.model
    def _retention_fetch_orders(self, as_of, company=None):
        """Order facts of ``company`` (default: the current one) as a DataFrame (partner_id, date, amount,
        peer_group), via COPY."""
        self._retention_flush_facts()
        cr = self.env.cr
        query = self._retention_fact_query(as_of, company or self.env.company)
        # the peer group of every row is the customer's latest order's sales team (as the stream's shards)
        copy_sql = (
            b"COPY (SELECT partner_id, day, amount, LAST_VALUE(team_id) OVER ("
            b"PARTITION BY partner_id ORDER BY ordered_at, order_id "
            b"ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS peer_group FROM ("
            + cr.mogrify(query.code, query.params)
            + b") facts) TO STDOUT WITH (FORMAT csv, HEADER true)"
        )
        buffer = frames.new_buffer()
        cr.copy_expert(copy_sql.decode(), buffer)
        return frames.read_order_facts(buffer)

    # Orders go to the engine in shards of about this many bytes of stream (20 an order and 66 a customer: ~700k
    # orders); customers are scored and copied back this many at a time: the memory of a run does not grow with the
    # orders. (32 MB shards were as fast and took 150 MB more at 1M customers.)
    SHARD_BYTES = 16 << 20
    SCORE_CHUNK = 100_000
    WORK_MEM_MB = 256

    @api.model
    def _retention_engine_shards(self, as_of, company, fit=True):
        """Stream every confirmed order of ``company`` up to ``as_of`` to the engine in shards of whole customers
        (one binary COPY, ordered by customer) and fit the base-wide figures. Returns the fitted
        ``cadence.CadenceShards`` and the sales team of each customer's latest order (the fact
        query's peer group), a Series indexed by partner id."""
        self._retention_flush_facts()
        cr = self.env.cr
        # an upper bound of the customers: the churn regression of a huge base trains on a sample
        [(partners,)] = self.env.execute_query(SQL("SELECT count(*) FROM res_partner WHERE id = commercial_partner_id"))
        shards = cadence.CadenceShards(as_of, self._retention_engine_params(), expected_customers=partners)
        teams = []
        timings = cr.cache.setdefault("retention_timings", {})
        timings["summarise"] = 0.0

        def summarise(shard):
            started = time.perf_counter()
            shards.add_arrays(*shard.arrays())
            teams.append(shard.teams())
            timings["summarise"] += time.perf_counter() - started

        # Each shard is summarised in a thread of its own while the COPY streams the next one (psycopg2 waits for
        # PostgreSQL's rows without holding the GIL, and numpy's loops release it): one shard at most waits for
        # the engine, so memory holds two shards of orders. The thread only runs the engine (no cursor, no env).
        with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="retention-summarise") as pool:
            pending = []

            def on_shard(shard):
                if pending:
                    pending.pop().result()  # the shard before (and its exception, if it raised)
                pending.append(pool.submit(summarise, shard))

            sink = frames.ShardedFactSink(on_shard, self.SHARD_BYTES)
            if config.get("db_replica_host") is not False and not self.env.context.get("retention_fetch_primary"):
                # Odoo runs with a read-only replica (--db_replica_host): the one heavy read of the run, every
                # confirmed order, goes there and the primary only gets the writes. A night's run tolerates the
                # replica's lag; Odoo itself falls back to the primary when the replica does not answer.
                query = SQL(frames.FACT_ROWS, self._retention_fact_query(as_of, company))
                with self.env.registry.cursor(readonly=True) as replica_cr:
                    self._retention_tune_transaction(replica_cr)
                    copy_sql = frames.fact_copy_sql(replica_cr.mogrify(query.code, query.params).decode())
                    replica_cr.copy_expert(copy_sql, sink)
            else:
                # without a replica, the facts kept from the last night, brought up to date (retention.fact.cache)
                self.env["retention.fact.cache"]._retention_read(as_of, company, sink)
            sink.close()
            if pending:
                pending.pop().result()
        cr.cache["retention_fact_shards"] = sink.shards
        if fit:
            shards.fit()
        team = pd.concat(teams) if teams else pd.Series(dtype="float64")
        return shards, team

    @api.model
    def _retention_compute(self, as_of, company=None):
        """Run the engine on every customer of ``company`` (default: the current one) as of ``as_of``: one row
        per commercial partner, plus ``team_id``, the sales team of the customer's latest order (the fact
        query's peer group)."""
        shards, team = self._retention_engine_shards(as_of, company or self.env.company)
        result = pd.concat(list(shards.score(self.SCORE_CHUNK))) if shards.population.customers else None
        if result is None:
            result = cadence.compute_cadence(None, as_of)
        result["team_id"] = team.reindex(result.index)
        result.attrs["churn_model"] = shards.population.model
        return result

    # ------------------------------------------------------------------
    # WRITE BACK
    # ------------------------------------------------------------------

    def init(self):
        """The stage table the results wait in between the recompute and their write-back (unlogged:
        a day's results are rebuilt by the next recompute; recreated on each update of the module), in the
        engine's binary layout (codes, NaN and -1 for NULL: copied in as they are, no statement rewrites a million
        rows), and the view the write-back reads them through (labels and NULLs restored)."""
        res = super().init()
        columns = SQL(", ").join(
            SQL("%s %s NOT NULL", SQL.identifier(name), SQL(sql_type)) for name, sql_type in frames.result_raw_columns()
        )
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(STAGE_VIEW)))
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(STAGE_TABLE)))
        self.env.cr.execute(
            SQL(
                "CREATE UNLOGGED TABLE %s (%s, PRIMARY KEY (partner_id, company_id))",
                SQL.identifier(STAGE_TABLE),
                columns,
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE VIEW %s AS %s",
                SQL.identifier(STAGE_VIEW),
                SQL(frames.result_raw_select(STAGE_TABLE)),  # no user input
            )
        )
        return res

    @api.model
    def _retention_compute_all(self, as_of=None):
        """Recompute every customer and write the results back in bulk; record status changes
        (history + chatter) and close the follow-ups of customers who ordered again.
        Returns the number of customers per status."""
        as_of = as_of or fields.Date.context_today(self)
        cr = self.env.cr
        # where the time goes, phase by phase (logged; make bench prints it)
        timings = cr.cache["retention_timings"] = {}
        clock = [time.perf_counter()]

        def lap(phase):
            now = time.perf_counter()
            timings[phase] = now - clock[0]
            clock[0] = now

        result = self._retention_stage(as_of, lap=lap)
        written, _changes = self._retention_apply_stage(as_of, lap=lap)
        cr.cache["retention_rows_written"] = written
        self._retention_finish_compute(as_of)
        lap("after")
        counts = {status: int(n) for status, n in result["status"].value_counts().items() if n}
        _logger.info(
            "Retention cadence computed as of %s for %d customers: %s; %d customer rows written (%s)",
            as_of,
            len(result),
            counts,
            written,
            ", ".join("%s %.2f s" % item for item in timings.items()),
        )
        return counts

    @api.model
    def _retention_tune_transaction(self, cr=None):
        """Settings of the current transaction of ``cr`` (default: the environment's) for the recompute's few
        statements over every customer: their joins in memory, not in 32 batches on disk (PostgreSQL's default
        work_mem is 4 MB), and no JIT compilation (PostgreSQL compiles each of them for about a second at 1M
        customers and gains less than that back)."""
        cr = cr or self.env.cr
        cr.execute(SQL("SET LOCAL work_mem = %s", "%dMB" % self.WORK_MEM_MB))
        cr.execute(SQL("SET LOCAL jit = off"))

    @api.model
    def _retention_stage(self, as_of, lap=None):
        """Fetch, fit and score every customer of every company as of ``as_of`` into the stage table (one
        row per customer and company) and record each company's run (the churn model, the counts). The
        write-back reads the stage, all at once or by ranges of customers (``_retention_apply_stage``).
        Returns what the run records were made of: status, rule status and value at risk per customer and
        company."""
        lap = lap or (lambda phase: None)
        cr = self.env.cr
        self._retention_tune_transaction()
        # the results go into the stage in binary COPY (fixed-width rows, no formatting)
        stage = SQL.identifier(STAGE_TABLE)
        cr.execute(SQL("TRUNCATE %s", stage))
        timings = cr.cache.setdefault("retention_timings", {})
        results = []
        for company in self.env["res.company"].sudo().search([], order="id"):
            results.append(self._retention_stage_company(as_of, company, lap))
        timings["of which summarise"] = timings.pop("summarise", 0.0)  # the engine's work on each shard
        cr.execute(SQL("ANALYZE %s", stage))
        lap("score_copy_in")
        return pd.concat(results)

    @api.model
    def _retention_stage_company(self, as_of, company, lap):
        """Stage the customers of one company: one COPY of its orders streamed into the engine's per-customer
        summaries, shard by shard; the base-wide fit; the customers scored and copied back chunk by chunk."""
        cr = self.env.cr
        timings = cr.cache.setdefault("retention_timings", {})
        summarised = timings.get("summarise", 0.0)
        shards, team = self._retention_engine_shards(as_of, company, fit=False)
        timings["summarise"] = summarised + timings.get("summarise", 0.0)
        lap("fetch")
        shards.fit()
        lap("fit")
        # the company's first classification (none of its customers has a status yet): its statuses are where every
        # customer starts, not changes, and are not entered in the status history (see _retention_record_changes)
        [(classified,)] = self.env.execute_query(
            SQL(
                "SELECT EXISTS (SELECT 1 FROM retention_customer "
                "WHERE company_id = %s AND retention_status IS NOT NULL)",
                company.id,
            )
        )
        kept = []  # what the run record needs of every customer, in a few bytes each
        copy_sql = "COPY %s FROM STDIN WITH (FORMAT binary)" % STAGE_TABLE
        # no sentences: the customer form and the status history put theirs together when they are read, from the
        # stored figures and in the reader's language (formatting a million on the first night took seconds)

        def ready(chunk):  # in the thread: the engine and numpy only (no cursor, no env)
            chunk["team_id"] = team.reindex(chunk.index)
            return chunk, frames.result_to_binary(chunk, company.id, not classified)

        for chunk, rows in _one_ahead(shards.score(self.SCORE_CHUNK, explain=False), ready, "retention-score"):
            cr.copy_expert(copy_sql, rows, size=1 << 20)
            kept.append(chunk[["status", "rule_status", "value_at_risk"]].astype({"status": "category"}))
        empty = cadence.compute_cadence(None, as_of)[["status", "rule_status", "value_at_risk"]]
        result = pd.concat(kept) if kept else empty
        result.attrs["churn_model"] = shards.population.model
        del shards, kept
        if len(result) or company == self.env.company:
            self.env["retention.model.run"]._retention_record_run(as_of, result, company)
        return result

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
        default) back: history and chatter of status changes, customer fields (only what changed), the
        value at risk of open follow-ups, and the follow-ups closed or renamed by a change. Ranges are
        disjoint, so several can be written at the same time; writing a range twice changes nothing.
        Returns (customer rows written, changes)."""
        lap = lap or (lambda phase: None)
        self._retention_tune_transaction()
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
        self._retention_close_reordered(changes)
        self._retention_close_unclassified(changes)
        self._retention_rename_open_followups(changes)
        return written, changes

    @api.model
    def _retention_finish_compute(self, as_of):
        """The day's recompute is written: the follow-up phase may start."""
        self.env["ir.config_parameter"].sudo().set_param(LAST_COMPUTE_PARAM, fields.Date.to_string(as_of))

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

    @api.model
    def _retention_close_reordered(self, changes):
        """Close (without a call) the open follow-ups of customers who came back to active."""
        by_company = {}
        for _h, partner_id, old, new, *company in changes:
            if new == "active" and old in FOLLOWUP_STATUSES:
                by_company.setdefault(company[0] if company else None, []).append(partner_id)
        for company_id, partner_ids in by_company.items():
            company = self.env["res.company"].browse(company_id) if company_id else None
            self._retention_close_followups(self.env["res.partner"].browse(partner_ids), company=company)

    @api.model
    def _retention_close_unclassified(self, changes):
        """Close the open follow-ups of customers who are no longer classified (their last confirmed order
        was cancelled, or they turned out to be your own company or an employee): there is nobody to win back."""
        activities = self.env["mail.activity"].sudo()
        for _h, partner_id, old, new, *company in changes:
            if not new and old in FOLLOWUP_STATUSES:
                activities |= self._retention_open_calls(
                    self.env["res.partner"].browse(partner_id), self.env["res.company"].browse(company)
                )
        if not activities:
            return
        for lang, lang_activities in activities.grouped(lambda a: a.user_id.lang or "en_US").items():
            lang_activities._retention_close_system(
                feedback=self.with_context(lang=lang).env._(
                    "No longer a customer to win back (no confirmed order left, or one of your own companies or "
                    "employees): no call needed."
                )
            )

    @api.model
    def _retention_open_calls(self, partners, company=None):
        """The open retention calls of ``partners`` (in ``company`` only, when given: each company follows its
        own customers up), as the system."""
        domain = [
            ("res_model", "=", "res.partner"),
            ("res_id", "in", partners.ids),
            ("activity_type_id", "=", self._retention_activity_type().id),
        ]
        if company:
            domain.append(("retention_company_id", "in", [company.id, False]))
        return self.env["mail.activity"].sudo().search(domain)

    @api.model
    def _retention_close_followups(self, partners, order=None, company=None):
        """Mark the open retention activities of ``partners`` (of ``company``, default: every company) done by
        the system, with a note; their pending lost-for-good requests are moot."""
        self.env["retention.lost.request"]._retention_withdraw_ordered(partners)
        activities = self._retention_open_calls(partners, company)
        # the note is read by the call's assignee: their language and date format
        for (partner_id, lang), partner_activities in activities.grouped(
            lambda a: (a.res_id, a.user_id.lang or "en_US")
        ).items():
            env = self.with_context(lang=lang).env
            if order:
                note = env._(
                    "Ordered on %(date)s (%(order)s): back to active, no call needed.",
                    date=retention_text.date_text(env, order.date_order.date()),
                    order=order.name,
                )
            else:
                last = (
                    self.env["retention.customer"]
                    .sudo()
                    .search(
                        [
                            ("partner_id", "=", partner_id),
                            ("company_id", "=", (company or partner_activities.retention_company_id[:1]).id),
                        ],
                        limit=1,
                    )
                )
                note = env._(
                    "Ordered on %(date)s: back to active, no call needed.",
                    date=retention_text.date_text(env, last.retention_last_order_date) or "?",
                )
            partner_activities._retention_close_system(feedback=note)

    # ------------------------------------------------------------------
    # FOLLOW-UP ACTIVITIES
    # ------------------------------------------------------------------

    @api.model
    def _retention_schedule_followups(self, today):
        """The follow-up phase: the retention-call queue decides who gets a call tonight, within each
        salesperson's capacity (retention.queue). Returns the number of calls created."""
        return self.env["retention.queue"]._retention_allocate(today)["created"]

    @api.model
    def _retention_summaries(self):
        """What each retention call is, named in its summary (never the activity type's decoration)."""
        _ = self.env._
        return {
            "warm": _("Retention call: warm customer"),
            "cold": _("Retention call: cold customer"),
            "lost": _("Retention call: lost customer"),
        }

    @api.model
    def _retention_rename_open_followups(self, changes):
        """Open retention calls of customers whose status changed name the new status, in the language of each
        call's assignee."""
        activity_type = self._retention_activity_type()
        by_status = {}
        for _h, partner_id, old, new, *_company in changes:
            if old and new in FOLLOWUP_STATUSES:
                by_status.setdefault(new, []).append(partner_id)
        self.env["mail.activity"].flush_model(["summary", "user_id", "res_id", "res_model", "active"])
        for status, partner_ids in by_status.items():
            rows = self.env.execute_query(
                SQL(
                    """
                SELECT a.id, COALESCE(up.lang, 'en_US')
                  FROM mail_activity a
                  LEFT JOIN res_users u ON u.id = a.user_id
                  LEFT JOIN res_partner up ON up.id = u.partner_id
                 WHERE a.res_model = 'res.partner' AND a.res_id IN %(ids)s AND a.activity_type_id = %(type)s
                   AND a.active
                """,
                    ids=tuple(partner_ids),
                    type=activity_type.id,
                )
            )
            by_lang = {}
            for activity_id, lang in rows:
                by_lang.setdefault(lang, []).append(activity_id)
            for lang, activity_ids in by_lang.items():
                summary = self.with_context(lang=lang)._retention_summaries()[status]
                self.env.cr.execute(
                    SQL(
                        "UPDATE mail_activity SET summary = %(summary)s WHERE id IN %(ids)s "
                        "AND summary IS DISTINCT FROM %(summary)s",
                        summary=summary,
                        ids=tuple(activity_ids),
                    )
                )
        self.env["mail.activity"].invalidate_model(["summary"])

    @api.model
    def _retention_assignees(self, partners):
        """Assignee per partner id: the salesperson, else the leader of the sales team of the
        customer's latest confirmed order, else the fallback user of the Settings, else the admin."""
        Users = self.env["res.users"].sudo()
        leaders = {
            partner_id: Users.browse(user_id)
            for partner_id, user_id in self.env["retention.queue"]._retention_team_leaders(partners.ids).items()
        }
        fallback_id = self.env["ir.config_parameter"].sudo().get_param("order_retention.fallback_user_id")
        fallback = Users.browse(int(fallback_id)).exists() if fallback_id else Users
        fallback = fallback or self.env.ref("base.user_admin")
        # the root user as a last resort: an activity must have an assignee even if the admin is archived
        root = self.env.ref("base.user_root")
        result = {}
        for partner in partners:
            candidates = [partner.user_id, leaders.get(partner.id, Users), fallback]
            result[partner.id] = next((u for u in candidates if u and u.active and not u.share), root)
        return result

    # ------------------------------------------------------------------
    # CYCLE
    # ------------------------------------------------------------------

    @api.model
    def _retention_try_lock(self, shared=False):
        """Serialise cycles: False when another transaction is running one right now. ``shared``: the
        lock of a step that may run beside others of the same cycle (write-back ranges) but not beside a
        step that needs the cycle alone."""
        function = "pg_try_advisory_xact_lock_shared" if shared else "pg_try_advisory_xact_lock"
        return self.env.execute_query(SQL("SELECT %s(%s)", SQL(function), CYCLE_LOCK_KEY))[0][0]

    @api.model
    def _retention_reset_day(self):
        """Make the next step recompute today and re-check every follow-up (e.g. after the Settings changed)."""
        self.env["ir.config_parameter"].sudo().set_param(LAST_COMPUTE_PARAM, False)
        self.env["ir.config_parameter"].sudo().set_param(LAST_ALLOCATE_PARAM, False)

    @api.model
    def _run_step(self, batch_size=1000, today=None):
        """One step of the cycle: the computation (once per day), then the follow-up phase (once per day: the
        queue's allocation, bounded by the team's capacity, not by the base). Reports progress to ir.cron,
        which calls again while something remains. Returns the number of steps still to run today."""
        today = today or fields.Date.context_today(self)
        Cron = self.env["ir.cron"]
        if not self._retention_try_lock():
            _logger.info("Retention cycle already running in another transaction: step skipped")
            return 0
        ICP = self.env["ir.config_parameter"].sudo()
        day = fields.Date.to_string(today)
        if ICP.get_param(LAST_COMPUTE_PARAM) != day:
            self._retention_compute_all(today)
            Cron._notify_progress(done=1, remaining=1)
            return 1
        if ICP.get_param(LAST_ALLOCATE_PARAM) != day:
            self._retention_schedule_followups(today)
            ICP.set_param(LAST_ALLOCATE_PARAM, day)
            Cron._notify_progress(done=1, remaining=0)
        return 0

    @api.model
    def _retention_run_cycle(self, today=None, batch_size=1000):
        """Run a whole cycle synchronously in the current transaction (tests, demo, scripts)."""
        today = today or fields.Date.context_today(self)
        while self._run_step(batch_size=batch_size, today=today):
            pass
        return True
