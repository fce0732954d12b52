"""Benchmark of the daily retention cycle at scale, inside a real Odoo database.

Loads N synthetic customers and M confirmed orders with SQL COPY (not the ORM), then prints:
  - load time,
  - the full recompute (fetch + engine + bulk write-back + history) wall time and peak memory, the first one
    (every customer new) and the next day's; around each: the WAL bytes written (pg_current_wal_insert_lsn
    difference), the rows written per table (pg_stat_user_tables: every table whose counters moved) and the
    size of the customer tables and their indexes,
  - retention calls created per second (one allocation with the salespeople's capacities raised so that it
    creates up to 10,000 calls),
  - the follow-up phase: the nightly allocation of the retention-call queue at the default capacity (every
    warm/cold/lost customer ranked, the free slots filled, the others recorded waiting),
  - server time of the Missing Orders list and of the status kanban (what the web client asks),
  - the same recompute done the naive way (ORM reads per customer) on a sample, extrapolated.

Run through `make bench` (scripts/bench.sh creates the database); it is not a test.
"""

import datetime
import io
import os
import resource
import time

import numpy as np

from odoo.tools import SQL


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(label, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print("%-58s %8.2f s" % (label, elapsed), flush=True)
    return result, elapsed


# ---- what a recompute writes: WAL, rows per table, table sizes ---------------------------------------------
# Generic: every table whose counters moved is listed, so the figures follow the data wherever it lives
# (res_partner today, a narrow table of its own tomorrow). The WAL is the difference of pg_current_wal_insert_lsn(),
# where the records have been inserted, flushed or not: pg_current_wal_lsn() is where they have been written out,
# which lags by up to the WAL buffers (16 MB) inside a transaction not yet committed (the nights in a row), so it
# counted the day's orders before a night and missed the night's last records (issue 23's seventh round: 0.4 MB
# for a 100k night that wrote 7,529 rows). It is the cluster's: the WAL of other databases written meanwhile is in
# the figure (the other databases' activity is printed beside it; a cluster of its own: OR_PGDATA/OR_PGPORT, see
# scripts/bench.sh).

SIZE_TABLES = ("res_partner", "retention_customer", "retention_status_history")


def _wal_position(cr):
    """Where the cluster's WAL has been inserted so far (flushed or not: see above)."""
    cr.execute("SELECT pg_current_wal_insert_lsn()")
    return cr.fetchone()[0]


def _wal_since(cr, label, position):
    """Print and return the WAL bytes inserted since ``position`` (a _wal_position), as the work ``label``'s."""
    cr.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [position])
    wal = int(cr.fetchone()[0])
    print("  WAL written by %s: %.1f MB (pg_current_wal_insert_lsn difference)" % (label, wal / 2**20))
    return wal


def _flush_stats(cr):
    """Commit, and have this session's table counters reported now: PostgreSQL 15 reports them when the
    session goes idle, at most once a second unless asked (pg_stat_force_next_flush, honoured when the next
    transaction ends); the statistics are then read from a fresh snapshot."""
    cr.commit()
    cr.execute("SELECT pg_stat_force_next_flush()")
    cr.commit()
    cr.execute("SELECT pg_stat_clear_snapshot()")


def _table_counters(cr):
    """{table: (unlogged, inserted, updated, HOT updated, deleted, autovacuum + autoanalyze runs)}"""
    cr.execute(
        """
        SELECT s.relname, c.relpersistence = 'u', s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, s.n_tup_del,
               s.autovacuum_count + s.autoanalyze_count
          FROM pg_stat_user_tables s
          JOIN pg_class c ON c.oid = s.relid
         WHERE s.schemaname = 'public'
        """
    )
    return {row[0]: row[1:] for row in cr.fetchall()}


def _other_databases(cr):
    """{database: transactions ended} of the cluster's other databases, and the ones with a session at work"""
    cr.execute(
        "SELECT datname, xact_commit + xact_rollback FROM pg_stat_database "
        "WHERE datname IS NOT NULL AND datname <> current_database()"
    )
    ended = dict(cr.fetchall())
    cr.execute(
        "SELECT DISTINCT datname FROM pg_stat_activity WHERE datname <> current_database() "
        "AND backend_type = 'client backend' AND state <> 'idle'"
    )
    return ended, {row[0] for row in cr.fetchall()}


class WriteMeter:
    """What the work between start() and stop() wrote: WAL bytes and rows per table. Both commit the cursor
    (the counters are read once the work is committed), so neither is inside a timed phase."""

    def __init__(self, cr, label):
        self.cr = cr
        self.label = label

    def start(self):
        _flush_stats(self.cr)
        self.tables = _table_counters(self.cr)
        self.others, self.busy = _other_databases(self.cr)
        self.lsn = _wal_position(self.cr)
        return self

    def stop(self):
        """Print the figures; returns (WAL bytes, rows per table as _rows_written gives them)."""
        cr = self.cr
        _flush_stats(cr)
        wal = _wal_since(cr, "the %s" % self.label, self.lsn)
        rows = _rows_written(self.tables, _table_counters(cr))
        others, busy = _other_databases(cr)
        moved = sorted(name for name, count in others.items() if count != self.others.get(name, count))
        print(
            "  other databases of the cluster meanwhile (their WAL is in that figure): %s"
            % (", ".join(sorted(set(moved) | busy | self.busy)) or "none")
        )
        _print_rows(self.label, rows)
        return wal, rows


def _rows_written(before, after):
    """{table: (unlogged, inserted, updated, HOT, deleted, autovacuum ran)} of the tables whose counters moved"""
    rows = {}
    for table, now in after.items():
        then = before.get(table, (now[0], 0, 0, 0, 0, 0))
        diff = tuple(n - t for n, t in zip(now[1:], then[1:], strict=True))
        if any(diff[:4]):
            rows[table] = (now[0],) + diff[:4] + (diff[4] > 0,)
    return rows


def _print_rows(label, rows):
    print("  rows written by the %s, per table (pg_stat_user_tables):" % label)
    print("    %-40s %10s %10s %10s %10s" % ("table", "inserted", "updated", "(HOT)", "deleted"))
    for table, (unlogged, ins, upd, hot, dele, autovacuum) in sorted(rows.items(), key=lambda item: -sum(item[1][1:5])):
        note = (" [unlogged: no WAL]" if unlogged else "") + (" [autovacuum/analyze ran]" if autovacuum else "")
        print("    %-40s %10d %10d %10s %10d%s" % (table, ins, upd, "(%d)" % hot, dele, note))


def _print_sizes(cr, when):
    """Size of the customer tables (heap, indexes: how many and how big), for the ones that exist."""
    for table in SIZE_TABLES:
        cr.execute(
            """
            SELECT pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid),
                   count(i.indexrelid),
                   count(i.indexrelid) FILTER (WHERE EXISTS (
                       SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attnum = ANY(i.indkey) AND a.attname LIKE 'retention\\_%%')),
                   pg_stat_get_live_tuples(c.oid)
              FROM pg_class c
              LEFT JOIN pg_index i ON i.indrelid = c.oid
             WHERE c.oid = to_regclass(%s)
             GROUP BY c.oid
            """,
            [table],
        )
        row = cr.fetchone()
        if not row:
            continue
        total, heap, indexes, n_indexes, n_retention, live = row
        print(
            "  size %s: %-26s %8.1f MB total: heap %.1f MB, %d indexes %.1f MB (%d on retention_* columns), "
            "toast and maps %.1f MB; %d live rows"
            % (
                when,
                table,
                total / 2**20,
                heap / 2**20,
                n_indexes,
                indexes / 2**20,
                n_retention,
                (total - heap - indexes) / 2**20,
                live,
            )
        )


def load_synthetic(env, n_customers, orders_per_customer, seed=7):
    """Insert customers and confirmed orders with COPY; returns the new partner ids."""
    cr = env.cr
    rng = np.random.default_rng(seed)
    company = env.ref("base.main_company")
    users = env["res.users"].search([("share", "=", False)], limit=5).ids
    teams = env["crm.team"].search([]).ids or [None]
    cr.execute(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, active, is_company, type, autopost_bills, user_id,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, TRUE, TRUE, 'contact', 'ask',
               (%(users)s::int[])[1 + mod(g, %(nusers)s)], NOW(), NOW(), 1, 1
          FROM generate_series(1, %(n)s) g
        RETURNING id
        """,
            users=users,
            nusers=len(users),
            n=n_customers,
        )
    )
    partner_ids = np.array([row[0] for row in cr.fetchall()], dtype=np.int64)
    cr.execute(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id >= %s AND commercial_partner_id IS NULL",
            int(partner_ids.min()),
        )
    )
    # order histories from the engine benchmark's generator (30 % churned customers)
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location(
        "or_benchmark", os.path.join(os.path.dirname(__file__), "benchmark.py")
    )
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    orders, _churned = benchmark.synthetic_orders(n_customers, orders_per_customer, datetime.date.today(), seed=seed)
    n_orders = len(orders)
    customer = partner_ids[orders["partner_id"].to_numpy() - 1]
    dates = orders["date"].to_numpy().astype("datetime64[D]")
    amounts = np.round(orders["amount"].to_numpy(), 2)
    team = np.array(teams, dtype=object)[rng.integers(0, len(teams), n_customers)]
    team = team[orders["partner_id"].to_numpy() - 1]
    # one vectorised CSV (a Python loop over 10M orders took minutes at 1M customers)
    import pandas as pd

    frame = pd.DataFrame(
        {
            "name": np.char.add("B", np.arange(n_orders).astype(str)),
            "partner_id": customer,
            "partner_invoice_id": customer,
            "partner_shipping_id": customer,
            "company_id": company.id,
            "date_order": np.char.add(dates.astype(str), " 10:00:00"),
            "state": "sale",
            "amount_untaxed": amounts,
            "amount_total": amounts,
            "currency_rate": 1.0,
            "currency_id": company.currency_id.id,
            "team_id": pd.array(team, dtype="Int64"),
        }
    )
    buf = io.StringIO()
    frame.to_csv(buf, header=False, index=False, float_format="%.2f")
    del frame
    buf.seek(0)
    cr.copy_expert(
        "COPY sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, company_id, date_order, "
        "state, amount_untaxed, amount_total, currency_rate, currency_id, team_id) FROM STDIN WITH (FORMAT csv)",
        buf,
    )
    cr.execute("ANALYZE res_partner; ANALYZE sale_order")
    env.invalidate_all()
    return partner_ids


def reset_retention(env):
    """Undo a previous benchmark run on a kept database: no status, no history, no follow-up, no queue."""
    cr = env.cr
    cr.execute(
        "DELETE FROM mail_activity WHERE activity_type_id = %s", [env.ref("order_retention.mail_act_retention_call").id]
    )
    cr.execute("DELETE FROM retention_status_history")
    cr.execute("DELETE FROM retention_model_run")
    # the previous run's day between two nights (a_day_of_orders): its orders removed, its cancellations undone
    cr.execute(
        "DELETE FROM sale_order WHERE name LIKE 'D%%' AND partner_id IN (SELECT id FROM res_partner "
        "WHERE name LIKE 'Bench Customer %%')"
    )
    cr.execute("UPDATE sale_order SET state = 'sale' WHERE state = 'cancel' AND name LIKE 'B%%'")
    cr.execute("DELETE FROM mail_message WHERE model = 'res.partner' AND message_type = 'notification'")
    # the customers' figures: on res_partner (stored retention_* columns), in a table of their own when there is one
    columns = [
        name
        for name, field in env["res.partner"]._fields.items()
        if name.startswith("retention_") and field.store and field.type not in ("one2many", "many2many")
    ]
    if columns:
        cr.execute(
            "UPDATE res_partner SET %s WHERE %s"
            % (", ".join("%s = NULL" % name for name in columns), " OR ".join("%s IS NOT NULL" % c for c in columns))
        )
    if "retention.customer" in env:
        cr.execute("DELETE FROM %s" % env["retention.customer"]._table)
    cr.execute("SELECT to_regclass('retention_fact_cache_state') IS NOT NULL")
    if cr.fetchone()[0]:  # the order facts kept between nights: the first recompute reads every order again
        cr.execute("TRUNCATE retention_fact_cache, retention_fact_cache_state, retention_fact_dirty")
    env["ir.config_parameter"].set_param("order_retention.last_compute_date", False)
    env["ir.config_parameter"].set_param("order_retention.last_allocate_date", False)
    env.invalidate_all()


def usual_day(env, day):
    """(orders a day, orders already dated ``day``): the confirmed orders of the base per day over the 28 days before
    ``day``, and those already dated ``day`` (a base loaded today has its own history's orders of the day)."""
    start = datetime.datetime.combine(day, datetime.time())
    env.cr.execute(
        SQL(
            """
        SELECT count(*) FILTER (WHERE date_order < %(start)s) / 28,
               count(*) FILTER (WHERE date_order >= %(start)s)
          FROM sale_order
         WHERE state = 'sale' AND date_order >= %(start)s - interval '28 days'
           AND date_order < %(start)s + interval '1 day'
        """,
            start=start,
        )
    )
    return env.cr.fetchone()


def day_buyers(env, partner_ids, size, rng):
    """``size`` customers who order on the bench's day. By default each is picked with the daily ordering rate its
    figures of the last night give it (-ln(churn probability) / the churn horizon: the model's "orders within the
    horizon" as a steady rate; customers without figures at the median rate), as a real day's buyers are mostly the
    customers whose rhythm is due and seldom those who left, without replacement (the smallest of exponential keys
    divided by the rates). BENCH_DAY_BUYERS=uniform picks every customer alike, as issue 23's fifth round did: a
    third of that day's buyers had left long ago (the backtest: 1 % of lost customers order again within 180 days),
    and their year-long gaps moved the next night's peer priors and churn model for everybody."""
    ids = np.asarray(partner_ids)
    if os.environ.get("BENCH_DAY_BUYERS") == "uniform":
        return rng.choice(ids, size=size, replace=False).tolist()
    env.cr.execute(
        "SELECT partner_id, retention_churn_probability FROM retention_customer "
        "WHERE company_id = %s AND retention_churn_probability IS NOT NULL",
        [env.company.id],
    )
    rows = env.cr.fetchall()
    known = dict(rows)
    horizon = env["retention.cycle"]._retention_engine_params().churn_horizon_days
    probability = np.array([known.get(int(pid), np.nan) for pid in ids], dtype="float64")
    rate = -np.log(np.clip(probability, 1e-9, 1.0 - 1e-9)) / horizon
    rate[np.isnan(rate)] = np.nanmedian(rate) if rows else 1.0
    print(
        "  the day's buyers follow the last night's figures: mean daily ordering rate %.4f (%d customers with figures)"
        % (float(rate.mean()), len(rows))
    )
    keys = rng.exponential(size=len(ids)) / np.maximum(rate, 1e-12)
    return ids[np.argpartition(keys, size - 1)[:size]].tolist() if size else []


def a_day_of_orders(env, day, partner_ids, seed=11):
    """What a day brings between two nights, in SQL as an import or the ORM would write it: the base's usual day of
    new confirmed orders (dated ``day``: the mean of the 28 days before, less those the base already has that day;
    ``BENCH_DAY_ORDERS`` sets the number of new orders instead), 0.05 % of the customers' latest orders cancelled,
    100 orders moved to another customer. Returns the counts.

    Before issue 23's fifth round the day brought orders from 0.5 % of the customers (5,000 at 1M) whatever the
    base, and the next night saw the base's own orders of the day only when it was loaded that day: a kept database
    saw a fifth of a usual day (the synthetic base orders about 26,000 times a day at 1M), a fresh one a usual day."""
    cr = env.cr
    rng = np.random.default_rng(seed)
    n = len(partner_ids)
    per_day, already = usual_day(env, day)
    wanted = os.environ.get("BENCH_DAY_ORDERS")
    new = int(wanted) if wanted else max(0, per_day - already)
    print(
        "  the base's usual day: %d confirmed orders a day over the 28 days before; %d already dated that day; "
        "%d new orders written%s" % (per_day, already, new, " (BENCH_DAY_ORDERS)" if wanted else "")
    )
    buyers = day_buyers(env, partner_ids, min(n, new), rng)
    cr.execute(
        SQL(
            """
        INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, company_id, date_order,
                                state, amount_untaxed, amount_total, currency_rate, currency_id, team_id)
        SELECT 'D' || so.id, so.partner_id, so.partner_id, so.partner_id, so.company_id, %(day)s, 'sale',
               so.amount_untaxed, so.amount_total, 1.0, so.currency_id, so.team_id
          FROM (SELECT DISTINCT ON (partner_id) * FROM sale_order
                 WHERE partner_id = ANY(%(buyers)s) AND state = 'sale' ORDER BY partner_id, date_order DESC) so
        """,
            day=datetime.datetime.combine(day, datetime.time(11, 0)),
            buyers=buyers,
        )
    )
    added = cr.rowcount
    cancelled_partners = rng.choice(partner_ids, size=max(1, n // 2000), replace=False).tolist()
    cr.execute(
        SQL(
            """
        UPDATE sale_order SET state = 'cancel' WHERE id IN (
            SELECT DISTINCT ON (partner_id) id FROM sale_order
             WHERE partner_id = ANY(%s) AND state = 'sale' ORDER BY partner_id, date_order DESC)
        """,
            cancelled_partners,
        )
    )
    cancelled = cr.rowcount
    movers = rng.choice(partner_ids, size=200, replace=False).tolist()
    cr.execute(
        SQL(
            """
        UPDATE sale_order so SET partner_id = moves.target FROM (
            SELECT firsts.id, (%(to)s::int[])[row_number() OVER (ORDER BY firsts.partner_id)] AS target FROM (
                SELECT DISTINCT ON (o.partner_id) o.id, o.partner_id
                  FROM sale_order o WHERE o.partner_id = ANY(%(from)s) AND o.state = 'sale'
                 ORDER BY o.partner_id, o.date_order) firsts) moves
         WHERE so.id = moves.id
        """,
            **{"from": movers[:100], "to": movers[100:]},
        )
    )
    return {"new orders": added, "cancelled": cancelled, "moved to another customer": cr.rowcount}


def _print_written(env, n_customers):
    print(
        "  customer rows written: %d of %d; %d shards of orders; phases: %s"
        % (
            env.cr.cache.get("retention_rows_written", -1),
            n_customers,
            env.cr.cache.get("retention_fact_shards", 0),
            ", ".join("%s %.2f s" % item for item in env.cr.cache.get("retention_timings", {}).items()),
        )
    )
    for company_id, done in sorted(env.cr.cache.get("retention_fact_cache", {}).items()):
        if done.get("full"):
            print(
                "  order facts of company %d: every order read (%d customers: read %.2f s, kept for the next night "
                "in %.2f s)" % (company_id, done["customers"], done.get("read_seconds", 0), done.get("keep_seconds", 0))
            )
        else:
            print(
                "  order facts of company %d: kept from the last night; %d customers read again (%d with orders)"
                % (company_id, done["customers"], done["rebuilt"])
            )
    env.cr.cache.pop("retention_fact_cache", None)


def _reset_tables(env):
    """The tables reset_retention rewrites"""
    tables = ["res_partner", "retention_status_history", "mail_activity", "mail_message"]
    if "retention.customer" in env:
        tables.append(env["retention.customer"]._table)
    return tables


def _vacuum(dbname, tables=("sale_order", "res_partner"), full=False):
    import psycopg2

    from odoo.sql_db import connection_info_for

    _db, info = connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    connection.autocommit = True  # VACUUM cannot run inside a transaction
    with connection.cursor() as cr:
        for table in tables:
            cr.execute("VACUUM %sANALYZE %s" % ("FULL " if full else "", table))
    connection.close()


def naive_recompute(env, partners):
    """What a straightforward ORM implementation would do: per customer, search its orders,
    read them, compute the statistics in Python and write the fields."""
    today = datetime.date.today()
    SaleOrder = env["sale.order"]
    for partner in partners:
        orders = SaleOrder.search([("partner_id", "child_of", partner.id), ("state", "=", "sale")], order="date_order")
        days = sorted({o.date_order.date() for o in orders})
        gaps = np.diff(np.array(days, dtype="datetime64[D]")).astype(float) if len(days) > 1 else np.array([])
        mean = float(gaps.mean()) if len(gaps) else 30.0
        std = float(gaps.std()) if len(gaps) > 1 else 0.0
        since = (today - days[-1]).days if days else 0
        partner.write(
            {
                "retention_mean_gap_days": mean,
                "retention_gap_std_days": std,
                "retention_last_order_date": days[-1] if days else False,
                "retention_status": "cold" if since > mean + std else "active",
            }
        )
    env.flush_all()


def raise_capacity(env, calls):
    """Give the bench customers' salespeople (their sales-team memberships; one in the first team for those
    without) the retention-call capacity that lets one allocation create up to ``calls`` calls (at most 1,000
    each, the limit of a membership). Returns (capacity, salespeople)."""
    env.cr.execute(
        "SELECT DISTINCT user_id FROM res_partner WHERE name LIKE 'Bench Customer %%' AND user_id IS NOT NULL"
    )
    users = env["res.users"].browse([row[0] for row in env.cr.fetchall()])
    users = users.filtered(
        lambda user: user.active and not user.share and user.has_group("sales_team.group_sale_salesman")
    )
    capacity = min(1000, -(-calls // max(len(users), 1)))
    Member = env["crm.team.member"]
    team = env["crm.team"].search([], limit=1) or env["crm.team"].create({"name": "Bench Team"})
    for user in users:
        members = Member.search([("user_id", "=", user.id)]) or Member.create(
            {"crm_team_id": team.id, "user_id": user.id}
        )
        members.write({"retention_call_capacity": capacity, "retention_call_optout": False})
    return capacity, len(users)


def load(env, n_customers, orders_per_customer):
    """Load the synthetic customers and orders unless the database (KEEP_DB=1) already holds them."""
    env.cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Bench Customer %%'")
    loaded = env.cr.fetchone()[0]
    if loaded == n_customers:
        print("cycle: reusing the %d customers loaded in %s" % (loaded, env.cr.dbname))
        return
    if loaded:
        raise SystemExit("%s holds %d bench customers, not %d: drop it first" % (env.cr.dbname, loaded, n_customers))
    _timed(
        "load (SQL COPY, ~%d orders)" % (n_customers * orders_per_customer),
        load_synthetic,
        env,
        n_customers,
        orders_per_customer,
    )
    env.cr.commit()
    _timed("VACUUM ANALYZE after the bulk load (a live database is not freshly COPYed)", _vacuum, env.cr.dbname)


def run(env, n_customers=100_000, orders_per_customer=10, activities=10_000, naive_sample=2_000):
    print("cycle: %d customers x %d orders in database %s" % (n_customers, orders_per_customer, env.cr.dbname))
    cycle = env["retention.cycle"]
    env.cr.execute("SELECT id FROM res_partner WHERE name LIKE 'Bench Customer %%' ORDER BY id")
    partner_ids = np.array([row[0] for row in env.cr.fetchall()], dtype=np.int64)
    if len(partner_ids) != n_customers:
        raise SystemExit(
            "%s holds %d bench customers, not %d: run with --load-only first"
            % (env.cr.dbname, len(partner_ids), n_customers)
        )
    # a fresh process (the load ran in another one, its memory peak does not count here); a database
    # kept by KEEP_DB=1 forgets its previous run
    _timed("reset the customers' retention state", reset_retention, env)
    env.cr.commit()
    # a kept database (KEEP_DB=1) had its previous run's rows rewritten by the reset, an upgraded one keeps the
    # space of its dropped columns (a plain VACUUM never gives it back): VACUUM FULL, so that the first recompute
    # finds compact tables, as in a fresh database, and runs compare
    _timed("VACUUM FULL ANALYZE after the reset", _vacuum, env.cr.dbname, _reset_tables(env), full=True)
    today = datetime.date.today()
    rss_before = _rss_mb()
    print("  process RSS before the first recompute: %.0f MB" % rss_before)
    _print_sizes(env.cr, "before the first recompute")
    meter = WriteMeter(env.cr, "first recompute").start()
    counts, t_first = _timed(
        "first recompute (every customer new): fetch + engine + write-back + history",
        cycle._retention_compute_all,
        today - datetime.timedelta(days=1),
    )
    _print_written(env, n_customers)
    wal_first, _rows = meter.stop()
    print("  peak RSS of the process so far %.0f MB" % _rss_mb())
    _print_sizes(env.cr, "after the first recompute")
    _timed("VACUUM ANALYZE after the first classification", _vacuum, env.cr.dbname)
    day = a_day_of_orders(env, today, partner_ids)
    print("  the day between the two nights: %s" % ", ".join("%d %s" % (v, k) for k, v in day.items()))
    meter = WriteMeter(env.cr, "next-day recompute").start()
    counts, t_compute = _timed(
        "daily recompute (next day): fetch + engine + write-back + history", cycle._retention_compute_all, today
    )
    _print_written(env, n_customers)
    wal_next, _rows = meter.stop()
    rss_peak = _rss_mb()
    print(
        "  statuses: %s; peak RSS of the process %.0f MB (%.0f MB before the first recompute)"
        % (counts, rss_peak, rss_before)
    )
    _print_sizes(env.cr, "after the next-day recompute")
    run_record = env["retention.model.run"].search([("date", "=", today)], limit=1)
    print(
        "  churn model: used %s (fit %.2f s), lost from p >= %.3f (t* %.3f), training rows %d, total value at risk %.0f"
        % (
            run_record.model_used,
            (run_record.model_data or {}).get("fit_seconds") or 0.0,
            run_record.lost_threshold,
            run_record.threshold,
            run_record.training_rows,
            run_record.value_at_risk,
        )
    )
    print("  " + (run_record.explanation or "").replace("\n", "\n  "))
    wizard = env["retention.backtest"].create({"as_of": today - datetime.timedelta(days=180), "horizon_days": 180})
    _timed("backtest wizard (as of 180 days ago, 180-day horizon)", wizard.action_run)
    print(
        "  backtest: %d customers, %d did not order; AUC rules %.3f / learned %.3f; lost precision rules %.2f / "
        "learned %.2f; recall rules %.2f / learned %.2f"
        % (
            wizard.customers,
            wizard.no_order,
            wizard.rule_auc,
            wizard.auc,
            wizard.rule_lost_precision,
            wizard.lost_precision,
            wizard.rule_lost_recall,
            wizard.lost_recall,
        )
    )
    for line in wizard.line_ids:
        print(
            "  backtest %-6s rules %6d customers %5.1f %% ordered | learned %6d customers %5.1f %% ordered"
            % (line.status, line.rule_customers, 100 * line.rule_order_rate, line.customers, 100 * line.order_rate)
        )
    env.cr.rollback()
    Partner = env["res.partner"]
    Queue = env["retention.queue"]
    # calls created per second: one allocation with the capacities raised (rolled back)
    capacity, sellers = raise_capacity(env, activities)
    counts, t_act = _timed(
        "allocation creating up to %d retention calls (%d salespeople x %d)" % (capacity * sellers, sellers, capacity),
        Queue._retention_allocate,
        today,
    )
    print(
        "  %d calls created: %.0f calls/s (%s)" % (counts["created"], counts["created"] / t_act if t_act else 0, counts)
    )
    env.cr.rollback()  # keep the follow-up phase below comparable
    # the nightly follow-up phase: one allocation at the default capacity (today is computed: only it runs)
    _r, _elapsed = _timed(
        "follow-up phase (the allocation: every warm/cold/lost customer ranked)", cycle._retention_run_cycle, today
    )
    counts = env.cr.cache.get("retention_allocation") or {}
    n_open = env["mail.activity"].search_count([("activity_type_id", "=", cycle._retention_activity_type().id)])
    print(
        "  %s customers need a call: %s created, %s waiting, %s out of the call queue; open retention calls: %d"
        % (counts.get("needing"), counts.get("created"), counts.get("waiting"), counts.get("stopped"), n_open)
    )
    env.cr.commit()
    # the screens read the figures where they live: retention.customer when the module has it (issue #23), else
    # the customers' own columns (an earlier version, for a before/after comparison)
    Screens = env["retention.customer"] if "retention.customer" in env else Partner
    list_spec = {
        f: {}
        for f in (
            "display_name",
            "retention_days_since_last_order",
            "retention_expected_gap_days",
            "retention_warning_days",
            "retention_expected_next_order_date",
            "retention_overdue_days",
            "retention_status",
            "retention_rfm_segment",
            "retention_overdue_probability",
            "retention_total_amount",
            "retention_value_at_risk",
            "retention_last_contact",
        )
    }
    list_spec["user_id"] = {"fields": {"display_name": {}}}
    if Screens is Partner:
        list_spec["activity_ids"] = {"fields": {}}
    domain = [("retention_status", "!=", False), ("retention_missing_order", "=", True)]
    Screens.invalidate_model()
    _r, t_missing = _timed(
        "Missing Orders list (%s web_search_read, 80 rows, freshest lapse first)" % Screens._name,
        Screens.web_search_read,
        domain,
        list_spec,
        limit=80,
        order="retention_last_order_date desc, retention_total_amount desc, id",
        count_limit=10001,
    )
    Screens.invalidate_model()
    _r, t_kanban = _timed(
        "Customers by Status kanban (web_read_group by status)",
        Screens.web_read_group,
        [("retention_status", "!=", False)],
        ["retention_status"],
        ["retention_status"],
        lazy=True,
    )
    Screens.invalidate_model()
    _r, t_column = _timed(
        "  + one kanban column (web_search_read, 40 cards)",
        Screens.web_search_read,
        [("retention_status", "=", "cold")],
        {**list_spec},
        limit=40,
    )
    sample = Partner.browse(partner_ids[:naive_sample].tolist())
    _r, t_naive = _timed("naive ORM recompute of %d customers" % len(sample), naive_recompute, env, sample)
    env.cr.rollback()
    print(
        "  naive, extrapolated to %d customers: %.0f s (vs %.1f s set-based: x%.0f)"
        % (n_customers, t_naive * n_customers / len(sample), t_compute, t_naive * n_customers / len(sample) / t_compute)
    )
    # (after the backtest and the allocation, whose peaks are the process's: the peak RSS above is the recomputes')
    nights = following_nights(env, cycle, today, partner_ids, n_customers)
    days = [t_compute] + [t for t, _wal in nights]
    print(
        "summary (%d customers): first recompute %.1f s, next day %.1f s; WAL first %.1f MB, next day %.1f MB; "
        "peak RSS of the recomputes %.0f MB; Missing Orders %.3f s, kanban %.3f s + column %.3f s"
        % (
            n_customers,
            t_first,
            t_compute,
            wal_first / 2**20,
            wal_next / 2**20,
            rss_peak,
            t_missing,
            t_kanban,
            t_column,
        )
    )
    if nights:
        print(
            "summary of %d nights in a row (each after a usual day): %s s (median %.1f, slowest %.1f); WAL %s MB"
            % (
                len(days),
                " / ".join("%.1f" % t for t in days),
                float(np.median(days)),
                max(days),
                " / ".join("%.1f" % (wal / 2**20) for wal in [wal_next] + [wal for _t, wal in nights]),
            )
        )


def following_nights(env, cycle, today, partner_ids, n_customers):
    """The nights after the next day (``BENCH_NIGHTS`` nights in all, the next day included; 3 by default): each
    after a usual day of orders dated that day, as the next day. A single night's figure depends on how far that
    day's refit moves everyone's fitted dates and probabilities, which differs from day to day: the nights in a row
    show the spread. They run in one transaction rolled back at the end (their orders, dated after today, and
    their figures are gone: a kept database, KEEP_DB=1, is reused as before); their WAL is the
    pg_current_wal_insert_lsn difference of each night, inserted before the rollback. Returns [(seconds, WAL bytes)]."""
    nights = []
    cr = env.cr
    for offset in range(1, max(int(os.environ.get("BENCH_NIGHTS", "3")), 1)):
        night = today + datetime.timedelta(days=offset)
        day = a_day_of_orders(env, night, partner_ids, seed=11 + offset)
        print("  the day before night %d: %s" % (offset + 1, ", ".join("%d %s" % (v, k) for k, v in day.items())))
        lsn = _wal_position(cr)
        _counts, elapsed = _timed(
            "night %d (%s): fetch + engine + write-back + history" % (offset + 1, night),
            cycle._retention_compute_all,
            night,
        )
        _print_written(env, n_customers)
        wal = _wal_since(cr, "night %d" % (offset + 1), lsn)
        nights.append((elapsed, wal))
    cr.rollback()
    return nights


def main(argv):
    """Entry point: Odoo's connection options, plus --bench-customers / --bench-orders."""
    import argparse
    import sys

    import odoo
    from odoo.tools import config

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--bench-customers", type=int, default=100_000)
    parser.add_argument("--bench-orders", type=int, default=10)
    parser.add_argument("--load-only", action="store_true", help="load the synthetic customers unless loaded")
    ours, odoo_args = parser.parse_known_args(argv)
    config.parse_config(odoo_args)
    dbname = config["db_name"][0] if isinstance(config["db_name"], list) else config["db_name"]
    registry = odoo.modules.registry.Registry(dbname)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if ours.load_only:
            load(env, ours.bench_customers, ours.bench_orders)
        else:
            run(env, ours.bench_customers, ours.bench_orders, activities=min(10_000, ours.bench_customers))
        cr.commit()
    sys.stdout.flush()


if __name__ == "__main__":
    import sys as _sys

    main(_sys.argv[1:])
