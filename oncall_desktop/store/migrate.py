"""Running the packaged Alembic migrations programmatically (no alembic.ini on the user's side).

Alembic (with Mako and Pygments) takes a tenth of a second to import, so it is loaded only when the
schema needs migrating: the revision stored in `alembic_version` is compared first with the head
revision, read from the migration scripts' `revision`/`down_revision` lines without importing them.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

import oncall_desktop.migrations

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

VERSION_TABLE = "alembic_version"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)
_QUOTED = re.compile(r"""^(["'])([^"']+)\1$""")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config whose scripts are the package's `migrations` directory.

    With `connection`, migrations run on it (inside the caller's transaction); else on `url`.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files(oncall_desktop.migrations)))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    """The newest revision among the package's migration scripts, or None when they do not form
    one plain chain this reading understands (a merge, a branch): then Alembic decides."""
    revisions: dict[str, str | None] = {}
    for script in files(oncall_desktop.migrations).joinpath("versions").iterdir():
        if not script.name.endswith(".py"):
            continue
        found = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        revision, down = _literal(found.get("revision", "")), found.get("down_revision", "")
        if revision is None or not down:
            return None
        revisions[revision] = None if down == "None" else _literal(down)
        if down != "None" and revisions[revision] is None:
            return None
    heads = set(revisions) - set(revisions.values())
    roots = [r for r, down in revisions.items() if down is None]
    return heads.pop() if len(heads) == 1 and len(roots) == 1 else None


def _literal(value: str) -> str | None:
    quoted = _QUOTED.match(value)
    return quoted.group(2) if quoted else None


def stored_revisions(connection: Connection) -> set[str]:
    """The revisions `alembic_version` holds (none on a new database)."""
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def is_head(revisions: set[str]) -> bool:
    """Whether a database holding these revisions needs no migration."""
    head = head_revision()
    return head is not None and revisions == {head}


def is_at_head(connection: Connection) -> bool:
    return is_head(stored_revisions(connection))


def upgrade_to_head(connection: Connection) -> None:
    """Bring the schema on `connection` to the newest revision (Alembic is loaded only if it is not)."""
    if is_at_head(connection):
        return
    from alembic import command

    command.upgrade(alembic_config(connection), "head")
