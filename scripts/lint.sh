#!/usr/bin/env bash
# Quality gates of the repository (make lint):
#   1. ruff check          - OCA's ruff rules (.ruff.toml: pyflakes, bugbear, mccabe <= 16, E501, isort, pyupgrade)
#   2. ruff format --check - OCA's formatting
#   3. pylint + pylint-odoo with the mandatory checks (.pylintrc-mandatory)
#   4. each addon's README.rst is up to date (and renders) with its readme/*.md fragments (make readme)
# over every addon at the repository root (a folder holding __manifest__.py); ruff also checks scripts/.
# It only checks: nothing is rewritten.
#
# Exit status: non-zero when a check reports a violation in a path that is not listed in .lint-pending.
# .lint-pending lists paths whose lint-fix pass is still to be done: their violations are printed
# (and counted) but do not fail the run. LINT_STRICT=1 ignores .lint-pending (everything must be clean).
# The linters come from $OR_LINT_VENV (default /opt/order_retention_lint; scripts/install_odoo.sh
# creates it with pinned versions), else from PATH; the README check runs with $PYTHON (see scripts/lib.sh).
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
ROOT="$OR_ROOT"
cd "$ROOT" || exit 2
VENV="${OR_LINT_VENV:-/opt/order_retention_lint}"
# set up whatever is missing first (a quick no-op when everything is there)
or_setup
if [ -x "$VENV/bin/ruff" ]; then BIN="$VENV/bin/"; else BIN=""; fi
for tool in ruff pylint; do
  command -v "${BIN}$tool" >/dev/null \
    || { echo "ERROR: $tool is missing: run scripts/install_odoo.sh (or SKIP_APT=1 scripts/install_odoo.sh)" >&2; exit 2; }
done
"${BIN}pylint" --rcfile=.pylintrc-mandatory --help-msg=sql-injection >/dev/null 2>&1 \
  || { echo "ERROR: the pylint_odoo plugin is missing (pip install pylint-odoo)" >&2; exit 2; }

mapfile -t ADDONS < <(for m in */__manifest__.py; do dirname "$m"; done)
TARGETS=("${ADDONS[@]}" scripts)
PENDING=()
if [ "${LINT_STRICT:-0}" != 1 ] && [ -f .lint-pending ]; then
  mapfile -t PENDING < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' .lint-pending | grep -v '^$')
fi
is_pending() {  # path -> 0 when it is (inside) a pending path
  local p
  for p in "${PENDING[@]}"; do [[ "$1" == "$p" || "$1" == "$p"/* ]] && return 0; done
  return 1
}

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
"${BIN}ruff" check --no-fix --output-format=concise "${TARGETS[@]}" >"$OUT/ruff" 2>&1
"${BIN}ruff" format --check "${TARGETS[@]}" >"$OUT/format" 2>&1
"${BIN}pylint" --rcfile=.pylintrc-mandatory "${ADDONS[@]}" >"$OUT/pylint" 2>&1
"$PY" scripts/gen_addon_readme.py --check >"$OUT/readme" 2>&1
readme_rc=$?

# one line per violation: "<path>:<line...>: <message>"
{
  grep -E '^[^ ]+\.py:[0-9]+:[0-9]+: ' "$OUT/ruff" | sed 's/^/ruff: /'
  sed -n 's/^Would reformat: \(.*\)$/ruff-format: \1:0: file would be reformatted/p' "$OUT/format"
  grep -E '^[^ *][^ ]*:[0-9]+: \[' "$OUT/pylint" | sed 's/^/pylint: /'
  sed -n 's|^\(.*\): the README does not render:$|readme: \1/README.rst:0: does not render (docutils)|p' "$OUT/readme" | sed "s|$ROOT/||"
  sed -n 's/^stale (run make readme): //p' "$OUT/readme" | tr ',' '\n' | sed 's/^ *//; s/$/:0: stale README (run make readme)/; s/^/readme: /'
} >"$OUT/all"
# sanity: a linter that crashed prints no violation line but fails
grep -qE "^(error|Traceback)" "$OUT/ruff" "$OUT/format" "$OUT/pylint" "$OUT/readme" 2>/dev/null \
  && { cat "$OUT/ruff" "$OUT/format" "$OUT/pylint" "$OUT/readme" | head -40; echo "ERROR: a linter crashed" >&2; exit 2; }
# the README check fails only with its stale / unrendered lines (parsed above); anything else is a crash
if [ "$readme_rc" -ne 0 ] && ! grep -q "^readme: " "$OUT/all"; then
  head -40 "$OUT/readme"; echo "ERROR: the README check ($PY scripts/gen_addon_readme.py --check) crashed" >&2; exit 2
fi

blocking=0; pending=0
: >"$OUT/blocking"; : >"$OUT/pending"
while IFS= read -r line; do
  path="${line#*: }"; path="${path%%:*}"
  if is_pending "$path"; then echo "$line" >>"$OUT/pending"; pending=$((pending + 1))
  else echo "$line" >>"$OUT/blocking"; blocking=$((blocking + 1)); fi
done <"$OUT/all"

summarize() {  # file -> counts by tool and rule
  sed -E -e 's/^(ruff): [^ ]+ ([A-Z]+[0-9]+) .*/\1 \2/' \
         -e 's/^(ruff-format): .*/\1 would-reformat/' -e 's/^(readme): .*/\1 stale/' \
         -e 's/^(pylint): .*\[[A-Z][0-9]+\(([a-z0-9-]+)\).*/\1 \2/' "$1" | sort | uniq -c | sort -rn
}
if [ "$pending" -gt 0 ]; then
  echo "== $pending violation(s) in paths pending their lint-fix pass (.lint-pending: ${PENDING[*]}), not blocking:"
  summarize "$OUT/pending"
  [ "${LINT_VERBOSE:-0}" = 1 ] && cat "$OUT/pending"
fi
if [ "$blocking" -gt 0 ]; then
  echo "== $blocking blocking violation(s):"
  cat "$OUT/blocking"
  summarize "$OUT/blocking"
  echo "lint: FAILED"
  exit 1
fi
echo "lint: OK (ruff check, ruff format --check, pylint-odoo mandatory checks on: ${TARGETS[*]})"
