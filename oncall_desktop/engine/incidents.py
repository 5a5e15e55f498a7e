"""Incidents in the store: opened and grouped by intake, acknowledged and resolved by people.

Every function here is one unit of work on the store; rows become frozen domain-like values at this
edge. Writes take SQLite's write lock up front (`write_session`), so two writers — intake, the
engine, a CLI `ack` in another process — queue on the busy timeout instead of failing on a stale
read snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from oncall_desktop.domain import Channel, Severity, Status, StatusChange
from oncall_desktop.engine.intake import IntakeResult
from oncall_desktop.store import NotFoundError, Store, StoreError
from oncall_desktop.store.models import IncidentAlertRow, IncidentEventRow, IncidentRow, NotificationRow
from oncall_desktop.store.station_models import EscalationStateRow, NotificationDispatchRow


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    title: str
    description: str
    severity: Severity
    status: Status
    tags: tuple[str, ...]
    integration: str | None
    dedup_key: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    link: str | None = None
    image_url: str | None = None

    def status_changes(self) -> tuple[StatusChange, ...]:
        """The incident's status history in the planner's terms."""
        changes = []
        if self.acknowledged_at is not None:
            changes.append(StatusChange(self.acknowledged_at, Status.WORKING, self.acknowledged_by))
        if self.resolved_at is not None:
            changes.append(StatusChange(self.resolved_at, Status.RESOLVED))
        return tuple(changes)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: datetime
    kind: str
    actor: str | None
    message: str


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """A notification in the outbox or sent; `state` is pending, sending, sent, failed or cancelled."""

    id: int
    incident_id: int
    person: str
    channel: Channel
    address: str | None
    rule: str | None
    level: int
    repeat: int
    handover: bool
    scheduled_at: datetime
    state: str
    sent_at: datetime | None
    late: bool
    provider_id: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    """What one payload did: the incident it opened or touched (None if it touched none)."""

    incident_id: int | None
    opened: bool = False
    resolved: bool = False


@contextmanager
def write_session(store: Store) -> Iterator[Session]:
    """A unit of work that writes: on SQLite it holds the write lock from its first statement."""
    with store.session() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("UPDATE escalation_states SET revision = revision WHERE 0"))
        yield session


def ingest(store: Store, integration_id: str, result: IntakeResult, now: datetime) -> IntakeOutcome:
    """Store one payload: open or group into an incident, attach its alerts, resolve when all are."""
    return ingest_batch(store, [(integration_id, result)], now)[0]


def ingest_batch(
    store: Store, items: Sequence[tuple[str, IntakeResult]], now: datetime
) -> list[IntakeOutcome]:
    """Store several payloads in one transaction (intake's group commit), with the same outcome as
    storing them one by one in order."""
    with write_session(store) as session:
        return _Batch(session, now).ingest(items)


class _Batch:
    """One group commit: reads what the payloads touch in a few queries, decides in order in
    memory, then writes everything with a handful of multi-row statements."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.open: dict[tuple[str, str], int] = {}
        self.alerts: dict[tuple[int, str], tuple[int | None, str]] = {}
        self.firing: dict[int, int] = {}
        self.new_alerts: dict[tuple[int, str], dict[str, Any]] = {}
        self.changed_alerts: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.resolved: list[int] = []

    def ingest(self, items: Sequence[tuple[str, IntakeResult]]) -> list[IntakeOutcome]:
        self._load(items)
        outcomes = [self._one(integration_id, result) for integration_id, result in items]
        self._write()
        return outcomes

    def _load(self, items: Sequence[tuple[str, IntakeResult]]) -> None:
        keys = {result.group_key for _, result in items}
        rows = self.session.execute(
            select(IncidentRow.id, IncidentRow.integration_id, IncidentRow.dedup_key)
            .where(IncidentRow.dedup_key.in_(keys))
            .where(IncidentRow.status != Status.RESOLVED.value)
            .order_by(IncidentRow.id)
        ).all()
        wanted = {(integration_id, result.group_key) for integration_id, result in items}
        for incident_id, integration_id, key in rows:
            if integration_id is not None and key is not None and (integration_id, key) in wanted:
                self.open[(integration_id, key)] = incident_id
        ids = set(self.open.values())
        if not ids:
            return
        fingerprints = {alert.fingerprint for _, result in items for alert in result.alerts}
        for alert_id, incident_id, fingerprint, state in self.session.execute(
            select(
                IncidentAlertRow.id,
                IncidentAlertRow.incident_id,
                IncidentAlertRow.fingerprint,
                IncidentAlertRow.state,
            )
            .where(IncidentAlertRow.incident_id.in_(ids))
            .where(IncidentAlertRow.fingerprint.in_(fingerprints))
        ):
            self.alerts[(incident_id, fingerprint)] = (alert_id, state)
        for incident_id, count in self.session.execute(
            select(IncidentAlertRow.incident_id, func.count())
            .where(IncidentAlertRow.incident_id.in_(ids))
            .where(IncidentAlertRow.state == "firing")
            .group_by(IncidentAlertRow.incident_id)
        ):
            self.firing[incident_id] = count

    def _one(self, integration_id: str, result: IntakeResult) -> IntakeOutcome:
        incident_id = self.open.get((integration_id, result.group_key))
        opened = False
        if incident_id is None:
            if not result.opens:
                return IntakeOutcome(None)
            incident_id = self._open(integration_id, result)
            opened = True
        for alert in result.alerts:
            known = self.alerts.get((incident_id, alert.fingerprint))
            if known is not None and known[1] == alert.state:
                continue
            if known is None:
                values = {
                    "incident_id": incident_id,
                    "integration_id": integration_id,
                    "group_key": result.group_key,
                    "fingerprint": alert.fingerprint,
                    "state": alert.state,
                    "labels": dict(alert.labels),
                    "received_at": self.now,
                    "updated_at": self.now,
                }
                self.new_alerts[(incident_id, alert.fingerprint)] = values
                self.alerts[(incident_id, alert.fingerprint)] = (None, alert.state)
            else:
                alert_id, _ = known
                if alert_id is None:
                    self.new_alerts[(incident_id, alert.fingerprint)]["state"] = alert.state
                else:
                    self.changed_alerts[alert_id] = {
                        "b_id": alert_id,
                        "state": alert.state,
                        "labels": dict(alert.labels),
                        "updated_at": self.now,
                    }
                self.alerts[(incident_id, alert.fingerprint)] = (alert_id, alert.state)
            delta = (alert.state == "firing") - (known is not None and known[1] == "firing")
            self.firing[incident_id] = self.firing.get(incident_id, 0) + delta
            if not (opened and known is None):
                self._event(incident_id, "alert", integration_id, f"alert {alert.state}: {alert.fingerprint}")
        resolved = False
        if self.firing.get(incident_id, 0) <= 0:
            self._event(incident_id, "resolved", integration_id, f"resolved by {integration_id}")
            self.resolved.append(incident_id)
            del self.open[(integration_id, result.group_key)]
            resolved = True
        return IntakeOutcome(incident_id, opened=opened, resolved=resolved)

    def _open(self, integration_id: str, result: IntakeResult) -> int:
        incident_id = self.session.scalars(
            insert(IncidentRow).returning(IncidentRow.id),
            [
                {
                    "title": result.title,
                    "description": result.description,
                    "severity": result.severity.value,
                    "status": Status.OPEN.value,
                    "tags": list(result.tags),
                    "dedup_key": result.group_key,
                    "integration_id": integration_id,
                    "created_at": self.now,
                    "link": result.link,
                    "image_url": result.image_url,
                }
            ],
        ).one()
        self.session.execute(
            insert(EscalationStateRow),
            [{"incident_id": incident_id, "next_due_at": self.now, "revision": -1}],
        )
        self.open[(integration_id, result.group_key)] = incident_id
        self._event(incident_id, "created", integration_id, f"opened: {result.title}")
        return incident_id

    def _event(self, incident_id: int, kind: str, actor: str | None, message: str) -> None:
        self.events.append(
            {
                "incident_id": incident_id,
                "at": self.now,
                "kind": kind,
                "actor": actor,
                "message": message,
                "data": {},
            }
        )

    def _write(self) -> None:
        if self.new_alerts:
            self.session.execute(insert(IncidentAlertRow), list(self.new_alerts.values()))
        if self.changed_alerts:
            self.session.connection().execute(
                update(IncidentAlertRow)
                .where(IncidentAlertRow.id == bindparam("b_id"))
                .values(
                    state=bindparam("state"), labels=bindparam("labels"), updated_at=bindparam("updated_at")
                ),
                list(self.changed_alerts.values()),
            )
        if self.events:
            self.session.execute(insert(IncidentEventRow), self.events)
        if self.resolved:
            self.session.execute(
                update(IncidentRow)
                .where(IncidentRow.id.in_(self.resolved))
                .values(status=Status.RESOLVED.value, resolved_at=self.now)
            )
            self.session.execute(
                update(EscalationStateRow)
                .where(EscalationStateRow.incident_id.in_(self.resolved))
                .values(next_due_at=self.now)
            )


def acknowledge(store: Store, incident_id: int, now: datetime, by: str | None = None) -> Incident:
    """Move an open incident to `working`; escalation levels listing only `open` stop."""
    with write_session(store) as session:
        row = _row(session, incident_id)
        if row.status == Status.RESOLVED.value:
            raise StoreError(f"incident {incident_id} is already resolved")
        if row.status == Status.WORKING.value:
            raise StoreError(
                f"incident {incident_id} is already acknowledged by {row.acknowledged_by or '?'}"
            )
        row.status = Status.WORKING.value
        row.acknowledged_at = now
        row.acknowledged_by = by
        _event(session, incident_id, now, "acknowledged", by, f"acknowledged by {by or 'someone'}")
        _due_now(session, incident_id, now)
        return _incident(row)


def resolve(store: Store, incident_id: int, now: datetime, by: str | None = None) -> Incident:
    """Resolve an incident: escalation is over for good."""
    with write_session(store) as session:
        row = _row(session, incident_id)
        if row.status == Status.RESOLVED.value:
            raise StoreError(f"incident {incident_id} is already resolved")
        _resolve(session, row, now, by)
        return _incident(row)


def _resolve(session: Session, row: IncidentRow, now: datetime, by: str | None) -> None:
    row.status = Status.RESOLVED.value
    row.resolved_at = now
    _event(session, row.id, now, "resolved", by, f"resolved by {by or 'someone'}")
    _due_now(session, row.id, now)


def _due_now(session: Session, incident_id: int, now: datetime) -> None:
    session.execute(
        update(EscalationStateRow)
        .where(EscalationStateRow.incident_id == incident_id)
        .values(next_due_at=now)
    )


def _row(session: Session, incident_id: int) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise NotFoundError(f"no incident {incident_id}")
    return row


def _event(
    session: Session, incident_id: int, at: datetime, kind: str, actor: str | None, message: str
) -> None:
    add_event(session, incident_id, at, kind, message, actor)


def add_event(
    session: Session,
    incident_id: int,
    at: datetime,
    kind: str,
    message: str,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append a timeline entry inside the caller's unit of work (notifiers use this)."""
    session.execute(
        insert(IncidentEventRow),
        [
            {
                "incident_id": incident_id,
                "at": at,
                "kind": kind,
                "actor": actor,
                "message": message,
                "data": data or {},
            }
        ],
    )


# -- reading ----------------------------------------------------------------------------------


def get(store: Store, incident_id: int) -> Incident:
    with store.session() as session:
        return _incident(_row(session, incident_id))


def list_incidents(store: Store, status: Status | None = None, limit: int | None = None) -> list[Incident]:
    """Incidents, newest first; only those with `status` if given."""
    query = select(IncidentRow).order_by(IncidentRow.created_at.desc(), IncidentRow.id.desc())
    if status is not None:
        query = query.where(IncidentRow.status == status.value)
    if limit is not None:
        query = query.limit(limit)
    with store.session() as session:
        return [_incident(row) for row in session.scalars(query)]


def timeline(store: Store, incident_id: int) -> list[TimelineEvent]:
    """The incident's timeline, oldest first."""
    with store.session() as session:
        _row(session, incident_id)
        rows = session.scalars(
            select(IncidentEventRow)
            .where(IncidentEventRow.incident_id == incident_id)
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        return [TimelineEvent(row.at, row.kind, row.actor, row.message) for row in rows]


def notifications(store: Store, incident_id: int | None = None) -> list[NotificationRecord]:
    """Notifications (of one incident, or all), by (scheduled_at, person, channel)."""
    query = (
        select(NotificationRow, NotificationDispatchRow.late)
        .outerjoin(NotificationDispatchRow, NotificationDispatchRow.notification_id == NotificationRow.id)
        .order_by(
            NotificationRow.incident_id,
            NotificationRow.scheduled_at,
            NotificationRow.person_id,
            NotificationRow.channel,
        )
    )
    if incident_id is not None:
        query = query.where(NotificationRow.incident_id == incident_id)
    with store.session() as session:
        return [notification_record(row, bool(late)) for row, late in session.execute(query)]


def notification_record(row: NotificationRow, late: bool) -> NotificationRecord:
    return NotificationRecord(
        id=row.id,
        incident_id=row.incident_id,
        person=row.person_id,
        channel=Channel(row.channel),
        address=row.address,
        rule=row.rule_id,
        level=row.level,
        repeat=row.repeat,
        handover=row.handover,
        scheduled_at=row.scheduled_at,
        state=row.state,
        sent_at=row.sent_at,
        late=late,
        provider_id=row.provider_id,
        error=row.error,
    )


def incident_from_row(row: IncidentRow) -> Incident:
    return _incident(row)


def _incident(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        description=row.description,
        severity=Severity(row.severity),
        status=Status(row.status),
        tags=tuple(str(tag) for tag in row.tags),
        integration=row.integration_id,
        dedup_key=row.dedup_key,
        created_at=row.created_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        resolved_at=row.resolved_at,
        link=row.link,
        image_url=row.image_url,
    )
