"""Maintenance windows in the store (SPEC §13): read and replaced with the configuration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from oncall_desktop.domain import MaintenanceWindow
from oncall_desktop.store.reach_models import MaintenanceWindowRow


def replace_windows(session: Session, windows: Sequence[MaintenanceWindow]) -> None:
    session.execute(delete(MaintenanceWindowRow))
    if windows:
        session.execute(insert(MaintenanceWindowRow), [_values(w, i) for i, w in enumerate(windows)])


def _split(value: datetime) -> tuple[datetime, int | None]:
    offset = value.utcoffset()
    if offset is None:
        return value.replace(tzinfo=None), None
    return value.replace(tzinfo=None), int(offset.total_seconds())


def _values(window: MaintenanceWindow, position: int) -> dict[str, Any]:
    start, start_offset = _split(window.start)
    end, end_offset = _split(window.end)
    return {
        "position": position,
        "name": window.name,
        "start_at": start,
        "start_offset": start_offset,
        "end_at": end,
        "end_offset": end_offset,
        "match_mode": window.match.mode,
        "conditions": list(window.match.conditions),
    }
