"""The daily retention cycle: ORM adapter around the pure cadence engine (tools/: rhythm, churn model, BG/NBD, RFM).

1. *Fetch*: one binary COPY streams every customer's order facts (days, amounts in company currency, the sales team
   of the latest order as peer group), kept from the last night in ``retention.fact.cache`` (retention_fact_cache.py),
   shard by shard into the engine's per-customer summaries.
2. *Fit and score*: the base-wide figures are fitted once, then the customers are scored chunk by chunk and COPYed
   into the stage table (one row per customer and company).
3. *Write back* (retention_write_back.py): the stage compared with the stored figures, the status history, and only
   the ``retention.customer`` rows whose figures changed written; the follow-ups of customers who came back or are
   no longer classified closed, those whose status changed renamed (below).
4. *Follow up*: the retention-call queue (retention.queue) gives the free slots of each salesperson's
   capacity to the warm/cold/lost customers whose call is worth most; the others wait, ranked, and may get
   a low-touch e-mail or SMS instead.
"""

import concurrent.futures
import datetime
import logging
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
    def _retention_engine_params(self, company=None):
        """CadenceParams from the Settings (Sales > Settings > Customer Retention) of ``company`` (default: the
        current one): each company classifies its customers with its own thresholds."""
        env = self.env
        company = company or env.company
        return cadence.CadenceParams(
            warning_z=retention_param(env, "retention_warning_z", company),
            cold_multiple=retention_param(env, "retention_cold_multiple", company),
            lost_probability=retention_param(env, "retention_lost_probability", company),
            lost_cap_days=retention_param(env, "retention_lost_cap_days", company),
            kappa=retention_param(env, "retention_shrinkage_kappa", company),
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
            min_amount=retention_param(self.env, "retention_winback_min_amount", company),
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
        shards = cadence.CadenceShards(as_of, self._retention_engine_params(company), expected_customers=partners)
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
    # THE NIGHT: SCORE INTO THE STAGE (its write-back: retention.write.back)
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
        written, _changes = self.env["retention.write.back"]._retention_apply_stage(as_of, lap=lap)
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
        write-back (``retention.write.back``) reads the stage, all at once or by ranges of customers.
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
        # customer starts, not changes, and are not entered in the status history (see retention.write.back)
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
    def _retention_finish_compute(self, as_of):
        """The day's recompute is written: the follow-up phase may start."""
        self.env["ir.config_parameter"].sudo().set_param(LAST_COMPUTE_PARAM, fields.Date.to_string(as_of))

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
