#!/usr/bin/env bash
# Run order_retention's date-sensitive suites with the clock frozen at several instants of one day and the
# users in several timezones (issue 19: tests must not depend on the clock or the timezone).
#
# order_retention is installed once (with --test-enable) into a database cloned from run_tests.sh's cached
# template; then, for each instant x timezone, a copy of that database runs the suites' post_install tests
# without reinstalling, with OR_TEST_NOW=<instant> OR_TEST_TZ=<tz> (order_retention/tests/common.py freezes
# the clock of every test class there, record create dates included, and puts the users in that timezone).
# Prints a table instant x timezone -> passed/failed (+ the failing tests) and exits non-zero when a cell failed.
#
# Options (environment):
#   OR_MATRIX_DAY    the day of the instants (default: today, UTC), YYYY-MM-DD
#   OR_MATRIX_TIMES  UTC times of that day (default: "00:30 09:59 10:01 12:00 23:30")
#   OR_MATRIX_TZS    timezones (default: "Pacific/Kiritimati Pacific/Pago_Pago", UTC+14 and UTC-11); "-" leaves
#                    the users' own (a CI run at that hour: test users without one, i.e. UTC, OdooBot in Brussels)
#   OR_MATRIX_TAGS   Odoo --test-tags (default: every test class of the suites below)
#   OR_MATRIX_LOGS   folder of the logs (default: /tmp/order_retention_clock_matrix_<pid>)
#   KEEP_DB=1        keep the databases
# Suites: attacks, hardening, cycle, outcome, call endpoint, fuzz, and the retention-call queue with its attacks
# (test_retention_*.py); OR_MATRIX_SUITES="test_retention_cycle ..." picks others.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_setup
or_check_odoo
or_pg_up

DAY="${OR_MATRIX_DAY:-$(date -u +%F)}"
read -r -a TIMES <<<"${OR_MATRIX_TIMES:-00:30 09:59 10:01 12:00 23:30}"
read -r -a TZS <<<"${OR_MATRIX_TZS:-Pacific/Kiritimati Pacific/Pago_Pago}"
LOGS="${OR_MATRIX_LOGS:-/tmp/order_retention_clock_matrix_$$}"
mkdir -p "$LOGS" || or_die "cannot create $LOGS"
for tz in "${TZS[@]}"; do
  [ "$tz" = - ] || "$PY" -c 'import sys, zoneinfo; zoneinfo.ZoneInfo(sys.argv[1])' "$tz" 2>/dev/null \
    || or_die "unknown timezone $tz"
done
date -u -d "$DAY" +%F >/dev/null 2>&1 || or_die "OR_MATRIX_DAY=$DAY is not a date"

# the suites' test classes (those Odoo runs: tagged, with test methods, named Test*)
TESTS="$OR_ROOT/order_retention/tests"
DEFAULT_SUITES="test_retention_attacks test_retention_hardening test_retention_cycle test_retention_outcome"
DEFAULT_SUITES+=" test_retention_call_endpoint test_retention_fuzz test_retention_queue test_retention_queue_attacks"
read -r -a SUITES <<<"${OR_MATRIX_SUITES:-$DEFAULT_SUITES}"
if [ -n "${OR_MATRIX_TAGS:-}" ]; then
  TAGS="$OR_MATRIX_TAGS"
else
  for s in "${SUITES[@]}"; do [ -f "$TESTS/$s.py" ] || or_die "suite $TESTS/$s.py is missing"; done
  TAGS="$(for s in "${SUITES[@]}"; do
    sed -nE 's/^class (Test[A-Za-z0-9_]+)\(.*/\/order_retention:\1/p' "$TESTS/$s.py"
  done | sort -u | paste -sd, -)"
fi
[ -n "$TAGS" ] || or_die "no test class found in the suites"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
FILESTORE="${HOME}/.local/share/Odoo/filestore"
DBS=()
cleanup() {
  [ "${KEEP_DB:-0}" = 1 ] && return
  local db
  for db in "${DBS[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1; rm -rf "${FILESTORE:?}/$db"; done
}
trap cleanup EXIT
clone_db() { # clone_db SRC DEST: a database and its filestore
  createdb -T "$1" "$2" || return 1
  DBS+=("$2")
  if [ -d "$FILESTORE/$1" ]; then cp -r "$FILESTORE/$1" "$FILESTORE/$2"; fi
}

# 1. the template of run_tests.sh (order_retention's dependencies + demo data), built once and cached
DEPS="$("$PY" -c 'import ast, sys; print(",".join(ast.literal_eval(open(sys.argv[1]).read())["depends"]))' \
  "$OR_ROOT/order_retention/__manifest__.py")" || or_die "cannot read order_retention's manifest"
TPL="or_tpl_$(sha1sum <<<"$OR_ODOO_ADDONS $DEPS" | cut -c1-10)"
exec 9>"/tmp/${TPL}.lock"; flock 9
if ! psql -d postgres -Atc "select 1 from pg_database where datname='$TPL'" | grep -q 1; then
  echo "Building template database $TPL with: $DEPS (once, ~1 min)"
  dropdb --if-exists "${TPL}_tmp" 2>/dev/null
  or_odoo -d "${TPL}_tmp" -i "$DEPS" --stop-after-init --no-http --log-level=warn --max-cron-threads=0 \
    >"$LOGS/template.log" 2>&1 || { tail -40 "$LOGS/template.log"; or_die "could not build the template database"; }
  psql -d postgres -qc "alter database \"${TPL}_tmp\" rename to \"$TPL\"" || or_die "could not rename the template"
  rm -rf "${FILESTORE:?}/$TPL"
  if [ -d "$FILESTORE/${TPL}_tmp" ]; then mv "$FILESTORE/${TPL}_tmp" "$FILESTORE/$TPL"; fi
fi
# 2. order_retention installed once (test mode, no test run), cloned for each cell
BASE="or_clock_$$_$(date +%s)"
clone_db "$TPL" "$BASE" || or_die "could not create the database $BASE"
flock -u 9
echo "Installing order_retention into $BASE; logs in $LOGS"
or_odoo -d "$BASE" -i order_retention --test-enable --test-tags=/order_retention:NoTestAtInstall --stop-after-init \
  --no-http --max-cron-threads=0 --log-level=warn >"$LOGS/install.log" 2>&1 \
  || { tail -40 "$LOGS/install.log"; or_die "order_retention did not install (see $LOGS/install.log)"; }

# 3. each instant x timezone: the suites' post_install tests, without reinstalling
declare -A CELL DETAIL
bad_cells=0
for hm in "${TIMES[@]}"; do
  for tz in "${TZS[@]}"; do
    instant="${DAY}T${hm}:00"
    log="$LOGS/${hm/:/}_${tz//\//_}.log"
    db="${BASE}_cell"
    clone_db "$BASE" "$db" || or_die "could not clone $BASE"
    start=$SECONDS
    OR_TEST_NOW="$instant" OR_TEST_TZ="${tz#-}" or_odoo -d "$db" --test-enable --test-tags="$TAGS" --stop-after-init \
      --http-port="$(free_port)" --gevent-port="$(free_port)" --max-cron-threads=0 --log-level=test >"$log" 2>&1
    rc=$?
    dropdb --if-exists "$db" >/dev/null 2>&1; rm -rf "${FILESTORE:?}/$db"
    summary="$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -1)"
    # "<date> <time> <pid> ERROR <db> <logger>: FAIL: [Subtest ]Class.test (params)" (or ERROR: ...)
    names="$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ [A-Z]+ [^ ]+ [^ ]+: (FAIL|ERROR): ' "$log" \
      | sed -E 's/^[0-9-]+ [0-9:,]+ [0-9]+ [A-Z]+ [^ ]+ [^ ]+: (FAIL|ERROR): (Subtest )?//; s/ +$//' | sort -u)"
    # every test class logs the clock it ran at (tests/common.py): none means the cell tested nothing
    users_tz="${tz#-}"
    clocked="$(grep -c "order_retention test clock: .* at ${DAY} ${hm}:00 UTC, users in ${users_tz:-None} *$" "$log")"
    if [ -z "$summary" ]; then
      CELL["$hm|$tz"]="NO RESULT (exit $rc)"; DETAIL["$hm|$tz"]="$(tail -5 "$log")"; bad_cells=$((bad_cells + 1))
    else
      read -r failed errors total < <(sed -E 's/^([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/' <<<"$summary")
      # Odoo counts each failing subtest; a test with failing subtests is one failed test
      bad=$(sed -E 's/ \(.*//' <<<"$names" | sort -u | grep -c .)
      if [ $((failed + errors)) -gt 0 ] && [ "$bad" -eq 0 ]; then bad=$((failed + errors)); fi
      if [ "$bad" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$total" -eq 0 ] || [ "$clocked" -eq 0 ]; then
        bad_cells=$((bad_cells + 1))
      fi
      CELL["$hm|$tz"]="$((total - bad)) passed, $bad failed$([ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && echo " (exit $rc)")"
      [ "$clocked" -gt 0 ] || CELL["$hm|$tz"]+=" (clock NOT applied)"
      DETAIL["$hm|$tz"]="$names"
    fi
    printf '%s %-20s %-26s %s  (%ss, %s)\n' "$DAY" "${hm} UTC" "$tz" "${CELL["$hm|$tz"]}" "$((SECONDS - start))" "$log"
  done
done

# 4. the table: instant x timezone
echo
header="$(printf '%-22s' "instant (UTC)")"
for tz in "${TZS[@]}"; do header+="$(printf ' | %-26s' "$tz")"; done
echo "$header"
sed 's/./-/g' <<<"$header"
for hm in "${TIMES[@]}"; do
  row="$(printf '%-22s' "$DAY $hm")"
  for tz in "${TZS[@]}"; do row+="$(printf ' | %-26s' "${CELL["$hm|$tz"]}")"; done
  echo "$row"
done
for hm in "${TIMES[@]}"; do
  for tz in "${TZS[@]}"; do
    [ -n "${DETAIL["$hm|$tz"]}" ] || continue
    echo
    echo "$DAY $hm UTC, $tz:"
    sed 's/^/  /' <<<"${DETAIL["$hm|$tz"]}"
  done
done
echo
echo "suites: ${TAGS//\/order_retention:/}"
if [ "$bad_cells" -gt 0 ]; then
  echo "$bad_cells of $(( ${#TIMES[@]} * ${#TZS[@]} )) cells failed"
  exit 1
fi
echo "every cell passed"
