"""Tables planning around people adds (SPEC §12): time off.

A person's public-holiday calendar is a column of `people` (`holidays`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text
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
