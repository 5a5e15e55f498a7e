"""The engine lease with its fencing epoch, and the stations sharing the store (SPEC §10).

Exactly one station runs the escalation engine: the one holding the lease. Taking a lease that
lapsed or was released raises the epoch by one (the same station included); every claim and every
record of a send names the epoch it was made under, and the outbox refuses a stale one. Lease and
station times are real time (wall clock), whatever clock an engine runs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from oncall_desktop.store.db import Database
from oncall_desktop.store.errors import StoreError
from oncall_desktop.store.models import EngineLeaseRow, NotificationRow
from oncall_desktop.store.station_models import NotificationDispatchRow, StationRow

ENGINE_LEASE = "engine"
SEEN_FOR = timedelta(seconds=60)
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LeaseState:
    """The lease as stored: `holder` None when nobody holds it (released)."""

    holder: str | None
    epoch: int
    expires_at: datetime | None
    last_tick: datetime | None


@dataclass(frozen=True, slots=True)
class Tenure:
    """What a station holds after `acquire`: the lease under `epoch` until `expires_at`."""

    epoch: int
    expires_at: datetime
    new: bool
    """True when this acquire took the lease (a new epoch), False when it renewed it."""


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    started_at: datetime
    last_seen: datetime
    clock: str | None


class EngineLease:
    def __init__(self, db: Database) -> None:
        self.db = db

    def acquire(self, holder: str, epoch: int | None, now: datetime, ttl: timedelta) -> Tenure | None:
        """Renew `holder`'s lease under `epoch`, or take a lapsed or released one (epoch + 1);
        None while another station holds it. Conditional updates make racing stations agree."""
        expires = now + ttl
        try:
            with self.db.write() as session:
                if epoch is not None:
                    renewed = session.execute(
                        update(EngineLeaseRow)
                        .where(EngineLeaseRow.name == ENGINE_LEASE)
                        .where(EngineLeaseRow.holder == holder)
                        .where(EngineLeaseRow.epoch == epoch)
                        .where(EngineLeaseRow.expires_at > now)
                        .values(expires_at=expires, last_tick=now)
                    )
                    if _rowcount(renewed) == 1:
                        return Tenure(epoch, expires, new=False)
                taken = session.execute(
                    update(EngineLeaseRow)
                    .where(EngineLeaseRow.name == ENGINE_LEASE)
                    .where(EngineLeaseRow.holder.is_(None) | (EngineLeaseRow.expires_at <= now))
                    .values(holder=holder, epoch=EngineLeaseRow.epoch + 1, expires_at=expires, last_tick=now)
                )
                if _rowcount(taken) == 1:
                    current = session.scalar(
                        select(EngineLeaseRow.epoch).where(EngineLeaseRow.name == ENGINE_LEASE)
                    )
                    return Tenure(int(current or 0), expires, new=True)
                if session.get(EngineLeaseRow, ENGINE_LEASE) is not None:
                    return None
                session.execute(
                    insert(EngineLeaseRow),
                    [
                        {
                            "name": ENGINE_LEASE,
                            "holder": holder,
                            "epoch": 1,
                            "expires_at": expires,
                            "last_tick": now,
                        }
                    ],
                )
                return Tenure(1, expires, new=True)
        except StoreError as error:
            if isinstance(error.__cause__, IntegrityError):  # another station inserted it first
                return None
            raise

    def release(self, holder: str, epoch: int) -> bool:
        """Give up the lease if `holder` still holds it under `epoch` (never another's)."""
        with self.db.write() as session:
            result = session.execute(
                update(EngineLeaseRow)
                .where(EngineLeaseRow.name == ENGINE_LEASE)
                .where(EngineLeaseRow.holder == holder)
                .where(EngineLeaseRow.epoch == epoch)
                .values(holder=None, expires_at=None)
            )
            return _rowcount(result) == 1

    def state(self) -> LeaseState | None:
        """The lease, or None if no station ever took it."""
        with self.db.read() as session:
            row = session.get(EngineLeaseRow, ENGINE_LEASE)
            if row is None:
                return None
            return LeaseState(row.holder, row.epoch, row.expires_at, row.last_tick)

    # -- stations -------------------------------------------------------------------------------

    def seen(self, station: str, now: datetime, started_at: datetime, clock: str | None = None) -> None:
        """Say that `station` is alive at `now`; stations not seen for a day are forgotten."""
        with self.db.write() as session:
            updated = session.execute(
                update(StationRow).where(StationRow.id == station).values(last_seen=now, clock=clock)
            )
            if _rowcount(updated) == 0:
                session.execute(
                    insert(StationRow),
                    [{"id": station, "started_at": started_at, "last_seen": now, "clock": clock}],
                )
            session.execute(delete(StationRow).where(StationRow.last_seen < now - FORGET_AFTER))

    def gone(self, station: str) -> None:
        """The station stopped."""
        with self.db.write() as session:
            session.execute(delete(StationRow).where(StationRow.id == station))

    def stations(self, now: datetime, within: timedelta = SEEN_FOR) -> list[Station]:
        """Stations seen in the last `within`, oldest first."""
        with self.db.read() as session:
            rows = session.scalars(
                select(StationRow).where(StationRow.last_seen >= now - within).order_by(StationRow.started_at)
            )
            return [Station(r.id, r.started_at, r.last_seen, r.clock) for r in rows]

    def station(self, station: str) -> Station | None:
        with self.db.read() as session:
            row = session.get(StationRow, station)
            return Station(row.id, row.started_at, row.last_seen, row.clock) if row is not None else None

    def outbox_counts(self, engine_now: datetime) -> tuple[int, int]:
        """(due, unknown): pages due to go out at `engine_now` (engine time), and pages claimed by
        a station that has not said how their send went (being sent, or to be reconciled)."""
        with self.db.read() as session:
            due = session.scalar(
                select(func.count())
                .select_from(NotificationRow)
                .join(NotificationDispatchRow, NotificationDispatchRow.notification_id == NotificationRow.id)
                .where(NotificationRow.state == "pending")
                .where(NotificationRow.scheduled_at <= engine_now)
                .where(
                    NotificationDispatchRow.next_attempt_at.is_(None)
                    | (NotificationDispatchRow.next_attempt_at <= engine_now)
                )
            )
            unknown = session.scalar(
                select(func.count()).select_from(NotificationRow).where(NotificationRow.state == "sending")
            )
        return int(due or 0), int(unknown or 0)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))
