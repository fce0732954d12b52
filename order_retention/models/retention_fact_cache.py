"""The order facts of every customer, kept from one night to the next (issue #23, the incremental night).

Reading every confirmed order each night (ten million at 1M customers: a scan, a join, a sort and an aggregate,
about ten seconds of PostgreSQL alone) gives the same rows as the night before for all but the few customers who
ordered, cancelled or moved since. So the rows the engine reads, one per customer and company (partner id, the
days and amounts of its orders, the sales team of its latest order: the layout of ``frames.FACT_ROWS``), are
kept in a table of their own, and each night only the customers whose orders changed are rebuilt:

- *What changed* is noted by PostgreSQL itself, in the transaction that changes it: triggers on ``sale_order``
  (a confirmed order created, changed in a figure the engine reads, cancelled, moved to another customer or
  company, deleted) and on ``res_partner`` (a contact moved to another company) add the customer to
  ``retention_fact_dirty``. A trigger sees every write, by the ORM, an import, a merge of contacts or plain SQL;
  the night takes the rows it sees (``DELETE ... RETURNING`` in its own snapshot), so a change committed while it
  runs waits for the next night instead of being lost.
- *What the day adds*: orders dated between the last night and tonight (entered in advance) come in as the days pass.
- *When everything is rebuilt*: the first night, when the rules of the fact query change (the minimum amount of
  an order, the companies and employees never classified, a new version of this module), a week after the last
  full build (anything written behind PostgreSQL's back, e.g. a restored table, lasts at most a week), when the
  night goes back in time (a backtest-like recompute of a past day), and when more than a fifth of the customers
  changed (one pass is then cheaper than many lookups).

The three tables are UNLOGGED: they are derived data, write no WAL, and a crash empties them all together (the
state table with them), so the next night simply rebuilds. Nothing here is an Odoo model with records: there is
nothing to read over RPC, and the tables hold no more than ``sale_order`` does.
"""

import datetime
import hashlib
import tempfile
import time

from odoo import api, models
from odoo.tools import SQL

from ..tools import frames

FACTS_TABLE = "retention_fact_cache"
FACTS_KEY = "retention_fact_cache_pkey"
STATE_TABLE = "retention_fact_cache_state"
DIRTY_TABLE = "retention_fact_dirty"
# the rules of the fact query: bump when _retention_fact_query or the row layout changes (every cache is rebuilt)
FACT_RULES_VERSION = "1"
# the columns of sale_order the fact query reads: a change of any of them in a confirmed order marks its customer
ORDER_COLUMNS = ("state", "date_order", "amount_untaxed", "currency_rate", "team_id", "partner_id", "company_id")
FULL_REBUILD_DAYS = 7
FULL_REBUILD_SHARE = 0.2
FULL_REBUILD_MIN = 100  # changed customers below which a few lookups always beat a full read

# (trigger, table, timing clause): each calls the function of its table (below)
TRIGGERS = (
    ("retention_fact_order_insert", "sale_order", "AFTER INSERT ON sale_order FOR EACH ROW WHEN (NEW.state = 'sale')"),
    (
        "retention_fact_order_update",
        "sale_order",
        "AFTER UPDATE OF %s ON sale_order FOR EACH ROW WHEN ((OLD.state = 'sale' OR NEW.state = 'sale') AND (%s) "
        "IS DISTINCT FROM (%s))"
        % (
            ", ".join(ORDER_COLUMNS),
            ", ".join("OLD.%s" % c for c in ORDER_COLUMNS),
            ", ".join("NEW.%s" % c for c in ORDER_COLUMNS),
        ),
    ),
    ("retention_fact_order_delete", "sale_order", "AFTER DELETE ON sale_order FOR EACH ROW WHEN (OLD.state = 'sale')"),
    (
        "retention_fact_partner_move",
        "res_partner",
        "AFTER UPDATE OF commercial_partner_id ON res_partner FOR EACH ROW "
        "WHEN (OLD.commercial_partner_id IS DISTINCT FROM NEW.commercial_partner_id)",
    ),
)
FUNCTIONS = {
    # an order's customer (its contact: the night rolls it up to the company) in the order's company, before and
    # after the change. Noted even while nothing is kept: a change committed during the first night's full read (which
    # does not see it) is then read again the night after
    "sale_order": (
        "retention_fact_mark_order",
        """
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                INSERT INTO retention_fact_dirty (partner_id, company_id) VALUES (OLD.partner_id, OLD.company_id);
            END IF;
            IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR OLD.partner_id IS DISTINCT FROM NEW.partner_id
                                      OR OLD.company_id IS DISTINCT FROM NEW.company_id) THEN
                INSERT INTO retention_fact_dirty (partner_id, company_id) VALUES (NEW.partner_id, NEW.company_id);
            END IF;
            RETURN NULL;
        END
        """,
    ),
    # a contact moved to another company: its old and its new company's facts, in every company of the database
    "res_partner": (
        "retention_fact_mark_partner",
        """
        BEGIN
            INSERT INTO retention_fact_dirty (partner_id, company_id)
            SELECT moved.id, company.id
              FROM res_company company,
                   unnest(ARRAY[OLD.commercial_partner_id, NEW.commercial_partner_id, NEW.id]) AS moved(id)
             WHERE moved.id IS NOT NULL;
            RETURN NULL;
        END
        """,
    ),
}


class RetentionFactCache(models.AbstractModel):
    _name = "retention.fact.cache"
    _description = "Customer Retention: Order Facts Kept Between Nights"

    def init(self):
        """The three tables and the triggers (made anew on each update of the module: the kept facts are
        forgotten, the next night reads them again under the module's new rules)."""
        res = super().init()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
            DROP TABLE IF EXISTS %(facts)s, %(state)s, %(dirty)s;
            CREATE UNLOGGED TABLE %(facts)s (
                partner_id int4 NOT NULL, days int4[] NOT NULL, amounts float8[] NOT NULL, team_id int4 NOT NULL,
                -- a full read is copied back in as it streamed out (rows without the company): the company is then
                -- the one the transaction is reading (SET LOCAL order_retention.fact_company)
                company_id int4 NOT NULL DEFAULT current_setting('order_retention.fact_company')::int4,
                CONSTRAINT %(key)s PRIMARY KEY (company_id, partner_id));
            CREATE UNLOGGED TABLE %(state)s (
                company_id int4 PRIMARY KEY, until timestamp NOT NULL, rules varchar NOT NULL,
                built_on date NOT NULL, customers int4 NOT NULL);
            CREATE UNLOGGED TABLE %(dirty)s (partner_id int4 NOT NULL, company_id int4 NOT NULL);
            """,
                facts=SQL.identifier(FACTS_TABLE),
                state=SQL.identifier(STATE_TABLE),
                dirty=SQL.identifier(DIRTY_TABLE),
                key=SQL.identifier(FACTS_KEY),
            )
        )
        for function, body in FUNCTIONS.values():
            cr.execute(
                SQL(
                    "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %s",
                    SQL.identifier(function),
                    body,
                )
            )
        for name, table, clause in TRIGGERS:
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(name), SQL.identifier(table)))
            cr.execute(
                SQL(
                    "CREATE TRIGGER %s %s EXECUTE FUNCTION %s()",
                    SQL.identifier(name),
                    SQL(clause),
                    SQL.identifier(FUNCTIONS[table][0]),
                )
            )
        return res

    @api.model
    def _retention_drop(self):
        """Remove the triggers, their functions and the tables (the module's uninstallation: an order written after
        it must not call a function of a module that is gone)."""
        cr = self.env.cr
        for name, table, _clause in TRIGGERS:
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(name), SQL.identifier(table)))
        for function, _body in FUNCTIONS.values():
            cr.execute(SQL("DROP FUNCTION IF EXISTS %s()", SQL.identifier(function)))
        for table in (FACTS_TABLE, STATE_TABLE, DIRTY_TABLE):
            cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))

    @api.model
    def _retention_rules(self, query):
        """Fingerprint of the fact query's rules (its SQL and parameters but the date): kept facts built under
        other rules (another minimum amount, other excluded partners, another version) are rebuilt."""
        params = [p for p in query.params if not isinstance(p, datetime.datetime)]
        text = "%s|%s|%r" % (FACT_RULES_VERSION, query.code, params)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @api.model
    def _retention_read(self, as_of, company, sink):
        """COPY the order facts of ``company`` up to ``as_of`` into ``sink`` (a file-like ``write``), one row per
        customer in the layout of ``frames.FACT_ROWS``, ordered by customer, keeping them for the next night: read
        from the kept facts brought up to date, or, when everything is read again, streamed from the orders (in
        parallel workers, as without kept facts) and kept on the way (a temporary file copied back in at the end).
        Figures of what was done in ``cr.cache["retention_fact_cache"]``."""
        Cycle = self.env["retention.cycle"]
        Cycle._retention_flush_facts()
        cr = self.env.cr
        excluded = Cycle._retention_excluded_partners()  # once: the full query and the catch-up's both test it
        query = Cycle._retention_fact_query(as_of, company, excluded=excluded)
        until = Cycle._retention_fact_until(as_of)
        rules = self._retention_rules(query)
        changed = self._retention_take_changed(company)
        kept = self._retention_kept_state(company)
        stats = cr.cache.setdefault("retention_fact_cache", {})
        if self._retention_needs_full_read(as_of, until, rules, kept, changed):
            alone = self._retention_forget(company)
            if alone:  # an empty table: its key made once after the copy, not a million insertions into it
                self._retention_key(False)
            started = time.perf_counter()
            with tempfile.TemporaryFile(prefix="retention-facts-") as spool:
                tee = _Tee(sink, spool)
                cr.copy_expert(self._retention_copy_sql(SQL(frames.FACT_ROWS, query)), tee)
                read = time.perf_counter()
                spool.seek(0)
                # the stream is a whole binary COPY (header, rows, trailer): it goes back in as it came out
                cr.execute(SQL("SET LOCAL order_retention.fact_company = %s", str(company.id)))
                cr.copy_expert(
                    "COPY %s (partner_id, days, amounts, team_id) FROM STDIN WITH (FORMAT binary)" % FACTS_TABLE,
                    spool,
                    size=1 << 20,
                )
                customers = cr.rowcount
            self._retention_key(True)
            # no ANALYZE: tonight reads nothing more from the table, and autovacuum analyses it before tomorrow night
            stats[company.id] = {
                "full": True,
                "customers": customers,
                "read_seconds": round(read - started, 2),
                "keep_seconds": round(time.perf_counter() - read, 2),
            }
            built_on = as_of
        else:
            ids, removed, rebuilt = self._retention_rebuild(company, as_of, until, kept[0], changed, excluded)
            stats[company.id] = {"full": False, "customers": len(ids), "rebuilt": rebuilt}
            customers = kept[3] - removed + rebuilt  # every write of the company's rows is counted here
            built_on = kept[2]
            cr.copy_expert(self._retention_copy_sql(self._retention_kept_sql(company)), sink)
        self._retention_keep_state(company, until, rules, built_on, customers)

    @api.model
    def _retention_key(self, present):
        """Make the facts' primary key present or not (idempotent: a run stopped by an error between the two
        leaves the table without its key, which the next full read makes again)."""
        [(exists,)] = self.env.execute_query(
            SQL(
                "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass)",
                FACTS_KEY,
                FACTS_TABLE,
            )
        )
        if present and not exists:
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY (company_id, partner_id)",
                    SQL.identifier(FACTS_TABLE),
                    SQL.identifier(FACTS_KEY),
                )
            )
        elif exists and not present:
            self.env.cr.execute(
                SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(FACTS_TABLE), SQL.identifier(FACTS_KEY))
            )

    @api.model
    def _retention_forget(self, company):
        """Remove the kept facts of ``company`` (all at once when no other company keeps any: no dead rows);
        whether the table is now empty."""
        facts = SQL.identifier(FACTS_TABLE)
        [(others,)] = self.env.execute_query(
            SQL("SELECT EXISTS (SELECT 1 FROM %s WHERE company_id <> %s)", SQL.identifier(STATE_TABLE), company.id)
        )
        if others:
            self.env.cr.execute(SQL("DELETE FROM %s WHERE company_id = %s", facts, company.id))
            return False
        self.env.cr.execute(SQL("TRUNCATE %s", facts))
        return True

    @api.model
    def _retention_kept_sql(self, company):
        """SQL of the facts kept for ``company``, one row per customer in the layout of ``frames.FACT_ROWS``."""
        return SQL(
            "SELECT partner_id, days, amounts, team_id FROM %s WHERE company_id = %s ORDER BY partner_id",
            SQL.identifier(FACTS_TABLE),
            company.id,
        )

    def _retention_copy_sql(self, query):
        return frames.fact_copy_sql(self.env.cr.mogrify(query.code, query.params).decode())

    @api.model
    def _retention_take_changed(self, company):
        """The customers (contacts and their companies) noted as changed in ``company`` since the last night, taken
        from the queue in this transaction's snapshot (a change committed meanwhile stays for the next night)."""
        rows = self.env.execute_query(
            SQL(
                """
            WITH taken AS (DELETE FROM %(dirty)s WHERE company_id = %(company)s RETURNING partner_id)
            SELECT DISTINCT id FROM (
                SELECT t.partner_id AS id FROM taken t
                UNION ALL
                SELECT p.commercial_partner_id FROM taken t JOIN res_partner p ON p.id = t.partner_id
            ) ids WHERE id IS NOT NULL
            """,
                dirty=SQL.identifier(DIRTY_TABLE),
                company=company.id,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _retention_kept_state(self, company):
        """(until, rules, built_on, customers) of the facts kept for ``company``, None when nothing is kept."""
        rows = self.env.execute_query(
            SQL(
                "SELECT until, rules, built_on, customers FROM %s WHERE company_id = %s FOR UPDATE",
                SQL.identifier(STATE_TABLE),
                company.id,
            )
        )
        return rows[0] if rows else None

    @api.model
    def _retention_needs_full_read(self, as_of, until, rules, kept, changed):
        """Whether the kept facts are read again from every order (see the module's docstring)."""
        if not kept:
            return True
        kept_until, kept_rules, built_on, customers = kept
        age = (as_of - built_on).days
        return (
            kept_rules != rules
            or until < kept_until
            or not 0 <= age < FULL_REBUILD_DAYS
            or len(changed) > max(FULL_REBUILD_SHARE * customers, FULL_REBUILD_MIN)
        )

    @api.model
    def _retention_rebuild(self, company, as_of, until, kept_until, changed, excluded):
        """Read again the facts of the ``changed`` customers and of those with orders dated between the last night's
        end ``kept_until`` and tonight's ``until`` (``excluded``: the fact query's never classified partners); returns
        their ids, the number of kept rows removed and of rows read again (customers with confirmed orders left)."""
        ids = set(changed)
        if until > kept_until:
            ids.update(
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        """
                    SELECT DISTINCT p.commercial_partner_id FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND so.company_id = %s AND so.date_order >= %s AND so.date_order < %s
                    """,
                        company.id,
                        kept_until,
                        until,
                    )
                )
            )
        ids = sorted(ids)
        if ids:
            facts = SQL.identifier(FACTS_TABLE)
            self.env.cr.execute(
                SQL("DELETE FROM %s WHERE company_id = %s AND partner_id = ANY(%s)", facts, company.id, ids)
            )
            removed = self.env.cr.rowcount
            query = self.env["retention.cycle"]._retention_fact_query(as_of, company, partners=ids, excluded=excluded)
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (company_id, partner_id, days, amounts, team_id) SELECT %s, rows.* FROM (%s) rows",
                    facts,
                    company.id,
                    SQL(frames.FACT_ROWS, query),
                )
            )
            return ids, removed, self.env.cr.rowcount
        return ids, 0, 0

    @api.model
    def _retention_keep_state(self, company, until, rules, built_on, customers):
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO %(state)s (company_id, until, rules, built_on, customers)
            VALUES (%(company)s, %(until)s, %(rules)s, %(built_on)s, %(customers)s)
            ON CONFLICT (company_id) DO UPDATE
               SET until = EXCLUDED.until, rules = EXCLUDED.rules, built_on = EXCLUDED.built_on,
                   customers = EXCLUDED.customers
            """,
                state=SQL.identifier(STATE_TABLE),
                company=company.id,
                until=until,
                rules=rules,
                built_on=built_on,
                customers=customers,
            )
        )


class _Tee:
    """A file-like target of a COPY that hands every piece to ``sink`` and writes it to ``spool`` too."""

    def __init__(self, sink, spool):
        self.sink_write, self.spool_write = sink.write, spool.write

    def receive(self, data):
        self.spool_write(data)
        return self.sink_write(data)

    write = receive  # the file-like name psycopg2's copy_expert calls (as frames.ShardedFactSink)
