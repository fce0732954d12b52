#!/usr/bin/env bash
# Upgrade check: a database of the previous release upgrades to this code with `-u order_retention`.
#   1. installs the previous release (UPGRADE_FROM, default d310f56 = 18.0.1.2.0, taken from this repository's
#      git history) with its bridges and demo data (the demo runs the retention cycle) in a fresh database
#      $UPGRADE_DB (default or_upgrade_test), cloned from $UPGRADE_TEMPLATE (default: scripts/run_tests.sh's
#      cached template database when it exists, Odoo and the apps this repository depends on with demo data;
#      `-` installs everything from an empty database, a minute longer);
#   2. scripts/check_upgrade.py before: checks the demo ran the cycle, seeds values the demo leaves empty (a
#      second company, the queue's flags, a last outcome, the columns older databases still carry) and snapshots
#      every old retention column of every customer;
#   3. upgrades with this repository's code: `-u order_retention` (and its installed bridges), which must exit 0
#      with no ERROR/CRITICAL/Traceback in its log;
#   4. scripts/check_upgrade.py after: the figures moved to retention_customer column by column, the old columns
#      of res_partner dropped, the companies of the history and model runs, reads, views, then a nightly cycle.
# Prints one line per check and a summary; exits non-zero on any failure. Drops its database unless KEEP_DB=1.
# Logs in $UPGRADE_LOG_DIR (default /tmp/order_retention_upgrade_$$).
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_check_odoo
or_pg_up
DB="${UPGRADE_DB:-or_upgrade_test}"
FROM="${UPGRADE_FROM:-d310f56}"
LOGS="${UPGRADE_LOG_DIR:-/tmp/order_retention_upgrade_$$}"
FILESTORE="${HOME}/.local/share/Odoo/filestore"
PREV="$(mktemp -d /tmp/order_retention_prev.XXXXXX)"
START=$SECONDS
mkdir -p "$LOGS"

cleanup() {
  rm -rf "$PREV"
  if [ "${KEEP_DB:-0}" != 1 ]; then dropdb --if-exists "$DB" >/dev/null 2>&1; rm -rf "${FILESTORE:?}/$DB"
  else echo "kept the database $DB (KEEP_DB=1)"; fi
}
trap cleanup EXIT
fail() { echo "upgrade check FAILED: $*"; echo "upgrade check: FAILED after $((SECONDS - START)) s (logs: $LOGS)"; exit 1; }
odoo_at() {  # odoo_at ROOT ARGS...: Odoo with the addons of ROOT (a checkout of this repository)
  local root="$1"; shift
  "$PY" -m odoo --addons-path="$OR_ODOO_ADDONS,$root" --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" \
    --db_password="${PGPASSWORD:-}" -d "$DB" "$@"
}
log_errors() { grep -E " (ERROR|CRITICAL) |^Traceback" "$1"; }

# 1. the previous release, with its demo data
git -C "$OR_ROOT" rev-parse --verify -q "$FROM^{commit}" >/dev/null \
  || fail "the previous release $FROM is not in the git history of $OR_ROOT (a shallow clone? git fetch --unshallow)"
git -C "$OR_ROOT" archive "$FROM" | tar -x -C "$PREV" || fail "could not extract $FROM"
prev_version="$(grep -oE '"version": "[^"]+"' "$PREV/order_retention/__manifest__.py" | cut -d'"' -f4)"
new_version="$(grep -oE '"version": "[^"]+"' "$OR_ROOT/order_retention/__manifest__.py" | cut -d'"' -f4)"
read -r PREV_ADDONS _deps < <("$PY" "$OR_ROOT/scripts/addons_to_install.py" "$PREV" "$OR_ODOO_ADDONS" 0 2>/dev/null)
[ -n "${PREV_ADDONS:-}" ] || fail "could not read the previous release's manifests"
echo "Upgrade check: $FROM ($prev_version: $PREV_ADDONS) -> this code ($new_version), database $DB, logs in $LOGS"
dropdb --if-exists "$DB" >/dev/null 2>&1; rm -rf "${FILESTORE:?}/$DB"
if [ -z "${UPGRADE_TEMPLATE:-}" ]; then
  read -r _addons deps < <("$PY" "$OR_ROOT/scripts/addons_to_install.py" "$OR_ROOT" "$OR_ODOO_ADDONS" 0 2>/dev/null)
  UPGRADE_TEMPLATE="$(or_template_name "${deps:-}")"
  psql -d postgres -Atc "select 1 from pg_database where datname='$UPGRADE_TEMPLATE'" | grep -q 1 || UPGRADE_TEMPLATE=-
fi
if [ "$UPGRADE_TEMPLATE" != - ]; then
  createdb -T "$UPGRADE_TEMPLATE" "$DB" || fail "could not create $DB from the template $UPGRADE_TEMPLATE"
  [ -d "$FILESTORE/$UPGRADE_TEMPLATE" ] && cp -r "$FILESTORE/$UPGRADE_TEMPLATE" "$FILESTORE/$DB"
  # the template knows this code's addons (e.g. a bridge the previous release did not have): forget the ones not
  # installed, so that the previous release's addons path is the only one the install sees
  psql -q -d "$DB" -c "DELETE FROM ir_model_data WHERE model = 'ir.module.module' AND name LIKE 'module\_order\_retention%';
                        DELETE FROM ir_module_module WHERE name LIKE 'order\_retention%' AND state = 'uninstalled';" \
    || fail "could not clean the template's module list"
fi
odoo_at "$PREV" -i "$PREV_ADDONS" --stop-after-init --no-http --max-cron-threads=0 --log-level=warn \
  >"$LOGS/install.log" 2>&1 || { tail -30 "$LOGS/install.log"; fail "the previous release did not install"; }
if log_errors "$LOGS/install.log" >/dev/null; then
  log_errors "$LOGS/install.log" | head -20; fail "the previous release's install logged errors"
fi
echo "installed $prev_version with demo data in $((SECONDS - START)) s (template: $UPGRADE_TEMPLATE)"

# 2. seed and snapshot, with the previous code
SNAPSHOT="$LOGS/snapshot.json"
odoo_opts=(--db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$DB"
  --log-level=warn --max-cron-threads=0)
"$PY" "$OR_ROOT/scripts/check_upgrade.py" before "$SNAPSHOT" --addons-path="$OR_ODOO_ADDONS,$PREV" "${odoo_opts[@]}" \
  2>"$LOGS/before.log" || { tail -30 "$LOGS/before.log"; fail "the checks before the upgrade failed"; }
if log_errors "$LOGS/before.log" >/dev/null; then log_errors "$LOGS/before.log" | head -20; fail "errors before the upgrade"; fi

# 3. the upgrade, with this code
t_upgrade=$SECONDS
upgrade="${PREV_ADDONS}"
odoo_at "$OR_ROOT" -u "$upgrade" --stop-after-init --no-http --max-cron-threads=0 --log-level=info \
  >"$LOGS/upgrade.log" 2>&1 || { tail -40 "$LOGS/upgrade.log"; fail "-u $upgrade exited with an error"; }
if log_errors "$LOGS/upgrade.log" >/dev/null; then
  log_errors "$LOGS/upgrade.log" | head -20; fail "the upgrade logged errors (see $LOGS/upgrade.log)"
fi
grep -E "Running migration|post-migrate: |pre-migrate: " "$LOGS/upgrade.log" | sed -E 's/^[0-9-]+ [0-9:,]+ [0-9]+ //'
echo "check upgrade -u $upgrade: ok (exit 0, no error logged, $((SECONDS - t_upgrade)) s;" \
  "$(grep -c ' WARNING ' "$LOGS/upgrade.log") warnings in $LOGS/upgrade.log)"

# 4. the upgraded database, with this code
"$PY" "$OR_ROOT/scripts/check_upgrade.py" after "$SNAPSHOT" --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" "${odoo_opts[@]}" \
  2>"$LOGS/after.log" || { tail -30 "$LOGS/after.log"; fail "checks after the upgrade failed (see above)"; }
if log_errors "$LOGS/after.log" >/dev/null; then log_errors "$LOGS/after.log" | head -20; fail "errors after the upgrade"; fi
echo "upgrade check: ok in $((SECONDS - START)) s"
