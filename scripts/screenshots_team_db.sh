#!/usr/bin/env bash
# A copy of the demo database with the demo team loaded (two more salespeople with a retention-call capacity of 6,
# 120 more customers with three years of orders; retention.cycle._retention_demo_team), for the screenshots of the
# retention-call queue:
#   make demo (once, OR_NO_SERVE=1 is enough), then scripts/screenshots_team_db.sh, then serve it and run
#   python3 scripts/screenshots.py --team --db order_retention_team --url http://localhost:8069
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_check_odoo
or_pg_up
SRC="${OR_DEMO_DB:-order_retention_demo}"
DB="${OR_TEAM_DB:-order_retention_team}"
psql -d postgres -Atc "select 1 from pg_database where datname='$SRC'" | grep -q 1 || or_die "no demo database $SRC: run make demo first"
dropdb --if-exists "$DB"
createdb -T "$SRC" "$DB"
FILESTORE="${HOME}/.local/share/Odoo/filestore"
[ -d "$FILESTORE/$SRC" ] && { rm -rf "${FILESTORE:?}/$DB"; cp -r "$FILESTORE/$SRC" "$FILESTORE/$DB"; }
echo 'env["retention.cycle"].sudo()._retention_demo_team(); env.cr.commit()' \
  | "$PY" -m odoo shell --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" --db_host="$PGHOST" --db_port="$PGPORT" \
      --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$DB" --no-http --log-level=warn >/dev/null
echo "Database $DB ready (logins sofia/sofia and tom/tom: salespeople with full queues; admin/admin)."
