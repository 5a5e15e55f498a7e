"""The database schema as SQLAlchemy 2 typed models.

Alembic owns the schema (`oncall_desktop/migrations`); these models must always equal what the
migrations produce, which a test checks. Lists that users order (layers, personnel, levels, targets,
windows, conditions, team members, and people, teams, rules, integrations themselves) carry a
`position`.
Values that are only ever read whole (a window's days, a level's severity set, a level-0 channel map,
an incident's tags) are JSON. Relationships are read-only conveniences for loading; the store
writes child rows with explicit statements so their order is exactly the user's. Every instant is
a `UtcDateTime`: stored in UTC, returned aware-UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike.

    SQLite keeps no offset, so the UTC wall-clock is stored and UTC is reattached on the way out;
    PostgreSQL stores `timestamptz`. Naive datetimes are refused: they name no instant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} is not an instant")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ConfigState(Base):
    """One row: the configuration's revision, bumped by every configuration write."""

    __tablename__ = "config_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class PersonRow(Base):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    oncall_email: Mapped[str | None] = mapped_column(String(320))
    oncall_phone: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64))
    colour: Mapped[str | None] = mapped_column(String(32))
    chat: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    holidays: Mapped[str | None] = mapped_column(String(16))


class TeamRow(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    members: Mapped[list[TeamMemberRow]] = relationship(order_by="TeamMemberRow.position", viewonly=True)


class TeamMemberRow(Base):
    __tablename__ = "team_members"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)


class RuleRow(Base):
    """An on-call rule. Effective bounds are wall-clock times in the rule's zone, as the user wrote
    them: `*_offset` (seconds east of UTC) is set when the bound was written with an offset, and then
    the stored wall-clock is in that offset; otherwise it is in `timezone`. Its people on call come
    from its layers (`LayerRow`), combined as `combine` says.
    """

    __tablename__ = "rules"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    effective_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    effective_start_offset: Mapped[int | None] = mapped_column(Integer)
    effective_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    effective_end_offset: Mapped[int | None] = mapped_column(Integer)
    match_mode: Mapped[str] = mapped_column(String(8), default="all")
    combine: Mapped[str] = mapped_column(String(8), default="first")
    reminder_minutes: Mapped[int | None] = mapped_column(Integer)  # SPEC §12 handoff reminders
    reminder_channels: Mapped[list[Any] | None] = mapped_column(JSON)

    windows: Mapped[list[WindowRow]] = relationship(order_by="WindowRow.position", viewonly=True)
    conditions: Mapped[list[ConditionRow]] = relationship(order_by="ConditionRow.position", viewonly=True)
    layers: Mapped[list[LayerRow]] = relationship(order_by="LayerRow.position", viewonly=True)
    levels: Mapped[list[LevelRow]] = relationship(order_by="LevelRow.level", viewonly=True)


class WindowRow(Base):
    __tablename__ = "rule_windows"
    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    days: Mapped[list[Any]] = mapped_column(JSON)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


class ConditionRow(Base):
    __tablename__ = "rule_conditions"
    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    condition: Mapped[str] = mapped_column(String(400))


class LayerRow(Base):
    """One layer of a rule (SPEC §8), `position` 0 first (highest priority). `timezone` NULL means the
    rule's; effective bounds are stored as the rule's are, wall-clock in the layer's zone."""

    __tablename__ = "rule_layers"
    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    effective_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    effective_start_offset: Mapped[int | None] = mapped_column(Integer)
    effective_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    effective_end_offset: Mapped[int | None] = mapped_column(Integer)
    rotation_period: Mapped[str | None] = mapped_column(String(16))
    rotation_every: Mapped[int | None] = mapped_column(Integer)
    rotation_handoff: Mapped[time | None] = mapped_column(Time)
    rotation_anchor: Mapped[date | None] = mapped_column(Date)

    personnel: Mapped[list[PersonnelRow]] = relationship(order_by="PersonnelRow.position", viewonly=True)
    windows: Mapped[list[LayerWindowRow]] = relationship(order_by="LayerWindowRow.position", viewonly=True)


class PersonnelRow(Base):
    """One personnel entry of a layer: exactly one of a person or a team."""

    __tablename__ = "layer_personnel"
    __table_args__ = (
        ForeignKeyConstraint(
            ["rule_id", "layer"], ["rule_layers.rule_id", "rule_layers.position"], ondelete="CASCADE"
        ),
        CheckConstraint("(person_id IS NULL) <> (team_id IS NULL)", name="person_xor_team"),
    )
    rule_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    layer: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), index=True)


class LayerWindowRow(Base):
    """A weekly window of a layer, wall-clock in the layer's zone."""

    __tablename__ = "layer_windows"
    __table_args__ = (
        ForeignKeyConstraint(
            ["rule_id", "layer"], ["rule_layers.rule_id", "rule_layers.position"], ondelete="CASCADE"
        ),
    )
    rule_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    layer: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    days: Mapped[list[Any]] = mapped_column(JSON)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


class LevelRow(Base):
    """One escalation level; `level` is its position in the ladder (0 = the on-call personnel)."""

    __tablename__ = "escalation_levels"
    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    wait: Mapped[int] = mapped_column(Integer)
    severities: Mapped[list[Any]] = mapped_column(JSON)
    statuses: Mapped[list[Any]] = mapped_column(JSON)
    repeat: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[dict[str, Any]] = mapped_column(JSON)
    targets: Mapped[list[TargetRow]] = relationship(order_by="TargetRow.position", viewonly=True)


class TargetRow(Base):
    """A person or team a level adds, with its channels."""

    __tablename__ = "level_targets"
    __table_args__ = (
        ForeignKeyConstraint(
            ["rule_id", "level"],
            ["escalation_levels.rule_id", "escalation_levels.level"],
            ondelete="CASCADE",
        ),
        CheckConstraint("(person_id IS NULL) <> (team_id IS NULL)", name="person_xor_team"),
    )
    rule_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), index=True)
    channels: Mapped[list[Any]] = mapped_column(JSON)


class OverrideRow(Base):
    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_rule_id_start_at", "rule_id", "start_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IntegrationRow(Base):
    __tablename__ = "integrations"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(200), unique=True)
    severity_mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    heartbeat_seconds: Mapped[int | None] = mapped_column(Integer)


class SettingsRow(Base):
    """One row of non-secret settings (secrets live in the OS keyring)."""

    __tablename__ = "settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    station_listen: Mapped[str] = mapped_column(String(200))
    station_public_url: Mapped[str | None] = mapped_column(String(500))
    twilio_account_sid: Mapped[str | None] = mapped_column(String(64))
    twilio_from_number: Mapped[str | None] = mapped_column(String(32))
    twilio_api_base_url: Mapped[str | None] = mapped_column(String(500))
    smtp_host: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int] = mapped_column(Integer)
    smtp_security: Mapped[str] = mapped_column(String(16))
    smtp_username: Mapped[str | None] = mapped_column(String(320))
    smtp_sender: Mapped[str | None] = mapped_column(String(320))
    station_lease_seconds: Mapped[int] = mapped_column(Integer, server_default="15")


# Incidents and what hangs off them are history: they name integrations, people and rules by id
# without foreign keys, so replacing the configuration never rewrites or blocks on past incidents.


OPEN_GROUP = text("status <> 'resolved'")


class IncidentRow(Base):
    """An incident; at most one unresolved incident per (integration, group key) — a unique index
    in the database, so two stations receiving one alert group at once open one incident."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_created_at", "status", "created_at"),
        Index("ix_incidents_integration_id_dedup_key", "integration_id", "dedup_key"),
        Index(
            "uq_incidents_open_group",
            "integration_id",
            "dedup_key",
            unique=True,
            sqlite_where=OPEN_GROUP,
            postgresql_where=OPEN_GROUP,
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[Any]] = mapped_column(JSON)
    dedup_key: Mapped[str | None] = mapped_column(String(500))
    integration_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    link: Mapped[str | None] = mapped_column(String(2000))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    paged: Mapped[bool | None] = mapped_column(Boolean)
    maintenance: Mapped[str | None] = mapped_column(String(200))
    held_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class IncidentAlertRow(Base):
    """One upstream alert grouped into an incident: (integration, group key) groups, fingerprint
    identifies the alert within its group."""

    __tablename__ = "incident_alerts"
    __table_args__ = (
        UniqueConstraint("incident_id", "fingerprint"),
        Index("ix_incident_alerts_integration_id_group_key", "integration_id", "group_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    integration_id: Mapped[str | None] = mapped_column(String(100))
    group_key: Mapped[str] = mapped_column(String(1000))
    fingerprint: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IncidentEventRow(Base):
    """One timeline entry of an incident (created, alert attached, acknowledged, notified, …)."""

    __tablename__ = "incident_events"
    __table_args__ = (Index("ix_incident_events_incident_id_at", "incident_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class NotificationRow(Base):
    """One notification to send or sent; (incident, person, channel, instant) is the dedup key.

    A station claims it (pending → sending) under its lease epoch just before the send, and records
    the outcome under the same epoch; `claim_group` ties the notifications one bundled SMS carries.
    `claimed_at` is real (wall-clock) time, for reconciling with the provider's own records.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("incident_id", "person_id", "channel", "scheduled_at"),
        Index("ix_notifications_state_scheduled_at", "state", "scheduled_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(320))
    rule_id: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    repeat: Mapped[int] = mapped_column(Integer)
    handover: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    claim_epoch: Mapped[int | None] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claim_group: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(200))
    possibly_repeated: Mapped[bool] = mapped_column(Boolean, server_default=false())


class EngineLeaseRow(Base):
    """Which station runs the escalation engine, until when, under which fencing epoch (SPEC §10).

    The row stays when the lease is released (holder and expiry cleared), so the epoch only grows.
    Times are real time, whatever clock the engine runs on.
    """

    __tablename__ = "engine_lease"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    epoch: Mapped[int] = mapped_column(Integer, server_default="0")
    last_tick: Mapped[datetime | None] = mapped_column(UtcDateTime)


# The paging station's, the calendar feeds' and real notifications' tables live in their own modules;
# importing them here registers them on `Base`.
from oncall_desktop.store import feed_models as feed_models  # noqa: E402
from oncall_desktop.store import notify_models as notify_models  # noqa: E402
from oncall_desktop.store import planning_models as planning_models  # noqa: E402
from oncall_desktop.store import reach_models as reach_models  # noqa: E402
from oncall_desktop.store import station_models as station_models  # noqa: E402
