"""A SQLite database file spoken to with the standard `sqlite3` module, without SQLAlchemy.

Opening the store and reading the configuration go through here when the database is a plain
SQLite file (the default), so the window's first paint needs neither SQLAlchemy nor its ORM
(SPEC §14). Writes and everything else go through SQLAlchemy, whose connections get the same
settings from `configure` (see `store.store`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oncall_desktop.store.config_read import Fetch
from oncall_desktop.store.errors import StoreError, UnavailableError, one_line
from oncall_desktop.store.migrate import VERSION_TABLE

BUSY_TIMEOUT_MS = 30_000


_PLAIN_FILE = re.compile(r"^sqlite(?:\+pysqlite)?:///(?P<path>[^?%~]+)$")


def file_path(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` URL with nothing special in it (no query, no escapes, not
    in memory, not a `file:` URI), else None (SQLAlchemy then handles the URL)."""
    found = _PLAIN_FILE.match(url)
    if found is None:
        return None
    path = found.group("path")
    if path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def prepare(path: Path) -> None:
    """Create the file's directory and the file itself, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def configure(connection: Any) -> None:
    """What every connection to the file runs first, the store's own and SQLAlchemy's alike."""
    # pysqlite's own transaction handling does not BEGIN before SELECTs or DDL; turn it off and let
    # the store emit BEGIN, so every unit of work (and every migration) is one transaction.
    connection.isolation_level = None
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a commit is on disk before it returns, so an alert answered 2xx survives a power cut
        # (NORMAL in WAL mode can lose the last commits); group commits keep intake fast all the same.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


class Opened:
    """What opening the file found: whether it is damaged, and which schema revisions it holds."""

    def __init__(self, damaged: str | None, revisions: set[str]) -> None:
        self.damaged = damaged
        self.revisions = revisions


def open_file(path: Path) -> Opened:
    """Create the file if need be, run SQLite's quick integrity check and read the schema revision.

    Raises `sqlite3.Error` when the file cannot be used at all (not a database, unreadable).
    """
    prepare(path)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        configure(connection)
        damaged = damage(row[0] for row in connection.execute("PRAGMA quick_check").fetchall())
        if damaged is not None:
            return Opened(damaged, set())
        has_versions = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
        ).fetchall()
        revisions = (
            {str(row[0]) for row in connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")}
            if has_versions
            else set()
        )
        return Opened(None, revisions)
    finally:
        connection.close()


def damage(check: Any) -> str | None:
    """Why the file is damaged, from the rows of `PRAGMA quick_check`, or None when it said "ok"."""
    rows = [str(row) for row in check]
    if rows == ["ok"]:
        return None
    detail = rows[0] if rows else "no answer"
    return (
        f"the database file is damaged ({detail}); nothing is written to it — "
        "restore it from a backup, or start with another file (--db)"
    )


class _Connection:
    """A thread's connection, with the lock it holds while reading so that `Reader.close()` (from
    any thread) never closes it under a query, which would crash the interpreter."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.lock = threading.Lock()
        self.closed = False


class Reader:
    """Read-only units of work on the file, each thread on a connection of its own that it keeps
    (opening one costs a hundred times the engine's typical read). A connection that fails is
    closed and opened again on the thread's next read; `close()` closes them all, each once its
    read in progress (if any) has ended."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[_Connection] = []

    @contextmanager
    def reading(self) -> Iterator[Fetch]:
        """One unit of work: its SELECTs see one snapshot of the file. Failures come out as the
        store's errors, each with a one-line reason."""
        held = self._hold()
        try:
            connection = held.connection
            try:
                connection.execute("BEGIN")
                try:

                    def fetch(sql: str) -> Sequence[Any]:
                        return connection.execute(sql).fetchall()

                    yield fetch
                finally:
                    connection.execute("COMMIT")  # ends the read snapshot (checkpoints wait for it)
            except sqlite3.Error as error:
                self._drop(held)
                raise _store_error(error) from error
        finally:
            held.lock.release()

    def close(self) -> None:
        with self._lock:
            connections, self._open = self._open, []
        for held in connections:
            with held.lock:  # after the read in progress on it, if any
                held.closed = True
                held.connection.close()

    def _hold(self) -> _Connection:
        """This thread's connection, open, with its lock taken."""
        while True:
            held: _Connection | None = getattr(self._local, "connection", None)
            if held is None:
                held = self._connect()
            held.lock.acquire()
            if not held.closed:
                return held
            held.lock.release()  # `close()` closed it since this thread last read
            self._local.connection = None

    def _connect(self) -> _Connection:
        try:
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise _store_error(error) from error
        held = _Connection(connection)
        with self._lock:
            self._open.append(held)
        self._local.connection = held
        return held

    def _drop(self, held: _Connection) -> None:
        """Close a connection that failed (its lock is held): the thread's next read opens another."""
        self._local.connection = None
        with self._lock:
            if held in self._open:
                self._open.remove(held)
        held.closed = True
        held.connection.close()


def _store_error(error: sqlite3.Error) -> StoreError:
    reason = one_line(error)
    if isinstance(error, sqlite3.OperationalError | sqlite3.InterfaceError):
        return UnavailableError(f"the database is unavailable: {reason}")
    return StoreError(f"the database refused it: {reason}")
