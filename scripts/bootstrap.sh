#!/usr/bin/env bash
# Make this checkout ready to run: system packages (Debian/Ubuntu, as root), then .venv with the project.
#
#   scripts/bootstrap.sh run    # the app:  Qt runtime libraries, python3-venv, `pip install -e .`
#   scripts/bootstrap.sh test   # also the test peers and `pip install -e '.[test]'`
#   scripts/bootstrap.sh shots  # also a real X session for looking at the app (scripts/xvfb_run.sh)
#   scripts/bootstrap.sh package  # the app and the packaging tools (packaging/build.sh), `pip install -e '.[package]'`
#
# Called (not sourced) by scripts/run.sh and scripts/test.sh, so it may cd freely. A second call is quick:
# apt is skipped when dpkg already has everything, pip when pyproject.toml is unchanged since the last install.
set -euo pipefail

mode="${1:-run}"
case "$mode" in
    run | test | shots | package) ;;
    *)
        echo "usage: $0 run|test|shots|package" >&2
        exit 2
        ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# --- system packages --------------------------------------------------------------------------------

# Qt's runtime libraries for PySide6 (xcb platform plugin and offscreen), and venv support for python3.
APP_PKGS=(
    libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
    libxcb-render-util0 libxcb-image0 fonts-dejavu-core python3-venv
    libpulse0  # QtMultimedia (the station's alarm sound) does not load without it
)
# Building and checking the packages (packaging/build.sh): PyInstaller reads binaries with objdump
# (binutils); the .desktop file and the AppStream metainfo are validated by these two.
PACKAGE_PKGS=(binutils desktop-file-utils appstream)
# The real peers the tests run against. postgresql: only its server binaries are used (tests initdb
# throwaway clusters); dbus-run-session comes from dbus-bin or dbus depending on the release (see below).
# The tests also build and validate the packages, so they need PACKAGE_PKGS too.
TEST_PKGS=(prometheus-alertmanager postgresql gnome-keyring dbus dbus-x11 libsecret-tools xvfb xauth
    "${PACKAGE_PKGS[@]}")
# A real X session with a window manager, screenshots and keyboard/mouse driving (scripts/xvfb_run.sh).
SHOT_PKGS=(xvfb openbox imagemagick xdotool)

pkgs=("${APP_PKGS[@]}")
if [[ "$mode" == package ]]; then
    pkgs+=("${PACKAGE_PKGS[@]}")
fi
if [[ "$mode" == test || "$mode" == shots ]]; then
    pkgs+=("${TEST_PKGS[@]}")
fi
if [[ "$mode" == shots ]]; then
    pkgs+=("${SHOT_PKGS[@]}")
    mode=test
fi

is_installed() {
    # Ubuntu 24.04's 64-bit time_t transition renamed some libraries (libglib2.0-0 -> libglib2.0-0t64).
    local p
    for p in "$1" "$1t64"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" == installed ]]; then
            return 0
        fi
    done
    return 1
}

ensure_system_packages() {
    if [[ ! -f /etc/debian_version ]] || ! command -v dpkg-query >/dev/null 2>&1; then
        say "not Debian/Ubuntu: make sure the equivalents of these are installed: ${pkgs[*]}"
        return 0
    fi
    local missing=() p
    for p in "${pkgs[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
    local need_dbus_run_session=0
    if [[ "$mode" == test ]] && ! command -v dbus-run-session >/dev/null 2>&1; then
        need_dbus_run_session=1
    fi
    if ((${#missing[@]} == 0 && need_dbus_run_session == 0)); then
        return 0
    fi
    if [[ "$(id -u)" != 0 ]]; then
        if ((need_dbus_run_session)); then missing+=(dbus-bin); fi # plain dbus on older releases
        say "missing system packages (not root, so not installing them): ${missing[*]}"
        say "install them with: sudo apt-get install --no-install-recommends ${missing[*]}"
        return 0
    fi

    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef
        -o Dpkg::Options::=--force-confold)
    say "apt-get update"
    if ! "${apt[@]}" update </dev/null; then
        say "WARNING: apt-get update failed; continuing without installing: ${missing[*]}"
        return 0
    fi
    if ((need_dbus_run_session)); then
        # Since Debian 12 / Ubuntu 22.10 dbus-run-session lives in dbus-bin; before that in dbus.
        if apt-cache show dbus-bin >/dev/null 2>&1; then missing+=(dbus-bin); else missing+=(dbus); fi
    fi
    # Install packages without starting their system services (postgresql, alertmanager, dbus):
    # the tests start their own throwaway instances. policy-rc.d is Debian's switch for exactly this.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    say "apt-get install ${missing[*]}"
    local rc=0
    "${apt[@]}" install --no-install-recommends "${missing[@]}" </dev/null || rc=$?
    if ((made_policy)); then rm -f "$policy"; fi
    if ((rc != 0)); then
        say "WARNING: apt-get install failed (exit $rc); continuing, but expect failures later"
    fi
}

ensure_system_packages

# --- Python virtualenv --------------------------------------------------------------------------------

is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

find_python() {
    local c
    for c in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$c" >/dev/null 2>&1 && is_py311 "$c"; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

if [[ -x "$VENV/bin/python" ]] && is_py311 "$VENV/bin/python"; then
    :
else
    if [[ -e "$VENV" ]]; then
        say "$VENV is broken or older than Python 3.11: recreating it"
        rm -rf "$VENV"
    fi
    if ! py="$(find_python)"; then
        say "ERROR: needs Python 3.11 or newer (python3, python3.11, ...); none found on PATH."
        say "On Debian/Ubuntu: apt-get install python3 python3-venv (or python3.11 python3.11-venv)."
        exit 1
    fi
    say "creating .venv with $py ($("$py" --version 2>&1))"
    if ! "$py" -m venv "$VENV"; then
        rm -rf "$VENV"
        say "ERROR: '$py -m venv' failed; on Debian/Ubuntu install python3-venv (as root: $0 $mode)."
        exit 1
    fi
fi

# Skip pip when pyproject.toml is unchanged since the last install of this mode (a test install covers run).
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
stamp_matches() { [[ -f "$VENV/.bootstrap-$1" && "$(cat "$VENV/.bootstrap-$1")" == "$hash" ]]; }

# The test extras include the package extras, so a test install covers run and package.
if stamp_matches "$mode" || { [[ "$mode" != test ]] && stamp_matches test; }; then
    exit 0
fi

target="."
[[ "$mode" == test ]] && target=".[test]"
[[ "$mode" == package ]] && target=".[package]"
say "pip install -e '$target' (pyproject.toml changed or first install; this takes a minute)"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -e "$target" </dev/null
printf '%s\n' "$hash" >"$VENV/.bootstrap-$mode"
