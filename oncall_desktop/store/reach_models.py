"""Tables of SPEC §13: maintenance windows and each integration's heartbeat state (migration 0009)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncall_desktop.store.models import Base, UtcDateTime


class MaintenanceWindowRow(Base):
    """A configured window; bounds are wall-clock with the UTC offset they were written with, if any."""

    __tablename__ = "maintenance_windows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    start_offset: Mapped[int | None] = mapped_column(Integer)
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    end_offset: Mapped[int | None] = mapped_column(Integer)
    match_mode: Mapped[str] = mapped_column(String(8))
    conditions: Mapped[list[Any]] = mapped_column(JSON)


class HeartbeatRow(Base):
    """An integration's last heartbeat (before the first: when the station began watching it), and
    the incident open because it lapsed (None: none open)."""

    __tablename__ = "heartbeats"
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    last_beat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    armed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lapsed_incident_id: Mapped[int | None] = mapped_column(Integer)
