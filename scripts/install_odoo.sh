#!/usr/bin/env bash
# Set up everything order_retention needs, idempotently: `make demo`, `make test` and `make lint` call it
# first, so a bare Debian/Ubuntu machine needs nothing else. Each step checks first and does nothing when
# its part is already there (a second run takes a second or two and prints nothing):
#   1. Debian packages: PostgreSQL server, git, a C toolchain and the headers Odoo's requirements build
#      against, python3 with venv, Debian's chromium (browser tours); `apt-get` as root, else `sudo -n`;
#   2. Odoo 18.0, installed editable (setuptools "compat" mode) from a source tree:
#        - ODOO_SRC=/path/to/odoo-18.0 when given (the folder holding odoo-bin and requirements.txt),
#        - else a shallow clone of $OR_ODOO_GIT_URL (default Odoo's public repository), branch
#          $OR_ODOO_BRANCH (default 18.0), kept in $OR_CACHE_DIR/odoo-18.0
#          (default ~/.cache/order_retention/odoo-18.0) and reused by later runs;
#   3. Python requirements in the interpreter $PYTHON (default python3, or the virtualenv
#      $OR_CACHE_DIR/venv that this step creates when python3 is Debian's externally-managed one, see
#      scripts/lib.sh): Odoo's requirements.txt (with setuptools<70 for its old sdists), this project's
#      requirements.txt, OCA queue_job and voip_oca (pinned); a stamp in that environment
#      (sys.prefix/.order_retention_setup)
#      remembers what was installed;
#   4. the pinned linters and wheel builder (requirements-lint.txt) in their own virtualenv
#      $OR_LINT_VENV (default /opt/order_retention_lint), so pylint's pins never clash with Odoo's.
#
# Usage:  scripts/install_odoo.sh            (or ODOO_SRC=/path/to/odoo-18.0 scripts/install_odoo.sh)
# Options (environment): SKIP_APT=1 skips step 1; OR_SETUP_STEPS="apt odoo python lint" (default all) runs
# only the named steps; OR_SETUP_STEPS=odoo-source only fetches Odoo's source tree (ODOO_SRC checked, else
# the cached clone, cloned when missing) and prints its path; OR_SETUP_VERBOSE=1 prints each step even when
# it has nothing to do.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"   # $PY, $OR_CACHE_DIR
here="$OR_ROOT"
CACHE="$OR_CACHE_DIR"
ODOO_GIT_URL="${OR_ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
ODOO_BRANCH="${OR_ODOO_BRANCH:-18.0}"
LINT_VENV="${OR_LINT_VENV:-/opt/order_retention_lint}"
STEPS="${OR_SETUP_STEPS:-apt odoo python lint}"
QUEUE_JOB_PIN="odoo-addon-queue_job==18.0.3.0.0.5"
# OCA's free softphone, for the order_retention_voip_oca bridge (its only dependency is Odoo 18.0 itself)
VOIP_OCA_PIN="odoo-addon-voip_oca==18.0.1.0.4"
APT_PACKAGES=(postgresql libpq-dev libldap2-dev libsasl2-dev build-essential python3 python3-dev python3-venv git chromium)

say() { echo "setup: $*"; }
verbose() { [ "${OR_SETUP_VERBOSE:-0}" != 1 ] || say "$*"; }
die() { echo "setup: ERROR: $*" >&2; exit 2; }
want() { [[ " $STEPS " == *" $1 "* ]]; }
sha() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
# pip, quiet, without the warnings about find-links / index folders of the machine's pip configuration
# that do not exist ("Location ... is ignored"); keeps pip's exit status
pip_q() {
  "$@" -q --disable-pip-version-check 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  return "${PIPESTATUS[0]}"
}

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
# One look at the interpreter, without importing Odoo (a Python start-up takes up to a second on a busy
# machine, importing Odoo several): sets P_PREFIX (sys.prefix), P_PIP, P_ODOO (Odoo 18.0 found, with its addons
# folder) and P_REQS (this project's requirements, queue_job and voip_oca found), each 1 or 0. Fails when $PY does not run.
probe() {
  local out
  out="$("$PY" - <<'EOF' 2>/dev/null
import importlib.util as u, os, re, sys
print(sys.prefix)
print(int(u.find_spec("pip") is not None))
odoo = 0
spec = u.find_spec("odoo")  # locates the package, does not run it
if spec and spec.origin:
    root = os.path.dirname(os.path.dirname(spec.origin))
    try:
        with open(os.path.join(root, "odoo", "release.py")) as f:
            odoo = int(bool(re.search(r"^version_info = \(18, 0\b", f.read(), re.M)))
    except OSError:
        pass
    odoo = odoo and int(os.path.isfile(os.path.join(root, "addons", "sale_management", "__manifest__.py")))
print(odoo)
mods = ("numpy", "pandas", "scipy", "phonenumbers", "websocket", "hypothesis", "aiosmtpd", "freezegun", "twilio")
oca = [any(os.path.isfile(os.path.join(p, "odoo", "addons", a, "__manifest__.py")) for p in sys.path if p)
       for a in ("queue_job", "voip_oca")]
print(int(all(u.find_spec(m) for m in mods) and all(oca)))
EOF
)" || return 1
  { read -r P_PREFIX; read -r P_PIP; read -r P_ODOO; read -r P_REQS; } <<<"$out"
}
# after an install: Odoo really imports
odoo_imports() {
  "$PY" -c 'import odoo.release as r, odoo; assert r.version_info[:2] == (18, 0), r.version' 2>&1 | tail -3
  return "${PIPESTATUS[0]}"
}

is_odoo18_tree() { [ -f "$1/odoo/release.py" ] && grep -q "^version_info = (18, 0\b" "$1/odoo/release.py"; }

# prints the Odoo source tree to install from: ODOO_SRC, else the cached clone (cloned when missing)
odoo_source() {
  if [ -n "${ODOO_SRC:-}" ]; then
    [ -d "$ODOO_SRC" ] || die "ODOO_SRC=$ODOO_SRC does not exist. Point ODOO_SRC at an Odoo 18.0 source tree (the folder
  holding odoo-bin, requirements.txt and odoo/release.py), or unset it to use a cached clone of \$OR_ODOO_GIT_URL"
    is_odoo18_tree "$ODOO_SRC" && [ -f "$ODOO_SRC/requirements.txt" ] \
      || die "ODOO_SRC=$ODOO_SRC is not an Odoo 18.0 source tree (it must hold odoo-bin, requirements.txt and an
  odoo/release.py with version_info = (18, 0, ...)$( [ -f "$ODOO_SRC/odoo/release.py" ] \
        && echo "; its release.py says: $(grep -m1 '^version_info' "$ODOO_SRC/odoo/release.py")")).
  Point it at Odoo 18.0, or unset it to use a cached clone of \$OR_ODOO_GIT_URL"
    echo "$ODOO_SRC"; return
  fi
  local dest="$CACHE/odoo-18.0"
  if is_odoo18_tree "$dest"; then verbose "odoo: reusing the clone in $dest" >&2; echo "$dest"; return; fi
  command -v git >/dev/null || die "git is missing (apt-get install git), or set ODOO_SRC=/path/to/odoo-18.0"
  mkdir -p "$CACHE" || die "cannot create the cache folder $CACHE (set OR_CACHE_DIR)"
  local tmp="$dest.partial.$$"
  rm -rf "$tmp"
  say "cloning Odoo $ODOO_BRANCH from $ODOO_GIT_URL into $dest (shallow, once)" >&2
  # never wait for a password (a mistyped URL on a forge asks for one) nor on a stalled connection
  if ! GIT_TERMINAL_PROMPT=0 git -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=60 \
    clone -q --depth 1 --single-branch --branch "$ODOO_BRANCH" "$ODOO_GIT_URL" "$tmp" >&2; then
    rm -rf "$tmp"
    die "could not clone Odoo's branch $ODOO_BRANCH from $ODOO_GIT_URL (see git's message above). Either
  - point ODOO_SRC at an Odoo 18.0 source tree you already have:  ODOO_SRC=/path/to/odoo-18.0 make test
  - or set OR_ODOO_GIT_URL (and OR_ODOO_BRANCH) to a reachable copy of Odoo's repository holding branch 18.0:
      OR_ODOO_GIT_URL=file:///path/to/odoo.git make test"
  fi
  if ! is_odoo18_tree "$tmp"; then
    local got; got="$(grep -m1 '^version_info' "$tmp/odoo/release.py" 2>/dev/null || echo "no odoo/release.py")"
    rm -rf "$tmp"
    die "$ODOO_GIT_URL (branch $ODOO_BRANCH) is not Odoo 18.0 ($got). Set OR_ODOO_GIT_URL / OR_ODOO_BRANCH to
  Odoo's 18.0, or ODOO_SRC=/path/to/odoo-18.0"
  fi
  rm -rf "$dest"; mv "$tmp" "$dest"
  echo "$dest"
}

# $PY must run (and have pip); the default one on a machine whose python3 is externally managed is created here
ensure_python() {
  if [ "$PY" = "$OR_CACHE_DIR/venv/bin/python" ] && [ ! -x "$PY" ]; then
    say "python3 is the distribution's externally-managed one (PEP 668): creating the virtualenv $OR_CACHE_DIR/venv"
    mkdir -p "$OR_CACHE_DIR"
    python3 -m venv --clear "$OR_CACHE_DIR/venv" \
      || die "could not create the virtualenv $OR_CACHE_DIR/venv (apt-get install python3-venv)"
  fi
  probe || die "the Python interpreter $PY does not run (PYTHON=/path/to/python3, e.g. a virtualenv's)"
  [ "$P_PIP" = 1 ] || die "the Python interpreter $PY has no pip (use a virtualenv's: PYTHON=/path/to/venv/bin/python)"
}

step_odoo() {
  if [ "$P_ODOO" = 1 ]; then verbose "odoo: Odoo 18.0 installed"; return; fi
  local src; src="$(odoo_source)"
  say "installing Odoo 18.0 from $src (its requirements, then Odoo editable; about a minute)"
  # Some of Odoo's pinned requirements are old sdists whose build needs setuptools<70; the constraint file
  # lives until this script exits (pip reads PIP_CONSTRAINT in the isolated build environments too).
  local constraint; constraint="$(mktemp)"
  echo "setuptools<70" >"$constraint"
  PIP_CONSTRAINT="$constraint" pip_q "$PY" -m pip install -r "$src/requirements.txt" \
    || { rm -f "$constraint"; die "installing Odoo's requirements.txt failed"; }
  rm -f "$constraint"
  # Editable install: `import odoo` resolves to $src/odoo and the standard addons stay in $src/addons.
  # "compat" mode puts $src on sys.path (a .pth line) instead of setuptools' default import finder, which
  # would be shadowed by the odoo/addons/ folder that odoo-addon-* wheels install (see README).
  pip_q "$PY" -m pip install --no-deps --config-settings editable_mode=compat -e "$src" \
    || die "installing Odoo from $src failed"
  odoo_imports || die "Odoo 18.0 is still not importable by $PY after installing it from $src"
  probe && [ "$P_ODOO" = 1 ] || die "Odoo 18.0 or its addons folder is still not found by $PY after installing it from $src"
  rm -f "$P_PREFIX/.order_retention_setup"   # Odoo's requirements may have moved: re-check ours
}

# -- 3. Python requirements -----------------------------------------------------------------------------
step_python() {
  local want_stamp stamp
  want_stamp="$(sha "$here/requirements.txt"; echo "$QUEUE_JOB_PIN $VOIP_OCA_PIN")"
  stamp="$P_PREFIX/.order_retention_setup"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ] && [ "$P_REQS" = 1 ]; then verbose "python: requirements installed"; return; fi
  say "installing Python requirements (requirements.txt, $QUEUE_JOB_PIN, $VOIP_OCA_PIN) into $P_PREFIX"
  pip_q "$PY" -m pip install -r "$here/requirements.txt" || die "pip install -r requirements.txt failed"
  # OCA queue_job for the order_retention_queue_job bridge (pinned 18.0.x: 18.0.3.1+ test helpers need a newer
  # 18.0 than ours); it lands in site-packages/odoo/addons, found through the odoo.addons namespace.
  pip_q "$PY" -m pip install --no-deps "$QUEUE_JOB_PIN" || die "pip install $QUEUE_JOB_PIN failed"
  # OCA voip_oca for the order_retention_voip_oca bridge (softphone); likewise found through odoo.addons
  pip_q "$PY" -m pip install --no-deps "$VOIP_OCA_PIN" || die "pip install $VOIP_OCA_PIN failed"
  probe && [ "$P_REQS" = 1 ] || die "the Python requirements are still not found by $PY after installing them"
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
  pip_q "$LINT_VENV/bin/pip" install -r "$here/requirements-lint.txt" \
    || die "installing requirements-lint.txt into $LINT_VENV failed"
  "$LINT_VENV/bin/ruff" --version >/dev/null || die "ruff does not run from $LINT_VENV"
  echo "$want_stamp" >"$LINT_VENV/.order_retention_setup"
}

if [ "$STEPS" = odoo-source ]; then odoo_source; exit 0; fi
want apt && step_apt
if [ -n "${_OR_PY_DEFAULT:-}" ]; then PY="$(_or_default_python)"; export PYTHON="$PY"; fi   # python3 may be new
if want odoo || want python || want lint; then ensure_python; fi   # and probe
want odoo && step_odoo
want python && step_python
want lint && step_lint
verbose "done"
exit 0
