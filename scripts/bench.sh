#!/usr/bin/env bash
# Benchmark order_retention (prints its figures; not a test):
#   1. the pure engine on synthetic histories (100k customers x 10 orders),
#   2. the daily cycle inside a real Odoo database: 100k customers / 1M orders loaded with SQL COPY,
#      full recompute, retention calls/s, follow-up phase (the allocation), list/kanban server time, naive ORM
#      comparison.
#   3. measured fan-out (scripts/bench_fanout.py, database ${BENCH_DB}_fanout): the day's cycle as jobs (recompute,
#      write-back shards, finish, allocation) run by the queue_job runner of a real Odoo server (--workers=2) at
#      channel capacity 1 and 2, wall time and speed-up. BENCH_FANOUT=0 skips it, BENCH_FANOUT=only runs only it;
#      BENCH_FANOUT_CUSTOMERS (100000) its base, BENCH_FANOUT_SHARD (10000) customers per write-back shard,
#      BENCH_FANOUT_ROUNDS (2) how many rounds of capacity 1 then 2 (speed-up on the medians).
#   4. the retention-call queue on 20,000 generated customers (test class TestRetentionQueueVolume, see below).
# BENCH_CUSTOMERS / BENCH_ORDERS change the size; BENCH_DB names the database (or_bench); KEEP_DB=1 keeps it
# (and a later KEEP_DB=1 run reuses its customers and orders instead of loading them again). BENCH_ENGINE=0 skips
# section 1; only the cycle (2): BENCH_ENGINE=0 BENCH_FANOUT=0 BENCH_QUEUE_VOLUME=0 BENCH_QUEUE=0 make bench.
# The cycle's day between its two nights brings the base's usual day of new orders (mean of the 28 days before,
# less those already dated that day); BENCH_DAY_ORDERS=N writes N new orders instead (5000 = the light day of
# issue 23's rounds 1-4 at 1M). BENCH_NIGHTS (3) nights in a row are measured, the next day included, each after
# a usual day (how far a night's refit moves everyone's figures differs from day to day); 1 measures the next day only.
# The day's buyers follow the last night's figures (each at the daily rate its churn probability gives);
# BENCH_DAY_BUYERS=uniform picks every customer alike, as issue 23's fifth round did.
# The cycle prints the WAL written by the first and the next-day recompute (pg_current_wal_insert_lsn difference: the
# whole cluster's, so other databases' work at the same time is in it; it names them). For figures of the bench
# alone, give it a cluster of its own (scripts/lib.sh starts it): OR_PGDATA=/tmp/or_bench_pg OR_PGPORT=54339.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_check_odoo
or_pg_up
DB="${BENCH_DB:-or_bench}"
bench_fanout() {
  "$PY" "$OR_ROOT/scripts/bench_fanout.py" --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" --db_host="$PGHOST" --db_port="$PGPORT" \
    --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "${DB}_fanout" --log-level=warn \
    --bench-customers "${BENCH_FANOUT_CUSTOMERS:-100000}" --bench-orders "${BENCH_ORDERS:-10}"
}
# 4. the retention-call queue on a generated base: the test class TestRetentionQueueVolume (tag order_retention_bench,
#    ~2 min, too long for make test): 20,000 customers of 3 salespeople, six nights of the real cycle without a call;
#    prints its per-salesperson figures. BENCH_QUEUE_VOLUME=0 skips it, BENCH_QUEUE_VOLUME=only runs only it.
bench_queue_volume() {
  local log="${BENCH_QUEUE_VOLUME_LOG:-/tmp/order_retention_bench_queue_volume.log}"
  TEST_TAGS="order_retention_bench/order_retention" OR_LOG="$log" bash "$OR_ROOT/scripts/run_tests.sh"
  grep -oE "test_retention_queue_volume: volume.*" "$log" | sed 's/^test_retention_queue_volume: /  /'
}
# 5. the retention-call queue on a real purchase history (scripts/bench_queue.py): the public CDNOW history (23,570
#    customers, from the lifetimes wheel), 3 salespeople, BENCH_QUEUE_NIGHTS (7) nights without a call made: calls
#    created, waiting, stopped, messages, recompute and follow-up phase per night, open/waiting per salesperson.
#    BENCH_QUEUE=0 skips it, BENCH_QUEUE=only runs only it.
bench_queue_real() {
  local qdb="${DB}_queue"
  dropdb --if-exists "$qdb"
  echo "Creating $qdb (order_retention without demo data)..."
  or_odoo -d "$qdb" -i order_retention --without-demo=all --stop-after-init --no-http --max-cron-threads=0 \
    --log-level=warn >/dev/null
  "$PY" "$OR_ROOT/scripts/bench_queue.py" --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" --db_host="$PGHOST" \
    --db_port="$PGPORT" --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$qdb" --log-level=warn \
    --nights "${BENCH_QUEUE_NIGHTS:-7}" 2>&1 | grep -v "WARNING: Location"
  dropdb --if-exists "$qdb"
}
if [ "${BENCH_QUEUE:-1}" = only ]; then
  bench_queue_real
  exit 0
fi
if [ "${BENCH_QUEUE_VOLUME:-1}" = only ]; then
  bench_queue_volume
  exit 0
fi
if [ "${BENCH_FANOUT:-1}" = only ]; then
  bench_fanout
  exit 0
fi
echo "load at start: $(uptime)"
trap 'echo "load at end: $(uptime)"' EXIT
if [ "${BENCH_ENGINE:-1}" != 0 ]; then
  "$PY" "$OR_ROOT/scripts/benchmark.py" --section engine --customers "${BENCH_CUSTOMERS:-100000}" --orders "${BENCH_ORDERS:-10}"
fi
if [ "${KEEP_DB:-0}" = 1 ] && psql -d "$DB" -qtAc "SELECT 1" >/dev/null 2>&1; then
  # a database kept by an earlier KEEP_DB=1 run: update the module, reuse its customers and orders
  echo "Reusing $DB (KEEP_DB=1); updating order_retention..."
  or_odoo -d "$DB" -u order_retention --stop-after-init --no-http --max-cron-threads=0 --log-level=warn
else
  dropdb --if-exists "$DB"
  echo "Creating $DB (order_retention without demo data)..."
  or_odoo -d "$DB" -i order_retention --without-demo=all --stop-after-init --no-http --max-cron-threads=0 --log-level=warn
fi
bench_cycle() {
  "$PY" "$OR_ROOT/scripts/bench_cycle.py" --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" --db_host="$PGHOST" --db_port="$PGPORT" \
    --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$DB" --log-level=warn \
    --bench-customers "${BENCH_CUSTOMERS:-100000}" --bench-orders "${BENCH_ORDERS:-10}" "$@"
}
# the load runs in a process of its own: the peak memory printed below is the cycle's, not the loader's
bench_cycle --load-only
bench_cycle
[ "${KEEP_DB:-0}" = 1 ] || dropdb --if-exists "$DB"
[ "${BENCH_FANOUT:-1}" = 0 ] || bench_fanout
[ "${BENCH_QUEUE_VOLUME:-1}" = 0 ] || bench_queue_volume
[ "${BENCH_QUEUE:-1}" = 0 ] || bench_queue_real
