"""The store: the configuration and the paging history in one SQL database (SPEC §2, §7).

Rows are converted to domain values here, at the edge; nothing outside this package sees a row.
The configuration is read with plain SELECTs (`config_read`); on a SQLite file (the default) they run
on the standard `sqlite3` module, so opening the store and reading the configuration — all the
window's first paint needs — load no SQLAlchemy (SPEC §14). Everything else (writes, incidents,
the outbox, the station's tables) goes through SQLAlchemy, set up on first use (`store.orm`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from oncall_desktop.domain import (
    Configuration,
    Integration,
    MaintenanceWindow,
    OnCallRule,
    Override,
    Person,
    Settings,
    Team,
)
from oncall_desktop.store import sqlite_file
from oncall_desktop.store.config_read import (
    Fetch,
    read_configuration,
    read_integrations,
    read_revision,
)
from oncall_desktop.store.errors import InUseError, NotFoundError, StoreError, StoreOpenError, one_line
from oncall_desktop.store.migrate import is_head
from oncall_desktop.store.tokens import new_token

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from oncall_desktop.store.db import Database
    from oncall_desktop.store.feeds import CalendarFeeds
    from oncall_desktop.store.heartbeats import Heartbeats
    from oncall_desktop.store.incidents import IncidentStore
    from oncall_desktop.store.lease import EngineLease
    from oncall_desktop.store.orm import OrmParts
    from oncall_desktop.store.outbox import Outbox
    from oncall_desktop.store.paging import PagingState
    from oncall_desktop.store.planning import PlanningStore
    from oncall_desktop.store.reminders import ReminderOutbox
    from oncall_desktop.store.swaps import SwapStore

MIGRATION_LOCK_KEY = 0x0C411D35  # any constant this app alone uses


class Store:
    """The database behind the app, the CLI and the station.

    Open it with `Store.open(url)`; it migrates the schema to the newest revision. Use one `session()`
    per unit of work and never share a session across threads.
    """

    def __init__(self, url: str, path: Path | None, damaged: str | None) -> None:
        self.url = url
        # A SQLite file's configuration is read with `sqlite3`; otherwise everything is SQLAlchemy's.
        self._reader = sqlite_file.Reader(path) if path is not None else None

        self._damaged = damaged
        self._parts: OrmParts | None = None
        self._parts_lock = threading.Lock()

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` (any SQLAlchemy URL) and run the migrations up to head.

        A SQLite file that fails its quick integrity check opens for reading only: every write is
        refused with a one-line reason (`StoreError`), so a damaged file is never made worse.
        """
        path = sqlite_file.file_path(url)
        if path is None:
            store = cls(url, None, None)
        else:
            try:
                opened = sqlite_file.open_file(path)
            except (sqlite3.Error, OSError) as error:
                raise StoreOpenError(one_line(error)) from error
            store = cls(url, path, opened.damaged)
            if opened.damaged is not None or is_head(opened.revisions):
                return store  # nothing to migrate: SQLAlchemy waits for its first use
        store._migrate()
        return store

    def _migrate(self) -> None:
        """Check (SQLite) and migrate the schema on SQLAlchemy; StoreOpenError if that fails."""
        from sqlalchemy.exc import SQLAlchemyError

        from oncall_desktop.store.migrate import upgrade_to_head

        try:
            parts = self._orm()
        except (SQLAlchemyError, OSError, ValueError) as error:
            raise StoreOpenError(one_line(error)) from error
        try:
            with parts.engine.begin() as connection:
                parts.db.check_integrity(connection)
                self._damaged = parts.db.damaged
                if self._damaged is not None:
                    return
                if connection.dialect.name == "postgresql":
                    # Stations starting together against one fresh database migrate one at a time.
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
                upgrade_to_head(connection)
        except (SQLAlchemyError, OSError) as error:
            self.close()
            raise StoreOpenError(one_line(getattr(error, "orig", None) or error)) from error
        except BaseException:
            self.close()
            raise

    def _orm(self) -> OrmParts:
        """The SQLAlchemy side, built (and SQLAlchemy imported) the first time something needs it."""
        with self._parts_lock:
            if self._parts is None:
                from oncall_desktop.store.orm import OrmParts

                self._parts = OrmParts(self.url, self._damaged)
            return self._parts

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._parts is not None:
            self._parts.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def damaged(self) -> str | None:
        """Why writes are refused (a damaged SQLite file), or None."""
        return self._damaged

    # -- the parts on SQLAlchemy ----------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self._orm().engine

    @property
    def db(self) -> Database:
        return self._orm().db

    @property
    def incidents(self) -> IncidentStore:
        return self._orm().incidents

    @property
    def outbox(self) -> Outbox:
        return self._orm().outbox

    @property
    def paging(self) -> PagingState:
        return self._orm().paging

    @property
    def lease(self) -> EngineLease:
        return self._orm().lease

    @property
    def feeds(self) -> CalendarFeeds:
        return self._orm().feeds

    @property
    def heartbeats(self) -> Heartbeats:
        return self._orm().heartbeats

    @property
    def planning(self) -> PlanningStore:
        return self._orm().planning

    @property
    def swaps(self) -> SwapStore:
        return self._orm().swaps

    @property
    def reminders(self) -> ReminderOutbox:
        return self._orm().reminders

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one unit of work: committed when the block ends, rolled back if it raises.

        For the store's own modules and for tests that inspect the database; nothing else in the
        program sees a session or a row.
        """
        with self.db.read() as session:
            yield session

    # -- reading --------------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Fetch]:
        """One read-only unit of work for `config_read`: one snapshot of the database."""
        if self._reader is not None:
            with self._reader.reading() as fetch:
                yield fetch

        else:
            with self.db.rows() as fetch:
                yield fetch

    def revision(self) -> int:
        """A counter bumped by every configuration write, by any process sharing this database."""
        with self._reading() as fetch:
            return read_revision(fetch)

    def load_configuration(self) -> Configuration:
        """The whole configuration; the default rule is always present, last."""
        with self._reading() as fetch:
            return read_configuration(fetch)

    def integrations(self) -> list[Integration]:
        """The integrations in their order, each with its token."""
        with self._reading() as fetch:
            return list(read_integrations(fetch))

    # -- writing (`config_write`) ---------------------------------------------------------------

    def replace_configuration(self, config: Configuration) -> None:
        """Replace the whole configuration with `config`, all or nothing; incidents are kept.

        Integrations keep their tokens while their ids stay (unless `config` gives one); new ones get
        a fresh random token. People given without a colour keep theirs the same way; new ones get
        a palette colour nobody else has. Overrides keep their ids when they carry ids that exist.
        Of the default rule only its layers and ladder are stored; it always exists.
        """
        self._orm().writer.replace_configuration(config)

    def save_person(self, person: Person) -> None:
        """Insert or update a person; a new person goes last. A person saved without a colour keeps
        the stored one, or (new) gets a palette colour nobody else has."""
        self._orm().writer.save_person(person)

    def delete_person(self, person_id: str) -> None:
        """Delete a person who is no longer referred to; else InUseError naming every use."""
        self._orm().writer.delete_person(person_id)

    def save_team(self, team: Team) -> None:
        """Insert or update a team with its members in order; a new team goes last."""
        self._orm().writer.save_team(team)

    def delete_team(self, team_id: str) -> None:
        """Delete a team no rule refers to; else InUseError naming every use."""
        self._orm().writer.delete_team(team_id)

    def save_rule(self, rule: OnCallRule) -> None:
        """Insert or replace a rule, keeping its position; a new rule goes last. Its overrides stay.

        Of the default rule only its layers and ladder are stored.
        """
        self._orm().writer.save_rule(rule)

    def delete_rule(self, rule_id: str) -> None:
        """Delete a rule and its overrides. The default rule cannot be deleted."""
        self._orm().writer.delete_rule(rule_id)

    def add_override(self, override: Override) -> Override:
        """Store a new override; returns it with its id."""
        return self._orm().writer.add_override(override)

    def update_override(self, override: Override) -> None:
        """Change the override with `override.id`."""
        self._orm().writer.update_override(override)

    def delete_override(self, override_id: int) -> None:
        self._orm().writer.delete_override(override_id)

    def add_overrides(self, overrides: Sequence[Override]) -> list[Override]:
        """Store new overrides in one write, after the existing ones (so they win where they
        overlap); returns them with their ids, in order."""
        return self._orm().writer.add_overrides(overrides)

    def delete_overrides(self, override_ids: Sequence[int]) -> None:
        """Delete these overrides in one write; NotFoundError (nothing deleted) if one is gone."""
        self._orm().writer.delete_overrides(override_ids)

    def save_integration(self, integration: Integration, position: int | None = None) -> Integration:
        """Insert or update an integration; returns it as stored, with its token.

        A new one goes at `position` (default: last) and gets a fresh token unless it brings one;
        an existing one keeps its place, and its token unless `integration.token` is given.
        """
        return self._orm().writer.save_integration(integration, position)

    def delete_integration(self, integration_id: str) -> None:
        """Delete an integration: its URL stops working at once (403). Incidents it opened stay."""
        self._orm().writer.delete_integration(integration_id)

    def rotate_integration_token(self, integration_id: str, token: str | None = None) -> str:
        """Give the integration `token` (default: a fresh random one) and return it; the old URL
        stops working at once."""
        return self._orm().writer.rotate_integration_token(integration_id, token)

    def save_maintenance(self, windows: Sequence[MaintenanceWindow]) -> None:
        """Replace the maintenance windows (SPEC §13), in their order."""
        self._orm().writer.save_maintenance(windows)

    def save_settings(self, settings: Settings) -> None:
        self._orm().writer.save_settings(settings)


__all__ = ["InUseError", "NotFoundError", "Store", "StoreError", "new_token"]
