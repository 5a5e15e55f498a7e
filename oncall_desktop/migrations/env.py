"""Alembic environment: migrates the connection `Store.open()` hands over, or `sqlalchemy.url`.

`Store.open()` builds the Alembic config in code and passes its open connection in
`config.attributes["connection"]`, so users need no alembic.ini. Developers generating a revision
can point `sqlalchemy.url` at a scratch database instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from oncall_desktop.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_online()
