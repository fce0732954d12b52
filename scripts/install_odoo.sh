#!/usr/bin/env bash
# Set up everything order_retention needs, idempotently: `make demo`, `make test` and `make lint` call it
# first, so a bare Debian/Ubuntu machine needs nothing else. Each step checks first and does nothing when
# its part is already there (a second run takes a second or two and prints nothing):
#   1. Debian packages: PostgreSQL server, build headers for Odoo's requirements, git, Debian's chromium
#      (browser tours); `apt-get` as root, else through `sudo -n`;
#   2. Odoo 18.0, installed editable (setuptools "compat" mode) from a source tree:
#        - ODOO_SRC=/path/to/odoo-18.0 when given (the folder holding odoo-bin and requirements.txt),
#        - else a shallow clone of $OR_ODOO_GIT_URL (default Odoo's public repository), branch
#          $OR_ODOO_BRANCH (default 18.0), kept in $OR_CACHE_DIR/odoo-18.0
#          (default ~/.cache/order_retention/odoo-18.0) and reused by later runs;
#   3. Python requirements in the interpreter $PYTHON (default python3): Odoo's requirements.txt (with
#      setuptools<70 for its old sdists), this project's requirements.txt, OCA queue_job (pinned);
#      a stamp in that environment (sys.prefix/.order_retention_setup) remembers what was installed;
#   4. the pinned linters and wheel builder (requirements-lint.txt) in their own virtualenv
#      $OR_LINT_VENV (default /opt/order_retention_lint), so pylint's pins never clash with Odoo's.
#
# Usage:  scripts/install_odoo.sh            (or ODOO_SRC=/path/to/odoo-18.0 scripts/install_odoo.sh)
# Options (environment): SKIP_APT=1 skips step 1; OR_SETUP_STEPS="apt odoo python lint" (default all) runs
# only the named steps; OR_SETUP_VERBOSE=1 prints each step even when it has nothing to do.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
CACHE="${OR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order_retention}"
ODOO_GIT_URL="${OR_ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
ODOO_BRANCH="${OR_ODOO_BRANCH:-18.0}"
LINT_VENV="${OR_LINT_VENV:-/opt/order_retention_lint}"
STEPS="${OR_SETUP_STEPS:-apt odoo python lint}"
QUEUE_JOB_PIN="odoo-addon-queue_job==18.0.3.0.0.5"
APT_PACKAGES=(postgresql libpq-dev libldap2-dev libsasl2-dev git chromium)

say() { echo "setup: $*"; }
verbose() { [ "${OR_SETUP_VERBOSE:-0}" != 1 ] || say "$*"; }
die() { echo "setup: ERROR: $*" >&2; exit 2; }
want() { [[ " $STEPS " == *" $1 "* ]]; }
sha() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# -- 1. Debian packages -------------------------------------------------------------------------------
step_apt() {
  [ "${SKIP_APT:-0}" = 1 ] && { verbose "apt: skipped (SKIP_APT=1)"; return; }
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # any PostgreSQL server version will do (postgresql pulls the distribution's default one)
  if [[ " ${missing[*]} " == *" postgresql "* ]] && compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    missing=("${missing[@]/postgresql/}")
  fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | grep -v '^$' || true)
  [ "${#missing[@]}" -eq 0 ] && { verbose "apt: everything installed"; return; }
  command -v apt-get >/dev/null || die "these packages are missing and this is not a Debian/Ubuntu machine: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null \
      || die "installing ${missing[*]} needs root: run 'sudo apt-get install ${missing[*]}' once, or run this as root"
    sudo=(sudo -n)
  fi
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# -- 2. Odoo 18.0 -------------------------------------------------------------------------------------
odoo_ok() {
  "$PY" - <<'EOF' 2>/dev/null
import os, odoo.release as r
assert r.version_info[:2] == (18, 0)
import odoo
assert os.path.isfile(os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons", "sale_management", "__manifest__.py"))
EOF
}

is_odoo18_tree() { [ -f "$1/odoo/release.py" ] && grep -q "version_info = (18, 0" "$1/odoo/release.py"; }

# prints the Odoo source tree to install from: ODOO_SRC, else the cached clone (cloned when missing)
odoo_source() {
  if [ -n "${ODOO_SRC:-}" ]; then
    is_odoo18_tree "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 18.0 source tree (no odoo/release.py of 18.0)"
    echo "$ODOO_SRC"; return
  fi
  local dest="$CACHE/odoo-18.0"
  if is_odoo18_tree "$dest"; then echo "$dest"; return; fi
  command -v git >/dev/null || die "git is missing (apt-get install git), or set ODOO_SRC"
  mkdir -p "$CACHE"
  local tmp="$dest.partial.$$"
  rm -rf "$tmp"
  say "cloning Odoo $ODOO_BRANCH from $ODOO_GIT_URL into $dest (shallow, once)" >&2
  if ! git clone -q --depth 1 --single-branch --branch "$ODOO_BRANCH" "$ODOO_GIT_URL" "$tmp" >&2; then
    rm -rf "$tmp"
    die "could not clone Odoo $ODOO_BRANCH from $ODOO_GIT_URL. Either
  - point ODOO_SRC at an Odoo 18.0 source tree you already have:  ODOO_SRC=/path/to/odoo-18.0 make test
  - or make that URL reachable, or set OR_ODOO_GIT_URL to a reachable copy of Odoo's repository (branch $ODOO_BRANCH)"
  fi
  is_odoo18_tree "$tmp" || { rm -rf "$tmp"; die "$ODOO_GIT_URL ($ODOO_BRANCH) is not Odoo 18.0 (no odoo/release.py of 18.0)"; }
  rm -rf "$dest"; mv "$tmp" "$dest"
  echo "$dest"
}

step_odoo() {
  if odoo_ok; then verbose "odoo: Odoo 18.0 importable"; return; fi
  local src; src="$(odoo_source)"
  say "installing Odoo 18.0 from $src (its requirements, then Odoo editable; about a minute)"
  # Some of Odoo's pinned requirements are old sdists whose build needs setuptools<70; the constraint file
  # lives until this script exits (pip reads PIP_CONSTRAINT in the isolated build environments too).
  local constraint; constraint="$(mktemp)"
  echo "setuptools<70" >"$constraint"
  PIP_CONSTRAINT="$constraint" "$PY" -m pip install -q --disable-pip-version-check -r "$src/requirements.txt" \
    || { rm -f "$constraint"; die "installing Odoo's requirements.txt failed"; }
  rm -f "$constraint"
  # Editable install: `import odoo` resolves to $src/odoo and the standard addons stay in $src/addons.
  # "compat" mode puts $src on sys.path (a .pth line) instead of setuptools' default import finder, which
  # would be shadowed by the odoo/addons/ folder that odoo-addon-* wheels install (see README).
  "$PY" -m pip install -q --disable-pip-version-check --no-deps --config-settings editable_mode=compat -e "$src" \
    || die "installing Odoo from $src failed"
  odoo_ok || die "Odoo 18.0 is still not importable by $PY after installing it from $src"
  rm -f "$(stamp_file)"   # Odoo's requirements may have moved: re-check ours
}

# -- 3. Python requirements -----------------------------------------------------------------------------
stamp_file() { echo "$("$PY" -c 'import sys; print(sys.prefix)')/.order_retention_setup"; }
python_ok() {
  "$PY" - <<'EOF' 2>/dev/null
import importlib.util as u
for m in ("numpy", "pandas", "scipy", "phonenumbers", "websocket", "hypothesis", "aiosmtpd", "freezegun"):
    assert u.find_spec(m), m
s = u.find_spec("odoo.addons.queue_job")
assert s and s.submodule_search_locations
EOF
}

step_python() {
  local want_stamp stamp
  want_stamp="$(sha "$here/requirements.txt"; echo "$QUEUE_JOB_PIN")"
  stamp="$(stamp_file)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ] && python_ok; then verbose "python: requirements installed"; return; fi
  say "installing Python requirements (requirements.txt, $QUEUE_JOB_PIN) into $("$PY" -c 'import sys; print(sys.prefix)')"
  "$PY" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" || die "pip install -r requirements.txt failed"
  # OCA queue_job for the order_retention_queue_job bridge (pinned 18.0.x: 18.0.3.1+ test helpers need a newer
  # 18.0 than ours); it lands in site-packages/odoo/addons, found through the odoo.addons namespace.
  "$PY" -m pip install -q --disable-pip-version-check --no-deps "$QUEUE_JOB_PIN" || die "pip install $QUEUE_JOB_PIN failed"
  python_ok || die "the Python requirements are still not importable by $PY"
  echo "$want_stamp" >"$stamp"
}

# -- 4. linters' virtualenv -----------------------------------------------------------------------------
step_lint() {
  local want_stamp; want_stamp="$(sha "$here/requirements-lint.txt")"
  if [ "$(cat "$LINT_VENV/.order_retention_setup" 2>/dev/null)" = "$want_stamp" ] && [ -x "$LINT_VENV/bin/ruff" ] \
    && [ -x "$LINT_VENV/bin/pylint" ] && [ -x "$LINT_VENV/bin/whool" ]; then
    verbose "lint: linters installed in $LINT_VENV"; return
  fi
  say "installing the pinned linters (requirements-lint.txt) into $LINT_VENV"
  [ -x "$LINT_VENV/bin/pip" ] || "$PY" -m venv "$LINT_VENV" || die "could not create the virtualenv $LINT_VENV"
  "$LINT_VENV/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-lint.txt" \
    || die "installing requirements-lint.txt into $LINT_VENV failed"
  "$LINT_VENV/bin/ruff" --version >/dev/null || die "ruff does not run from $LINT_VENV"
  echo "$want_stamp" >"$LINT_VENV/.order_retention_setup"
}

want apt && step_apt
want odoo && step_odoo
want python && step_python
want lint && step_lint
verbose "done"
exit 0
