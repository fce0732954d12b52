"""Measured fan-out of the daily retention cycle: the follow-up phase run by OCA queue_job's job runner.

In a database of its own (``<BENCH_DB>_fanout``, order_retention + order_retention_queue_job, no demo data)
it loads N synthetic customers with SQL COPY (scripts/bench_cycle.py), classifies them once, then for a
channel capacity of 1 and of 2:
  - resets the follow-up state (retention activities, follow-up checks, the channel's jobs),
  - sets the Settings' parallel retention jobs and enqueues the day's follow-up batches (1,000 customers each)
    in that many chains (order_retention_queue_job),
  - starts a real Odoo server (``--workers=2``, job runner enabled with ``channels=root:2,root.order_retention:2``)
    and times it until every job of root.order_retention is done, then stops it.
It prints the wall time from the server start (it includes the server start-up and the job runner's 5 s
start delay), the server's own figure (first job started -> last job done, from queue_job's date_started /
date_done) with the speed-up computed on it, the most jobs seen running at once, and
checks that both runs created the same open retention activities, one per customer to follow up.

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
CAPACITY_PARAM = "order_retention_queue_job.capacity"
RUNNER_CHANNELS = "root:2,root.order_retention:2"
CAPACITIES = (1, 2)
BATCH_SIZE = 1000
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


def prepare(env, n_customers, orders_per_customer, today):
    """Load the synthetic customers (unless a kept database holds them) and classify them once."""
    import bench_cycle

    bench_cycle.load(env, n_customers, orders_per_customer)  # unless a kept database holds them
    bench_cycle.reset_retention(env)
    counts, _elapsed = bench_cycle._timed(
        "fan-out: classify every customer (_retention_compute_all)",
        env["retention.cycle"]._retention_compute_all,
        today,
    )
    print("  statuses: %s" % (counts,), flush=True)
    env.cr.commit()


def reset_followups(env, capacity, today):
    """Undo the follow-up phase (activities, checks, the channel's jobs), set the capacity, enqueue the batches.
    Returns (customers to follow up, batches)."""
    import bench_cycle

    cr = env.cr
    cycle = env["retention.cycle"]
    cr.execute("DELETE FROM mail_activity WHERE activity_type_id = %s", [cycle._retention_activity_type().id])
    cr.execute("UPDATE res_partner SET retention_followup_checked = NULL WHERE retention_followup_checked IS NOT NULL")
    cr.execute("DELETE FROM queue_job WHERE channel = %s OR channel LIKE %s", [CHANNEL, CHANNEL + ".%"])
    env["ir.config_parameter"].sudo().set_param(CAPACITY_PARAM, str(capacity))
    env.invalidate_all()
    cr.commit()
    bench_cycle._vacuum(cr.dbname, ["mail_activity", "res_partner", "queue_job"])
    todo = env["res.partner"].search_count(cycle._retention_followup_domain(today))
    batches = cycle._retention_enqueue_followups(today, BATCH_SIZE)
    cr.execute("SELECT count(*) FROM queue_job WHERE channel = %s", [CHANNEL])
    jobs = cr.fetchone()[0]
    if jobs != batches:
        raise SystemExit("fan-out: %d batches enqueued but %d jobs on %s" % (batches, jobs, CHANNEL))
    cr.commit()
    return todo, batches


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
    """(open retention activities, customers having one, customers left to follow up today)."""
    env.invalidate_all()
    env.cr.execute(
        "SELECT count(*), count(DISTINCT res_id) FROM mail_activity WHERE activity_type_id = %s AND active "
        "AND res_model = 'res.partner'",
        [env["retention.cycle"]._retention_activity_type().id],
    )
    return env.cr.fetchone()


def run(env, args, conf, today):
    """Rounds of capacity 1 then 2 (BENCH_FANOUT_ROUNDS, default 2): the first round also warms the
    caches, and the speed-up is taken on the medians of the server's first-job-started to
    last-job-done times."""
    dbname = env.cr.dbname
    port, gevent_port = _free_ports(args.port, 8099)
    rounds = max(_env_int("BENCH_FANOUT_ROUNDS", 2), 1)
    results = {capacity: [] for capacity in CAPACITIES}
    for round_no in range(1, rounds + 1):
        for capacity in CAPACITIES:
            todo, batches = reset_followups(env, capacity, today)
            logfile = os.path.join(args.tmpdir, "odoo-fanout-%d-%d.log" % (round_no, capacity))
            print(
                "fan-out round %d, capacity %d: %d customers to follow up in %d batches of %d; Odoo --workers=2 "
                "on port %d, log %s" % (round_no, capacity, todo, batches, BATCH_SIZE, port, logfile),
                flush=True,
            )
            start = time.perf_counter()
            proc = start_server(dbname, conf, port, gevent_port, logfile, args.timeout)
            try:
                wait_jobs(dbname, proc, logfile, args.timeout)
                wall = time.perf_counter() - start
            finally:
                stop_server(proc)
            env.cr.rollback()
            created, customers = open_activities(env)
            span, busy, overlap = job_figures(dbname)
            results[capacity].append((todo, created, customers, wall, span, overlap))
            chains = "%d chain%s" % (min(capacity, batches), "" if min(capacity, batches) == 1 else "s")
            print(
                "fan-out round %d, capacity %d (%s): %d activities in %.1f s from the server start (%.0f/s)"
                % (round_no, capacity, chains, created, wall, created / wall)
            )
            print(
                "  server: first job started -> last job done %.1f s (%.0f/s), job time %.1f s, at most %d job%s "
                "running at once" % (span, created / span if span else 0, busy, overlap, "" if overlap == 1 else "s"),
                flush=True,
            )
            if overlap > capacity:
                raise SystemExit("fan-out: %d jobs ran at once with a capacity of %d" % (overlap, capacity))
            if capacity > 1 and batches > 1 and overlap < 2:
                print("WARNING: with a capacity of %d the jobs never ran at the same time" % capacity, flush=True)
    todo, created, customers, *_rest = results[CAPACITIES[0]][0]
    for capacity, runs in results.items():
        for todo_c, created_c, customers_c, *_rest in runs:
            if (todo_c, created_c, customers_c) != (todo, todo, todo):
                raise SystemExit(
                    "fan-out, capacity %d: %d open retention activities on %d customers, expected one on each of "
                    "the %d customers to follow up" % (capacity, created_c, customers_c, todo_c)
                )
    spans = {capacity: sorted(run[4] for run in runs) for capacity, runs in results.items()}
    medians = {capacity: statistics.median(values) for capacity, values in spans.items()}
    one, two = medians[CAPACITIES[0]], medians[CAPACITIES[1]]
    print(
        "fan-out summary (%d rounds, %d activities each run): capacity 1 median %.1f s (%.0f/s), capacity 2 median "
        "%.1f s (%.0f/s); speed-up x%.2f (first job started -> last job done; runs: %s)"
        % (
            rounds,
            todo,
            one,
            todo / one if one else 0,
            two,
            todo / two if two else 0,
            one / two if two else 0,
            "; ".join(
                "capacity %d: %s" % (capacity, ", ".join("%.1f s" % value for value in values))
                for capacity, values in spans.items()
            ),
        ),
        flush=True,
    )
    print("fan-out: every run created %d open retention activities, one per customer to follow up" % todo, flush=True)


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
    _write_config(conf, RUNNER_CHANNELS)
    print(
        "fan-out: %d customers x %d orders in database %s; job runner channels %s"
        % (ours.bench_customers, ours.bench_orders, dbname, RUNNER_CHANNELS),
        flush=True,
    )
    try:
        create_database(dbname, conf, ours.keep_db)
        registry = odoo.modules.registry.Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            prepare(env, ours.bench_customers, ours.bench_orders, today)
            run(env, ours, conf, today)
            cr.commit()
    finally:
        os.unlink(conf)  # it holds the database password
        if not ours.keep_db:
            drop_database(dbname)
    shutil.rmtree(tmpdir, ignore_errors=True)  # kept (with the servers' logs) when a run failed
    sys.stdout.flush()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench_cycle
    main(sys.argv[1:])
