"""Reading the configuration: plain SELECTs, rows turned into domain values (SPEC §2, §7).

This is the store's one way of reading the configuration, on SQLite and PostgreSQL alike. It needs
no SQLAlchemy: the statements run on whatever DB-API cursor the store hands over (`Fetch`), so the
window's first paint reads its configuration without importing SQLAlchemy and its ORM, which take
most of a second to load (SPEC §14). The columns are those of `store.models`, which the migrations
create; `tests/test_store*.py` check that what is written reads back equal.

Values come back as the drivers give them: SQLite returns instants, times, dates and JSON as the
text SQLAlchemy stored, PostgreSQL (psycopg) as Python values; `_instant`, `_wall`, `_time`,
`_date` and `_json` accept both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, cast

from oncall_desktop import timeutil
from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    DEFAULT_RULE_NAME,
    TEAM_PREFIX,
    Channel,
    Configuration,
    EscalationLevel,
    HandoffReminders,
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
    TimeOff,
    TwilioSettings,
    Window,
)
from oncall_desktop.store.errors import StoreError

Row = Sequence[Any]
Fetch = Callable[[str], Sequence[Row]]
"""Runs one parameterless SELECT and returns all its rows (inside the caller's transaction)."""

PEOPLE = (
    "SELECT id, name, email, phone, oncall_email, oncall_phone, timezone, colour, chat, holidays "
    "FROM people ORDER BY position, id"
)
TEAMS = "SELECT id, name FROM teams ORDER BY position, id"
TEAM_MEMBERS = "SELECT team_id, person_id FROM team_members ORDER BY team_id, position"
RULES = (
    "SELECT id, name, timezone, effective_start, effective_start_offset, effective_end, "
    "effective_end_offset, match_mode, combine, reminder_minutes, reminder_channels "
    "FROM rules ORDER BY position, id"
)
RULE_WINDOWS = 'SELECT rule_id, days, "start", "end" FROM rule_windows ORDER BY rule_id, position'
RULE_CONDITIONS = 'SELECT rule_id, "condition" FROM rule_conditions ORDER BY rule_id, position'
LAYERS = (
    "SELECT rule_id, position, name, timezone, effective_start, effective_start_offset, "
    "effective_end, effective_end_offset, rotation_period, rotation_every, rotation_handoff, "
    "rotation_anchor FROM rule_layers ORDER BY rule_id, position"
)
LAYER_PERSONNEL = (
    'SELECT rule_id, "layer", person_id, team_id FROM layer_personnel ORDER BY rule_id, "layer", position'
)
LAYER_WINDOWS = (
    'SELECT rule_id, "layer", days, "start", "end" FROM layer_windows ORDER BY rule_id, "layer", position'
)
LEVELS = (
    'SELECT rule_id, "level", wait, severities, statuses, "repeat", channels '
    'FROM escalation_levels ORDER BY rule_id, "level"'
)
TARGETS = (
    'SELECT rule_id, "level", person_id, team_id, channels FROM level_targets '
    'ORDER BY rule_id, "level", position'
)
OVERRIDES = "SELECT id, rule_id, person_id, start_at, end_at FROM overrides ORDER BY start_at, id"
INTEGRATIONS = (
    "SELECT id, name, kind, token, severity_mapping, heartbeat_seconds FROM integrations "
    "ORDER BY position, id"
)
SETTINGS = (
    "SELECT station_listen, station_public_url, station_lease_seconds, twilio_account_sid, "
    "twilio_from_number, twilio_api_base_url, smtp_host, smtp_port, smtp_security, smtp_username, "
    "smtp_sender FROM settings WHERE id = 1"
)
MAINTENANCE = (
    "SELECT name, start_at, start_offset, end_at, end_offset, match_mode, conditions "
    "FROM maintenance_windows ORDER BY position, id"
)
TIME_OFF = "SELECT id, person_id, start_at, end_at, note FROM time_off ORDER BY start_at, id"
REVISION = "SELECT revision FROM config_state WHERE id = 1"


def read_configuration(fetch: Fetch) -> Configuration:
    """The whole configuration; the default rule is always present, last."""
    members = _grouped(fetch(TEAM_MEMBERS))
    children = _RuleChildren(fetch)
    rules = [_rule(row, children) for row in fetch(RULES)]

    custom = [rule for rule in rules if rule.id != DEFAULT_RULE_ID]
    stored_default = next((rule for rule in rules if rule.id == DEFAULT_RULE_ID), None)
    settings = fetch(SETTINGS)
    return Configuration(
        people=tuple(_person(row) for row in fetch(PEOPLE)),
        teams=tuple(Team(id=i, name=n, members=tuple(m[0] for m in members[i])) for i, n in fetch(TEAMS)),
        rules=(*custom, default_rule(stored_default)),
        overrides=tuple(_override(row) for row in fetch(OVERRIDES)),
        integrations=read_integrations(fetch),
        settings=_settings(settings[0]) if settings else Settings(),
        maintenance=tuple(_maintenance(row) for row in fetch(MAINTENANCE)),
        time_off=read_time_off(fetch),
    )


def read_integrations(fetch: Fetch) -> tuple[Integration, ...]:
    """The integrations in their order, each with its token."""
    return tuple(_integration(row) for row in fetch(INTEGRATIONS))


def read_time_off(fetch: Fetch, person_id: str | None = None) -> tuple[TimeOff, ...]:
    """Time off in the order it starts, everybody's or one person's."""
    return tuple(
        TimeOff(row[1], _instant(row[2]), _instant(row[3]), row[4] or "", id=row[0])
        for row in fetch(TIME_OFF)
        if person_id is None or row[1] == person_id
    )


def read_revision(fetch: Fetch) -> int:
    rows = fetch(REVISION)
    return int(rows[0][0] or 0) if rows else 0


def empty_default_rule() -> OnCallRule:
    return OnCallRule(id=DEFAULT_RULE_ID, name=DEFAULT_RULE_NAME, timezone=timeutil.system_zone_name())


def default_rule(stored: OnCallRule | None) -> OnCallRule:
    """The default rule: the system's zone as of now, and only what is editable from the database."""
    empty = empty_default_rule()
    if stored is None:
        return empty
    return replace(empty, layers=stored.layers, combine=stored.combine, escalation=stored.escalation)


# -- rows → domain ------------------------------------------------------------------------------


def _grouped(rows: Iterable[Row], key_columns: int = 1) -> defaultdict[Any, list[Row]]:
    """Rows grouped by their first `key_columns` columns (one value, or a tuple), the rest kept."""
    groups: defaultdict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        key = row[0] if key_columns == 1 else tuple(row[:key_columns])
        groups[key].append(row[key_columns:])
    return groups


class _RuleChildren:
    """Every rule's child rows, read once and grouped by rule (and layer or level)."""

    def __init__(self, fetch: Fetch) -> None:
        self.windows = _grouped(fetch(RULE_WINDOWS))
        self.conditions = _grouped(fetch(RULE_CONDITIONS))
        self.layers = _grouped(fetch(LAYERS))
        self.personnel = _grouped(fetch(LAYER_PERSONNEL), 2)
        self.layer_windows = _grouped(fetch(LAYER_WINDOWS), 2)
        self.levels = _grouped(fetch(LEVELS))
        self.targets = _grouped(fetch(TARGETS), 2)


def _person(row: Row) -> Person:
    id_, name, email, phone, oncall_email, oncall_phone, zone, colour, chat, holidays = row
    return Person(
        id=id_,
        name=name,
        email=email,
        phone=phone,
        oncall_email=oncall_email,
        oncall_phone=oncall_phone,
        timezone=zone,
        colour=colour,
        chat=bool(chat),
        holidays=holidays,
    )


def _rule(row: Row, children: _RuleChildren) -> OnCallRule:
    (id_, name, zone, start, start_offset, end, end_offset, match_mode, combine, minutes, channels) = row
    return OnCallRule(
        id=id_,
        name=name,
        timezone=zone,
        effective_start=_bound(_wall(start), start_offset),
        effective_end=_bound(_wall(end), end_offset),
        windows=tuple(_window(w) for w in children.windows.get(id_, ())),
        match=MatchConditions(
            mode="any" if match_mode == "any" else "all",
            conditions=tuple(c[0] for c in children.conditions.get(id_, ())),
        ),
        layers=tuple(_layer(id_, layer, children) for layer in children.layers.get(id_, ())) or (Layer(),),
        combine="all" if combine == "all" else "first",
        escalation=tuple(_level(id_, level, children) for level in children.levels.get(id_, ())),
        reminders=_reminders(minutes, _json(channels)),
    )


def _layer(rule_id: str, row: Row, children: _RuleChildren) -> Layer:
    (position, name, zone, start, start_offset, end, end_offset, period, every, handoff, anchor) = row
    rotation = None
    if period is not None:
        if every is None or handoff is None or anchor is None:
            raise StoreError(f"rule {rule_id!r} has a layer with an incomplete rotation in the database")
        rotation = Rotation(
            period=cast(RotationPeriod, period), every=every, handoff=_time(handoff), anchor=_date(anchor)
        )
    key = (rule_id, position)
    return Layer(
        name=name,
        timezone=zone,
        personnel=tuple(_entry(p[0], p[1]) for p in children.personnel.get(key, ())),
        rotation=rotation,
        windows=tuple(_window(w) for w in children.layer_windows.get(key, ())),
        effective_start=_bound(_wall(start), start_offset),
        effective_end=_bound(_wall(end), end_offset),
    )


def _level(rule_id: str, row: Row, children: _RuleChildren) -> EscalationLevel:
    level, wait, severities, statuses, repeat, channels = row
    return EscalationLevel(
        wait=wait,
        severities=frozenset(Severity(s) for s in _json(severities)),
        statuses=frozenset(Status(s) for s in _json(statuses)),
        repeat=repeat,
        channels={key: _channels(values) for key, values in _json(channels).items()},
        add=tuple(
            Target(_entry(t[0], t[1]), _channels(_json(t[2])))
            for t in children.targets.get((rule_id, level), ())
        ),
    )


def _window(row: Row) -> Window:
    days, start, end = row
    return Window(days=tuple(_json(days)), start=_time(start), end=_time(end))


def _override(row: Row) -> Override:
    id_, rule_id, person_id, start, end = row
    return Override(rule=rule_id, person=person_id, start=_instant(start), end=_instant(end), id=id_)


def _integration(row: Row) -> Integration:
    id_, name, kind, token, mapping, heartbeat = row
    return Integration(
        id=id_,
        name=name,
        kind=cast(IntegrationKind, kind),
        token=token,
        severity_mapping={key: Severity(value) for key, value in _json(mapping).items()},
        heartbeat_timeout=heartbeat,
    )


def _settings(row: Row) -> Settings:
    (listen, public_url, lease, sid, from_number, api_base, host, port, security, username, sender) = row
    return Settings(
        station=StationSettings(listen=listen, public_url=public_url, lease_seconds=lease),
        twilio=TwilioSettings(account_sid=sid, from_number=from_number, api_base_url=api_base),
        smtp=SmtpSettings(
            host=host,
            port=port,
            security=cast(Any, security if security in ("tls", "starttls", "none") else "starttls"),
            username=username,
            sender=sender,
        ),
    )


def _maintenance(row: Row) -> MaintenanceWindow:
    name, start, start_offset, end, end_offset, match_mode, conditions = row
    return MaintenanceWindow(
        name=name,
        start=cast(datetime, _bound(_wall(start), start_offset)),
        end=cast(datetime, _bound(_wall(end), end_offset)),
        match=MatchConditions(
            mode="any" if match_mode == "any" else "all",
            conditions=tuple(str(c) for c in _json(conditions)),
        ),
    )


def _reminders(minutes: int | None, channels: Sequence[str] | None) -> HandoffReminders | None:
    if minutes is None or not channels:
        return None
    return HandoffReminders(minutes, tuple(Channel(c) for c in channels))


def _entry(person_id: str | None, team_id: str | None) -> str:
    return person_id if person_id is not None else f"{TEAM_PREFIX}{team_id}"


def _channels(values: Sequence[str]) -> tuple[Channel, ...]:
    return tuple(Channel(v) for v in values)


# -- column values as the drivers give them -----------------------------------------------------


def _json(value: Any) -> Any:
    """A JSON column: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _wall(value: datetime | str | None) -> datetime | None:
    """A naive wall-clock column (SQLite: 'YYYY-MM-DD HH:MM:SS[.ffffff]')."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _instant(value: datetime | str) -> datetime:
    """A `UtcDateTime` column: stored as the UTC wall-clock on SQLite, `timestamptz` on PostgreSQL."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _time(value: time | str) -> time:
    return time.fromisoformat(value) if isinstance(value, str) else value


def _date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _bound(wall: datetime | None, offset: int | None) -> datetime | None:
    if wall is None or offset is None:
        return wall
    return wall.replace(tzinfo=timezone(timedelta(seconds=offset)))
