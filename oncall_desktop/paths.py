"""Where the store lives (SPEC §5, §7): `--db`, else `ONCALL_DESKTOP_DB`, else a SQLite file in the
user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "oncall-desktop"
DATABASE_FILE = "oncall-desktop.sqlite3"
DATABASE_ENV = "ONCALL_DESKTOP_DB"


def default_database_path() -> Path:
    """The default SQLite file, in the platform's user data directory."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / DATABASE_FILE


def default_database_url() -> str:
    """A SQLAlchemy URL for the default SQLite file (the store creates the file and its directory)."""
    return f"sqlite:///{default_database_path()}"


def database_url(cli_value: str | None) -> str:
    """The store URL to use: the command line's, else `ONCALL_DESKTOP_DB`'s, else the default."""
    if cli_value:
        return cli_value
    from_env = os.environ.get(DATABASE_ENV)
    if from_env:
        return from_env
    return default_database_url()
