#!/usr/bin/env bash
# Build the odoo-addon-<name> wheel of every addon of the repository (each addon folder holds a
# pyproject.toml using OCA's whool build backend) into the folder given as $1 (default dist/).
# No network: whool comes from the linters' virtualenv ($OR_LINT_VENV, scripts/install_odoo.sh)
# and the build runs without build isolation. The version is the manifest's plus, as whool does,
# the number of commits since the manifest version last changed (git history needed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"
VENV="${OR_LINT_VENV:-/opt/order_retention_lint}"
PIP="$VENV/bin/pip"
[ -x "$PIP" ] || PIP="pip"
"$PIP" show whool >/dev/null 2>&1 \
  || { echo "ERROR: whool is missing: run scripts/install_odoo.sh (it installs requirements-lint.txt)" >&2; exit 2; }
cd "$ROOT"
for manifest in */__manifest__.py; do
  addon="$(dirname "$manifest")"
  [ -f "$addon/pyproject.toml" ] || { echo "ERROR: $addon has no pyproject.toml (whool init)" >&2; exit 2; }
  log="$(mktemp)"
  if ! "$PIP" wheel --quiet --no-build-isolation --no-deps --wheel-dir "$OUT" "./$addon" >"$log" 2>&1; then
    grep -v "is ignored" "$log" >&2; rm -f "$log"
    echo "ERROR: building the wheel of $addon failed (whool needs the addon committed in git)" >&2; exit 1
  fi
  rm -f "$log"
done
ls "$OUT"/odoo_addon_*.whl
