"""Running the packaged Alembic migrations programmatically (no alembic.ini on the user's side)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

import oncall_desktop.migrations


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config whose scripts are the package's `migrations` directory.

    With `connection`, migrations run on it (inside the caller's transaction); else on `url`.
    """
    config = Config()
    config.set_main_option("script_location", str(Path(oncall_desktop.migrations.__file__).parent))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Bring the schema on `connection` to the newest revision."""
    command.upgrade(alembic_config(connection), "head")
