"""The reminders outbox (SPEC §12): handoff reminders to send or sent, exactly once, by the same
compare-and-set under the lease epoch as notifications (`outbox`): a station claims a due reminder
(pending → sending) just before its send, under the epoch it holds and with enough lease left, and
records the outcome under the same epoch; a claim whose station died stays `sending` for the next
holder to settle with the provider.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update

from oncall_desktop.domain import Channel
from oncall_desktop.incident import SendOutcome
from oncall_desktop.reminders import PlannedReminder, Reminder, ReminderState
from oncall_desktop.store.db import Database
from oncall_desktop.store.lease import ENGINE_LEASE
from oncall_desktop.store.models import EngineLeaseRow
from oncall_desktop.store.outbox import Fence
from oncall_desktop.store.planning_models import ReminderRow

_STATES: tuple[ReminderState, ...] = ("pending", "sending", "sent", "failed", "cancelled")


class ReminderOutbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    def plan(self, planned: Sequence[PlannedReminder]) -> int:
        """Store the reminders not stored yet (one per rule, person, channel, shift start); how many."""
        if not planned:
            return 0
        keys = [(p.rule, p.person, p.channel.value, p.shift_start) for p in planned]
        with self.db.write() as session:
            have = {
                tuple(row)
                for row in session.execute(
                    select(
                        ReminderRow.rule_id,
                        ReminderRow.person_id,
                        ReminderRow.channel,
                        ReminderRow.shift_start,
                    ).where(ReminderRow.shift_start.in_(sorted({k[3] for k in keys})))
                )
            }
            rows = []
            for plan, key in zip(planned, keys, strict=True):
                if key in have:
                    continue
                have.add(key)
                rows.append(
                    {
                        "rule_id": plan.rule,
                        "person_id": plan.person,
                        "channel": plan.channel.value,
                        "address": plan.address,
                        "shift_start": plan.shift_start,
                        "scheduled_at": plan.at,
                        "state": "pending",
                        "attempts": 0,
                    }
                )
            if rows:
                session.execute(insert(ReminderRow), rows)
            return len(rows)

    def due(self, now: datetime, limit: int) -> list[Reminder]:
        with self.db.read() as session:
            rows = session.scalars(
                select(ReminderRow)
                .where(ReminderRow.state == "pending", ReminderRow.scheduled_at <= now)
                .where(or_(ReminderRow.next_attempt_at.is_(None), ReminderRow.next_attempt_at <= now))
                .order_by(ReminderRow.scheduled_at, ReminderRow.id)
                .limit(limit)
            ).all()
            return [_reminder(row) for row in rows]

    def all(self) -> list[Reminder]:
        with self.db.read() as session:
            return [_reminder(r) for r in session.scalars(select(ReminderRow).order_by(ReminderRow.id))]

    def cancel(self, reminder_id: int, reason: str) -> None:
        with self.db.write() as session:
            session.execute(
                update(ReminderRow)
                .where(ReminderRow.id == reminder_id, ReminderRow.state == "pending")
                .values(state="cancelled", error=reason)
            )

    def claim(
        self, fence: Fence, reminder_id: int, *, lease_margin: timedelta, message_domain: str | None = None
    ) -> Reminder | None:
        """pending → sending under `fence`; None unless it is still pending and the lease is
        `fence`'s with `lease_margin` left. An email's Message-ID is fixed here, kept across repeats."""
        with self.db.write() as session:
            claimed = session.execute(
                update(ReminderRow)
                .where(ReminderRow.id == reminder_id, ReminderRow.state == "pending")
                .where(_lease(fence, lease_margin))
                .values(
                    state="sending",
                    claim_epoch=fence.epoch,
                    claimed_by=fence.holder,
                    claimed_at=fence.real_now,
                    attempts=ReminderRow.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(claimed, "rowcount", 0):
                return None
            row = session.get(ReminderRow, reminder_id)
            assert row is not None
            if message_domain is not None and row.message_id is None:
                row.message_id = f"<oncall.reminder.{row.id}.{secrets.token_hex(6)}@{message_domain}>"
            return _reminder(row)

    def record(self, fence: Fence, reminder_id: int, outcome: SendOutcome) -> bool:
        """Record a claimed send's outcome; refused (False) when the claim or the lease moved on."""
        values: dict[str, Any] = {"error": outcome.error, "next_attempt_at": None}
        if outcome.state == "sent":
            values.update(state="sent", sent_at=outcome.at, provider_id=outcome.provider_id, error=None)
        elif outcome.state == "retry":
            values.update(state="pending", next_attempt_at=outcome.retry_at)
        elif outcome.state == "unknown":
            values.update(state="sending", claim_epoch=None)  # for `stale` to settle with the provider
        else:
            values.update(state="failed")
        with self.db.write() as session:
            result = session.execute(
                update(ReminderRow)
                .where(ReminderRow.id == reminder_id, ReminderRow.state == "sending")
                .where(ReminderRow.claim_epoch == fence.epoch)
                .where(_lease(fence))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def record_inline(self, fence: Fence, reminder_id: int, at: datetime, error: str | None = None) -> bool:
        """A notifier that only records: pending → sent (or failed) in one transaction under the lease."""
        with self.db.write() as session:
            result = session.execute(
                update(ReminderRow)
                .where(ReminderRow.id == reminder_id, ReminderRow.state == "pending")
                .where(_lease(fence))
                .values(
                    state="sent" if error is None else "failed",
                    sent_at=at if error is None else None,
                    claim_epoch=fence.epoch,
                    attempts=ReminderRow.attempts + 1,
                    error=error,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def stale(self, epoch: int, limit: int = 100) -> list[Reminder]:
        """Sends claimed under an older epoch (or that got no answer) whose outcome nobody recorded."""
        with self.db.read() as session:
            rows = session.scalars(
                select(ReminderRow)
                .where(ReminderRow.state == "sending")
                .where(or_(ReminderRow.claim_epoch.is_(None), ReminderRow.claim_epoch < epoch))
                .order_by(ReminderRow.claimed_at, ReminderRow.id)
                .limit(limit)
            ).all()
            return [_reminder(row) for row in rows]

    def settle_stale(
        self,
        fence: Fence,
        stale: Reminder,
        *,
        found_at: datetime | None,
        provider_id: str | None = None,
        possibly_repeated: bool = False,
    ) -> bool:
        """The provider has it (`found_at`): recorded sent. Else back to pending, to be sent again."""
        if found_at is not None:
            values: dict[str, Any] = {
                "state": "sent",
                "sent_at": found_at,
                "provider_id": provider_id,
                "error": None,
            }
        else:
            values = {"state": "pending", "possibly_repeated": possibly_repeated, "next_attempt_at": None}
        guard = (
            ReminderRow.claim_epoch.is_(None)
            if stale.claim_epoch is None
            else ReminderRow.claim_epoch == stale.claim_epoch
        )
        with self.db.write() as session:
            result = session.execute(
                update(ReminderRow)
                .where(ReminderRow.id == stale.id, ReminderRow.state == "sending")
                .where(guard)
                .where(_lease(fence))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def next_due(self) -> datetime | None:
        with self.db.read() as session:
            due = session.scalar(_NEXT_DUE)
            return due if isinstance(due, datetime) or due is None else None


_NEXT_DUE = select(func.min(func.coalesce(ReminderRow.next_attempt_at, ReminderRow.scheduled_at))).where(
    ReminderRow.state == "pending"
)
"""Asked by every engine tick: built once."""


def _lease(fence: Fence, margin: timedelta | None = None) -> Any:
    conditions = [
        EngineLeaseRow.name == ENGINE_LEASE,
        EngineLeaseRow.holder == fence.holder,
        EngineLeaseRow.epoch == fence.epoch,
    ]
    if margin is not None:
        conditions.append(EngineLeaseRow.expires_at >= fence.real_now + margin)
    return exists().where(and_(*conditions))


def _state(value: str) -> ReminderState:
    for state in _STATES:
        if state == value:
            return state
    return "failed"


def _reminder(row: ReminderRow) -> Reminder:
    return Reminder(
        id=row.id,
        rule=row.rule_id,
        person=row.person_id,
        channel=Channel(row.channel),
        address=row.address,
        shift_start=row.shift_start,
        scheduled_at=row.scheduled_at,
        state=_state(row.state),
        attempts=row.attempts,
        claim_epoch=row.claim_epoch,
        claimed_at=row.claimed_at,
        message_id=row.message_id,
        possibly_repeated=row.possibly_repeated,
        sent_at=row.sent_at,
        provider_id=row.provider_id,
        error=row.error,
    )
