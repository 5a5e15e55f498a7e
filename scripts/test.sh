#!/usr/bin/env bash
# Set up (first time, or when pyproject.toml changed) and run every check CI runs, failing fast:
#   ruff check, ruff format --check, mypy, lint-imports, then pytest with Qt offscreen, inside a private
#   D-Bus session with an unlocked, throwaway gnome-keyring (the real Secret Service keyring backend).
# Arguments go to pytest: ./scripts/test.sh -k ladder -x
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/bootstrap.sh" test
export PATH="$ROOT/.venv/bin:$PATH"

step() { printf '\n==> [%s] %s\n' "$1" "$2"; }

step 1/5 "ruff check ."
ruff check .
step 2/5 "ruff format --check ."
ruff format --check .
step 3/5 "mypy"
mypy
step 4/5 "lint-imports"
lint-imports

# Runs inside dbus-run-session: everything it starts ends with that session.
pytest_in_session() {
    set -euo pipefail
    # Not local: the EXIT trap runs after this function has returned.
    _scratch="$(mktemp -d)" # 0700, so Qt accepts it as XDG_RUNTIME_DIR
    trap 'rm -rf "$_scratch"' EXIT
    # The keyring's files and control socket live in the scratch dir, never in the user's real keyring.
    export XDG_DATA_HOME="$_scratch/data" XDG_RUNTIME_DIR="$_scratch"
    mkdir -p "$XDG_DATA_HOME"
    # gnome-keyring creates the default ("login") collection only when unlocked with a non-empty password.
    eval "$(printf 'test' | gnome-keyring-daemon --unlock --components=secrets)"
    local probe
    if ! probe="$(python -c '
import keyring
from keyring.backends.SecretService import Keyring
assert isinstance(keyring.get_keyring(), Keyring), keyring.get_keyring()
keyring.set_password("oncall-desktop-test", "probe", "z")
print(keyring.get_password("oncall-desktop-test", "probe"))
keyring.delete_password("oncall-desktop-test", "probe")
')" || [[ "$probe" != z ]]; then
        printf 'test.sh: the Secret Service keyring does not work in the test session (got %q)\n' "$probe" >&2
        return 1
    fi
    echo "keyring: SecretService (gnome-keyring) unlocked in a private D-Bus session"

    export QT_QPA_PLATFORM=offscreen TZ=UTC
    local rc=0
    python -m pytest "$@" || rc=$?
    if ((rc == 5)); then
        echo "test.sh: pytest collected no tests; that is a failure here" >&2
        return 1
    fi
    return "$rc"
}

step 5/5 "pytest (QT_QPA_PLATFORM=offscreen, TZ=UTC, dbus-run-session + gnome-keyring)"
export -f pytest_in_session
exec dbus-run-session -- bash -c 'pytest_in_session "$@"' pytest_in_session "$@"
