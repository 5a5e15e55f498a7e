"""The store's SQLAlchemy side: the engine, its sessions and the stores built on them.

`Store` builds this on first use (a write, the paging station, anything past reading the
configuration), so opening the window loads no SQLAlchemy before the first paint (SPEC §14).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from oncall_desktop.store import sqlite_file
from oncall_desktop.store.config_write import ConfigWriter
from oncall_desktop.store.db import WRITE_OPTION, Database
from oncall_desktop.store.feeds import CalendarFeeds
from oncall_desktop.store.heartbeats import Heartbeats
from oncall_desktop.store.incidents import IncidentStore
from oncall_desktop.store.lease import EngineLease
from oncall_desktop.store.outbox import Outbox
from oncall_desktop.store.paging import PagingState
from oncall_desktop.store.planning import PlanningStore
from oncall_desktop.store.reminders import ReminderOutbox
from oncall_desktop.store.swaps import SwapStore


class OrmParts:
    def __init__(self, url: str, damaged: str | None) -> None:
        self.engine = create_store_engine(url)
        self.db = Database(self.engine)
        self.db.damaged = damaged
        self.writer = ConfigWriter(self.db)
        self.incidents = IncidentStore(self.db)
        self.outbox = Outbox(self.db)
        self.paging = PagingState(self.db)
        self.lease = EngineLease(self.db)
        self.feeds = CalendarFeeds(self.db)
        self.heartbeats = Heartbeats(self.db)
        self.planning = PlanningStore(self.db, self.writer.write)
        self.swaps = SwapStore(self.db, self.writer.write)
        self.reminders = ReminderOutbox(self.db)


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        sqlite_file.prepare(Path(database).expanduser())
    engine = create_engine(parsed, connect_args={"timeout": sqlite_file.BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    sqlite_file.configure(dbapi_connection)


def _on_sqlite_begin(connection: Connection) -> None:
    # On the driver's connection: through SQLAlchemy's execution this costs as much as a query.
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.connection.driver_connection.execute(  # type: ignore[union-attr]
        "BEGIN IMMEDIATE" if write else "BEGIN"
    )
