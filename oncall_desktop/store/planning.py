"""The store's side of planning around people (SPEC §12): time off, and the facts the fairness
report reads from the paging history (incidents created in a span, pages sent per person).

Time off is configuration: every write bumps the configuration revision like any other edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from oncall_desktop.domain import TimeOff
from oncall_desktop.fairness import IncidentTimes
from oncall_desktop.store.config_read import read_time_off
from oncall_desktop.store.db import Database
from oncall_desktop.store.errors import NotFoundError
from oncall_desktop.store.models import IncidentRow, NotificationRow
from oncall_desktop.store.planning_models import TimeOffRow

ConfigWrite = Callable[[], AbstractContextManager[Session]]


class PlanningStore:
    def __init__(self, db: Database, config_write: ConfigWrite) -> None:
        self.db = db
        self._config_write = config_write

    # -- time off -------------------------------------------------------------------------------

    def time_off(self, person_id: str | None = None) -> list[TimeOff]:
        with self.db.rows() as fetch:
            return list(read_time_off(fetch, person_id))

    def add_time_off(self, entry: TimeOff) -> TimeOff:
        """Store a new time off (its id, if any, is kept when free); returns it with its id."""
        with self._config_write() as session:
            values = _values(entry)
            if entry.id is not None and session.get(TimeOffRow, entry.id) is None:
                values["id"] = entry.id
            new_id = session.execute(insert(TimeOffRow).returning(TimeOffRow.id), [values]).scalar_one()
        return TimeOff(entry.person, entry.start, entry.end, entry.note, id=new_id)

    def update_time_off(self, entry: TimeOff) -> None:
        if entry.id is None:
            raise NotFoundError("a time off without an id cannot be updated")
        with self._config_write() as session:
            result = session.execute(
                update(TimeOffRow).where(TimeOffRow.id == entry.id).values(_values(entry))
            )
            if not getattr(result, "rowcount", 0):
                raise NotFoundError(f"no time off {entry.id}")

    def delete_time_off(self, time_off_id: int) -> None:
        with self._config_write() as session:
            session.execute(delete(TimeOffRow).where(TimeOffRow.id == time_off_id))

    # -- what the fairness report reads -----------------------------------------------------------

    def report_incidents(self, start: datetime, end: datetime) -> list[IncidentTimes]:
        """Incidents created in [start, end), oldest first."""
        with self.db.read() as session:
            rows = session.execute(
                select(
                    IncidentRow.id,
                    IncidentRow.tags,
                    IncidentRow.created_at,
                    IncidentRow.acknowledged_at,
                    IncidentRow.acknowledged_by,
                    IncidentRow.resolved_at,
                )
                .where(IncidentRow.created_at >= start, IncidentRow.created_at < end)
                .order_by(IncidentRow.created_at, IncidentRow.id)
            )
            return [
                IncidentTimes(
                    id=row.id,
                    tags=tuple(row.tags or ()),
                    created_at=row.created_at,
                    acknowledged_at=row.acknowledged_at,
                    acknowledged_by=row.acknowledged_by,
                    resolved_at=row.resolved_at,
                )
                for row in rows
            ]

    def pages_sent(self, start: datetime, end: datetime) -> dict[str, int]:
        """Per person, notifications sent to them that were due in [start, end)."""
        with self.db.read() as session:
            rows = session.execute(
                select(NotificationRow.person_id, func.count())
                .where(
                    NotificationRow.state == "sent",
                    NotificationRow.scheduled_at >= start,
                    NotificationRow.scheduled_at < end,
                )
                .group_by(NotificationRow.person_id)
            )
            return {person: int(count) for person, count in rows}


def replace_time_off(session: Session, entries: Sequence[TimeOff], kept_ids: set[int]) -> None:
    """Inside `replace_configuration`: the new list (rows already deleted), ids kept where they were."""
    rows = []
    for entry in entries:
        values = _values(entry)
        if entry.id is not None and entry.id in kept_ids:
            values["id"] = entry.id
        rows.append(values)
    with_id = [r for r in rows if "id" in r]
    without_id = [r for r in rows if "id" not in r]
    if with_id:
        session.execute(insert(TimeOffRow), with_id)
    if without_id:
        session.execute(insert(TimeOffRow), without_id)


def time_off_ids(session: Session) -> set[int]:
    return set(session.scalars(select(TimeOffRow.id)))


def _values(entry: TimeOff) -> dict[str, object]:
    return {"person_id": entry.person, "start_at": entry.start, "end_at": entry.end, "note": entry.note}
