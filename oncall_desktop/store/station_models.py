"""Tables the paging station adds: per-incident escalation state and per-notification dispatch state.

They hang off `incidents` and `notifications` (migration 0002) so the base schema stays as it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oncall_desktop.store.models import Base, UtcDateTime


class EscalationStateRow(Base):
    """Where the engine is with one unresolved incident.

    Every planned notification at or before `planned_until` is in the outbox (None: nothing planned
    yet); `next_due_at` is the next instant the engine must plan it again; `revision` is the
    configuration revision it was last planned with — a new revision re-plans every incident, from
    `planned_until` on, so a configuration change never pages anyone for the past.
    """

    __tablename__ = "escalation_states"
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    next_due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    planned_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(Text)


class NotificationDispatchRow(Base):
    """How a notification's dispatch went: late (sent well after its instant), attempts, next retry."""

    __tablename__ = "notification_dispatches"
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StationRow(Base):
    """A station (the app or `serve`) sharing this store, seen at `last_seen` (real time).

    `clock` is the virtual clock a drill station runs on (`serve --clock`), so `ack` and `resolve`
    on the command line follow the station's time.
    """

    __tablename__ = "stations"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    clock: Mapped[str | None] = mapped_column(String(200))
