#!/usr/bin/env bash
# Sets up the development / CI environment and runs things inside it.
# The Makefile is a thin wrapper around this script; see `make help`.
#
#   scripts/setup.sh setup        .venv + requirements/base.lock + the project (editable)
#   scripts/setup.sh setup-test   the above + requirements/test.lock + system packages
#   scripts/setup.sh demo         setup, then exec the daemon on config/demo.toml
#   scripts/setup.sh test         setup-test, then exec pytest $PYTEST_ARGS
#   scripts/setup.sh lint         ruff check edge drivers tests
#   scripts/setup.sh bench        edge bench store --json
#   scripts/setup.sh clean        remove .venv and var/
#
# Every step is idempotent: stamp files inside .venv record a hash of the
# inputs (lock files, pyproject.toml), so a second run is a quick no-op and
# editing a lock file reinstalls. Environment: PYTHON (default python3),
# PYTEST_ARGS (extra pytest arguments, shell-quoted).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PYTHON=${PYTHON:-python3}
VENV=.venv
VPY=$VENV/bin/python
SYSTEM_PACKAGES_FILE=scripts/system-packages.txt
BUILD_PACKAGES_FILE=scripts/build-packages.txt
# pyproject's build-system wants setuptools>=68,<81, and a face-recognition
# dependency still imports pkg_resources (gone in setuptools 81). The venv's
# bundled setuptools (65.x on 3.11) is too old, hence the explicit range.
BOOTSTRAP_PKGS=(pip "setuptools>=68,<81")

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pip() { "$VPY" -m pip --disable-pip-version-check --no-input -qq "$@"; }

# ---- stamps ---------------------------------------------------------------

# fingerprint LABEL [FILE...]: a hash of the label and of the files' contents.
fingerprint() {
    local label=$1
    shift
    {
        printf '%s\n' "$label"
        if (($#)); then sha256sum "$@"; fi
    } | sha256sum | cut -d' ' -f1
}

stamp_ok() {  # stamp_ok NAME FINGERPRINT
    [[ -f $VENV/.stamp-$1 && $(<"$VENV/.stamp-$1") == "$2" ]]
}

stamp_write() {  # stamp_write NAME FINGERPRINT
    printf '%s\n' "$2" >"$VENV/.stamp-$1"
}

# ---- the virtualenv ---------------------------------------------------------

venv_healthy() {
    [[ -x $VPY ]] &&
        "$VPY" -c 'import sys, pip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

check_python() {
    command -v "$PYTHON" >/dev/null 2>&1 ||
        die "'$PYTHON' not found; install Python 3.11+ or set PYTHON=/path/to/python3"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "$("$PYTHON" --version 2>&1) is too old; Python 3.11+ is required (set PYTHON=...)"
    "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 ||
        die "'$PYTHON' lacks venv/ensurepip (on Debian's own python3: apt-get install python3-venv)"
}

ensure_venv() {
    if [[ -e $VENV ]] && ! venv_healthy; then
        say "$VENV is broken (no working python/pip); recreating it"
        rm -rf "$VENV"
    fi
    if [[ ! -d $VENV ]]; then
        check_python
        say "creating $VENV with $("$PYTHON" --version 2>&1)"
        "$PYTHON" -m venv "$VENV"
    fi
    local fp
    fp=$(fingerprint "bootstrap ${BOOTSTRAP_PKGS[*]}")
    if ! stamp_ok bootstrap "$fp"; then
        say "upgrading ${BOOTSTRAP_PKGS[*]} inside $VENV"
        pip install --upgrade "${BOOTSTRAP_PKGS[@]}"
        stamp_write bootstrap "$fp"
    fi
}

# ---- Python dependencies ----------------------------------------------------

install_base() {
    ensure_venv
    local fp
    fp=$(fingerprint base requirements/base.lock pyproject.toml)
    if stamp_ok base "$fp" && [[ -x $VENV/bin/edge ]]; then
        say "base dependencies up to date"
        return
    fi
    # dlib is built from source against OpenBLAS (encodings ~6x faster than the
    # dlib-bin wheel, FACTS.md): ~6 min the first time, then pip's wheel cache.
    install_system_packages "$BUILD_PACKAGES_FILE"
    say "installing requirements/base.lock (the first build of dlib takes several minutes)"
    pip install -r requirements/base.lock
    "$VPY" -c 'import dlib, sys; sys.exit(0 if dlib.DLIB_USE_BLAS else 1)' ||
        say "warning: dlib was built without BLAS; face encodings will be ~6x slower"
    say "installing community-edge (editable, --no-deps)"
    # No build isolation: the venv already holds the setuptools that
    # pyproject's build-system asks for, so nothing more is fetched.
    pip install --no-deps --no-build-isolation -e .
    stamp_write base "$fp"
}

install_test() {
    install_base
    local fp
    fp=$(fingerprint test requirements/test.lock)
    if stamp_ok test "$fp"; then
        say "test dependencies up to date"
        return
    fi
    say "installing requirements/test.lock"
    pip install -r requirements/test.lock
    stamp_write test "$fp"
}

# ---- system packages (Debian) ----------------------------------------------

system_packages() {  # system_packages FILE: the package names in the list, comments stripped
    awk '{ sub(/#.*/, ""); for (i = 1; i <= NF; i++) print $i }' "$1"
}

package_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

install_system_packages() {  # install_system_packages FILE
    local -a wanted missing=()
    mapfile -t wanted < <(system_packages "$1")
    ((${#wanted[@]})) || return 0
    command -v dpkg-query >/dev/null 2>&1 ||
        die "no dpkg-query: install these system packages by hand: ${wanted[*]}"
    local p
    for p in "${wanted[@]}"; do
        package_installed "$p" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        say "system packages present: ${wanted[*]}"
        return
    fi
    if ((EUID != 0)); then
        die "missing system packages: ${missing[*]}
  install them as root, then re-run:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    fi
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    for p in "${missing[@]}"; do
        package_installed "$p" || die "apt-get did not install $p"
    done
}

# ---- commands -------------------------------------------------------------

cmd_setup() { install_base; }

cmd_setup_test() {
    install_system_packages "$SYSTEM_PACKAGES_FILE"
    install_test
}

cmd_demo() {
    install_base
    if [[ ! -f var/demo/gate-north.avi ]]; then
        say "building the demo gate camera's video from tests/data/faces"
        "$VPY" scripts/make_demo_video.py var/demo/gate-north.avi
    fi
    if [[ ! -f var/demo/facade-b3.mp4 ]]; then
        say "building the demo façade camera's video (two throws) with the scene generator"
        "$VPY" scripts/make_demo_facade.py var/demo
    fi
    if [[ ! -f var/demo/.residents-enrolled ]]; then
        # four of the five people in the photos are residents; Alex Lacamoire stays a stranger
        say "enrolling the demo residents from tests/data/faces/train"
        rm -rf var/demo/residents && mkdir -p var/demo/residents
        cp -r tests/data/faces/train/{obama,biden,kit_harington,rose_leslie} var/demo/residents/
        "$VENV/bin/edge" faces import var/demo/residents --category resident --config config/demo.toml
        rm -rf var/demo/residents
        touch var/demo/.residents-enrolled
    fi
    say "starting the daemon: edge run --config config/demo.toml (Ctrl-C stops it)"
    exec "$VENV/bin/edge" run --config config/demo.toml
}

cmd_test() {
    cmd_setup_test
    local -a args
    eval "args=(${PYTEST_ARGS:-})"
    say "running pytest${args[*]:+ ${args[*]}}"
    exec "$VPY" -m pytest "${args[@]}"
}

cmd_lint() {
    install_test
    say "ruff check edge drivers tests"
    exec "$VENV/bin/ruff" check edge drivers tests
}

cmd_bench() {
    install_base
    say "edge bench store --json"
    exec "$VENV/bin/edge" bench store --json
}

cmd_clean() {
    say "removing $VENV and var/"
    rm -rf "$VENV" var
}

usage() {
    sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

main() {
    case ${1:-} in
        setup) cmd_setup ;;
        setup-test) cmd_setup_test ;;
        demo) cmd_demo ;;
        test) cmd_test ;;
        lint) cmd_lint ;;
        bench) cmd_bench ;;
        clean) cmd_clean ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
