"""The database connection every part of the store shares: sessions, write sessions, damage.

A unit of work is one session; a write on SQLite takes the write lock as it begins
(`write`), so writers queue instead of failing on a stale read snapshot: this process's threads on
a lock of the store's own, handed over the moment a write ends, other processes on SQLite's busy
timeout (which sleeps 1, 2, 5, 10… ms between tries, so threads left to it wait milliseconds for a
lock freed in microseconds). A SQLite file that fails its quick integrity check when opened is
`damaged`: reads still work (to rescue data), every write is refused with a one-line reason.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from oncall_desktop.store.config_read import Fetch
from oncall_desktop.store.errors import StoreError, UnavailableError, one_line
from oncall_desktop.store.sqlite_file import damage

WRITE_OPTION = "oncall_write"
"""A connection's execution option: its transaction begins with the write lock (SQLite)."""


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.damaged: str | None = None
        # Re-entrant, so a write nested in a write on one thread is not a silent deadlock here: it
        # waits on SQLite's own lock instead, which times out with an error.
        self._writing: AbstractContextManager[object] = (
            threading.RLock() if self.dialect == "sqlite" else nullcontext()
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads; database failures come out as in `write`."""
        try:
            with self._sessions.begin() as session:
                yield session
        except DBAPIError as error:
            raise _store_error(error) from error

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that writes: committed when the block ends, rolled back if it raises.

        Refused on a damaged file; on SQLite it holds the write lock from its start (BEGIN IMMEDIATE).
        Database failures come out as `StoreError` (bad data) or `UnavailableError` (the database
        could not do it now: locked, gone, disk full), each with a one-line reason.
        """
        if self.damaged is not None:
            raise StoreError(self.damaged)
        try:
            with self._writing, self._sessions.begin() as session:
                if self.dialect == "sqlite":
                    session.connection(execution_options={WRITE_OPTION: True})  # BEGIN IMMEDIATE
                yield session

        except DBAPIError as error:
            raise _store_error(error) from error
        except StatementError as error:
            if isinstance(error.orig, ValueError | TypeError | DBAPIError):
                raise StoreError(f"the database refused it: {one_line(error.orig)}") from error
            raise
        except UnicodeError as error:  # text the driver cannot encode (a lone surrogate): not wrapped
            raise StoreError(f"the database refused it: {one_line(error)}") from error

    @contextmanager
    def rows(self) -> Iterator[Fetch]:
        """A read-only unit of work for `config_read`: its SELECTs see one snapshot (on PostgreSQL,
        a repeatable-read transaction); failures come out as in `write`."""
        try:
            with self.engine.connect() as connection:
                if self.dialect == "postgresql":
                    connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    yield fetch_on(connection)
        except DBAPIError as error:
            raise _store_error(error) from error

    def check_integrity(self, connection: Connection) -> None:
        """SQLite's quick check: a file with damaged pages is marked `damaged` (writes refused)."""
        if self.dialect != "sqlite":
            return
        self.damaged = damage(row[0] for row in connection.exec_driver_sql("PRAGMA quick_check").fetchall())


def fetch_on(connection: Connection) -> Fetch:
    """`config_read`'s way of running its SELECTs, on a connection (a session's, for instance)."""

    def fetch(sql: str) -> Sequence[Any]:
        return connection.exec_driver_sql(sql).fetchall()

    return fetch


def _store_error(error: DBAPIError) -> StoreError:
    if isinstance(error, OperationalError | InterfaceError):
        return UnavailableError(f"the database is unavailable: {one_line(error.orig)}")
    return StoreError(f"the database refused it: {one_line(error.orig)}")
