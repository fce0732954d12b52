#!/usr/bin/env bash
# Start order_retention with demo data on an embedded default database:
#   1. a PostgreSQL server (PGHOST/PGPORT/PGUSER/PGPASSWORD when given, else a throwaway cluster
#      in $OR_PGDATA started as the postgres user),
#   2. the database $OR_DEMO_DB (default order_retention_demo) with the module, every bridge whose app is
#      available (order_retention_mass_mailing with Email Marketing, order_retention_spreadsheet_dashboard with
#      Dashboards, order_retention_queue_job with OCA queue_job), those apps, and demo data (created on the first
#      run; later runs reuse it; a bridge whose app is missing is named and left out),
#   3. the retention cycle run once, and a one-screen summary (customers per status, alerts),
#   4. Odoo served on http://localhost:${OR_HTTP_PORT:-8069} (logins: admin / admin, the sales manager;
#      demo / demo, olga / olga and victor / victor, salespeople). Ctrl-C stops it.
# OR_DEMO_DB names the database (default order_retention_demo); OR_HTTP_PORT the port (default 8069);
# OR_HTTP_INTERFACE the address Odoo listens on (default 127.0.0.1: this machine only; 0.0.0.0 for every
# interface, e.g. to open it from another machine or a container's host); OR_NO_SERVE=1 stops after the summary.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_setup
or_check_odoo
or_pg_up
DB="${OR_DEMO_DB:-order_retention_demo}"
PORT="${OR_HTTP_PORT:-8069}"
INTERFACE="${OR_HTTP_INTERFACE:-127.0.0.1}"
if ! psql -d postgres -Atc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
  # order_retention and every bridge whose app Odoo has (the apps come along as their dependencies)
  read -r ADDONS DEPS < <("$PY" "$OR_ROOT/scripts/addons_to_install.py" "$OR_ROOT" "$OR_ODOO_ADDONS" 0)
  [ -n "${ADDONS:-}" ] || or_die "could not read the addons' manifests"
  echo "Creating database $DB with $ADDONS (and the apps $DEPS) and demo data (about 1-2 minutes)..."
  log="/tmp/order_retention_demo_install_$$.log"
  or_odoo -d "$DB" -i "$ADDONS" --stop-after-init --no-http --max-cron-threads=0 --log-level=warn >"$log" 2>&1 \
    || { tail -40 "$log"; or_die "installing $ADDONS in $DB failed (full log: $log)"; }
  echo "Installed (log: $log)."
fi
"$PY" "$OR_ROOT/scripts/demo_summary.py" --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" \
  --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$DB" \
  --log-level=error
[ "${OR_NO_SERVE:-0}" = 1 ] && exit 0
host="localhost"; [ "$INTERFACE" = 127.0.0.1 ] || host="$INTERFACE"
echo
echo "Odoo is starting on http://$host:$PORT  (listening on $INTERFACE; OR_HTTP_INTERFACE=0.0.0.0 to open it to other machines)"
echo "  sales manager:  login admin  password admin   -> Sales > Retention > Missing Orders"
echo "  salespeople:    login demo   password demo    -> Sales > Retention > My Retention Calls"
echo "                  login olga   password olga,  login victor  password victor (team Direct Sales)"
echo "Stop with Ctrl-C."
exec "$PY" -m odoo --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" --db_host="$PGHOST" --db_port="$PGPORT" \
  --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" -d "$DB" --db-filter="^$DB\$" \
  --http-interface="$INTERFACE" --http-port="$PORT" --log-level=warn
