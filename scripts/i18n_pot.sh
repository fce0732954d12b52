#!/usr/bin/env bash
# Export order_retention's translation template with Odoo itself (odoo --i18n-export) into
# order_retention/i18n/order_retention.pot  (make pot), or, with --check, fail when the committed
# file differs from a fresh export (make check-pot; the dates of the header are ignored).
# OR_POT_DB=<database> exports from that database (order_retention installed), else a throwaway
# database is created with the module (without demo data) and dropped afterwards.
# OR_POT_MODULE (default order_retention) exports another addon of the repository.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_check_odoo
or_pg_up
MODULE="${OR_POT_MODULE:-order_retention}"
POT="$OR_ROOT/$MODULE/i18n/$MODULE.pot"
TMP="$(mktemp -d)"
DB="${OR_POT_DB:-}"
cleanup() {
  rm -rf "$TMP"
  [ -n "${OR_POT_DB:-}" ] || dropdb --if-exists "or_pot_$$" >/dev/null 2>&1 || true
}
trap cleanup EXIT
if [ -z "$DB" ]; then
  DB="or_pot_$$"
  echo "Creating the throwaway database $DB with $MODULE (about a minute)..."
  or_odoo -d "$DB" -i "$MODULE" --without-demo=all --stop-after-init --no-http --max-cron-threads=0 \
    --log-level=warn >"$TMP/install.log" 2>&1 || { tail -30 "$TMP/install.log"; or_die "installing $MODULE failed"; }
fi
or_odoo -d "$DB" --i18n-export="$TMP/$MODULE.pot" --modules="$MODULE" --stop-after-init --no-http \
  --max-cron-threads=0 --log-level=warn >"$TMP/export.log" 2>&1 \
  || { tail -30 "$TMP/export.log"; or_die "odoo --i18n-export failed"; }
[ -s "$TMP/$MODULE.pot" ] || or_die "odoo --i18n-export wrote nothing"
strip_dates() { grep -vE '^"(POT-Creation-Date|PO-Revision-Date): ' "$1"; }
if [ "${1:-}" = --check ]; then
  [ -f "$POT" ] || or_die "$POT is missing: run make pot and commit it"
  if ! diff -u <(strip_dates "$POT") <(strip_dates "$TMP/$MODULE.pot") >"$TMP/diff"; then
    head -60 "$TMP/diff"
    echo "$POT is stale ($(grep -c '^[-+]msgid' "$TMP/diff" || true) msgid line(s) differ): run make pot and commit it" >&2
    exit 1
  fi
  echo "$POT is up to date ($(grep -c '^msgid "' "$POT") msgids)"
else
  mkdir -p "$(dirname "$POT")"
  cp "$TMP/$MODULE.pot" "$POT"
  echo "wrote $POT ($(grep -c '^msgid "' "$POT") msgids)"
fi
