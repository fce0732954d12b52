#!/usr/bin/env bash
# Run every test of order_retention and its bridges against a real Odoo 18.0 and PostgreSQL:
#   pure-engine tests (BaseCase), ORM tests (TransactionCase / Form) and browser tours (HttpCase, chromium).
# A fresh database is cloned from a cached template that already holds the dependencies (sale_management,
# and mass_mailing / spreadsheet_dashboard for the bridges, + demo data); order_retention and every bridge
# addon of this repository whose dependencies are in Odoo's addons or installed as odoo-addon wheels
# (order_retention_mass_mailing, order_retention_spreadsheet_dashboard, order_retention_queue_job with OCA
# queue_job, order_retention_voip_oca with OCA voip_oca) are installed into it with --test-enable, and the log is
# parsed. In a full run, a bridge left out because its app is missing counts as one failure (never a skip).
# A full run (no TEST_TAGS) also runs five repository checks, each counted as one test:
#   - wheel:  scripts/check_wheel.sh (the odoo-addon wheels build and Odoo finds them in a --target folder),
#   - pot:    the committed order_retention/i18n/order_retention.pot equals a fresh export (scripts/i18n_pot.sh),
#   - setup:  scripts/test_setup.sh (install_odoo.sh's clone path against a local git repository; a second
#             set-up run is a quick no-op),
#   - intake stress: concurrent PBX pushes against a real Odoo server on the test database,
#   - upgrade: scripts/test_upgrade.sh (the previous release installed with its demo data, then upgraded with this
#             code: the migration's figures moved, old columns dropped, a nightly cycle after it).
# They run whether Odoo's tests passed or not; a check that cannot run (e.g. order_retention did not install)
# is reported "not run: <why>" and counted as failed. A TEST_TAGS run says in one line that they did not run.
# Ends with the line "N passed, N failed"; exits non-zero on any failure or error,
# when no test ran, or when a test was skipped (a skipped browser tour is a failure).
#
# Options (environment): TEST_TAGS (default: every addon, /order_retention,/order_retention_...),
# KEEP_DB=1 keeps the test database, OR_LOG (default /tmp/order_retention_tests.log),
# OR_NO_BRIDGES=1 installs order_retention alone.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# before the tests, a missing piece stops the run: say what did not run, and count it as a failure
or_die() {
  echo "ERROR: $*" >&2
  echo "not run: Odoo's tests$([ -n "${TEST_TAGS:-}" ] || echo " and the repository checks (wheel, pot, setup, intake stress, upgrade)"): see the error above"
  echo "0 passed, 1 failed"
  exit 2
}
or_setup
or_check_odoo
or_pg_up
command -v chromium >/dev/null || or_die "chromium is missing: the browser tours need Debian's chromium (apt-get install chromium)"
"$PY" -c 'import websocket' 2>/dev/null || or_die "websocket-client is missing: Odoo would skip every browser tour ($PY -m pip install -r requirements.txt)"

# the addons to install: order_retention, then each bridge whose other dependencies Odoo has
# (a bridge left out because its app is missing is one failure each: install_odoo.sh installs every app a bridge
#  needs, so a missing one is a broken set-up, never a reason to skip that bridge's tests; OR_NO_BRIDGES=1 is the
#  explicit way to test order_retention alone)
LEFT_OUT="$(mktemp)"
read -r ADDONS DEPS < <("$PY" "$OR_ROOT/scripts/addons_to_install.py" "$OR_ROOT" "$OR_ODOO_ADDONS" "${OR_NO_BRIDGES:-0}" 2>"$LEFT_OUT")
[ -n "${ADDONS:-}" ] || or_die "could not read the addons' manifests"
mapfile -t LEFT_OUT_LINES < <(grep -v '^$' "$LEFT_OUT" || true)
rm -f "$LEFT_OUT"
for line in "${LEFT_OUT_LINES[@]}"; do echo "ERROR: bridge $line" >&2; done
TAGS="${TEST_TAGS:-$(sed -E 's/(^|,)/\1\//g' <<<"$ADDONS")}"
LOG="${OR_LOG:-/tmp/order_retention_tests_$$.log}"
TPL="$(or_template_name "$DEPS")"
DB="or_test_$$_$(date +%s)"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. the template database: Odoo + the modules order_retention depends on, with demo data (built once, then cached)
odoo_why=""   # why Odoo's tests could not run (empty: they ran)
FILESTORE="${HOME}/.local/share/Odoo/filestore"
exec 9>"/tmp/${TPL}.lock"; flock 9
if ! psql -d postgres -Atc "select 1 from pg_database where datname='$TPL'" | grep -q 1; then
  deps="$DEPS"
  echo "Building template database $TPL with: $deps (once, ~1 min)"
  dropdb --if-exists "${TPL}_tmp" 2>/dev/null
  if ! or_odoo -d "${TPL}_tmp" -i "$deps" --stop-after-init --no-http --log-level=warn --max-cron-threads=0 >"$LOG.tpl" 2>&1; then
    tail -40 "$LOG.tpl"; odoo_why="the template database $TPL could not be built (log: $LOG.tpl)"
  elif ! psql -d postgres -qc "alter database \"${TPL}_tmp\" rename to \"$TPL\""; then
    odoo_why="the template database ${TPL}_tmp could not be renamed to $TPL"
  else
    rm -rf "${FILESTORE:?}/$TPL"
    [ -d "$FILESTORE/${TPL}_tmp" ] && mv "$FILESTORE/${TPL}_tmp" "$FILESTORE/$TPL"
  fi
fi
flock -u 9
if [ -z "$odoo_why" ]; then
  if createdb -T "$TPL" "$DB"; then
    [ -d "$FILESTORE/$TPL" ] && cp -r "$FILESTORE/$TPL" "$FILESTORE/$DB"   # attachments of the template (asset bundles)
  else
    odoo_why="could not create the test database $DB from $TPL"
  fi
fi

# 2. install order_retention (+ bridges) and run their tests
rc=1
if [ -z "$odoo_why" ]; then
  echo "Installing $ADDONS; running tests (tags $TAGS) in database $DB; full log: $LOG"
  or_odoo -d "$DB" -i "$ADDONS" --test-enable --test-tags="$TAGS" --stop-after-init \
    --http-port="$(free_port)" --gevent-port="$(free_port)" --max-cron-threads=0 --log-level=test >"$LOG" 2>&1
  rc=$?
else
  echo "ERROR: Odoo's tests did not run: $odoo_why" >&2
  : >"$LOG"
fi
# order_retention installed in the test database (whatever its tests said): the checks that need it can run
installed=0
[ -z "$odoo_why" ] && [ "$(psql -d "$DB" -Atc "select state from ir_module_module where name='order_retention'" 2>/dev/null)" = installed ] \
  && installed=1
not_installed_why="${odoo_why:-order_retention did not install in $DB (see $LOG)}"

# 3. repository checks of a full run, each counted as one test; one that cannot run counts as failed
extra_passed=0; extra_failed=0
check_ok() { extra_passed=$((extra_passed + 1)); echo "check $1: ok"; }
check_failed() { extra_failed=$((extra_failed + 1)); echo "check $1: FAILED${2:+ ($2)}"; }
check_not_run() { extra_failed=$((extra_failed + 1)); echo "check $1: FAILED, not run: $2"; }
if [ -n "${TEST_TAGS:-}" ]; then
  echo "repository checks (wheel, pot, setup, intake stress, upgrade) not run: TEST_TAGS was given (a subset run)"
else
  if bash "$OR_ROOT/scripts/check_wheel.sh" >"$LOG.wheel" 2>&1; then check_ok wheel
  else tail -30 "$LOG.wheel"; check_failed wheel "log: $LOG.wheel"; fi

  if [ "$installed" = 1 ]; then
    if OR_POT_DB="$DB" bash "$OR_ROOT/scripts/i18n_pot.sh" --check >"$LOG.pot" 2>&1; then check_ok pot
    else tail -30 "$LOG.pot"; check_failed pot "log: $LOG.pot"; fi
  else
    check_not_run pot "$not_installed_why"
  fi

  if bash "$OR_ROOT/scripts/test_setup.sh" >"$LOG.setup" 2>&1; then check_ok setup
  else tail -30 "$LOG.setup"; check_failed setup "log: $LOG.setup"; fi

  # 3b. concurrent PBX pushes against a real server on the test database: the test cursor serialises
  #     requests, a real server does not
  if [ "$installed" = 1 ]; then
    stress_ok=1
    token="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')"
    hash="$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
    psql -d "$DB" -qc "UPDATE res_company SET retention_pbx_token_hash='$hash' WHERE id=(SELECT min(id) FROM res_company WHERE active)" \
      || stress_ok=0
    port="$(free_port)"
    or_odoo -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$port" --gevent-port="$(free_port)" \
      --max-cron-threads=0 --log-level=info >"$LOG.stress" 2>&1 &
    srv=$!
    "$PY" - "$port" <<'PYEOF' || stress_ok=0
import sys, time, urllib.request
for _ in range(120):
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/web/login" % sys.argv[1], timeout=5); sys.exit(0)
    except OSError:
        time.sleep(1)
sys.exit("the Odoo server for the intake stress test did not start")
PYEOF
    [ "$stress_ok" = 1 ] && { "$PY" "$OR_ROOT/scripts/intake_stress.py" --url "http://127.0.0.1:$port" --token="$token" \
      --threads 8 --rows 200 | tail -2 || stress_ok=0; }
    # $srv is the subshell running or_odoo: stop the Odoo server under it too (else it keeps the database open)
    kill $(pgrep -P "$srv") "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
    if grep -qE " (ERROR|CRITICAL) |Traceback" "$LOG.stress"; then
      echo "the server log of the intake stress test has errors:"; grep -E " (ERROR|CRITICAL) |Traceback" "$LOG.stress" | head -20
      stress_ok=0
    fi
    if [ "$stress_ok" = 1 ]; then check_ok "intake stress (8 concurrent pushes, real server)"
    else check_failed "intake stress (8 concurrent pushes, real server)" "log: $LOG.stress"; fi
  else
    check_not_run "intake stress" "$not_installed_why"
  fi

  # 3c. the previous release upgraded with this code (a database of its own, from the template when there is one)
  if UPGRADE_DB="${DB}_upgrade" UPGRADE_LOG_DIR="$LOG.upgrade.d" \
    UPGRADE_TEMPLATE="$(psql -d postgres -Atc "select datname from pg_database where datname='$TPL'" | grep . || echo -)" \
    bash "$OR_ROOT/scripts/test_upgrade.sh" >"$LOG.upgrade" 2>&1; then
    check_ok "upgrade ($(grep -oE '^upgrade [0-9.]+ -> [0-9.]+: [0-9]+ customers moved' "$LOG.upgrade" | cut -d' ' -f2-))"
  else
    tail -30 "$LOG.upgrade"; check_failed upgrade "log: $LOG.upgrade"
  fi
fi
[ "${KEEP_DB:-0}" = 1 ] || { dropdb --if-exists "$DB" >/dev/null 2>&1; rm -rf "${FILESTORE:?}/$DB"; }

# 4. report
grep -E "ERROR|FAIL:|Traceback|skipped " "$LOG" | grep -v "Traceback (most recent call last)" | head -60
summary="$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading' "$LOG" | tail -1)"
if [ -z "$summary" ]; then
  [ -n "$odoo_why" ] || { tail -40 "$LOG"; odoo_why="Odoo did not report a test summary (install failed? see $LOG)"; }
  echo "Odoo's tests: FAILED, not run: $odoo_why; repository checks: $extra_passed ok, $extra_failed failed"
  echo "$extra_passed passed, $((1 + extra_failed)) failed"; exit 1
fi
failed=$(sed -E 's/^([0-9]+) failed.*/\1/' <<<"$summary"); errors=$(sed -E 's/.*failed, ([0-9]+) error.*/\1/' <<<"$summary")
total=$(sed -E 's/.* of ([0-9]+) tests.*/\1/' <<<"$summary")
skipped=$(grep -cE ": skipped .* : " "$LOG")
bad=$((failed + errors))
checks="repository checks: $extra_passed ok, $extra_failed failed"; [ -z "${TEST_TAGS:-}" ] || checks="repository checks: not run"
# a full run: a bridge left out (its app missing) failed, its tests did not run
if [ -z "${TEST_TAGS:-}" ]; then
  for line in "${LEFT_OUT_LINES[@]}"; do echo "FAILED, not run: bridge $line"; extra_failed=$((extra_failed + 1)); done
fi
echo "Odoo: $summary database; skipped: $skipped; exit code: $rc; $checks"
# Odoo failing without a failed test (an error logged outside the tests) is one failure more
rc_failed=0
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then rc_failed=1; echo "Odoo exited with $rc though no test failed: counted as one failure (see $LOG)"; fi
echo "$((total - bad - skipped + extra_passed)) passed, $((bad + skipped + extra_failed + rc_failed)) failed"
[ "$total" -gt 0 ] || { echo "no test ran" >&2; exit 1; }
if grep -q "demo data failed to install" "$LOG"; then
  echo "order_retention's demo data failed to install (see $LOG): treated as a failure" >&2; exit 1
fi
[ "$skipped" -eq 0 ] || { echo "$skipped test(s) were skipped: treated as failures" >&2; exit 1; }
[ "$bad" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$extra_failed" -eq 0 ] || exit 1
