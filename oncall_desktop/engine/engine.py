"""The escalation engine: the planner (SPEC §3) run in real time against the store.

Each `tick(now)`:
1. takes or renews the engine lease (only one engine per database runs, SPEC §7);
2. reloads the configuration when the store's revision moved, and then re-plans every incident;
3. plans each incident whose next due instant has come, with `planner.plan()` — escalation is
   written once, there — and puts every planned notification after the incident's
   `planned_until` and at or before `now` into the outbox (unique on incident, person, channel,
   instant), in the same transaction that moves `planned_until` to `now` and remembers the next due
   instant, so later ticks skip the incident until then and a crash repeats or loses nothing;
4. dispatches due outbox rows through the notifiers, marking late those sent more than `late_after`
   after their instant (after downtime).
The engine knows no Qt and no threads; `station` and `qt_worker` call `tick` on their loops.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from oncall_desktop import timeutil
from oncall_desktop.domain import Channel, Configuration, Status
from oncall_desktop.engine import incidents
from oncall_desktop.engine.incidents import Incident, NotificationRecord, write_session
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, Notifier, TimelineNotifier, describe
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from oncall_desktop.store.models import IncidentEventRow, IncidentRow, NotificationRow
from oncall_desktop.store.station_models import EscalationStateRow, NotificationDispatchRow

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=30)
LATE_AFTER = timedelta(seconds=60)
PLAN_HORIZON = timedelta(hours=1)
BATCH = 500
EPSILON = timedelta(microseconds=1)
UNKNOWN_DELIVERY = "the station stopped while sending; delivery unknown, not retried"


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did. `next_due` is when the engine next has work (None: nothing scheduled);
    `more` says a batch limit was hit and another tick should follow at once."""

    now: datetime
    holds_lease: bool
    opened: tuple[Incident, ...] = ()
    sent: tuple[NotificationRecord, ...] = ()
    failed: tuple[NotificationRecord, ...] = ()
    planned: int = 0
    next_due: datetime | None = None
    more: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.opened or self.sent or self.failed or self.planned)


MAX_IDLE = timedelta(seconds=1)


def next_delay(
    report: TickReport | None, now: datetime, speed: float = 1.0, max_idle: timedelta = MAX_IDLE
) -> timedelta:
    """How long (real time) to wait before the next tick: at once if a batch was cut short, else
    until the next due instant (on a clock running `speed` times real time), but never longer than
    `max_idle` (configuration changes, the lease, new incidents); `max_idle` after a failed tick."""
    if report is not None and report.more:
        return timedelta(0)
    if report is None or report.next_due is None:
        return max_idle
    return max(timedelta(0), min(max_idle, (report.next_due - now) / speed))


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class EscalationEngine:
    """Escalates the store's unresolved incidents; call `tick()` whenever `next_due` comes (or on
    a short interval, and whenever intake opened an incident)."""

    def __init__(
        self,
        store: Store,
        notifiers: Sequence[Notifier] = (),
        *,
        holder: str | None = None,
        lease_ttl: timedelta = LEASE_TTL,
        late_after: timedelta = LATE_AFTER,
        horizon: timedelta = PLAN_HORIZON,
    ) -> None:
        self.store = store
        self.notifiers: tuple[Notifier, ...] = (*notifiers, TimelineNotifier())
        self.holder = holder or default_holder()
        self.lease_ttl = lease_ttl
        self.late_after = late_after
        self.horizon = horizon
        self._holds_lease = False
        self._revision: int | None = None
        self._config = Configuration()
        self._schedules = Schedules(self._config)

    @property
    def holds_lease(self) -> bool:
        return self._holds_lease

    def release(self) -> None:
        """Give the lease up (on shutdown) so another station can take over at once."""
        if self._holds_lease:
            self.store.release_engine_lease(self.holder)
            self._holds_lease = False

    def tick(self, now: datetime) -> TickReport:
        if not self.store.acquire_engine_lease(self.holder, now, self.lease_ttl):
            if self._holds_lease:
                log.warning("engine lease lost to another station")
            self._holds_lease = False
            return TickReport(now, holds_lease=False)
        if not self._holds_lease:
            self._holds_lease = True
            self._recover_interrupted(now)
        self._refresh_configuration(now)
        opened, planned, more_planning = self._plan_due(now)
        sent, failed, more_sending = self._dispatch(now)
        return TickReport(
            now=now,
            holds_lease=True,
            opened=opened,
            sent=sent,
            failed=failed,
            planned=planned,
            next_due=self._next_due(),
            more=more_planning or more_sending,
        )

    # -- configuration --------------------------------------------------------------------------

    def _refresh_configuration(self, now: datetime) -> None:
        revision = self.store.revision()
        if revision == self._revision:
            return
        self._config = self.store.load_configuration()
        self._schedules = Schedules(self._config)
        self._revision = revision
        with write_session(self.store) as session:
            session.execute(
                update(EscalationStateRow)
                .where(EscalationStateRow.revision != revision)
                .where(EscalationStateRow.next_due_at > now)
                .values(next_due_at=now)
            )

    # -- planning -------------------------------------------------------------------------------

    def _plan_due(self, now: datetime) -> tuple[tuple[Incident, ...], int, bool]:
        """Plan every incident whose next due instant has come; one transaction, bulk writes."""
        opened: list[Incident] = []
        with write_session(self.store) as session:
            rows = session.execute(
                select(IncidentRow, EscalationStateRow.planned_until, EscalationStateRow.revision)
                .join(EscalationStateRow, EscalationStateRow.incident_id == IncidentRow.id)
                .where(EscalationStateRow.next_due_at <= now)
                .order_by(EscalationStateRow.next_due_at)
                .limit(BATCH)
            ).all()
            if not rows:
                return (), 0, False
            have = self._outbox_keys(session, [(row, since) for row, since, _ in rows])
            new_notes: list[dict[str, Any]] = []
            states: list[dict[str, Any]] = []
            finished: list[int] = []
            for incident_row, since, revision in rows:
                incident = incidents.incident_from_row(incident_row)
                if revision == -1:
                    opened.append(incident)
                next_due = self._plan_incident(incident, since, now, have, new_notes)
                if next_due is None:
                    finished.append(incident.id)
                else:
                    states.append(
                        {
                            "b_id": incident.id,
                            "b_next": next_due,
                            "b_until": now,
                            "b_revision": self._revision or 0,
                        }
                    )
            if new_notes:
                ids = session.scalars(
                    insert(NotificationRow).returning(NotificationRow.id, sort_by_parameter_order=True),
                    new_notes,
                ).all()
                session.execute(
                    insert(NotificationDispatchRow),
                    [{"notification_id": i, "late": False, "attempts": 0} for i in ids],
                )
            if states:
                session.connection().execute(
                    update(EscalationStateRow)
                    .where(EscalationStateRow.incident_id == bindparam("b_id"))
                    .values(
                        next_due_at=bindparam("b_next"),
                        planned_until=bindparam("b_until"),
                        revision=bindparam("b_revision"),
                    ),
                    states,
                )
            if finished:
                session.execute(
                    delete(EscalationStateRow).where(EscalationStateRow.incident_id.in_(finished))
                )
        return tuple(opened), len(new_notes), len(rows) == BATCH

    def _outbox_keys(
        self, session: Session, due: list[tuple[IncidentRow, datetime | None]]
    ) -> set[tuple[int, str, str, datetime]]:
        """Keys already in the outbox after each incident's `planned_until` (a guard: planning from
        `planned_until` on never repeats one, but the unique key must never be hit)."""
        earliest = min(since or row.created_at - EPSILON for row, since in due)
        return {
            (incident_id, person, channel, at)
            for incident_id, person, channel, at in session.execute(
                select(
                    NotificationRow.incident_id,
                    NotificationRow.person_id,
                    NotificationRow.channel,
                    NotificationRow.scheduled_at,
                )
                .where(NotificationRow.incident_id.in_([row.id for row, _ in due]))
                .where(NotificationRow.scheduled_at > earliest)
            )
        }

    def _plan_incident(
        self,
        incident: Incident,
        since: datetime | None,
        now: datetime,
        have: set[tuple[int, str, str, datetime]],
        new_notes: list[dict[str, Any]],
    ) -> datetime | None:
        """Queue the incident's notifications in (since, now]; its next due instant, or None when
        escalation is over for good."""
        facts = IncidentFacts(incident.created_at, incident.severity, incident.tags)
        horizon_end = max(now, incident.created_at) + self.horizon
        notes = plan(self._schedules, facts, incident.status_changes(), until=horizon_end, since=since)
        for note in notes:
            if note.at > now:
                break
            if (incident.id, note.person, note.channel.value, note.at) in have:
                continue
            new_notes.append(
                {
                    "incident_id": incident.id,
                    "person_id": note.person,
                    "channel": note.channel.value,
                    "address": self._address(note.person, note.channel),
                    "rule_id": note.rule,
                    "level": note.level,
                    "repeat": note.repeat,
                    "handover": note.handover,
                    "scheduled_at": note.at,
                    "state": "pending",
                }
            )
        if incident.status == Status.RESOLVED:
            return None
        return next((n.at for n in notes if n.at > now), horizon_end)

    def _address(self, person_id: str, channel: Channel) -> str | None:
        person = self._config.person(person_id)
        if person is None:
            return None
        return person.paging_email if channel == Channel.EMAIL else person.paging_phone

    # -- dispatching ----------------------------------------------------------------------------

    def _recover_interrupted(self, now: datetime) -> None:
        """Rows left `sending` by a station that died mid-send: never send them again."""
        with write_session(self.store) as session:
            stuck = session.scalars(select(NotificationRow).where(NotificationRow.state == "sending")).all()
            for row in stuck:
                row.state = "failed"
                row.error = UNKNOWN_DELIVERY
                incidents.add_event(
                    session,
                    row.incident_id,
                    now,
                    "notification_failed",
                    f"{row.person_id}: {UNKNOWN_DELIVERY}",
                )

    def _due_outbox(self, session: Session, now: datetime) -> list[tuple[NotificationRow, IncidentRow]]:
        rows = session.execute(
            select(NotificationRow, IncidentRow)
            .join(IncidentRow, IncidentRow.id == NotificationRow.incident_id)
            .join(NotificationDispatchRow, NotificationDispatchRow.notification_id == NotificationRow.id)
            .where(NotificationRow.state == "pending")
            .where(NotificationRow.scheduled_at <= now)
            .where(
                (NotificationDispatchRow.next_attempt_at.is_(None))
                | (NotificationDispatchRow.next_attempt_at <= now)
            )
            .order_by(NotificationRow.scheduled_at, NotificationRow.id)
            .limit(BATCH)
        ).all()
        return [(n, i) for n, i in rows]

    def _notifier(self, channel: Channel) -> Notifier:
        return next(n for n in self.notifiers if channel in n.channels)

    def _delivery(self, row: NotificationRow, incident: IncidentRow, now: datetime) -> Delivery:
        person = self._config.person(row.person_id)
        return Delivery(
            notification_id=row.id,
            incident_id=incident.id,
            incident_title=incident.title,
            severity=incidents.incident_from_row(incident).severity,
            rule=row.rule_id,
            person=row.person_id,
            person_name=person.name if person else row.person_id,
            channel=Channel(row.channel),
            address=row.address,
            level=row.level,
            repeat=row.repeat,
            handover=row.handover,
            scheduled_at=row.scheduled_at,
            late=now - row.scheduled_at > self.late_after,
        )

    def _dispatch(
        self, now: datetime
    ) -> tuple[tuple[NotificationRecord, ...], tuple[NotificationRecord, ...], bool]:
        sent: list[NotificationRecord] = []
        failed: list[NotificationRecord] = []
        external: list[Delivery] = []
        with write_session(self.store) as session:
            due = self._due_outbox(session, now)
            done = _Recorded(now)
            for row, incident in due:
                delivery = self._delivery(row, incident, now)
                if incident.status == Status.RESOLVED.value:
                    done.cancel(row)
                    continue
                notifier = self._notifier(delivery.channel)
                if not notifier.in_transaction:
                    done.claim(row, delivery)
                    external.append(delivery)
                    continue
                result = notifier.send(delivery, done.journal(delivery.incident_id))
                record = done.record(row, delivery, result)
                (sent if record.state == "sent" else failed).append(record)
            done.write(session)
        for delivery in external:
            outcome = self._send_external(delivery, now)
            if outcome is not None:
                (sent if outcome.state == "sent" else failed).append(outcome)
        return tuple(sent), tuple(failed), len(due) == BATCH

    def _send_external(self, delivery: Delivery, now: datetime) -> NotificationRecord | None:
        """Send a claimed notification outside any transaction, then record how it went."""
        done = _Recorded(now)
        try:
            result = self._notifier(delivery.channel).send(delivery, done.journal(delivery.incident_id))
        except Exception as error:  # a notifier bug must not stop the escalation of other incidents
            log.exception("notifier failed")
            result = DeliveryResult.failed(f"{type(error).__name__}: {error}")
        with write_session(self.store) as session:
            row = session.get(NotificationRow, delivery.notification_id)
            if row is None:
                return None
            record = done.record(row, delivery, result)
            done.write(session)
            return record

    def _next_due(self) -> datetime | None:
        with self.store.session() as session:
            due = session.scalar(select(func.min(EscalationStateRow.next_due_at)))
            retry = session.scalar(
                select(func.min(NotificationDispatchRow.next_attempt_at))
                .join(NotificationRow, NotificationRow.id == NotificationDispatchRow.notification_id)
                .where(NotificationRow.state == "pending")
            )
        candidates = [t for t in (due, retry) if t is not None]
        return min(candidates) if candidates else None


class _Recorded:
    """The outcome of one dispatch transaction, written with a few multi-row statements."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.notifications: list[dict[str, Any]] = []
        self.dispatches: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def journal(self, incident_id: int) -> Callable[[str, str], None]:
        def append(kind: str, message: str) -> None:
            self._event(incident_id, kind, message)

        return append

    def _event(self, incident_id: int, kind: str, message: str) -> None:
        self.events.append(
            {
                "incident_id": incident_id,
                "at": self.now,
                "kind": kind,
                "actor": None,
                "message": message,
                "data": {},
            }
        )

    def _set(self, row: NotificationRow, state: str, **values: Any) -> None:
        self.notifications.append(
            {
                "b_id": row.id,
                "state": state,
                "sent_at": values.get("sent_at", row.sent_at),
                "provider_id": values.get("provider_id", row.provider_id),
                "error": values.get("error", row.error),
            }
        )

    def cancel(self, row: NotificationRow) -> None:
        self._set(row, "cancelled", error="the incident was resolved before it was sent")

    def claim(self, row: NotificationRow, delivery: Delivery) -> None:
        self._set(row, "sending")
        self.dispatches.append(
            {"b_id": row.id, "late": delivery.late, "attempts": 1, "next_attempt_at": None}
        )

    def record(self, row: NotificationRow, delivery: Delivery, result: DeliveryResult) -> NotificationRecord:
        retry_at: datetime | None = None
        if result.state == "sent":
            values: dict[str, Any] = {"sent_at": self.now, "provider_id": result.provider_id, "error": None}
            state = "sent"
            log.info(
                "incident %s: %s at %s",
                delivery.incident_id,
                describe(delivery),
                timeutil.format_instant(row.scheduled_at),
            )
        elif result.state == "retry":
            values = {"error": result.error}
            state = "pending"
            retry_at = self.now + (result.retry_after or timedelta(seconds=30))
        else:
            values = {"error": result.error}
            state = "failed"
            self._event(
                delivery.incident_id,
                "notification_failed",
                f"{describe(delivery)}: {result.error or 'failed'}",
            )
            log.warning("incident %s: %s failed: %s", delivery.incident_id, describe(delivery), result.error)
        self._set(row, state, **values)
        self.dispatches.append(
            {"b_id": row.id, "late": delivery.late, "attempts": 0, "next_attempt_at": retry_at}
        )
        record = incidents.notification_record(row, delivery.late)
        return replace(
            record,
            state=state,
            sent_at=values.get("sent_at", record.sent_at),
            provider_id=values.get("provider_id", record.provider_id),
            error=values.get("error", record.error),
        )

    def write(self, session: Session) -> None:
        connection = session.connection()
        if self.notifications:
            connection.execute(
                update(NotificationRow)
                .where(NotificationRow.id == bindparam("b_id"))
                .values(
                    state=bindparam("state"),
                    sent_at=bindparam("sent_at"),
                    provider_id=bindparam("provider_id"),
                    error=bindparam("error"),
                ),
                self.notifications,
            )
        if self.dispatches:
            connection.execute(
                update(NotificationDispatchRow)
                .where(NotificationDispatchRow.notification_id == bindparam("b_id"))
                .values(
                    late=bindparam("late"),
                    attempts=NotificationDispatchRow.attempts + bindparam("attempts"),
                    next_attempt_at=bindparam("next_attempt_at"),
                ),
                self.dispatches,
            )
        if self.events:
            session.execute(insert(IncidentEventRow), self.events)
