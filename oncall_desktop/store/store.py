"""The store: the configuration and the paging history in one SQL database (SPEC §2, §7).

ORM rows are converted to domain objects here, at the edge; nothing outside this package sees a row.
Every configuration write runs in its own transaction and first bumps the revision counter, which
both lets other processes notice the change cheaply and takes the write lock before anything is read.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from oncall_desktop import timeutil
from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    TEAM_PREFIX,
    Channel,
    Configuration,
    EscalationLevel,
    Integration,
    IntegrationKind,
    Layer,
    MaintenanceWindow,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    RotationPeriod,
    Settings,
    Severity,
    SmtpSettings,
    StationSettings,
    Status,
    Target,
    Team,
    TwilioSettings,
    Window,
)
from oncall_desktop.person_colours import next_colour
from oncall_desktop.store.db import Database, one_line
from oncall_desktop.store.errors import InUseError, NotFoundError, StoreError, StoreOpenError
from oncall_desktop.store.feeds import CalendarFeeds
from oncall_desktop.store.heartbeats import Heartbeats
from oncall_desktop.store.incidents import IncidentStore
from oncall_desktop.store.lease import EngineLease
from oncall_desktop.store.maintenance import load_windows, replace_windows
from oncall_desktop.store.migrate import upgrade_to_head
from oncall_desktop.store.models import (
    ConditionRow,
    ConfigState,
    IntegrationRow,
    LayerRow,
    LayerWindowRow,
    LevelRow,
    OverrideRow,
    PersonnelRow,
    PersonRow,
    RuleRow,
    SettingsRow,
    TargetRow,
    TeamMemberRow,
    TeamRow,
    WindowRow,
)
from oncall_desktop.store.outbox import Outbox
from oncall_desktop.store.paging import PagingState
from oncall_desktop.store.planning import PlanningStore, load_time_off, replace_time_off, time_off_ids
from oncall_desktop.store.planning_models import TimeOffRow
from oncall_desktop.store.reminders import ReminderOutbox, reminder_values, reminders_from_row
from oncall_desktop.store.swaps import SwapStore

SQLITE_BUSY_TIMEOUT_MS = 30_000
DEFAULT_RULE_NAME = "Default"
ENGINE_LEASE = "engine"
MIGRATION_LOCK_KEY = 0x0C411D35  # any constant this app alone uses
MIN_TOKEN_LENGTH = 16  # SPEC §11: shorter integration tokens are refused


class Store:
    """The database behind the app, the CLI and the station.

    Open it with `Store.open(url)`; it migrates the schema to the newest revision. Use one `session()`
    per unit of work and never share a session across threads.
    """

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self.db = Database(engine)
        self.incidents = IncidentStore(self.db)
        self.outbox = Outbox(self.db)
        self.paging = PagingState(self.db)
        self.lease = EngineLease(self.db)
        self.feeds = CalendarFeeds(self.db)
        self.heartbeats = Heartbeats(self.db)
        self.planning = PlanningStore(self.db, self._config_write)
        self.swaps = SwapStore(self.db, self._config_write)
        self.reminders = ReminderOutbox(self.db)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` (any SQLAlchemy URL) and run the migrations up to head.

        A SQLite file that fails its quick integrity check opens for reading only: every write is
        refused with a one-line reason (`StoreError`), so a damaged file is never made worse.
        """
        try:
            engine = _create_engine(url)
        except (SQLAlchemyError, OSError, ValueError) as error:
            raise StoreOpenError(one_line(error)) from error
        try:
            store = cls(url, engine)
            with engine.begin() as connection:
                store.db.check_integrity(connection)
                if store.db.damaged is not None:
                    return store
                if connection.dialect.name == "postgresql":
                    # Stations starting together against one fresh database migrate one at a time.
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
                upgrade_to_head(connection)
        except (SQLAlchemyError, OSError) as error:
            engine.dispose()
            raise StoreOpenError(one_line(getattr(error, "orig", None) or error)) from error
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def damaged(self) -> str | None:
        """Why writes are refused (a damaged SQLite file), or None."""
        return self.db.damaged

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one unit of work: committed when the block ends, rolled back if it raises.

        For the store's own modules and for tests that inspect the database; nothing else in the
        program sees a session or a row.
        """
        with self.db.read() as session:
            yield session

    @contextmanager
    def _config_write(self) -> Iterator[Session]:
        """A configuration write: bumps the revision first, turns constraint failures into StoreError."""
        try:
            with self.db.write() as session:
                session.execute(
                    update(ConfigState).where(ConfigState.id == 1).values(revision=ConfigState.revision + 1)
                )
                yield session
        except StoreError as error:
            cause = error.__cause__
            if isinstance(cause, IntegrityError):
                raise StoreError(f"the configuration is inconsistent: {cause.orig}") from None
            raise

    # -- reading --------------------------------------------------------------------------------

    def revision(self) -> int:
        """A counter bumped by every configuration write, by any process sharing this database."""
        with self.session() as session:
            return session.scalar(select(ConfigState.revision).where(ConfigState.id == 1)) or 0

    def load_configuration(self) -> Configuration:
        """The whole configuration; the default rule is always present, last."""
        with self.session() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            people = session.scalars(select(PersonRow).order_by(PersonRow.position, PersonRow.id))
            teams = session.scalars(
                select(TeamRow).options(selectinload(TeamRow.members)).order_by(TeamRow.position, TeamRow.id)
            )
            rules = session.scalars(
                select(RuleRow)
                .options(
                    selectinload(RuleRow.windows),
                    selectinload(RuleRow.conditions),
                    selectinload(RuleRow.layers).selectinload(LayerRow.personnel),
                    selectinload(RuleRow.layers).selectinload(LayerRow.windows),
                    selectinload(RuleRow.levels).selectinload(LevelRow.targets),
                )
                .order_by(RuleRow.position, RuleRow.id)
            ).all()
            overrides = session.scalars(select(OverrideRow).order_by(OverrideRow.start_at, OverrideRow.id))
            integrations = session.scalars(
                select(IntegrationRow).order_by(IntegrationRow.position, IntegrationRow.id)
            )
            settings_row = session.get(SettingsRow, 1)
            custom = [_rule(row) for row in rules if row.id != DEFAULT_RULE_ID]
            default_row = next((row for row in rules if row.id == DEFAULT_RULE_ID), None)
            return Configuration(
                people=tuple(_person(row) for row in people),
                teams=tuple(_team(row) for row in teams),
                rules=(*custom, _default_rule(default_row)),
                overrides=tuple(_override(row) for row in overrides),
                integrations=tuple(_integration(row) for row in integrations),
                settings=_settings(settings_row),
                maintenance=load_windows(session),
                time_off=tuple(load_time_off(session)),
            )

    def integrations(self) -> list[Integration]:
        """The integrations in their order, each with its token."""
        with self.session() as session:
            rows = session.scalars(
                select(IntegrationRow).order_by(IntegrationRow.position, IntegrationRow.id)
            )
            return [_integration(row) for row in rows]

    # -- replacing everything -------------------------------------------------------------------

    def replace_configuration(self, config: Configuration) -> None:
        """Replace the whole configuration with `config`, all or nothing; incidents are kept.

        Integrations keep their tokens while their ids stay (unless `config` gives one); new ones get
        a fresh random token. People given without a colour keep theirs the same way; new ones get
        a palette colour nobody else has. Overrides keep their ids when they carry ids that exist.
        Of the default rule only its layers and ladder are stored; it always exists.
        """
        with self._config_write() as session:
            kept_override_ids = set(session.scalars(select(OverrideRow.id)))
            kept_time_off_ids = time_off_ids(session)
            stored_colours: dict[str, str | None] = dict(
                session.execute(select(PersonRow.id, PersonRow.colour)).all()
            )
            for model in (
                TimeOffRow,
                OverrideRow,
                TargetRow,
                LevelRow,
                PersonnelRow,
                LayerWindowRow,
                LayerRow,
                ConditionRow,
                WindowRow,
                RuleRow,
                TeamMemberRow,
                TeamRow,
                PersonRow,
            ):
                session.execute(delete(model))
            people = _with_colours(config.people, stored_colours)
            _insert(session, PersonRow, [_person_values(p, i) for i, p in enumerate(people)])
            _insert(session, TeamRow, [_team_values(t, i) for i, t in enumerate(config.teams)])
            _insert(session, TeamMemberRow, [m for t in config.teams for m in _member_values(t)])
            rules = list(config.rules)
            if not any(rule.id == DEFAULT_RULE_ID for rule in rules):
                rules.append(_empty_default_rule())
            _insert(session, RuleRow, [_rule_values(r, i) for i, r in enumerate(rules)])
            for rule in rules:
                _insert_rule_children(session, rule)
            with_id = [o for o in config.overrides if o.id is not None and o.id in kept_override_ids]
            without_id = [o for o in config.overrides if o not in with_id]
            _insert(session, OverrideRow, [{"id": o.id, **_override_values(o)} for o in with_id])
            _insert(session, OverrideRow, [_override_values(o) for o in without_id])
            _replace_integrations(session, config.integrations)
            _save_settings(session, config.settings)
            replace_windows(session, config.maintenance)
            replace_time_off(session, config.time_off, kept_time_off_ids)

    # -- granular edits -------------------------------------------------------------------------

    def save_person(self, person: Person) -> None:
        """Insert or update a person; a new person goes last. A person saved without a colour keeps
        the stored one, or (new) gets a palette colour nobody else has."""
        with self._config_write() as session:
            row = session.get(PersonRow, person.id)
            if person.colour is None:
                colour = row.colour if row is not None else None
                taken = session.scalars(select(PersonRow.colour).where(PersonRow.id != person.id))
                person = replace(person, colour=colour or next_colour(taken))
            if row is None:
                values = _person_values(person, _next_position(session, PersonRow))
                session.execute(insert(PersonRow), [values])
            else:
                values = _person_values(person, row.position)
                session.execute(update(PersonRow).where(PersonRow.id == person.id).values(values))

    def delete_person(self, person_id: str) -> None:
        """Delete a person who is no longer referred to; else InUseError naming every use."""
        with self._config_write() as session:
            if session.get(PersonRow, person_id) is None:
                raise NotFoundError(f"no person {person_id!r}")
            uses = _person_uses(session, person_id)
            if uses:
                raise InUseError(f"person {person_id!r} is still used by {', '.join(uses)}")
            session.execute(delete(PersonRow).where(PersonRow.id == person_id))

    def save_team(self, team: Team) -> None:
        """Insert or update a team with its members in order; a new team goes last."""
        with self._config_write() as session:
            row = session.get(TeamRow, team.id)
            if row is None:
                session.execute(insert(TeamRow), [_team_values(team, _next_position(session, TeamRow))])
            else:
                session.execute(update(TeamRow).where(TeamRow.id == team.id).values(name=team.name))
                session.execute(delete(TeamMemberRow).where(TeamMemberRow.team_id == team.id))
            _insert(session, TeamMemberRow, _member_values(team))

    def delete_team(self, team_id: str) -> None:
        """Delete a team no rule refers to; else InUseError naming every use."""
        with self._config_write() as session:
            if session.get(TeamRow, team_id) is None:
                raise NotFoundError(f"no team {team_id!r}")
            uses = _team_uses(session, team_id)
            if uses:
                raise InUseError(f"team {team_id!r} is still used by {', '.join(uses)}")
            session.execute(delete(TeamMemberRow).where(TeamMemberRow.team_id == team_id))
            session.execute(delete(TeamRow).where(TeamRow.id == team_id))

    def save_rule(self, rule: OnCallRule) -> None:
        """Insert or replace a rule, keeping its position; a new rule goes last. Its overrides stay.

        Of the default rule only its layers and ladder are stored.
        """
        with self._config_write() as session:
            row = session.get(RuleRow, rule.id)
            if row is None:
                session.execute(insert(RuleRow), [_rule_values(rule, _next_position(session, RuleRow))])
            else:
                _delete_rule_children(session, rule.id)
                values = _rule_values(rule, row.position)
                session.execute(update(RuleRow).where(RuleRow.id == rule.id).values(values))
            _insert_rule_children(session, rule)

    def delete_rule(self, rule_id: str) -> None:
        """Delete a rule and its overrides. The default rule cannot be deleted."""
        if rule_id == DEFAULT_RULE_ID:
            raise StoreError("the default rule cannot be deleted")
        with self._config_write() as session:
            if session.get(RuleRow, rule_id) is None:
                raise NotFoundError(f"no rule {rule_id!r}")
            session.execute(delete(OverrideRow).where(OverrideRow.rule_id == rule_id))
            _delete_rule_children(session, rule_id)
            session.execute(delete(RuleRow).where(RuleRow.id == rule_id))

    def add_override(self, override: Override) -> Override:
        """Store a new override; returns it with its id."""
        with self._config_write() as session:
            row = OverrideRow(**_override_values(override))
            session.add(row)
            session.flush()
            return replace(override, id=row.id)

    def update_override(self, override: Override) -> None:
        """Change the override with `override.id`."""
        if override.id is None:
            raise NotFoundError("an override without an id cannot be updated")
        with self._config_write() as session:
            result = session.execute(
                update(OverrideRow).where(OverrideRow.id == override.id).values(_override_values(override))
            )
            if _rowcount(result) == 0:
                raise NotFoundError(f"no override {override.id}")

    def delete_override(self, override_id: int) -> None:
        with self._config_write() as session:
            result = session.execute(delete(OverrideRow).where(OverrideRow.id == override_id))
            if _rowcount(result) == 0:
                raise NotFoundError(f"no override {override_id}")

    def add_overrides(self, overrides: Sequence[Override]) -> list[Override]:
        """Store new overrides in one write, after the existing ones (so they win where they
        overlap); returns them with their ids, in order."""
        with self._config_write() as session:
            rows = [OverrideRow(**_override_values(o)) for o in overrides]
            session.add_all(rows)
            session.flush()
            return [replace(o, id=row.id) for o, row in zip(overrides, rows, strict=True)]

    def delete_overrides(self, override_ids: Sequence[int]) -> None:
        """Delete these overrides in one write; NotFoundError (nothing deleted) if one is gone."""
        with self._config_write() as session:
            wanted = set(override_ids)
            found = set(session.scalars(select(OverrideRow.id).where(OverrideRow.id.in_(wanted))))
            missing = sorted(wanted - found)
            if missing:
                raise NotFoundError(f"no override {', '.join(map(str, missing))}")
            session.execute(delete(OverrideRow).where(OverrideRow.id.in_(wanted)))

    def save_integration(self, integration: Integration, position: int | None = None) -> Integration:
        """Insert or update an integration; returns it as stored, with its token.

        A new one goes at `position` (default: last) and gets a fresh token unless it brings one;
        an existing one keeps its place, and its token unless `integration.token` is given.
        """
        if integration.token is not None and len(integration.token) < MIN_TOKEN_LENGTH:
            raise StoreError(f"an integration token needs at least {MIN_TOKEN_LENGTH} characters")
        with self._config_write() as session:
            row = session.get(IntegrationRow, integration.id)
            if row is not None:
                token = integration.token or row.token
                values = _integration_values(integration, row.position, token)
                session.execute(
                    update(IntegrationRow).where(IntegrationRow.id == integration.id).values(values)
                )
                return replace(integration, token=token)
            end = _next_position(session, IntegrationRow)
            at = end if position is None else max(0, min(position, end))
            session.execute(
                update(IntegrationRow)
                .where(IntegrationRow.position >= at)
                .values(position=IntegrationRow.position + 1)
            )
            token = integration.token or new_token()
            session.execute(insert(IntegrationRow), [_integration_values(integration, at, token)])
            return replace(integration, token=token)

    def delete_integration(self, integration_id: str) -> None:
        """Delete an integration: its URL stops working at once (403). Incidents it opened stay."""
        with self._config_write() as session:
            result = session.execute(delete(IntegrationRow).where(IntegrationRow.id == integration_id))
            if _rowcount(result) == 0:
                raise NotFoundError(f"no integration {integration_id!r}")

    def rotate_integration_token(self, integration_id: str, token: str | None = None) -> str:
        """Give the integration `token` (default: a fresh random one) and return it; the old URL
        stops working at once."""
        token = token or new_token()
        if len(token) < MIN_TOKEN_LENGTH:
            raise StoreError(f"an integration token needs at least {MIN_TOKEN_LENGTH} characters")
        with self._config_write() as session:
            result = session.execute(
                update(IntegrationRow).where(IntegrationRow.id == integration_id).values(token=token)
            )
            if _rowcount(result) == 0:
                raise NotFoundError(f"no integration {integration_id!r}")
        return token

    def save_maintenance(self, windows: Sequence[MaintenanceWindow]) -> None:
        """Replace the maintenance windows (SPEC §13), in their order."""
        with self._config_write() as session:
            replace_windows(session, windows)

    def save_settings(self, settings: Settings) -> None:
        with self._config_write() as session:
            _save_settings(session, settings)


def new_token() -> str:
    """A fresh integration token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


# -- engines ------------------------------------------------------------------------------------


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        _prepare_sqlite_file(Path(database).expanduser())
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file's directory and the file itself, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _on_sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # pysqlite's own transaction handling does not BEGIN before SELECTs or DDL; turn it off and let
    # the "begin" hook emit BEGIN, so every unit of work (and every migration) is one transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # FULL: a commit is on disk before it returns, so an alert answered 2xx survives a power cut
        # (NORMAL in WAL mode can lose the last commits); group commits keep intake fast all the same.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


# -- rows → domain ------------------------------------------------------------------------------


def _person(row: PersonRow) -> Person:
    return Person(
        id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        oncall_email=row.oncall_email,
        oncall_phone=row.oncall_phone,
        timezone=row.timezone,
        colour=row.colour,
        chat=row.chat,
        holidays=row.holidays,
    )


def _team(row: TeamRow) -> Team:
    return Team(id=row.id, name=row.name, members=tuple(m.person_id for m in row.members))


def _bound(wall: datetime | None, offset: int | None) -> datetime | None:
    if wall is None or offset is None:
        return wall
    return wall.replace(tzinfo=timezone(timedelta(seconds=offset)))


def _entry(person_id: str | None, team_id: str | None) -> str:
    return person_id if person_id is not None else f"{TEAM_PREFIX}{team_id}"


def _channels(values: Sequence[str]) -> tuple[Channel, ...]:
    return tuple(Channel(v) for v in values)


def _level(row: LevelRow) -> EscalationLevel:
    return EscalationLevel(
        wait=row.wait,
        severities=frozenset(Severity(s) for s in row.severities),
        statuses=frozenset(Status(s) for s in row.statuses),
        repeat=row.repeat,
        channels={key: _channels(values) for key, values in row.channels.items()},
        add=tuple(Target(_entry(t.person_id, t.team_id), _channels(t.channels)) for t in row.targets),
    )


def _rotation(row: LayerRow) -> Rotation | None:
    if row.rotation_period is None:
        return None
    if row.rotation_every is None or row.rotation_handoff is None or row.rotation_anchor is None:
        raise StoreError(f"rule {row.rule_id!r} has a layer with an incomplete rotation in the database")
    return Rotation(
        period=cast(RotationPeriod, row.rotation_period),
        every=row.rotation_every,
        handoff=row.rotation_handoff,
        anchor=row.rotation_anchor,
    )


def _rule(row: RuleRow) -> OnCallRule:
    return OnCallRule(
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        effective_start=_bound(row.effective_start, row.effective_start_offset),
        effective_end=_bound(row.effective_end, row.effective_end_offset),
        windows=tuple(Window(days=tuple(w.days), start=w.start, end=w.end) for w in row.windows),
        match=MatchConditions(
            mode="any" if row.match_mode == "any" else "all",
            conditions=tuple(c.condition for c in row.conditions),
        ),
        layers=tuple(_layer(layer) for layer in row.layers) or (Layer(),),
        combine="all" if row.combine == "all" else "first",
        escalation=tuple(_level(level) for level in row.levels),
        reminders=reminders_from_row(row.reminder_minutes, row.reminder_channels),
    )


def _layer(row: LayerRow) -> Layer:
    return Layer(
        name=row.name,
        timezone=row.timezone,
        personnel=tuple(_entry(p.person_id, p.team_id) for p in row.personnel),
        rotation=_rotation(row),
        windows=tuple(Window(days=tuple(w.days), start=w.start, end=w.end) for w in row.windows),
        effective_start=_bound(row.effective_start, row.effective_start_offset),
        effective_end=_bound(row.effective_end, row.effective_end_offset),
    )


def _empty_default_rule() -> OnCallRule:
    return OnCallRule(id=DEFAULT_RULE_ID, name=DEFAULT_RULE_NAME, timezone=timeutil.system_zone_name())


def _default_rule(row: RuleRow | None) -> OnCallRule:
    """The default rule: the system's zone as of now, and only what is editable from the database."""
    empty = _empty_default_rule()
    if row is None:
        return empty
    stored = _rule(row)
    return replace(empty, layers=stored.layers, combine=stored.combine, escalation=stored.escalation)


def _override(row: OverrideRow) -> Override:
    return Override(rule=row.rule_id, person=row.person_id, start=row.start_at, end=row.end_at, id=row.id)


def _integration(row: IntegrationRow) -> Integration:
    return Integration(
        id=row.id,
        name=row.name,
        kind=cast(IntegrationKind, row.kind),
        token=row.token,
        severity_mapping={key: Severity(value) for key, value in row.severity_mapping.items()},
        heartbeat_timeout=row.heartbeat_seconds,
    )


def _settings(row: SettingsRow | None) -> Settings:
    if row is None:
        return Settings()
    security = row.smtp_security if row.smtp_security in ("tls", "starttls", "none") else "starttls"
    return Settings(
        station=StationSettings(
            listen=row.station_listen,
            public_url=row.station_public_url,
            lease_seconds=row.station_lease_seconds,
        ),
        twilio=TwilioSettings(
            account_sid=row.twilio_account_sid,
            from_number=row.twilio_from_number,
            api_base_url=row.twilio_api_base_url,
        ),
        smtp=SmtpSettings(
            host=row.smtp_host,
            port=row.smtp_port,
            security=cast(Any, security),
            username=row.smtp_username,
            sender=row.smtp_sender,
        ),
    )


# -- domain → rows ------------------------------------------------------------------------------


def _insert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))


def _next_position(session: Session, model: type[Any]) -> int:
    highest = session.scalar(select(func.max(model.position)))
    return 0 if highest is None else int(highest) + 1


def _person_values(person: Person, position: int) -> dict[str, Any]:
    return {
        "id": person.id,
        "position": position,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "oncall_email": person.oncall_email,
        "oncall_phone": person.oncall_phone,
        "timezone": person.timezone,
        "colour": person.colour,
        "chat": person.chat,
        "holidays": person.holidays,
    }


def _with_colours(people: Sequence[Person], stored: Mapping[str, str | None]) -> list[Person]:
    """`people` with a colour each: their own, else the one stored for their id, else a new one
    different from all of those."""
    kept = [p.colour or stored.get(p.id) for p in people]
    taken = [c for c in kept if c]
    coloured = []
    for person, colour in zip(people, kept, strict=True):
        if colour is None:
            colour = next_colour(taken)
            taken.append(colour)
        coloured.append(person if person.colour == colour else replace(person, colour=colour))
    return coloured


def _team_values(team: Team, position: int) -> dict[str, Any]:
    return {"id": team.id, "position": position, "name": team.name}


def _member_values(team: Team) -> list[dict[str, Any]]:
    return [{"team_id": team.id, "position": i, "person_id": pid} for i, pid in enumerate(team.members)]


def _wall_and_offset(value: datetime | None) -> tuple[datetime | None, int | None]:
    if value is None:
        return None, None
    offset = value.utcoffset()
    if offset is None:
        return value.replace(tzinfo=None), None
    return value.replace(tzinfo=None), int(offset.total_seconds())


def _rule_values(rule: OnCallRule, position: int) -> dict[str, Any]:
    if rule.id == DEFAULT_RULE_ID:
        rule = replace(
            _empty_default_rule(), layers=rule.layers, combine=rule.combine, escalation=rule.escalation
        )
    start, start_offset = _wall_and_offset(rule.effective_start)
    end, end_offset = _wall_and_offset(rule.effective_end)
    return {
        "id": rule.id,
        "position": position,
        "name": rule.name,
        "timezone": rule.timezone,
        "effective_start": start,
        "effective_start_offset": start_offset,
        "effective_end": end,
        "effective_end_offset": end_offset,
        "match_mode": rule.match.mode,
        "combine": rule.combine,
        **reminder_values(rule.reminders),
    }


def _layer_values(rule_id: str, position: int, layer: Layer) -> dict[str, Any]:
    start, start_offset = _wall_and_offset(layer.effective_start)
    end, end_offset = _wall_and_offset(layer.effective_end)
    rotation = layer.rotation
    return {
        "rule_id": rule_id,
        "position": position,
        "name": layer.name,
        "timezone": layer.timezone,
        "effective_start": start,
        "effective_start_offset": start_offset,
        "effective_end": end,
        "effective_end_offset": end_offset,
        "rotation_period": rotation.period if rotation else None,
        "rotation_every": rotation.every if rotation else None,
        "rotation_handoff": rotation.handoff if rotation else None,
        "rotation_anchor": rotation.anchor if rotation else None,
    }


def _split_entry(entry: str) -> dict[str, str | None]:
    if entry.startswith(TEAM_PREFIX):
        return {"person_id": None, "team_id": entry[len(TEAM_PREFIX) :]}
    return {"person_id": entry, "team_id": None}


def _insert_rule_children(session: Session, rule: OnCallRule) -> None:
    if rule.id != DEFAULT_RULE_ID:
        windows = [
            {"rule_id": rule.id, "position": i, "days": list(w.days), "start": w.start, "end": w.end}
            for i, w in enumerate(rule.windows)
        ]
        _insert(session, WindowRow, windows)
        conditions = [
            {"rule_id": rule.id, "position": i, "condition": c} for i, c in enumerate(rule.match.conditions)
        ]
        _insert(session, ConditionRow, conditions)
    _insert(session, LayerRow, [_layer_values(rule.id, n, layer) for n, layer in enumerate(rule.layers)])
    personnel = [
        {"rule_id": rule.id, "layer": n, "position": i, **_split_entry(e)}
        for n, layer in enumerate(rule.layers)
        for i, e in enumerate(layer.personnel)
    ]
    _insert(session, PersonnelRow, personnel)
    windows = [
        {"rule_id": rule.id, "layer": n, "position": i, "days": list(w.days), "start": w.start, "end": w.end}
        for n, layer in enumerate(rule.layers)
        for i, w in enumerate(layer.windows)
    ]
    _insert(session, LayerWindowRow, windows)
    levels = [
        {
            "rule_id": rule.id,
            "level": n,
            "wait": level.wait,
            "severities": sorted(s.value for s in level.severities),
            "statuses": sorted((s.value for s in level.statuses), key=lambda s: Status(s).rank),
            "repeat": level.repeat,
            "channels": {key: [c.value for c in values] for key, values in level.channels.items()},
        }
        for n, level in enumerate(rule.escalation)
    ]
    _insert(session, LevelRow, levels)
    targets = [
        {
            "rule_id": rule.id,
            "level": n,
            "position": i,
            "channels": [c.value for c in target.channels],
            **_split_entry(target.target),
        }
        for n, level in enumerate(rule.escalation)
        for i, target in enumerate(level.add)
    ]
    _insert(session, TargetRow, targets)


def _delete_rule_children(session: Session, rule_id: str) -> None:
    for model in (TargetRow, LevelRow, PersonnelRow, LayerWindowRow, LayerRow, ConditionRow, WindowRow):
        session.execute(delete(model).where(model.rule_id == rule_id))


def _override_values(override: Override) -> dict[str, Any]:
    return {
        "rule_id": override.rule,
        "person_id": override.person,
        "start_at": override.start,
        "end_at": override.end,
    }


def _integration_values(integration: Integration, position: int, token: str) -> dict[str, Any]:
    return {
        "id": integration.id,
        "position": position,
        "name": integration.name,
        "kind": integration.kind,
        "token": token,
        "severity_mapping": {
            key: Severity(value).value for key, value in integration.severity_mapping.items()
        },
        "heartbeat_seconds": integration.heartbeat_timeout,
    }


def _replace_integrations(session: Session, integrations: Sequence[Integration]) -> None:
    existing: Mapping[str, str] = {row.id: row.token for row in session.scalars(select(IntegrationRow))}
    keep = {i.id for i in integrations}
    session.execute(delete(IntegrationRow).where(IntegrationRow.id.not_in(keep)))
    for position, integration in enumerate(integrations):
        token = integration.token or existing.get(integration.id) or new_token()
        values = _integration_values(integration, position, token)
        if integration.id in existing:
            session.execute(update(IntegrationRow).where(IntegrationRow.id == integration.id).values(values))
        else:
            session.execute(insert(IntegrationRow), [values])


def _save_settings(session: Session, settings: Settings) -> None:
    values = {
        "station_listen": settings.station.listen,
        "station_public_url": settings.station.public_url,
        "station_lease_seconds": settings.station.lease_seconds,
        "twilio_account_sid": settings.twilio.account_sid,
        "twilio_from_number": settings.twilio.from_number,
        "twilio_api_base_url": settings.twilio.api_base_url,
        "smtp_host": settings.smtp.host,
        "smtp_port": settings.smtp.port,
        "smtp_security": settings.smtp.security,
        "smtp_username": settings.smtp.username,
        "smtp_sender": settings.smtp.sender,
    }
    if session.get(SettingsRow, 1) is None:
        session.execute(insert(SettingsRow), [{"id": 1, **values}])
    else:
        session.execute(update(SettingsRow).where(SettingsRow.id == 1).values(values))


# -- what refers to what ------------------------------------------------------------------------


def _person_uses(session: Session, person_id: str) -> list[str]:
    uses = [
        f"team {team_id!r}"
        for team_id in session.scalars(
            select(TeamMemberRow.team_id).where(TeamMemberRow.person_id == person_id).distinct()
        )
    ]
    uses += _personnel_uses(session, PersonnelRow.person_id == person_id)
    for rule_id, level in session.execute(
        select(TargetRow.rule_id, TargetRow.level).where(TargetRow.person_id == person_id).distinct()
    ):
        uses.append(f"escalation level {level} of rule {rule_id!r}")
    for rule_id, level, channels in session.execute(
        select(LevelRow.rule_id, LevelRow.level, LevelRow.channels)
    ):
        if person_id in channels:
            uses.append(f"the channels of escalation level {level} of rule {rule_id!r}")
    for rule_id, count in session.execute(
        select(OverrideRow.rule_id, func.count())
        .where(OverrideRow.person_id == person_id)
        .group_by(OverrideRow.rule_id)
    ):
        uses.append(f"{count} override{'s' if count != 1 else ''} on rule {rule_id!r}")
    return uses


def _personnel_uses(session: Session, where: ColumnElement[bool]) -> list[str]:
    """ "the personnel of rule 'x'" (or "of layer 'London' of rule 'x'") for each layer listing it."""
    found = session.execute(
        select(LayerRow.rule_id, LayerRow.name)
        .join(
            PersonnelRow,
            (PersonnelRow.rule_id == LayerRow.rule_id) & (PersonnelRow.layer == LayerRow.position),
        )
        .where(where)
        .distinct()
        .order_by(LayerRow.rule_id, LayerRow.name)
    )
    return [
        f"the personnel of layer {name!r} of rule {rule_id!r}"
        if name
        else f"the personnel of rule {rule_id!r}"
        for rule_id, name in found
    ]


def _team_uses(session: Session, team_id: str) -> list[str]:
    uses = _personnel_uses(session, PersonnelRow.team_id == team_id)
    for rule_id, level in session.execute(
        select(TargetRow.rule_id, TargetRow.level).where(TargetRow.team_id == team_id).distinct()
    ):
        uses.append(f"escalation level {level} of rule {rule_id!r}")
    return uses


__all__ = ["InUseError", "NotFoundError", "Store", "StoreError", "new_token"]
