#!/usr/bin/env bash
# Run every test of order_retention and its bridges against a real Odoo 18.0 and PostgreSQL:
#   pure-engine tests (BaseCase), ORM tests (TransactionCase / Form) and browser tours (HttpCase, chromium).
# A fresh database is cloned from a cached template that already holds the dependencies (sale_management,
# and mass_mailing / spreadsheet_dashboard for the bridges, + demo data); order_retention and every bridge
# addon of this repository whose dependencies are in Odoo's addons or installed as odoo-addon wheels
# (order_retention_mass_mailing, order_retention_spreadsheet_dashboard, order_retention_queue_job with OCA
# queue_job) are installed into it with --test-enable, and the log is parsed.
# A full run (no TEST_TAGS) also runs two repository checks, each counted as one test:
#   - wheel: scripts/check_wheel.sh (the odoo-addon wheels build and Odoo finds them in a --target folder),
#   - pot:   the committed order_retention/i18n/order_retention.pot equals a fresh export (scripts/i18n_pot.sh).
# Ends with the line "N passed, N failed"; exits non-zero on any failure or error,
# when no test ran, or when a test was skipped (a skipped browser tour is a failure).
#
# Options (environment): TEST_TAGS (default: every addon, /order_retention,/order_retention_...),
# KEEP_DB=1 keeps the test database, OR_LOG (default /tmp/order_retention_tests.log),
# OR_NO_BRIDGES=1 installs order_retention alone.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_setup
or_check_odoo
or_pg_up
command -v chromium >/dev/null || or_die "chromium is missing: the browser tours need Debian's chromium (apt-get install chromium)"
"$PY" -c 'import websocket' 2>/dev/null || or_die "websocket-client is missing: Odoo would skip every browser tour ($PY -m pip install -r requirements.txt)"

# the addons to install: order_retention, then each bridge whose other dependencies Odoo has
read -r ADDONS DEPS < <("$PY" - "$OR_ROOT" "$OR_ODOO_ADDONS" "${OR_NO_BRIDGES:-0}" <<'PYEOF'
import ast, importlib.util, os, sys
root, odoo_addons, no_bridges = sys.argv[1:]


def available(addon):
    """In Odoo's addons folder, or installed as an odoo-addon-* wheel (e.g. OCA queue_job)."""
    if os.path.isfile(os.path.join(odoo_addons, addon, "__manifest__.py")):
        return True
    try:
        spec = importlib.util.find_spec("odoo.addons." + addon)
    except ImportError:
        return False
    return bool(spec and spec.submodule_search_locations and any(
        os.path.isfile(os.path.join(p, "__manifest__.py")) for p in spec.submodule_search_locations))


ours = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "__manifest__.py")))
manifest = {d: ast.literal_eval(open(os.path.join(root, d, "__manifest__.py")).read()) for d in ours}
addons, deps = ["order_retention"], list(manifest["order_retention"]["depends"])
for addon in ours:
    if addon == "order_retention" or no_bridges == "1" or not manifest[addon].get("installable", True):
        continue
    extra = [d for d in manifest[addon]["depends"] if d not in ours]
    if all(available(d) for d in extra):
        addons.append(addon)
        deps += [d for d in extra if d not in deps]
print(",".join(addons), ",".join(deps))
PYEOF
)
[ -n "${ADDONS:-}" ] || or_die "could not read the addons' manifests"
TAGS="${TEST_TAGS:-$(sed -E 's/(^|,)/\1\//g' <<<"$ADDONS")}"
LOG="${OR_LOG:-/tmp/order_retention_tests_$$.log}"
TPL="or_tpl_$(sha1sum <<<"$OR_ODOO_ADDONS $DEPS" | cut -c1-10)"
DB="or_test_$$_$(date +%s)"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. the template database: Odoo + the modules order_retention depends on, with demo data (built once, then cached)
exec 9>"/tmp/${TPL}.lock"; flock 9
if ! psql -d postgres -Atc "select 1 from pg_database where datname='$TPL'" | grep -q 1; then
  deps="$DEPS"
  echo "Building template database $TPL with: $deps (once, ~1 min)"
  dropdb --if-exists "${TPL}_tmp" 2>/dev/null
  or_odoo -d "${TPL}_tmp" -i "$deps" --stop-after-init --no-http --log-level=warn --max-cron-threads=0 >"$LOG.tpl" 2>&1 \
    || { tail -40 "$LOG.tpl"; or_die "could not build the template database"; }
  psql -d postgres -qc "alter database \"${TPL}_tmp\" rename to \"$TPL\"" || or_die "could not rename template"
  rm -rf "${HOME}/.local/share/Odoo/filestore/$TPL"
  [ -d "${HOME}/.local/share/Odoo/filestore/${TPL}_tmp" ] && mv "${HOME}/.local/share/Odoo/filestore/${TPL}_tmp" "${HOME}/.local/share/Odoo/filestore/$TPL"
fi
flock -u 9
createdb -T "$TPL" "$DB" || or_die "could not create the test database $DB"
FILESTORE="${HOME}/.local/share/Odoo/filestore"
[ -d "$FILESTORE/$TPL" ] && cp -r "$FILESTORE/$TPL" "$FILESTORE/$DB"   # attachments of the template (asset bundles)

# 2. install order_retention (+ bridges) and run their tests
echo "Installing $ADDONS; running tests (tags $TAGS) in database $DB; full log: $LOG"
or_odoo -d "$DB" -i "$ADDONS" --test-enable --test-tags="$TAGS" --stop-after-init \
  --http-port="$(free_port)" --gevent-port="$(free_port)" --max-cron-threads=0 --log-level=test >"$LOG" 2>&1
rc=$?

# 3. repository checks of a full run, each counted as one test
extra_passed=0; extra_failed=0
if [ -z "${TEST_TAGS:-}" ] && [ "$rc" -eq 0 ]; then
  if bash "$OR_ROOT/scripts/check_wheel.sh" >"$LOG.wheel" 2>&1; then extra_passed=$((extra_passed + 1)); echo "check wheel: ok"
  else extra_failed=$((extra_failed + 1)); cat "$LOG.wheel"; echo "check wheel: FAILED"; fi
  if OR_POT_DB="$DB" bash "$OR_ROOT/scripts/i18n_pot.sh" --check >"$LOG.pot" 2>&1; then extra_passed=$((extra_passed + 1)); echo "check pot: ok"
  else extra_failed=$((extra_failed + 1)); tail -30 "$LOG.pot"; echo "check pot: FAILED"; fi
fi
# 3b. concurrent PBX pushes against a real server on the test database (full runs only): the test
#    cursor serialises requests, a real server does not
stress_ran=0; stress_ok=1
if [ -z "${TEST_TAGS:-}" ] && [ "$rc" -eq 0 ]; then
  stress_ran=1
  token="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')"
  hash="$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
  psql -d "$DB" -qc "UPDATE res_company SET retention_pbx_token_hash='$hash' WHERE id=(SELECT min(id) FROM res_company WHERE active)"
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
fi
[ "${KEEP_DB:-0}" = 1 ] || { dropdb --if-exists "$DB" >/dev/null 2>&1; rm -rf "${FILESTORE:?}/$DB"; }

# 4. report
grep -E "ERROR|FAIL:|Traceback|skipped " "$LOG" | grep -v "Traceback (most recent call last)" | head -60
summary="$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading' "$LOG" | tail -1)"
failed=$(sed -E 's/^([0-9]+) failed.*/\1/' <<<"$summary"); errors=$(sed -E 's/.*failed, ([0-9]+) error.*/\1/' <<<"$summary")
total=$(sed -E 's/.* of ([0-9]+) tests.*/\1/' <<<"$summary")
skipped=$(grep -cE ": skipped .* : " "$LOG")
if [ -z "$summary" ]; then
  tail -40 "$LOG"
  echo "Odoo did not report a test summary (install failed?)"
  echo "0 passed, 1 failed"; exit 1
fi
bad=$((failed + errors))
echo "Odoo: $summary database; skipped: $skipped; exit code: $rc; repository checks: $extra_passed ok, $extra_failed failed"
if [ "$stress_ran" = 1 ]; then
  echo "Intake stress test (8 concurrent pushes, real server): $([ "$stress_ok" = 1 ] && echo passed || echo FAILED)"
  if [ "$stress_ok" = 1 ]; then extra_passed=$((extra_passed + 1)); else extra_failed=$((extra_failed + 1)); fi
fi
echo "$((total - bad - skipped + extra_passed)) passed, $((bad + skipped + extra_failed)) failed"
[ "$total" -gt 0 ] || { echo "no test ran" >&2; exit 1; }
if grep -q "demo data failed to install" "$LOG"; then
  echo "order_retention's demo data failed to install (see $LOG): treated as a failure" >&2; exit 1
fi
[ "$skipped" -eq 0 ] || { echo "$skipped test(s) were skipped: treated as failures" >&2; exit 1; }
[ "$bad" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$extra_failed" -eq 0 ] || exit 1
