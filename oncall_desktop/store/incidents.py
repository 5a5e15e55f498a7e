"""Incidents in the store: opened and grouped by intake, acknowledged and resolved by people, read
back with their timelines and notifications (SPEC §4, §10).

Intake's group commit stores many payloads in one transaction; when that commit fails, each payload
is stored alone, so one that cannot be stored fails by itself and every other is kept. The open
alert group is unique in the database (`uq_incidents_open_group`): two stations receiving one group
at once insert one incident, the second attaching to it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from oncall_desktop.domain import Channel, Severity, Status
from oncall_desktop.incident import (
    Incident,
    IntakeOutcome,
    IntakeResult,
    NewEvent,
    NotificationRecord,
    NotificationState,
    TimelineEvent,
)
from oncall_desktop.store.db import Database
from oncall_desktop.store.errors import NotFoundError, StoreError
from oncall_desktop.store.models import (
    OPEN_GROUP,
    IncidentAlertRow,
    IncidentEventRow,
    IncidentRow,
    NotificationRow,
)
from oncall_desktop.store.station_models import EscalationStateRow, NotificationDispatchRow

NOTIFICATION_STATES = ("pending", "sending", "sent", "failed", "cancelled")
IN_LIST_CHUNK = 500  # ids per `IN (…)`: well under SQLite's and PostgreSQL's bound-parameter limits


class IncidentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- intake ---------------------------------------------------------------------------------

    def ingest(self, integration_id: str, result: IntakeResult, now: datetime) -> IntakeOutcome:
        """Store one payload: open or group into an incident, attach its alerts, resolve when all are."""
        outcome = self.ingest_batch([(integration_id, result)], now)[0]
        if isinstance(outcome, StoreError):
            raise outcome
        return outcome

    def ingest_batch(
        self, items: Sequence[tuple[str, IntakeResult]], now: datetime
    ) -> list[IntakeOutcome | StoreError]:
        """Store several payloads in one transaction (intake's group commit), with the same outcome
        as storing them one by one in order. If that transaction fails, each payload is stored in
        a transaction of its own: an item that still fails gets its `StoreError`, every other one
        its outcome."""
        try:
            with self.db.write() as session:
                return list(_Batch(session, now).ingest(items))
        except StoreError as error:
            if len(items) == 1:
                return [error]
        outcomes: list[IntakeOutcome | StoreError] = []
        for item in items:
            try:
                with self.db.write() as session:
                    outcomes.extend(_Batch(session, now).ingest([item]))
            except StoreError as error:
                outcomes.append(error)
        return outcomes

    # -- people acting ----------------------------------------------------------------------------

    def acknowledge(self, incident_id: int, now: datetime, by: str | None = None) -> Incident:
        """Move an open incident to `working`; escalation levels listing only `open` stop."""
        with self.db.write() as session:
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
            add_events(session, [NewEvent(incident_id, now, "acknowledged", _by("acknowledged", by), by)])
            _due_now(session, [incident_id], now)
            return incident_from_row(row)

    def resolve(self, incident_id: int, now: datetime, by: str | None = None) -> Incident:
        """Resolve an incident: escalation is over for good."""
        with self.db.write() as session:
            row = _row(session, incident_id)
            if row.status == Status.RESOLVED.value:
                raise StoreError(f"incident {incident_id} is already resolved")
            row.status = Status.RESOLVED.value
            row.resolved_at = now
            add_events(session, [NewEvent(incident_id, now, "resolved", _by("resolved", by), by)])
            _due_now(session, [incident_id], now)
            return incident_from_row(row)

    # -- reading --------------------------------------------------------------------------------

    def get(self, incident_id: int) -> Incident:
        with self.db.read() as session:
            return incident_from_row(_row(session, incident_id))

    def newest(
        self, status: Status | None = None, limit: int | None = None, since_id: int | None = None
    ) -> list[Incident]:
        """Incidents, newest first; only those with `status` if given."""
        query = select(IncidentRow).order_by(IncidentRow.created_at.desc(), IncidentRow.id.desc())
        if status is not None:
            query = query.where(IncidentRow.status == status.value)
        if since_id is not None:
            query = query.where(IncidentRow.id > since_id)
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as session:
            return [incident_from_row(row) for row in session.scalars(query)]

    def changes_marker(self) -> tuple[int, int]:
        """A cheap fingerprint of every incident change (new incidents and timeline lines, by any
        station): the views poll it and reload only when it moved."""
        with self.db.read() as session:
            events = session.scalar(select(func.max(IncidentEventRow.id))) or 0
            count = session.scalar(select(func.count()).select_from(IncidentRow)) or 0
        return int(events), int(count)

    def count(self, status: Status | None = None) -> int:
        query = select(func.count()).select_from(IncidentRow)
        if status is not None:
            query = query.where(IncidentRow.status == status.value)
        with self.db.read() as session:
            return int(session.scalar(query) or 0)

    def timeline(self, incident_id: int) -> list[TimelineEvent]:
        """The incident's timeline, oldest first."""
        with self.db.read() as session:
            _row(session, incident_id)
            rows = session.scalars(
                select(IncidentEventRow)
                .where(IncidentEventRow.incident_id == incident_id)
                .order_by(IncidentEventRow.at, IncidentEventRow.id)
            )
            return [_event(row) for row in rows]

    def notifications(self, incident_id: int | None = None) -> list[NotificationRecord]:
        """Notifications (of one incident, or all), by (incident, scheduled_at, person, channel)."""
        query = (
            select(NotificationRow, NotificationDispatchRow)
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
        with self.db.read() as session:
            return [notification_record(row, dispatch) for row, dispatch in session.execute(query)]

    def notifications_of(self, incident_ids: Collection[int]) -> dict[int, list[NotificationRecord]]:
        """The notifications of these incidents, each incident's in `notifications`' order: a few
        queries for many incidents, reading nothing of the others."""
        found: dict[int, list[NotificationRecord]] = {i: [] for i in incident_ids}
        wanted = sorted(found)
        with self.db.read() as session:
            for at in range(0, len(wanted), IN_LIST_CHUNK):
                query = (
                    select(NotificationRow, NotificationDispatchRow)
                    .outerjoin(
                        NotificationDispatchRow, NotificationDispatchRow.notification_id == NotificationRow.id
                    )
                    .where(NotificationRow.incident_id.in_(wanted[at : at + IN_LIST_CHUNK]))
                    .order_by(
                        NotificationRow.scheduled_at, NotificationRow.person_id, NotificationRow.channel
                    )
                )
                for row, dispatch in session.execute(query):
                    found[row.incident_id].append(notification_record(row, dispatch))
        return found

    def add_events(self, events: Iterable[NewEvent]) -> None:
        """Append timeline lines (each names its incident) in one transaction."""
        with self.db.write() as session:
            add_events(session, events)


# -- intake's group commit ---------------------------------------------------------------------

# Built once, so each batch reuses their compiled form and cache key. Each runs on the session's
# connection: the ORM's bulk machinery (identity map, per-row mapper work) buys intake nothing.
_OPEN_GROUPS = (
    select(
        IncidentRow.id,
        IncidentRow.dedup_key,
        IncidentAlertRow.id,
        IncidentAlertRow.fingerprint,
        IncidentAlertRow.state,
    )
    .outerjoin(
        IncidentAlertRow,
        and_(
            IncidentAlertRow.incident_id == IncidentRow.id,
            IncidentAlertRow.fingerprint.in_(bindparam("fingerprints", expanding=True)),
        ),
    )
    .where(IncidentRow.integration_id == bindparam("integration_id"))
    .where(IncidentRow.dedup_key.in_(bindparam("keys", expanding=True)))
    # the very condition of the partial unique index (a bound parameter would not match it)
    .where(IncidentRow.status != literal_column(f"'{Status.RESOLVED.value}'"))
)
"""The open incidents of some groups of one integration, each with those of its alerts asked for."""
_FIRING_COUNTS = (
    select(IncidentAlertRow.incident_id, func.count())
    .where(IncidentAlertRow.incident_id.in_(bindparam("ids", expanding=True)))
    .where(IncidentAlertRow.state == "firing")
    .group_by(IncidentAlertRow.incident_id)
)
_NEW_ALERTS = insert(IncidentAlertRow)
_NEW_EVENTS = insert(IncidentEventRow)
_CHANGED_ALERTS = (
    update(IncidentAlertRow)
    .where(IncidentAlertRow.id == bindparam("b_id"))
    .values(state=bindparam("state"), labels=bindparam("labels"), updated_at=bindparam("updated_at"))
)


def _resolving(result: IntakeResult) -> bool:
    """Whether the payload may resolve its incident: only one carrying a resolved alert can (after
    a payload whose alerts all fire, its incident has a firing alert, whatever else it has)."""
    return any(alert.state != "firing" for alert in result.alerts)


class _Batch:
    """One group commit: reads what the payloads touch in a few queries, decides in order in
    memory, then writes everything with a handful of multi-row statements.

    An incident's firing alerts are counted only when a payload in the batch may resolve it
    (`_resolving`): a batch of firing alerts reads no counts, however many alerts its incidents
    hold."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.connection = session.connection()
        self.now = now
        self.wanted: dict[str, tuple[set[str], set[str]]] = {}
        """Per integration, the groups and the alert fingerprints the batch's payloads name."""
        self.open: dict[tuple[str, str], int] = {}
        self.alerts: dict[tuple[int, str], tuple[int | None, str]] = {}
        self.firing: dict[int, int] = {}
        """Firing alerts of each incident a resolving payload touches (and of those opened here)."""
        self.new_alerts: dict[tuple[int, str], dict[str, Any]] = {}
        self.changed_alerts: dict[int, dict[str, Any]] = {}
        self.events: list[NewEvent] = []
        self.resolved: list[int] = []

    def ingest(self, items: Sequence[tuple[str, IntakeResult]]) -> list[IntakeOutcome]:
        self._load(items)
        outcomes = [self._one(integration_id, result) for integration_id, result in items]
        self._write()
        return outcomes

    def _load(self, items: Sequence[tuple[str, IntakeResult]]) -> None:
        for integration_id, result in items:
            keys, fingerprints = self.wanted.setdefault(integration_id, (set(), set()))
            keys.add(result.group_key)
            fingerprints.update(alert.fingerprint for alert in result.alerts)
        for integration_id, (keys, _) in self.wanted.items():
            self._find(integration_id, keys)
        self._count(
            {
                self.open[(integration_id, result.group_key)]
                for integration_id, result in items
                if _resolving(result) and (integration_id, result.group_key) in self.open
            }
        )

    def _find(self, integration_id: str, keys: set[str]) -> None:
        """The open incidents of groups `keys`, and the stored state of the batch's alerts in them."""
        fingerprints = self.wanted[integration_id][1]
        rows = self.connection.execute(
            _OPEN_GROUPS,
            {"integration_id": integration_id, "keys": sorted(keys), "fingerprints": sorted(fingerprints)},
        )
        for incident_id, key, alert_id, fingerprint, state in rows:
            self.open[(integration_id, cast(str, key))] = incident_id  # one of `keys`: not NULL
            if alert_id is not None:
                self.alerts[(incident_id, fingerprint)] = (alert_id, state)

    def _count(self, ids: set[int]) -> None:
        """The firing alerts of incidents `ids`."""
        if ids:
            self.firing.update(dict.fromkeys(ids, 0))
            for incident_id, count in self.connection.execute(_FIRING_COUNTS, {"ids": sorted(ids)}):
                self.firing[incident_id] = count

    def _one(self, integration_id: str, result: IntakeResult) -> IntakeOutcome:
        incident_id = self.open.get((integration_id, result.group_key))
        opened = False
        if incident_id is None:
            if not result.opens:
                return IntakeOutcome(None)
            incident_id, opened = self._open(integration_id, result)
        for alert in result.alerts:
            known = self.alerts.get((incident_id, alert.fingerprint))
            if known is not None and known[1] == alert.state:
                continue
            if known is None:
                self.new_alerts[(incident_id, alert.fingerprint)] = {
                    "incident_id": incident_id,
                    "integration_id": integration_id,
                    "group_key": result.group_key,
                    "fingerprint": alert.fingerprint,
                    "state": alert.state,
                    "labels": dict(alert.labels),
                    "received_at": self.now,
                    "updated_at": self.now,
                }
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
            if incident_id in self.firing:
                delta = (alert.state == "firing") - (known is not None and known[1] == "firing")
                self.firing[incident_id] += delta
            if not (opened and known is None):
                self._event(incident_id, "alert", integration_id, f"alert {alert.state}: {alert.fingerprint}")
        resolved = False
        if _resolving(result) and self.firing[incident_id] <= 0:
            self._event(incident_id, "resolved", integration_id, f"resolved by {integration_id}")
            self.resolved.append(incident_id)
            del self.open[(integration_id, result.group_key)]
            resolved = True
        return IntakeOutcome(incident_id, opened=opened, resolved=resolved)

    def _open(self, integration_id: str, result: IntakeResult) -> tuple[int, bool]:
        """The group's incident: a new one, or — when another station opened it a moment ago (the
        unique index refused a second) — that one. (id, whether this payload opened it)."""
        values = {
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
        self._write_resolved()  # a group resolved earlier in this batch may open again now
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(IncidentRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=["integration_id", "dedup_key"], index_where=OPEN_GROUP)
            .returning(IncidentRow.id)
        )
        incident_id = self.session.scalar(statement)
        if incident_id is None:
            self._find(integration_id, {result.group_key})
            existing = self.open.get((integration_id, result.group_key))
            if existing is None:
                raise StoreError(f"alert group {result.group_key[:80]!r} could not be opened nor found")
            self._count({existing})
            return existing, False
        self.session.execute(
            insert(EscalationStateRow),
            [{"incident_id": incident_id, "next_due_at": self.now, "revision": -1}],
        )
        self.open[(integration_id, result.group_key)] = incident_id
        self.firing[incident_id] = 0
        self._event(incident_id, "created", integration_id, f"opened: {result.title}")
        return incident_id, True

    def _event(self, incident_id: int, kind: str, actor: str | None, message: str) -> None:
        self.events.append(NewEvent(incident_id, self.now, kind, message, actor))

    def _write(self) -> None:
        if self.new_alerts:
            self.connection.execute(_NEW_ALERTS, list(self.new_alerts.values()))
        if self.changed_alerts:
            self.connection.execute(_CHANGED_ALERTS, list(self.changed_alerts.values()))
        add_events(self.session, self.events)
        self._write_resolved()

    def _write_resolved(self) -> None:
        if self.resolved:
            self.session.execute(
                update(IncidentRow)
                .where(IncidentRow.id.in_(self.resolved))
                .values(status=Status.RESOLVED.value, resolved_at=self.now)
            )
            _due_now(self.session, self.resolved, self.now)
            self.resolved = []


# -- shared by the store's modules --------------------------------------------------------------


def add_events(session: Session, events: Iterable[NewEvent]) -> None:
    """Append timeline lines inside the caller's unit of work."""
    rows = [
        {
            "incident_id": e.incident_id,
            "at": e.at,
            "kind": e.kind,
            "actor": e.actor,
            "message": e.message,
            "data": _event_data(e),
        }
        for e in events
    ]
    if rows:
        session.flush()  # what the ORM's bulk insert would do first; the plain insert is cheaper
        session.connection().execute(_NEW_EVENTS, rows)


def _event_data(event: NewEvent) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if event.person is not None:
        data["person"] = event.person
    if event.channel is not None:
        data["channel"] = event.channel.value
    if event.level is not None:
        data["level"] = event.level
    return data


def _event(row: IncidentEventRow) -> TimelineEvent:
    data = row.data or {}
    channel = data.get("channel")
    level = data.get("level")
    return TimelineEvent(
        at=row.at,
        kind=row.kind,
        actor=row.actor,
        message=row.message,
        person=data.get("person"),
        channel=Channel(channel) if channel in {c.value for c in Channel} else None,
        level=level if isinstance(level, int) else None,
    )


def _due_now(session: Session, incident_ids: Sequence[int], now: datetime) -> None:
    session.execute(
        update(EscalationStateRow)
        .where(EscalationStateRow.incident_id.in_(incident_ids))
        .values(next_due_at=now)
    )


def _by(verb: str, by: str | None) -> str:
    return f"{verb} by {by or 'someone'}"


def _row(session: Session, incident_id: int) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise NotFoundError(f"no incident {incident_id}")
    return row


def incident_from_row(row: IncidentRow) -> Incident:
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
        paged=row.paged,
        maintenance=row.maintenance,
        held_until=row.held_until,
    )


def notification_record(row: NotificationRow, dispatch: NotificationDispatchRow | None) -> NotificationRecord:
    state = row.state
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
        state=cast(NotificationState, state if state in NOTIFICATION_STATES else "failed"),
        sent_at=row.sent_at,
        late=bool(dispatch.late) if dispatch is not None else False,
        provider_id=row.provider_id,
        error=row.error,
        attempts=dispatch.attempts if dispatch is not None else 0,
        claim_epoch=row.claim_epoch,
        possibly_repeated=row.possibly_repeated,
    )
