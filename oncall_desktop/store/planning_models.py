"""Tables planning around people adds (SPEC §12): time off and swap requests.

A person's public-holiday calendar is a column of `people` (`holidays`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
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
