#!/usr/bin/env bash
# Set up (first time, or when pyproject.toml changed) and start oncall-desktop.
# Arguments go to the app: ./scripts/run.sh --db postgresql+psycopg://..., ./scripts/run.sh who --json
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/bootstrap.sh" run
# No cd: relative paths in the arguments (config apply ./team.yaml) mean the caller's directory.
exec "$ROOT/.venv/bin/oncall-desktop" "$@"
