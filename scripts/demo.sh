#!/usr/bin/env bash
# Start order_retention with demo data on an embedded default database:
#   1. a PostgreSQL server (PGHOST/PGPORT/PGUSER/PGPASSWORD when given, else a throwaway cluster
#      in $OR_PGDATA started as the postgres user),
#   2. the database $OR_DEMO_DB (default order_retention_demo) with the module and demo data
#      (created on the first run; later runs reuse it),
#   3. the retention cycle run once, and a one-screen summary (customers per status, alerts),
#   4. Odoo served on http://localhost:${OR_HTTP_PORT:-8069} (login admin / admin). Ctrl-C stops it.
# OR_NO_SERVE=1 stops after the summary.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_check_odoo
or_pg_up
DB="${OR_DEMO_DB:-order_retention_demo}"
PORT="${OR_HTTP_PORT:-8069}"
if ! psql -d postgres -Atc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
  echo "Creating database $DB with order_retention and demo data (about 1-2 minutes)..."
  or_odoo -d "$DB" -i order_retention --stop-after-init --no-http --max-cron-threads=0 --log-level=warn \
    || or_die "installing order_retention in $DB failed (see the log above)"
fi
"$PY" "$OR_ROOT/scripts/demo_summary.py" --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" \
  --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$DB"
[ "${OR_NO_SERVE:-0}" = 1 ] && exit 0
echo
echo "Odoo is starting on http://localhost:$PORT  (login: admin  password: admin)"
echo "Sales > Retention > Missing Orders.  Stop with Ctrl-C."
exec "$PY" -m odoo --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" --db_host="$PGHOST" --db_port="$PGPORT" \
  --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$DB" --db-filter="^$DB\$" \
  --http-interface=127.0.0.1 --http-port="$PORT" --log-level=warn
