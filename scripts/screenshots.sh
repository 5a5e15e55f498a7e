#!/usr/bin/env bash
# Regenerate every image in docs/screenshots/ offscreen: calendar, ladder, rule editor, incidents (+ tray),
# settings, the iCal dialogs, integrations, the import wizard, reach (heartbeats, maintenance
# windows, chat URLs) and planning (reports, time off). Run from anywhere: scripts/screenshots.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export QT_QPA_PLATFORM=offscreen

for name in calendar ladder rules incidents settings ical integrations import reach planning; do
    echo "== scripts/screenshots_${name}.py"
    .venv/bin/python "scripts/screenshots_${name}.py"
done
