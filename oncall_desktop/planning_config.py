"""The config file's planning keys (SPEC §12): `time_off` and a person's `holidays`.

`validation` calls these while reading the file and checking it; problems come out in its format,
`error: PATH: reason` / `warning: PATH: reason`. Time off is read in its person's zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, Person, TimeOff
from oncall_desktop.planning import conflicts, holiday_code_problem, person_zone

if TYPE_CHECKING:
    from oncall_desktop.validation import _Reader

TIME_OFF_KEYS = ("person", "start", "end", "note")
MAX_TIME_OFF = timedelta(days=366)
MAX_NOTE = 500
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")

Report = Callable[[str, str], None]


def read_time_off(
    reader: _Reader, value: object, people: Sequence[Person]
) -> tuple[list[TimeOff], list[str]]:
    """The file's `time_off` list, each entry resolved in its person's zone, with each entry's path."""
    zones = {p.id: p for p in people}
    items: list[object] = reader.kept(lambda: reader.sequence(value, "time_off"), [])
    found: list[TimeOff] = []
    paths: list[str] = []
    for i, item in enumerate(items):
        path = f"time_off[{i}]"

        def read(item: object = item, path: str = path) -> TimeOff | None:
            return _time_off(reader, item, path, zones)

        entry = reader.kept(read, None)
        if entry is not None:
            found.append(entry)
            paths.append(path)
    return found, paths


def _time_off(reader: _Reader, value: object, path: str, people: Mapping[str, Person]) -> TimeOff:
    raw = reader.mapping(value, path, TIME_OFF_KEYS, ("person", "start", "end"))
    person = reader.string(raw.get("person"), f"{path}.person")
    start = _moment(reader, raw.get("start"), f"{path}.start")
    end = _moment(reader, raw.get("end"), f"{path}.end")
    note = reader.kept(lambda: reader.string(raw.get("note", ""), f"{path}.note"), "")
    tz = person_zone(people.get(person))
    return TimeOff(person, timeutil.to_instant(start, tz), timeutil.to_instant(end, tz), note or "")


def _moment(reader: _Reader, value: object, path: str) -> datetime:
    """A date-time, or a date (its midnight: an end date is the first day back)."""
    if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        day = reader.day(value.strip(), path)
        return datetime(day.year, day.month, day.day)
    return reader.moment(value, path)


def check(
    config: Configuration,
    time_off_paths: Sequence[str],
    person_paths: Mapping[str, str],
    error: Report,
    warning: Report,
    *,
    schedules_ok: bool,
) -> None:
    """Semantic checks of the planning keys; with `schedules_ok` (no other error), a warning for
    every time off during which its person is on call."""
    for person in config.people:
        if person.holidays:
            problem = holiday_code_problem(person.holidays)
            if problem:
                error(f"{person_paths.get(person.id, 'people')}.holidays", problem)
    known = {p.id for p in config.people}
    clean = True
    for entry, path in zip(config.time_off, time_off_paths, strict=True):
        if entry.person not in known:
            error(f"{path}.person", f"unknown person {entry.person!r}")
            clean = False
        if entry.end <= entry.start:
            error(f"{path}.end", "must be after start")
            clean = False
        elif entry.end - entry.start > MAX_TIME_OFF:
            error(f"{path}.end", "time off lasts at most a year; write longer absences in parts")
            clean = False
        if len(entry.note) > MAX_NOTE:
            error(f"{path}.note", f"at most {MAX_NOTE} characters")
    if schedules_ok and clean:
        _time_off_conflicts(config, time_off_paths, warning)


def _time_off_conflicts(config: Configuration, paths: Sequence[str], warning: Report) -> None:
    for entry, path in zip(config.time_off, paths, strict=True):
        person = config.person(entry.person)
        tz = person_zone(person)
        found = [
            c
            for c in conflicts(config, entry.start, entry.end)
            if c.person == entry.person and c.reason == "time off"
        ]
        for rule_id in dict.fromkeys(c.rule for c in found):
            first = next(c for c in found if c.rule == rule_id)
            warning(
                path,
                f"{entry.person} is on call for {rule_id} during this time off "
                f"(from {timeutil.format_in_zone(first.start, tz)}): "
                "find a cover under People & teams or `oncall-desktop conflicts`",
            )


def dump_time_off(config: Configuration) -> list[dict[str, Any]]:
    """Time off as the file writes it: wall-clock in the person's zone, with its offset."""
    result = []
    for entry in config.time_off:
        tz = person_zone(config.person(entry.person))
        result.append(
            {
                "person": entry.person,
                "start": timeutil.format_in_zone(entry.start, tz),
                "end": timeutil.format_in_zone(entry.end, tz),
                "note": entry.note,
            }
        )
    return result
