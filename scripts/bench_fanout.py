"""Measured fan-out of the daily retention cycle run by OCA queue_job's job runner.

In a database of its own (``<BENCH_DB>_fanout``, order_retention + order_retention_queue_job, no demo data)
it loads N synthetic customers with SQL COPY (scripts/bench_cycle.py), then for a channel capacity of 1 and
of 2:
  - resets the customers' retention state (statuses, history, retention calls, the day's run) and the
    channel's jobs,
  - enqueues the day's cycle (order_retention_queue_job): the recompute job, which enqueues the write-back in
    shards of BENCH_FANOUT_SHARD customers (10,000 by default: several shards to run side by side), the finish
    job and the day's allocation of the retention-call queue (one job, bounded by the team's capacity),
  - starts a real Odoo server (``--workers=2``, job runner with ``channels=root:2,root.order_retention:N``,
    N the capacity) and times it until every job of root.order_retention is done, then stops it.
It prints the wall time from the server start (it includes the server start-up and the job runner's 5 s
start delay), the server's own figure (first job started -> last job done, from queue_job's date_started /
date_done) with the speed-up computed on it, the most jobs seen running at once, and
checks that every run classified the customers alike and created the same retention calls, one per customer
chosen.

Run through `make bench` (scripts/bench.sh; BENCH_FANOUT=0 skips it, BENCH_FANOUT=only runs only it). It is
not a test. KEEP_DB=1 keeps the database.
"""

import argparse
import datetime
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CHANNEL = "root.order_retention"
CAPACITIES = (1, 2)
POLL_SECONDS = 0.5


def _env_int(name, default):
    return int(os.environ.get(name) or default)


def _odoo_bin():
    """odoo-bin of the Odoo source tree when there is one (the server re-runs it for its gevent process)."""
    import odoo

    path = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    return [sys.executable, path] if os.path.isfile(path) else [sys.executable, "-m", "odoo"]


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(first, last):
    """An HTTP port and the next one (Odoo's gevent port in prefork mode), both free, within first..last."""
    for port in range(first, last):
        if _port_free(port) and _port_free(port + 1):
            return port, port + 1
    raise SystemExit("fan-out: no two free consecutive ports in %d-%d" % (first, last))


def _write_config(path, channels):
    """Odoo configuration file of the runs: connection options, and the job runner's channels."""
    from odoo.tools import config

    options = {
        "addons_path": config["addons_path"],
        "db_host": config["db_host"] or "",
        "db_port": config["db_port"] or "",
        "db_user": config["db_user"] or "",
        "db_password": config["db_password"] or "",
        "data_dir": config["data_dir"],
    }
    with open(path, "w") as handle:
        handle.write("[options]\n")
        for key, value in options.items():
            handle.write("%s = %s\n" % (key, value if value not in (None, False) else ""))
        handle.write("\n[queue_job]\nchannels = %s\n" % channels)


def _pg_connect(dbname):
    import psycopg2

    from odoo.sql_db import connection_info_for

    _db, info = connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    connection.autocommit = True
    return connection


def _db_exists(dbname):
    connection = _pg_connect("postgres")
    with connection.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
        exists = bool(cr.fetchone())
    connection.close()
    return exists


def drop_database(dbname):
    """Drop the benchmark's own database and its filestore (Odoo's own drop; it ends this database's sessions)."""
    from odoo.service import db

    if _db_exists(dbname):
        db.exp_drop(dbname)


def create_database(dbname, conf, keep_db):
    """A fresh database with order_retention + order_retention_queue_job (KEEP_DB=1 reuses a kept one)."""
    import odoo

    if _db_exists(dbname):
        if keep_db:
            print("fan-out: reusing %s (KEEP_DB=1)" % dbname, flush=True)
            return
        drop_database(dbname)
    cmd = [
        *_odoo_bin(),
        "-c",
        conf,
        "-d",
        dbname,
        "-i",
        "order_retention,order_retention_queue_job",
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads=0",
        "--log-level=warn",
    ]
    import bench_cycle

    bench_cycle._timed(
        "fan-out: create %s (order_retention + queue_job bridge)" % dbname, subprocess.run, cmd, check=True
    )
    odoo.modules.registry.Registry.delete(dbname)  # nothing opened yet, but be sure the registry is fresh


def runner_channels(capacity):
    """The job runner's channels for a capacity of the retention channel."""
    return "root:%d,%s:%d" % (max(2, capacity), CHANNEL, capacity)


def prepare(env, n_customers, orders_per_customer):
    """Load the synthetic customers (unless a kept database holds them)."""
    import bench_cycle

    bench_cycle.load(env, n_customers, orders_per_customer)  # unless a kept database holds them
    env.cr.commit()


def reset_cycle(env, today, shard_size):
    """Undo the day's cycle (statuses, history, retention calls, the day's run, the channel's jobs) and enqueue
    it again: the recompute job, which enqueues the write-back shards, the finish job and the allocation.
    Returns the number of write-back shards."""
    import bench_cycle

    from odoo.addons.order_retention.models.retention_cycle import LAST_ALLOCATE_PARAM

    cr = env.cr
    cycle = env["retention.cycle"]
    bench_cycle.reset_retention(env)
    env["ir.config_parameter"].set_param(LAST_ALLOCATE_PARAM, False)
    cr.execute("DELETE FROM queue_job WHERE channel = %s OR channel LIKE %s", [CHANNEL, CHANNEL + ".%"])
    env.invalidate_all()
    cr.commit()
    bench_cycle._vacuum(
        cr.dbname, ["mail_activity", "res_partner", "retention_customer", "queue_job", "retention_status_history"]
    )
    day = str(today)
    cycle.with_delay(
        channel=CHANNEL, identity_key="order_retention.compute.%s" % day, description="Bench cycle %s" % day
    )._job_retention_compute(day, shard_size)
    cr.execute("SELECT count(*) FROM queue_job WHERE channel = %s", [CHANNEL])
    jobs = cr.fetchone()[0]
    if jobs != 1:
        raise SystemExit("fan-out: 1 recompute job enqueued but %d jobs on %s" % (jobs, CHANNEL))
    cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Bench Customer %%'")
    customers = cr.fetchone()[0]
    cr.commit()
    return -(-customers // shard_size)


def _tail(path, lines=40):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def start_server(dbname, conf, port, gevent_port, logfile, limit_seconds):
    cmd = [
        *_odoo_bin(),
        "-c",
        conf,
        "-d",
        dbname,
        "--db-filter=^%s$" % dbname,
        "--workers=2",
        "--max-cron-threads=0",
        "--load=base,web,queue_job",
        "--http-interface=127.0.0.1",
        "--http-port=%d" % port,
        "--gevent-port=%d" % gevent_port,
        # a batch runs inside an HTTP worker: do not let the request limits kill it on a busy machine
        "--limit-time-real=%d" % limit_seconds,
        "--limit-time-cpu=%d" % limit_seconds,
        "--log-level=info",
        "--logfile=%s" % logfile,
    ]
    env = dict(os.environ)
    env.pop("ODOO_QUEUE_JOB_CHANNELS", None)  # the configuration file's [queue_job] channels, nothing else
    # a session of its own: stopping it can reach its workers and gevent process, and only them
    return subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def stop_server(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # graceful: the workers finish their request, the runner stops
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # a second one forces the shutdown
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # the gevent process and the workers are in the server's session: make sure none is left behind
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return
    time.sleep(2)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_jobs(dbname, proc, logfile, timeout):
    """Poll the channel's jobs until every one is done; fail loudly on a failed job, a dead server or timeout."""
    connection = _pg_connect(dbname)
    deadline = time.monotonic() + timeout
    states = {}
    try:
        with connection.cursor() as cr:
            while True:
                cr.execute("SELECT state, count(*) FROM queue_job WHERE channel = %s GROUP BY state", [CHANNEL])
                states = dict(cr.fetchall())
                if states.get("failed"):
                    cr.execute(
                        "SELECT uuid, name, state, exc_info FROM queue_job WHERE channel = %s AND state = 'failed'",
                        [CHANNEL],
                    )
                    for uuid, name, state, exc_info in cr.fetchall():
                        print("FAILED job %s (%s, %s):\n%s" % (uuid, name, state, exc_info), file=sys.stderr)
                    raise SystemExit("fan-out: jobs failed; states %s" % states)
                if states and set(states) == {"done"}:
                    return states
                if proc.poll() is not None:
                    raise SystemExit(
                        "fan-out: the Odoo server exited (code %s) with jobs left %s; its log ends with:\n%s"
                        % (proc.returncode, states, _tail(logfile))
                    )
                if time.monotonic() > deadline:
                    raise SystemExit(
                        "fan-out: timeout after %d s, jobs %s; the server log ends with:\n%s"
                        % (timeout, states, _tail(logfile))
                    )
                time.sleep(POLL_SECONDS)
    finally:
        connection.close()


def job_figures(dbname):
    """First job started -> last job done (s), the sum of the job durations (s), the most jobs running at once."""
    connection = _pg_connect(dbname)
    with connection.cursor() as cr:
        cr.execute("SELECT date_started, date_done FROM queue_job WHERE channel = %s ORDER BY date_started", [CHANNEL])
        intervals = cr.fetchall()
    connection.close()
    span = (max(done for _s, done in intervals) - min(start for start, _d in intervals)).total_seconds()
    busy = sum((done - start).total_seconds() for start, done in intervals)
    # sweep: at equal times an end comes before a start (a chain's next job may start when the previous ends)
    events = sorted([(start, 1) for start, _d in intervals] + [(done, -1) for _s, done in intervals])
    running = overlap = 0
    for _when, delta in events:
        running += delta
        overlap = max(overlap, running)
    return span, busy, overlap


def open_activities(env):
    """(open retention activities, customers having one)."""
    env.invalidate_all()
    env.cr.execute(
        "SELECT count(*), count(DISTINCT res_id) FROM mail_activity WHERE activity_type_id = %s AND active "
        "AND res_model = 'res.partner'",
        [env["retention.cycle"]._retention_activity_type().id],
    )
    return env.cr.fetchone()


def statuses(env):
    """{status: customers} of the bench customers."""
    env.cr.execute(
        "SELECT r.retention_status, count(*) FROM retention_customer r JOIN res_partner p ON p.id = r.partner_id "
        "WHERE p.name LIKE 'Bench Customer %%' AND r.retention_status IS NOT NULL GROUP BY r.retention_status"
    )
    return dict(sorted(env.cr.fetchall()))


def run(env, args, today):
    """Rounds of capacity 1 then 2 (BENCH_FANOUT_ROUNDS, default 2): the first round also warms the
    caches, and the speed-up is taken on the medians of the server's first-job-started to
    last-job-done times."""
    dbname = env.cr.dbname
    port, gevent_port = _free_ports(args.port, 8099)
    rounds = max(_env_int("BENCH_FANOUT_ROUNDS", 2), 1)
    shard_size = max(_env_int("BENCH_FANOUT_SHARD", 10_000), 1)
    results = {capacity: [] for capacity in CAPACITIES}
    for round_no in range(1, rounds + 1):
        for capacity in CAPACITIES:
            conf = os.path.join(args.tmpdir, "odoo.conf")
            _write_config(conf, runner_channels(capacity))
            shards = reset_cycle(env, today, shard_size)
            logfile = os.path.join(args.tmpdir, "odoo-fanout-%d-%d.log" % (round_no, capacity))
            print(
                "fan-out round %d, capacity %d: the day's cycle, write-back in %d shards of %d customers, then the "
                "allocation; Odoo --workers=2 (channels %s) on port %d, log %s"
                % (round_no, capacity, shards, shard_size, runner_channels(capacity), port, logfile),
                flush=True,
            )
            start = time.perf_counter()
            proc = start_server(dbname, conf, port, gevent_port, logfile, args.timeout)
            try:
                wait_jobs(dbname, proc, logfile, args.timeout)
                wall = time.perf_counter() - start
            finally:
                stop_server(proc)
                os.unlink(conf)  # it holds the database password
            env.cr.rollback()
            created, customers = open_activities(env)
            counts = statuses(env)
            span, busy, overlap = job_figures(dbname)
            classified = sum(counts.values())
            results[capacity].append((counts, created, customers, wall, span, overlap))
            print(
                "fan-out round %d, capacity %d: %d customers classified (%s) and %d retention calls in %.1f s from "
                "the server start (%.0f customers/s)"
                % (round_no, capacity, classified, counts, created, wall, classified / wall)
            )
            print(
                "  server: first job started -> last job done %.1f s (%.0f customers/s), job time %.1f s, at most "
                "%d job%s running at once"
                % (span, classified / span if span else 0, busy, overlap, "" if overlap == 1 else "s"),
                flush=True,
            )
            if overlap > capacity:
                raise SystemExit("fan-out: %d jobs ran at once with a capacity of %d" % (overlap, capacity))
            if capacity > 1 and shards > 1 and overlap < 2:
                print("WARNING: with a capacity of %d the jobs never ran at the same time" % capacity, flush=True)
    counts, created, *_rest = results[CAPACITIES[0]][0]
    for capacity, runs in results.items():
        for counts_c, created_c, customers_c, *_rest in runs:
            if counts_c != counts or (created_c, customers_c) != (created, created):
                raise SystemExit(
                    "fan-out, capacity %d: statuses %s and %d open retention calls on %d customers, expected %s and "
                    "one call on each of %d customers" % (capacity, counts_c, created_c, customers_c, counts, created)
                )
    classified = sum(counts.values())
    spans = {capacity: sorted(run[4] for run in runs) for capacity, runs in results.items()}
    medians = {capacity: statistics.median(values) for capacity, values in spans.items()}
    one, two = medians[CAPACITIES[0]], medians[CAPACITIES[1]]
    print(
        "fan-out summary (%d rounds, %d customers classified each run): capacity 1 median %.1f s (%.0f/s), "
        "capacity 2 median %.1f s (%.0f/s); speed-up x%.2f (first job started -> last job done; runs: %s)"
        % (
            rounds,
            classified,
            one,
            classified / one if one else 0,
            two,
            classified / two if two else 0,
            one / two if two else 0,
            "; ".join(
                "capacity %d: %s" % (capacity, ", ".join("%.1f s" % value for value in values))
                for capacity, values in spans.items()
            ),
        ),
        flush=True,
    )
    print(
        "fan-out: every run classified the customers alike and created %d retention calls, one per customer "
        "chosen" % created,
        flush=True,
    )


def main(argv):
    import odoo
    from odoo.tools import config

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--bench-customers", type=int, default=_env_int("BENCH_CUSTOMERS", 100_000))
    parser.add_argument("--bench-orders", type=int, default=_env_int("BENCH_ORDERS", 10))
    parser.add_argument("--port", type=int, default=_env_int("BENCH_FANOUT_PORT", 8091), help="first HTTP port tried")
    parser.add_argument("--timeout", type=int, default=_env_int("BENCH_FANOUT_TIMEOUT", 3600), help="per run, s")
    parser.add_argument("--keep-db", action="store_true", default=os.environ.get("KEEP_DB") == "1")
    ours, odoo_args = parser.parse_known_args(argv)
    config.parse_config(odoo_args)
    dbname = config["db_name"][0] if isinstance(config["db_name"], list) else config["db_name"]
    if not dbname:
        dbname = "%s_fanout" % (os.environ.get("BENCH_DB") or "or_bench")
    today = datetime.date.today()
    tmpdir = tempfile.mkdtemp(prefix="or_fanout_")
    ours.tmpdir = tmpdir
    conf = os.path.join(tmpdir, "odoo.conf")
    print(
        "fan-out: %d customers x %d orders in database %s; job runner channels %s"
        % (ours.bench_customers, ours.bench_orders, dbname, ", then ".join(runner_channels(c) for c in CAPACITIES)),
        flush=True,
    )
    try:
        _write_config(conf, runner_channels(CAPACITIES[-1]))
        try:
            create_database(dbname, conf, ours.keep_db)
        finally:
            os.unlink(conf)  # it holds the database password
        registry = odoo.modules.registry.Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            prepare(env, ours.bench_customers, ours.bench_orders)
            run(env, ours, today)
            cr.commit()
    finally:
        if not ours.keep_db:
            drop_database(dbname)
    shutil.rmtree(tmpdir, ignore_errors=True)  # kept (with the servers' logs) when a run failed
    sys.stdout.flush()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench_cycle
    main(sys.argv[1:])
