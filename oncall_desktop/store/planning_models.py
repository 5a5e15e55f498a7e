"""Tables planning around people adds (SPEC §12): time off, swap requests, handoff reminders.

A person's public-holiday calendar is a column of `people` (`holidays`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from oncall_desktop.store.models import Base, UtcDateTime


class TimeOffRow(Base):
    """`person_id` is away during [start_at, end_at); part of the configuration (`config apply`
    replaces it with the file's)."""

    __tablename__ = "time_off"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class SwapRequestRow(Base):
    """A swap request and its answer (SPEC §12). People and rules are kept by id without foreign
    keys: a request's history outlives a person or rule deleted later."""

    __tablename__ = "swap_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    requester_id: Mapped[str] = mapped_column(String(100), index=True)
    colleague_id: Mapped[str] = mapped_column(String(100), index=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    override_id: Mapped[int | None] = mapped_column(Integer)


class ReminderRow(Base):
    """A handoff reminder to send or sent: the outbox's claim-and-record under the lease epoch, as a
    notification's (one per rule, person, channel and shift start)."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("rule_id", "person_id", "channel", "shift_start"),
        Index("ix_reminders_state_scheduled_at", "state", "scheduled_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(320))
    shift_start: Mapped[datetime] = mapped_column(UtcDateTime)
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_epoch: Mapped[int | None] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    possibly_repeated: Mapped[bool] = mapped_column(Boolean, server_default=false())
