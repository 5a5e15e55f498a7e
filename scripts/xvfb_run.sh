#!/usr/bin/env bash
# Run a command inside a real X session as a user meets the app: Xvfb plus the openbox window manager
# (so windows get their default size, decorations and focus), then clean both up.
#
#   scripts/xvfb_run.sh COMMAND [ARGS...]
#
# DISPLAY is set for COMMAND and QT_QPA_PLATFORM=xcb. Take pictures with `import -window root FILE.png`
# (ImageMagick) and drive the app with `xdotool` from inside COMMAND. Needs the Debian packages xvfb,
# openbox, imagemagick and xdotool (`scripts/bootstrap.sh shots` installs them as root).
set -euo pipefail

size="${XVFB_SIZE:-1600x1000x24}"
display=""
for n in $(seq 90 140); do
    if [[ ! -e "/tmp/.X11-unix/X$n" && ! -e "/tmp/.X$n-lock" ]]; then
        display=":$n"
        break
    fi
done
[[ -n "$display" ]] || {
    echo "xvfb_run: no free display" >&2
    exit 1
}

Xvfb "$display" -screen 0 "$size" -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
cleanup() {
    [[ -n "${wm:-}" ]] && kill "$wm" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
export DISPLAY="$display" QT_QPA_PLATFORM=xcb
for _ in $(seq 50); do
    [[ -e "/tmp/.X11-unix/X${display#:}" ]] && break
    sleep 0.1
done
openbox >/dev/null 2>&1 &
wm=$!
sleep 0.5
"$@"
