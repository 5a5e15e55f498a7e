"""The outbox: where escalation stands for each incident, and every notification to send or sent
(SPEC §3, §9, §10).

Planning writes, in one transaction, each incident's notifications up to now (unique on incident,
person, channel, instant) with the instant planning got to and when it is due again. Sending is
exactly once by compare-and-set: a station claims a due notification (pending → sending) just
before its own send, under the lease epoch it holds, and records the outcome under the same epoch;
the store refuses a claim when the lease is not this station's with enough time left, and a record
when the epoch moved on. A claim whose station died is left `sending` for the next holder to
reconcile with the provider.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from oncall_desktop.domain import Channel
from oncall_desktop.incident import (
    Claim,
    DueIncident,
    DueNotification,
    IncidentPlan,
    InlineOutcome,
    NewEvent,
    SendOutcome,
    SmsPage,
    StaleClaim,
)
from oncall_desktop.store.db import Database
from oncall_desktop.store.incidents import add_events, incident_from_row, notification_record
from oncall_desktop.store.lease import ENGINE_LEASE
from oncall_desktop.store.models import EngineLeaseRow, IncidentRow, NotificationRow
from oncall_desktop.store.paging import ack_token, reply_code
from oncall_desktop.store.station_models import EscalationStateRow, NotificationDispatchRow

EPSILON = timedelta(microseconds=1)

# The statements every engine tick runs, built once (building one costs as much as running it).
_DUE_FOR_PLANNING = (
    select(
        IncidentRow, EscalationStateRow.planned_until, EscalationStateRow.revision, EscalationStateRow.problem
    )
    .join(EscalationStateRow, EscalationStateRow.incident_id == IncidentRow.id)
    .where(EscalationStateRow.next_due_at <= bindparam("now"))
    .order_by(EscalationStateRow.next_due_at, IncidentRow.id)
    .limit(bindparam("limit"))
)
_DUE = (
    select(NotificationRow, NotificationDispatchRow, IncidentRow)
    .join(IncidentRow, IncidentRow.id == NotificationRow.incident_id)
    .join(NotificationDispatchRow, NotificationDispatchRow.notification_id == NotificationRow.id)
    .where(NotificationRow.state == "pending")
    .where(NotificationRow.scheduled_at <= bindparam("now"))
    .where(
        NotificationDispatchRow.next_attempt_at.is_(None)
        | (NotificationDispatchRow.next_attempt_at <= bindparam("now"))
    )
    .order_by(NotificationRow.scheduled_at, NotificationRow.id)
    .limit(bindparam("limit"))
)
_NEXT_DUE = select(
    select(func.min(EscalationStateRow.next_due_at)).scalar_subquery(),
    select(func.min(NotificationDispatchRow.next_attempt_at))
    .join(NotificationRow, NotificationRow.id == NotificationDispatchRow.notification_id)
    .where(NotificationRow.state == "pending")
    .scalar_subquery(),
)
_STALE_CLAIMS = (
    select(NotificationRow)
    .where(NotificationRow.state == "sending")
    .where(or_(NotificationRow.claim_epoch.is_(None), NotificationRow.claim_epoch < bindparam("epoch")))
    .order_by(NotificationRow.claimed_at, NotificationRow.id)
    .limit(bindparam("limit"))
)
_NEW_NOTIFICATIONS = insert(NotificationRow).returning(NotificationRow.id, sort_by_parameter_order=True)
_NEW_DISPATCHES = insert(NotificationDispatchRow)
_PLANNED = (
    update(EscalationStateRow)
    .where(EscalationStateRow.incident_id == bindparam("b_id"))
    .values(
        next_due_at=bindparam("b_next"),
        planned_until=bindparam("b_until"),
        revision=bindparam("b_revision"),
        problem=bindparam("b_problem"),
    )
)
_PAGED = update(IncidentRow).where(IncidentRow.id.in_(bindparam("ids", expanding=True)))
_LEASE_HELD = (
    select(EngineLeaseRow.epoch)
    .where(
        EngineLeaseRow.name == ENGINE_LEASE,
        EngineLeaseRow.holder == bindparam("holder"),
        EngineLeaseRow.epoch == bindparam("epoch"),
    )
    .with_for_update()  # the lease row stays locked to the commit: no station takes over halfway
)
_STILL_PENDING = (
    select(NotificationRow.id)
    .where(NotificationRow.id.in_(bindparam("ids", expanding=True)))
    .where(NotificationRow.state == "pending")
    .with_for_update()  # and these rows: nothing cancels one in between
)
_RECORDED = (
    update(NotificationRow)
    .where(NotificationRow.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        sent_at=bindparam("b_sent_at"),
        claim_epoch=bindparam("b_epoch"),
        error=bindparam("b_error"),
    )
)
_DISPATCH_RECORDED = (
    update(NotificationDispatchRow)
    .where(NotificationDispatchRow.notification_id == bindparam("b_id"))
    .values(late=bindparam("b_late"), attempts=NotificationDispatchRow.attempts + 1, next_attempt_at=None)
)
_PROBLEMS = (
    select(EscalationStateRow.incident_id, EscalationStateRow.problem)
    .where(EscalationStateRow.problem.is_not(None))
    .order_by(EscalationStateRow.incident_id)
)


class _RefusedError(Exception):
    """Inside a transaction: the compare-and-set did not hold; roll everything back."""


@dataclass(frozen=True, slots=True)
class Fence:
    """Who claims or records, under which lease epoch, and the real time now."""

    holder: str
    epoch: int
    real_now: datetime


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- planning -------------------------------------------------------------------------------

    def reconfigured(self, revision: int, now: datetime) -> None:
        """A new configuration revision: every incident planned under another is due now."""
        with self.db.write() as session:
            session.execute(
                update(EscalationStateRow)
                .where(EscalationStateRow.revision != revision)
                .where(EscalationStateRow.revision != -1)
                .where(EscalationStateRow.next_due_at > now)
                .values(next_due_at=now)
            )

    def due_for_planning(self, now: datetime, limit: int) -> list[DueIncident]:
        """Unresolved (or just resolved) incidents whose next planning instant has come, oldest due first."""
        with self.db.read() as session:
            rows = session.execute(_DUE_FOR_PLANNING, {"now": now, "limit": limit}).all()
            return [
                DueIncident(incident_from_row(row), until, rev, problem) for row, until, rev, problem in rows
            ]

    def planned_keys(self, due: Sequence[DueIncident]) -> set[tuple[int, str, Channel, datetime]]:
        """Outbox keys already stored after each incident's `planned_until` (a guard: planning from
        `planned_until` on never repeats one, but the unique key must never be hit)."""
        if not due:
            return set()
        earliest = min(d.planned_until or d.incident.created_at - EPSILON for d in due)
        with self.db.read() as session:
            return {
                (incident_id, person, Channel(channel), at)
                for incident_id, person, channel, at in session.execute(
                    select(
                        NotificationRow.incident_id,
                        NotificationRow.person_id,
                        NotificationRow.channel,
                        NotificationRow.scheduled_at,
                    )
                    .where(NotificationRow.incident_id.in_([d.incident.id for d in due]))
                    .where(NotificationRow.scheduled_at > earliest)
                )
            }

    def save_plans(self, plans: Sequence[IncidentPlan]) -> None:
        """Write several incidents' plans in one transaction (all or nothing)."""
        if not plans:
            return
        with self.db.write() as session:
            _write_plans(session, plans)

    # -- dispatching ----------------------------------------------------------------------------

    def due(self, now: datetime, limit: int, skip: Iterable[int] = ()) -> list[DueNotification]:
        """Pending notifications due at `now` (their instant, or their retry, has come), oldest
        first, with their incidents; `skip` leaves out those a station is sending already."""
        skipped = list(skip)
        with self.db.read() as session:
            rows = session.execute(_DUE, {"now": now, "limit": limit + len(skipped)}).all()
        skip_set = set(skipped)
        found = [
            DueNotification(notification_record(n, d), incident_from_row(i))
            for n, d, i in rows
            if n.id not in skip_set
        ]
        return found[:limit]

    def recent_sms(self, addresses: Iterable[str], since: datetime) -> dict[str, list[datetime]]:
        """Per number, the instants of the SMS sent (or being sent) to it after `since`: one per
        message, a bundle counting once."""
        wanted = sorted(set(addresses))
        result: dict[str, list[datetime]] = {a: [] for a in wanted}
        if not wanted:
            return result
        with self.db.read() as session:
            rows = session.execute(
                select(
                    NotificationRow.address,
                    func.min(func.coalesce(NotificationRow.sent_at, NotificationRow.scheduled_at)),
                )
                .where(NotificationRow.channel == Channel.SMS.value)
                .where(NotificationRow.address.in_(wanted))
                .where(
                    or_(
                        and_(NotificationRow.state == "sent", NotificationRow.sent_at > since),
                        NotificationRow.state == "sending",
                    )
                )
                .group_by(
                    NotificationRow.address, func.coalesce(NotificationRow.claim_group, NotificationRow.id)
                )
            ).all()
        for address, at in rows:
            if address is not None and at is not None:
                result[address].append(at)
        for times in result.values():
            times.sort()
        return result

    def defer(self, notification_ids: Sequence[int], until: datetime, reason: str) -> None:
        """Hold pending notifications back until `until` (an SMS rate limit), saying why."""
        if not notification_ids:
            return
        with self.db.write() as session:
            session.execute(
                update(NotificationDispatchRow)
                .where(NotificationDispatchRow.notification_id.in_(notification_ids))
                .values(next_attempt_at=until)
            )
            session.execute(
                update(NotificationRow).where(NotificationRow.id.in_(notification_ids)).values(error=reason)
            )

    def cancel(self, notification_ids: Sequence[int], reason: str) -> None:
        """Pending notifications of resolved incidents are not sent."""
        if not notification_ids:
            return
        with self.db.write() as session:
            session.execute(
                update(NotificationRow)
                .where(NotificationRow.id.in_(notification_ids))
                .where(NotificationRow.state == "pending")
                .values(state="cancelled", error=reason)
            )

    def claim(
        self,
        fence: Fence,
        notification_ids: Sequence[int],
        *,
        engine_now: datetime,
        lease_margin: timedelta,
        late: bool,
        sms_phone: str | None = None,
        ack_link: bool = False,
        message_domain: str | None = None,
    ) -> Claim | None:
        """Claim notifications for one send: pending → sending under `fence`, refused (None) unless
        every one is still pending and the lease is `fence`'s with at least `lease_margin` left.

        In the same transaction it fixes what the notifier needs from the store: each incident's
        reply code for `sms_phone`, the acknowledge-link token (`ack_link`), the Message-ID (kept
        across repeats of this notification, so a possible repeat after a crash carries the same).
        """
        ids = sorted(set(notification_ids))
        try:
            with self.db.write() as session:
                lease_ok = exists().where(
                    EngineLeaseRow.name == ENGINE_LEASE,
                    EngineLeaseRow.holder == fence.holder,
                    EngineLeaseRow.epoch == fence.epoch,
                    EngineLeaseRow.expires_at >= fence.real_now + lease_margin,
                )
                claimed = session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id.in_(ids))
                    .where(NotificationRow.state == "pending")
                    .where(lease_ok)
                    .values(
                        state="sending",
                        claim_epoch=fence.epoch,
                        claimed_by=fence.holder,
                        claimed_at=fence.real_now,
                        claim_group=ids[0],
                    )
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(claimed) != len(ids):
                    raise _RefusedError
                session.execute(
                    update(NotificationDispatchRow)
                    .where(NotificationDispatchRow.notification_id.in_(ids))
                    .values(attempts=NotificationDispatchRow.attempts + 1, late=late)
                    .execution_options(synchronize_session=False)
                )
                rows = session.execute(
                    select(NotificationRow, IncidentRow)
                    .join(IncidentRow, IncidentRow.id == NotificationRow.incident_id)
                    .where(NotificationRow.id.in_(ids))
                    .order_by(NotificationRow.scheduled_at, NotificationRow.id)
                ).all()
                return self._claimed(session, fence, rows, engine_now, sms_phone, ack_link, message_domain)
        except _RefusedError:
            return None

    def _claimed(
        self,
        session: Session,
        fence: Fence,
        rows: Sequence[Any],
        engine_now: datetime,
        sms_phone: str | None,
        ack_link: bool,
        message_domain: str | None,
    ) -> Claim:
        pages: list[SmsPage] = []
        if sms_phone is not None:
            seen: set[int] = set()
            for note, incident in rows:
                if incident.id in seen:
                    continue
                seen.add(incident.id)
                code = reply_code(session, sms_phone, incident.id, engine_now)
                pages.append(
                    SmsPage(
                        incident.id, incident_from_row(incident).severity, incident.title, note.rule_id, code
                    )
                )
        first, _incident = rows[0]
        token = ack_token(session, first.incident_id, first.person_id, engine_now) if ack_link else None
        message_id = first.message_id
        if message_domain is not None and message_id is None:
            message_id = f"<oncall.{first.id}.{secrets.token_hex(6)}@{message_domain}>"
            first.message_id = message_id
        return Claim(
            notification_ids=tuple(note.id for note, _ in rows),
            epoch=fence.epoch,
            claimed_at=fence.real_now,
            pages=tuple(pages),
            ack_token=token,
            message_id=message_id,
            possibly_repeated=any(note.possibly_repeated for note, _ in rows),
        )

    def record(self, fence: Fence, claim: Claim, outcome: SendOutcome) -> bool:
        """Record how a claimed send went; refused (False, nothing written) when the notifications
        are no longer claimed under `fence`'s epoch or the lease moved to another epoch."""
        ids = list(claim.notification_ids)
        try:
            with self.db.write() as session:
                lease_current = exists().where(
                    EngineLeaseRow.name == ENGINE_LEASE,
                    EngineLeaseRow.holder == fence.holder,
                    EngineLeaseRow.epoch == fence.epoch,
                )
                values: dict[str, Any] = {"error": outcome.error}
                if outcome.state == "sent":
                    values.update(
                        state="sent", sent_at=outcome.at, provider_id=outcome.provider_id, error=None
                    )
                elif outcome.state == "retry":
                    values.update(state="pending")
                elif outcome.state == "unknown":
                    values.update(state="sending", claim_epoch=None)  # for `stale_claims` to settle
                else:
                    values.update(state="failed")
                result = session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id.in_(ids))
                    .where(NotificationRow.state == "sending")
                    .where(NotificationRow.claim_epoch == fence.epoch)
                    .where(lease_current)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(result) != len(ids):
                    raise _RefusedError
                session.execute(
                    update(NotificationDispatchRow)
                    .where(NotificationDispatchRow.notification_id.in_(ids))
                    .values(next_attempt_at=outcome.retry_at if outcome.state == "retry" else None)
                    .execution_options(synchronize_session=False)
                )
                add_events(session, outcome.events)
        except _RefusedError:
            return False
        return True

    def record_inline(self, fence: Fence, at: datetime, outcomes: Sequence[InlineOutcome]) -> set[int]:
        """Notifications whose notifier only writes the timeline: each pending → sent (or failed,
        with its `error`) with its lines, all in one transaction under the lease (so exactly once
        without a claim: nothing outside the database happened). Returns the ids recorded; none
        when the lease moved on, and not one that was no longer pending."""
        recorded: set[int] = set()
        if not outcomes:
            return recorded
        with self.db.write() as session:
            held = session.scalar(_LEASE_HELD, {"holder": fence.holder, "epoch": fence.epoch})
            if held is None:
                return recorded
            ids = [o.notification_id for o in outcomes]
            recorded.update(session.scalars(_STILL_PENDING, {"ids": ids}))
            todo = [o for o in outcomes if o.notification_id in recorded]
            if not todo:
                return recorded
            connection = session.connection()
            connection.execute(
                _RECORDED,
                [
                    {
                        "b_id": o.notification_id,
                        "b_state": "sent" if o.error is None else "failed",
                        "b_sent_at": at if o.error is None else None,
                        "b_epoch": fence.epoch,
                        "b_error": o.error,
                    }
                    for o in todo
                ],
            )
            connection.execute(
                _DISPATCH_RECORDED, [{"b_id": o.notification_id, "b_late": o.late} for o in todo]
            )
            add_events(session, [e for o in todo for e in o.events])
        return recorded

    # -- after a station died mid-send ------------------------------------------------------------

    def stale_claims(self, epoch: int, limit: int = 100) -> list[StaleClaim]:
        """Sends claimed under an epoch before `epoch` whose outcome nobody recorded, one per claim."""
        with self.db.read() as session:
            rows = session.scalars(_STALE_CLAIMS, {"epoch": epoch, "limit": limit * 4}).all()
        groups: dict[int, list[NotificationRow]] = {}
        for row in rows:
            groups.setdefault(row.claim_group or row.id, []).append(row)
        claims = []
        for members in list(groups.values())[:limit]:
            first = members[0]
            claims.append(
                StaleClaim(
                    notification_ids=tuple(m.id for m in members),
                    incident_ids=tuple(dict.fromkeys(m.incident_id for m in members)),
                    person=first.person_id,
                    channel=Channel(first.channel),
                    address=first.address,
                    claimed_at=first.claimed_at,
                    claimed_by=first.claimed_by,
                    epoch=first.claim_epoch,
                    level=first.level,
                    message_id=first.message_id,
                )
            )
        return claims

    def settle_stale(
        self,
        fence: Fence,
        stale: StaleClaim,
        *,
        found: SendOutcome | None,
        events: Sequence[NewEvent],
        possibly_repeated: bool = False,
    ) -> bool:
        """Settle a stale claim under the current lease: `found` at the provider → recorded as it
        says; else back to pending (sent again, `possibly_repeated` marking an email)."""
        ids = list(stale.notification_ids)
        try:
            with self.db.write() as session:
                lease_current = exists().where(
                    EngineLeaseRow.name == ENGINE_LEASE,
                    EngineLeaseRow.holder == fence.holder,
                    EngineLeaseRow.epoch == fence.epoch,
                )
                values: dict[str, Any]
                if found is not None:
                    values = {
                        "state": "sent",
                        "sent_at": found.at,
                        "provider_id": found.provider_id,
                        "error": None,
                    }
                else:
                    values = {"state": "pending", "possibly_repeated": possibly_repeated}
                guard = (
                    NotificationRow.claim_epoch.is_(None)
                    if stale.epoch is None
                    else NotificationRow.claim_epoch == stale.epoch
                )
                result = session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id.in_(ids))
                    .where(NotificationRow.state == "sending")
                    .where(guard)
                    .where(lease_current)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(result) != len(ids):
                    raise _RefusedError
                session.execute(
                    update(NotificationDispatchRow)
                    .where(NotificationDispatchRow.notification_id.in_(ids))
                    .values(late=True, next_attempt_at=None)
                    .execution_options(synchronize_session=False)
                )
                add_events(session, events)
        except _RefusedError:
            return False
        return True

    def recorded_provider_ids(self, provider_ids: Sequence[str]) -> set[str]:
        """Which of these provider ids a notification already carries (reconciling skips them)."""
        if not provider_ids:
            return set()
        with self.db.read() as session:
            return set(
                session.scalars(
                    select(NotificationRow.provider_id).where(
                        NotificationRow.provider_id.in_(list(provider_ids))
                    )
                )
            )

    # -- what is next ---------------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        """The earliest instant at which planning or a retry is due."""
        with self.db.read() as session:
            due, retry = session.execute(_NEXT_DUE).one()
        candidates = [t for t in (due, retry) if t is not None]
        return min(candidates) if candidates else None

    def problems(self) -> list[tuple[int, str]]:
        """Incidents the engine cannot plan with their rules, with the reason."""
        with self.db.read() as session:
            rows = session.execute(_PROBLEMS).all()

        return [(incident_id, problem) for incident_id, problem in rows if problem]

    def planning_state(self, incident_id: int) -> tuple[datetime | None, datetime] | None:
        """(planned_until, next_due_at) of an incident still being escalated, else None."""
        with self.db.read() as session:
            row = session.get(EscalationStateRow, incident_id)
            return (row.planned_until, row.next_due_at) if row is not None else None


def _write_plans(session: Session, plans: Sequence[IncidentPlan]) -> None:
    notes = [
        {
            "incident_id": page.incident_id,
            "person_id": page.person,
            "channel": page.channel.value,
            "address": page.address,
            "rule_id": page.rule,
            "level": page.level,
            "repeat": page.repeat,
            "handover": page.handover,
            "scheduled_at": page.at,
            "state": "pending",
        }
        for plan in plans
        for page in plan.pages
    ]
    if notes:
        ids = session.scalars(_NEW_NOTIFICATIONS, notes).all()
        session.execute(_NEW_DISPATCHES, [{"notification_id": i, "late": False, "attempts": 0} for i in ids])
    going = [p for p in plans if p.next_due is not None]
    if going:
        session.connection().execute(
            _PLANNED,
            [
                {
                    "b_id": p.incident_id,
                    "b_next": p.next_due,
                    "b_until": p.planned_until,
                    "b_revision": p.revision,
                    "b_problem": p.problem,
                }
                for p in going
            ],
        )
    finished = [p.incident_id for p in plans if p.next_due is None]
    if finished:
        session.execute(delete(EscalationStateRow).where(EscalationStateRow.incident_id.in_(finished)))
    for paged in (True, False):
        ids = [p.incident_id for p in plans if p.paged is paged]
        if ids:
            session.execute(_PAGED.values(paged=paged), {"ids": ids})

    for plan in plans:
        if plan.held is not None:
            name, until = plan.held
            session.execute(
                update(IncidentRow)
                .where(IncidentRow.id == plan.incident_id)
                .values(maintenance=name, held_until=until)
            )
    add_events(session, [event for plan in plans for event in plan.events])


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))
