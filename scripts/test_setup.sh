#!/usr/bin/env bash
# Checks of the set-up, scripts/install_odoo.sh (one repository check of scripts/run_tests.sh's full run):
#   1. where Odoo's source comes from (OR_SETUP_STEPS=odoo-source), against temporary git repositories
#      holding a fake minimal Odoo-18.0-shaped tree (odoo/release.py, odoo-bin, requirements.txt) on a
#      branch 18.0, cloned through OR_ODOO_GIT_URL=file://... into a temporary OR_CACHE_DIR:
#        - the shallow clone lands in the cache and its path is printed;
#        - a second run reuses it without cloning (even with the URL unreachable by then);
#        - a wrong branch and an unreachable URL exit non-zero, naming both ways (ODOO_SRC, OR_ODOO_GIT_URL),
#          and leave nothing in the cache;
#        - a tree that is not Odoo 18.0 is refused;
#        - ODOO_SRC pointing to a folder that is not Odoo (or to nothing) is refused clearly, and ODOO_SRC
#          pointing to an 18.0 tree is used as is, without cloning;
#   2. a second full run of install_odoo.sh in the current environment does nothing: it prints nothing
#      and takes less than 15 seconds.
# Prints one line per assertion; ends with "setup check: OK" or "setup check: FAILED (N)" (exit 1).
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
INSTALL="$OR_ROOT/scripts/install_odoo.sh"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
ok() { echo "ok   - $*"; }
ko() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }

# fake_odoo DIR MAJOR BRANCH: a git repository holding a minimal Odoo-shaped tree of version MAJOR.0
fake_odoo() {
  mkdir -p "$1/odoo" "$1/addons"
  printf '# fake, for scripts/test_setup.sh\nversion_info = (%s, 0, 0, "final", 0, "")\n' "$2" >"$1/odoo/release.py"
  : >"$1/odoo/__init__.py"; : >"$1/requirements.txt"; printf '#!/usr/bin/env python3\n' >"$1/odoo-bin"
  git -C "$1" init -q -b "$3" && git -C "$1" add -A \
    && git -C "$1" -c user.name=test -c user.email=test@localhost commit -qm "fake Odoo $2.0" \
    || { echo "ERROR: could not make the git repository $1" >&2; exit 2; }
}
# source VAR=VALUE...: run install_odoo.sh's source step in a temporary cache; sets out, err and rc
source_step() {
  env -u ODOO_SRC OR_SETUP_STEPS=odoo-source OR_CACHE_DIR="$TMP/cache" OR_ODOO_BRANCH=18.0 \
    OR_ODOO_GIT_URL="file://$TMP/odoo18" "$@" bash "$INSTALL" >"$TMP/out" 2>"$TMP/err"
  rc=$?; out="$(cat "$TMP/out")"; err="$(cat "$TMP/err")"
}
says() { grep -q -- "$1" <<<"$err"; }
names_both_ways() { says "ODOO_SRC" && says "OR_ODOO_GIT_URL"; }
nothing_cached() { [ ! -e "$1/odoo-18.0" ] && ! compgen -G "$1/odoo-18.0.partial.*" >/dev/null; }

fake_odoo "$TMP/odoo18" 18 18.0
fake_odoo "$TMP/odoo17" 17 18.0      # a branch named 18.0 that holds another version
mkdir -p "$TMP/not_odoo"; echo "not Odoo" >"$TMP/not_odoo/README.md"
CLONE="$TMP/cache/odoo-18.0"

# -- 1. Odoo's source tree --------------------------------------------------------------------------
source_step
check "a first run clones branch 18.0 of OR_ODOO_GIT_URL into the cache and prints its path (rc=$rc: $out)" \
  test "$rc" = 0 -a "$out" = "$CLONE"
check "the clone is an 18.0 tree and a shallow git clone" \
  eval '[ -f "$CLONE/odoo/release.py" ] && grep -q "(18, 0" "$CLONE/odoo/release.py" && [ "$(git -C "$CLONE" rev-parse --is-shallow-repository)" = true ]'
check "the first run says it is cloning" says "cloning Odoo 18.0 from file://$TMP/odoo18"
check "no partial clone is left behind" eval '! compgen -G "$TMP/cache/odoo-18.0.partial.*" >/dev/null'

touch "$CLONE/.marker"
source_step OR_ODOO_GIT_URL="file://$TMP/nowhere"
check "a second run reuses the clone, even with the URL unreachable (rc=$rc: $out)" test "$rc" = 0 -a "$out" = "$CLONE"
check "the second run does not clone (no message, the clone untouched)" eval '! says cloning && [ -e "$CLONE/.marker" ]'

source_step OR_CACHE_DIR="$TMP/cache_branch" OR_ODOO_BRANCH=17.0
check "a wrong branch exits non-zero (rc=$rc)" test "$rc" -ne 0
check "a wrong branch's error names both ways, ODOO_SRC and OR_ODOO_GIT_URL" names_both_ways
check "a wrong branch leaves nothing in the cache" nothing_cached "$TMP/cache_branch"

source_step OR_CACHE_DIR="$TMP/cache_url" OR_ODOO_GIT_URL="file://$TMP/nowhere"
check "an unreachable URL exits non-zero (rc=$rc)" test "$rc" -ne 0
check "an unreachable URL's error names the URL and both ways, ODOO_SRC and OR_ODOO_GIT_URL" \
  eval 'says "file://$TMP/nowhere" && names_both_ways'
check "an unreachable URL leaves nothing in the cache" nothing_cached "$TMP/cache_url"

source_step OR_CACHE_DIR="$TMP/cache_17" OR_ODOO_GIT_URL="file://$TMP/odoo17"
check "a tree that is not Odoo 18.0 is refused (rc=$rc)" eval '[ "$rc" -ne 0 ] && says "is not Odoo 18.0"'
check "the refused tree is not kept in the cache" nothing_cached "$TMP/cache_17"

source_step ODOO_SRC="$TMP/not_odoo"
check "ODOO_SRC pointing to a folder that is not Odoo is refused (rc=$rc)" \
  eval '[ "$rc" -ne 0 ] && says "ODOO_SRC=$TMP/not_odoo is not an Odoo 18.0 source tree"'
source_step ODOO_SRC="$TMP/odoo17"
check "ODOO_SRC pointing to another Odoo version is refused, quoting its version (rc=$rc)" \
  eval '[ "$rc" -ne 0 ] && says "is not an Odoo 18.0 source tree" && says "version_info = (17, 0"'
source_step ODOO_SRC="$TMP/missing"
check "ODOO_SRC pointing to nothing is refused (rc=$rc)" eval '[ "$rc" -ne 0 ] && says "ODOO_SRC=$TMP/missing does not exist"'
source_step ODOO_SRC="$TMP/odoo18" OR_CACHE_DIR="$TMP/cache_src"
check "ODOO_SRC pointing to an 18.0 tree is used as is, without cloning (rc=$rc: $out)" \
  eval '[ "$rc" = 0 ] && [ "$out" = "$TMP/odoo18" ] && ! says cloning && nothing_cached "$TMP/cache_src"'

# -- 2. a second full run is a quick no-op ---------------------------------------------------------
if bash "$INSTALL" >"$TMP/first" 2>&1; then
  start=$(date +%s%N)
  bash "$INSTALL" >"$TMP/second" 2>&1; rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  check "a second full install_odoo.sh run succeeds (rc=$rc)" test "$rc" = 0
  check "a second full install_odoo.sh run prints nothing$([ -s "$TMP/second" ] && echo ": $(head -c 300 "$TMP/second")")" \
    test ! -s "$TMP/second"
  check "a second full install_odoo.sh run takes less than 15 s (${ms} ms)" test "$ms" -lt 15000
else
  head -c 2000 "$TMP/first"; ko "install_odoo.sh fails in this environment"
fi

if [ "$fails" -eq 0 ]; then echo "setup check: OK"; else echo "setup check: FAILED ($fails)"; exit 1; fi
