# Shared shell helpers of order_retention's scripts (sourced, not run).
#   $PY               - the Python interpreter everything runs with (exported as PYTHON, so that every
#                       script and tool started from here uses the same one): $PYTHON when given, else
#                       `python3`, unless that is a distribution's externally-managed Python (Debian 12's
#                       /usr/bin/python3 refuses `pip install`, PEP 668): then a virtualenv of this project,
#                       $OR_CACHE_DIR/venv, that scripts/install_odoo.sh creates
#   or_setup          - set up whatever is missing (scripts/install_odoo.sh; a quick no-op when all is there)
#   or_check_odoo     - fail loudly unless Odoo 18.0 is importable by $PY
#   or_pg_up          - make a PostgreSQL server available and export PG* for Odoo:
#                       PGHOST/PGPORT/PGUSER/PGPASSWORD when given, else a throwaway cluster
#                       started as the `postgres` user under $OR_PGDATA (default /tmp/order_retention_pg)
#   or_odoo ARGS...   - run Odoo with this repository and Odoo's own addons on the addons path
#   or_template_name DEPS - the name of scripts/run_tests.sh's cached template database holding the apps DEPS
#                       (comma-separated, with demo data)
# shellcheck shell=bash
OR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OR_CACHE_DIR="${OR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order_retention}"
OR_PGDATA="${OR_PGDATA:-/tmp/order_retention_pg}"
OR_PGPORT_DEFAULT="${OR_PGPORT:-54329}"
OR_DB_ROLE="${OR_DB_ROLE:-order_retention}"

_or_default_python() {
  # python3 will do unless it is an externally-managed interpreter outside any virtualenv (PEP 668); its real
  # path, so that later calls skip wrappers such as pyenv's shims
  if python3 -c 'import os, sys, sysconfig
if sys.prefix == sys.base_prefix and os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")):
    sys.exit(1)
print(sys.executable)' 2>/dev/null; then
    :
  elif command -v python3 >/dev/null; then
    echo "$OR_CACHE_DIR/venv/bin/python"
  else
    echo python3   # no Python at all: scripts/install_odoo.sh installs Debian's (apt) and says so
  fi
}
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"; else PY="$(_or_default_python)"; _OR_PY_DEFAULT=1; fi
export PYTHON="$PY"

or_die() { echo "ERROR: $*" >&2; exit 2; }

# set up whatever is missing (apt packages, Odoo, Python requirements, queue_job, linters): a quick no-op
# when everything is there; see scripts/install_odoo.sh
or_setup() {
  if [ -n "${_OR_PY_DEFAULT:-}" ]; then
    # the default interpreter may change on a bare machine (Debian's python3 installed by the set-up)
    PYTHON="" bash "$OR_ROOT/scripts/install_odoo.sh" \
      || or_die "the set-up failed (see above); scripts/install_odoo.sh explains each step"
    PY="$(_or_default_python)"; export PYTHON="$PY"
  else
    bash "$OR_ROOT/scripts/install_odoo.sh" || or_die "the set-up failed (see above); scripts/install_odoo.sh explains each step"
  fi
}

or_check_odoo() {
  local out
  out="$("$PY" -c 'import os, odoo.release as r
assert r.version_info[:2] == (18, 0), "this is Odoo " + r.version
print(os.path.join(os.path.dirname(os.path.dirname(r.__file__)), "addons"))' 2>&1)" \
    || or_die "Odoo 18.0 is not importable by $PY ($(tail -1 <<<"$out")).
Set it up with scripts/install_odoo.sh (ODOO_SRC=/path/to/odoo-18.0 for a source tree you have)"
  OR_ODOO_ADDONS="$out"
  "$PY" -c 'import pandas, numpy, scipy, phonenumbers' 2>/dev/null \
    || or_die "order_retention's Python requirements are missing: $PY -m pip install -r $OR_ROOT/requirements.txt"
  [ -f "$OR_ODOO_ADDONS/sale_management/__manifest__.py" ] \
    || or_die "Odoo's addons folder was not found at $OR_ODOO_ADDONS (install Odoo editable from its source tree: scripts/install_odoo.sh)"
  export OR_ODOO_ADDONS
}

_or_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  return 1
}

or_pg_up() {
  if [ -n "${PGHOST:-}" ]; then
    export PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-$OR_DB_ROLE}"
    psql -d postgres -Atc 'select 1' >/dev/null 2>&1 \
      || or_die "PostgreSQL at PGHOST=$PGHOST PGPORT=$PGPORT (user $PGUSER) does not answer"
    [ "$PGUSER" != postgres ] || or_die "Odoo refuses the 'postgres' role: set PGUSER to a dedicated role"
    return 0
  fi
  local bin; bin="$(_or_pg_bin)" || or_die "PostgreSQL server binaries not found (apt-get install postgresql-15)"
  local run=(); [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  export PGHOST="$OR_PGDATA" PGPORT="$OR_PGPORT_DEFAULT"
  if ! "${run[@]}" "$bin/pg_ctl" -D "$OR_PGDATA" status >/dev/null 2>&1; then
    if [ ! -f "$OR_PGDATA/PG_VERSION" ]; then
      mkdir -p "$OR_PGDATA"; [ "$(id -u)" = 0 ] && chown postgres: "$OR_PGDATA"
      "${run[@]}" "$bin/initdb" -D "$OR_PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
        || or_die "initdb failed in $OR_PGDATA"
    fi
    "${run[@]}" "$bin/pg_ctl" -D "$OR_PGDATA" -w -l "$OR_PGDATA/server.log" \
      -o "-k $OR_PGDATA -p $PGPORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || or_die "PostgreSQL did not start; see $OR_PGDATA/server.log"
  fi
  psql -U postgres -d postgres -Atc "select 1 from pg_roles where rolname='$OR_DB_ROLE'" | grep -q 1 \
    || psql -U postgres -d postgres -qc "create role \"$OR_DB_ROLE\" login createdb password 'odoo'" \
    || or_die "could not create the database role $OR_DB_ROLE"
  export PGUSER="$OR_DB_ROLE" PGPASSWORD="${PGPASSWORD:-odoo}"
}

or_odoo() {
  "$PY" -m odoo --addons-path="$OR_ODOO_ADDONS,$OR_ROOT" \
    --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" \
    "$@"
}

or_template_name() {
  echo "or_tpl_$(sha1sum <<<"$OR_ODOO_ADDONS $1" | cut -c1-10)"
}
