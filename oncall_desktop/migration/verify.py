"""`migrate … --verify` (SPEC §11): the source's own final schedule for four weeks, compared with the
migrated rules' schedule, every difference reported.

Both sides are reduced to who is on call when — per person, the union of their spans clipped to the
compared weeks — so a shift the source cuts at midnight and one interval of ours compare equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from oncall_desktop.migration.common import SOURCE_NAMES, Migration, from_pages, instant, items, obj
from oncall_desktop.migration.http import MigrationError, Source
from oncall_desktop.schedule import Schedules
from oncall_desktop.timeutil import format_instant

VERIFY_SPAN = timedelta(weeks=4)

Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Difference:
    """`person` is on call during [start, end) on one side only (`in_source`, or only ours)."""

    schedule: str
    person: str
    start: datetime
    end: datetime
    in_source: bool

    def describe(self, source: str) -> str:
        side = (
            f"only in {SOURCE_NAMES.get(source, source)}" if self.in_source else "only in the migrated rule"
        )
        return (
            f"schedule {self.schedule}: {self.person} on call {format_instant(self.start)} → "
            f"{format_instant(self.end)} {side}"
        )


@dataclass(frozen=True, slots=True)
class Verification:
    start: datetime
    end: datetime
    shifts: int
    differences: tuple[Difference, ...]

    def summary(self, source: str) -> list[str]:
        if not self.differences:
            return [f"verify: 0 differences in {self.shifts} shifts"]
        lines = [d.describe(source) for d in self.differences]
        count = len(self.differences)
        lines.append(f"verify: {count} difference{'s' if count != 1 else ''} in {self.shifts} shifts")
        return lines


def verify(source: Source, migration: Migration, start: datetime) -> Verification:
    """Compare the four weeks from `start`'s UTC midnight on every migrated schedule."""
    begin = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = begin + VERIFY_SPAN
    schedules = Schedules(migration.config)
    shifts = 0
    differences: list[Difference] = []
    for sid, rule_id in migration.schedules.items():
        name = migration.schedule_names.get(sid, sid)
        theirs = [
            (migration.people.get(user, f"<{user}>"), s, e)
            for user, s, e in _source_shifts(migration.source, source, sid, begin, end)
        ]
        theirs = [(p, max(s, begin), min(e, end)) for p, s, e in theirs if s < end and e > begin]
        shifts += len(theirs)
        ours = [
            (i.person, i.start, i.end)
            for i in schedules.final_schedule(begin, end, rules=[rule_id]).intervals
        ]
        differences.extend(_compare(name, _by_person(theirs), _by_person(ours)))
    differences.sort(key=lambda d: (d.schedule, d.start, d.person))
    return Verification(begin, end, shifts, tuple(differences))


def _source_shifts(
    kind: str, source: Source, sid: str, begin: datetime, end: datetime
) -> list[tuple[str, datetime, datetime]]:
    where = f"schedule {sid}"
    result: list[tuple[str, datetime, datetime]] = []
    if kind == "grafana-oncall":
        params = {
            "start_date": begin.date().isoformat(),
            "end_date": (end - timedelta(days=1)).date().isoformat(),
        }
        for shift in from_pages(source.pages(f"schedules/{sid}/final_shifts", params), "results", where):
            result.append(
                (
                    str(shift.get("user_pk")),
                    instant(shift.get("shift_start"), f"{where}: shift_start"),
                    instant(shift.get("shift_end"), f"{where}: shift_end"),
                )
            )
    elif kind == "pagerduty":
        params = {"since": format_instant(begin), "until": format_instant(end)}
        body = obj(obj(source.get(f"schedules/{sid}", params), where).get("schedule"), f"{where}: schedule")
        final = obj(body.get("final_schedule"), f"{where}: final_schedule")
        for entry in items(final.get("rendered_schedule_entries"), f"{where}: rendered_schedule_entries"):
            user = obj(entry.get("user"), f"{where}: user")
            result.append(
                (str(user.get("id")), instant(entry.get("start"), where), instant(entry.get("end"), where))
            )
    elif kind == "opsgenie":
        params = {"interval": "4", "intervalUnit": "weeks", "date": format_instant(begin)}
        data = obj(obj(source.get(f"schedules/{sid}/timeline", params), where).get("data"), f"{where}: data")
        final = obj(data.get("finalTimeline"), f"{where}: finalTimeline")
        for rotation in items(final.get("rotations") or [], f"{where}: rotations"):
            for period in items(rotation.get("periods") or [], f"{where}: periods"):
                recipient = obj(period.get("recipient"), f"{where}: recipient")
                result.append(
                    (
                        str(recipient.get("id")),
                        instant(period.get("startDate"), where),
                        instant(period.get("endDate"), where),
                    )
                )
    else:
        raise MigrationError(f"unknown source {kind!r}")
    return result


def _by_person(shifts: Iterable[tuple[str, datetime, datetime]]) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = {}
    for person, start, end in shifts:
        if start < end:
            spans.setdefault(person, []).append((start, end))
    return {person: _union(found) for person, found in spans.items()}


def _union(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _minus(spans: list[Span], cut: list[Span]) -> list[Span]:
    result = []
    for start, end in spans:
        pieces = [(start, end)]
        for c_start, c_end in cut:
            pieces = [
                piece
                for s, e in pieces
                for piece in ((s, min(e, c_start)), (max(s, c_end), e))
                if piece[0] < piece[1]
            ]
        result.extend(pieces)
    return result


def _compare(schedule: str, theirs: dict[str, list[Span]], ours: dict[str, list[Span]]) -> list[Difference]:
    found: list[Difference] = []
    for person in sorted(set(theirs) | set(ours)):
        mine, source = ours.get(person, []), theirs.get(person, [])
        side: Literal[True, False]
        for side, spans in ((True, _minus(source, mine)), (False, _minus(mine, source))):
            found.extend(Difference(schedule, person, s, e, side) for s, e in spans)
    return found
