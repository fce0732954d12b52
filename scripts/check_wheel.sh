#!/usr/bin/env bash
# Build every addon's wheel (scripts/build_wheels.sh), `pip install` them into a throwaway --target
# folder, and check with Odoo itself that, with that folder on sys.path and no --addons-path
# pointing at this repository, Odoo finds each addon there (scripts/check_wheel.py).
# Ends with "wheel check: OK" or exits non-zero.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
or_check_odoo
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
bash "$OR_ROOT/scripts/build_wheels.sh" "$TMP/dist" >/dev/null
# --no-deps: odoo itself and numpy/pandas/... are already in this environment
"$PY" -m pip install --quiet --no-deps --no-index --target "$TMP/site" "$TMP"/dist/odoo_addon_*.whl 2>&1 | grep -v "is ignored" || true
mapfile -t ADDONS < <(cd "$OR_ROOT" && for m in */__manifest__.py; do dirname "$m"; done)
for addon in "${ADDONS[@]}"; do
  [ -f "$TMP/site/odoo/addons/$addon/__manifest__.py" ] || or_die "the wheel did not install odoo/addons/$addon"
done
[ ! -e "$TMP/site/odoo/__init__.py" ] || or_die "a wheel ships odoo/__init__.py: it would shadow Odoo"
# Odoo must be importable as a regular package from a sys.path entry (a normal install, or an editable
# one in setuptools' "compat" mode, as scripts/install_odoo.sh does): setuptools' default editable
# install only appends an import finder to sys.meta_path, and then the wheels' odoo/ folder (a
# namespace portion, no __init__.py) hides Odoo ("cannot import name 'SUPERUSER_ID' from 'odoo'").
ODOO_ROOT="$(dirname "$(dirname "$("$PY" -c 'import odoo; print(odoo.__file__)')")")"
if ! "$PY" -c 'import sys, os, odoo; d = os.path.dirname(os.path.dirname(odoo.__file__)); sys.exit(d not in map(os.path.abspath, sys.path[1:]))' 2>/dev/null; then
  echo "note: Odoo is installed with setuptools' finder-based editable mode here; a \`pip install\` of an" \
       "odoo-addon wheel into this environment would hide it: reinstall it with scripts/install_odoo.sh" \
       "(pip install --config-settings editable_mode=compat -e ODOO_SRC). Checking with $ODOO_ROOT on PYTHONPATH."
fi
(cd "$TMP" && PYTHONPATH="$ODOO_ROOT:$TMP/site" "$PY" "$OR_ROOT/scripts/check_wheel.py" "$TMP/site" "${ADDONS[@]}")
echo "wheel check: OK"
