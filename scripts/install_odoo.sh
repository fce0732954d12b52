#!/usr/bin/env bash
# Install the prerequisites of order_retention on a Debian 12 machine:
#   - PostgreSQL 15, build headers and Debian's chromium (browser tours),
#   - Odoo 18.0 from a source tree given as ODOO_SRC (its requirements.txt, then the package),
#   - this project's own Python requirements (requirements.txt at the repository root),
#   - the linters and the wheel builder, pinned (requirements-lint.txt: ruff, pylint-odoo, whool), in their
#     own virtualenv $OR_LINT_VENV (default /opt/order_retention_lint) so that pylint's pins never clash
#     with Odoo's. Nothing is downloaded at CI time beyond these pip installs (no pre-commit hook envs).
#
# Usage:  ODOO_SRC=/path/to/odoo-18.0 scripts/install_odoo.sh
# Needs root for apt-get (skipped with SKIP_APT=1).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
: "${ODOO_SRC:?set ODOO_SRC to an Odoo 18.0 source tree (the folder holding odoo-bin and requirements.txt)}"
[ -f "$ODOO_SRC/odoo/release.py" ] || { echo "ODOO_SRC=$ODOO_SRC is not an Odoo source tree (no odoo/release.py)" >&2; exit 2; }
grep -q "version_info = (18, 0" "$ODOO_SRC/odoo/release.py" || { echo "ODOO_SRC is not Odoo 18.0" >&2; exit 2; }
PY="${PYTHON:-python3}"

if [ "${SKIP_APT:-0}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql-15 libpq-dev libldap2-dev libsasl2-dev chromium >/dev/null
fi

# Some of Odoo's pinned requirements are old sdists whose build needs setuptools<70.
constraint="$(mktemp)"
echo "setuptools<70" >"$constraint"
export PIP_CONSTRAINT="$constraint"
"$PY" -m pip install -q -r "$ODOO_SRC/requirements.txt"
# Editable install: `import odoo` resolves to $ODOO_SRC/odoo and the standard addons stay in $ODOO_SRC/addons.
# "compat" mode puts $ODOO_SRC on sys.path (a .pth line) instead of setuptools' default import finder,
# which would be shadowed by the odoo/addons/ folder that odoo-addon-* wheels install (see README).
"$PY" -m pip install -q --no-deps --config-settings editable_mode=compat -e "$ODOO_SRC"
"$PY" -m pip install -q -r "$here/requirements.txt"
# OCA queue_job (pinned 18.0.x: 18.0.3.1+ test helpers need a newer 18.0 than ours) for the order_retention_queue_job bridge; it lands in site-packages/odoo/addons,
# which Odoo finds through the odoo.addons namespace (this is why Odoo is installed in compat mode above).
"$PY" -m pip install -q "odoo-addon-queue_job==18.0.3.0.0.5"
rm -f "$constraint"
LINT_VENV="${OR_LINT_VENV:-/opt/order_retention_lint}"
[ -x "$LINT_VENV/bin/pip" ] || "$PY" -m venv "$LINT_VENV"
"$LINT_VENV/bin/pip" install -q -r "$here/requirements-lint.txt"
"$LINT_VENV/bin/ruff" --version
"$PY" -c "import odoo, odoo.release as r; print('Odoo', r.version, 'importable from', odoo.__file__)"
"$PY" -c "import importlib.util as u; s = u.find_spec('odoo.addons.queue_job'); print('queue_job at', s.submodule_search_locations[0])"
