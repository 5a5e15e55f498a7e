"""The config file's planning keys (SPEC §12): `time_off`, a person's `holidays`, a rule's `reminders`.

`validation` calls these while reading the file and checking it; problems come out in its format,
`error: PATH: reason` / `warning: PATH: reason`. Time off is read in its person's zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oncall_desktop import timeutil
from oncall_desktop.domain import Channel, Configuration, HandoffReminders, Person, TimeOff
from oncall_desktop.planning import holiday_code_problem, person_zone
from oncall_desktop.reminders import address_for
from oncall_desktop.schedule import Schedules

if TYPE_CHECKING:
    from oncall_desktop.validation.reader import Reader

TIME_OFF_KEYS = ("person", "start", "end", "note")
REMINDER_KEYS = ("before", "channels")
MAX_REMINDER_BEFORE = timedelta(days=7)
MAX_TIME_OFF = timedelta(days=366)
MAX_NOTE = 500
_DURATION = re.compile(r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*\Z")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")

Report = Callable[[str, str], None]


def read_time_off(reader: Reader, value: object, people: Sequence[Person]) -> tuple[list[TimeOff], list[str]]:
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


def _time_off(reader: Reader, value: object, path: str, people: Mapping[str, Person]) -> TimeOff:
    raw = reader.mapping(value, path, TIME_OFF_KEYS, ("person", "start", "end"))
    person = reader.string(raw.get("person"), f"{path}.person")
    start = _moment(reader, raw.get("start"), f"{path}.start")
    end = _moment(reader, raw.get("end"), f"{path}.end")
    note = reader.kept(lambda: reader.string(raw.get("note", ""), f"{path}.note"), "")
    tz = person_zone(people.get(person))
    return TimeOff(person, timeutil.to_instant(start, tz), timeutil.to_instant(end, tz), note or "")


def _moment(reader: Reader, value: object, path: str) -> datetime:
    """A date-time, or a date (its midnight: an end date is the first day back)."""
    if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        day = reader.day(value.strip(), path)
        return datetime(day.year, day.month, day.day)
    return reader.moment(value, path)


def read_reminders(reader: Reader, value: object, path: str) -> HandoffReminders | None:
    """A rule's `reminders: {before: 24h, channels: [email]}` (None when absent)."""
    if value is None:
        return None
    raw = reader.mapping(value, path, REMINDER_KEYS, REMINDER_KEYS)
    before = _duration(reader, raw.get("before"), f"{path}.before")
    channels = reader.channels(raw.get("channels"), f"{path}.channels")
    if not channels:
        raise reader.error(f"{path}.channels", "name at least one channel (sms, email)")
    if Channel.VOICE in channels or Channel.CHAT in channels:
        other = "phone call" if Channel.VOICE in channels else "chat"
        raise reader.error(f"{path}.channels", f"reminders are sent by SMS or email, not by {other}")
    return HandoffReminders(before_minutes=before, channels=channels)


def _duration(reader: Reader, value: object, path: str) -> int:
    """Minutes from `24h`, `90m`, `1d`, `1h30m` (or a bare number of minutes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    else:
        text = reader.string(value, path)
        match = _DURATION.match(text)
        if not match or not any(match.groups()):
            raise reader.error(path, f"{text!r} is not a duration: write e.g. 24h, 90m or 1h30m")
        days, hours, mins = (int(g) if g else 0 for g in match.groups())
        minutes = days * 1440 + hours * 60 + mins
    if minutes < 1:
        raise reader.error(path, "must be at least 1 minute")
    if timedelta(minutes=minutes) > MAX_REMINDER_BEFORE:
        raise reader.error(path, "must be at most 7 days (7d)")
    return minutes


def format_duration(minutes: int) -> str:
    """What `dump` writes for a reminder's `before`: `24h`, `90m` → `1h30m`."""
    hours, mins = divmod(minutes, 60)
    if not hours:
        return f"{mins}m"
    return f"{hours}h" + (f"{mins}m" if mins else "")


def check(
    config: Configuration,
    time_off_paths: Sequence[str],
    person_paths: Mapping[str, str],
    rule_paths: Sequence[str | None],
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
    for rule, rpath in zip(config.rules, rule_paths, strict=True):
        if rule.reminders is not None and not rule.has_personnel:
            error(f"{rpath or 'rules'}.reminders", "a rule without personnel has nobody to remind")
        elif rule.reminders is not None:
            for channel in rule.reminders.channels:
                missing = [p for p in config.rule_people(rule) if address_for(config, p, channel) is None]
                if missing:
                    what = "email address" if channel == Channel.EMAIL else "phone number"
                    warning(
                        f"{rpath or 'rules'}.reminders.channels",
                        f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no {what}: "
                        f"no {channel.value} reminder reaches them",
                    )
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
    """The person's final schedule clipped to the time off is exactly its conflicts."""
    schedules = Schedules(config) if config.time_off else None
    for entry, path in zip(config.time_off, paths, strict=True):
        assert schedules is not None
        tz = person_zone(config.person(entry.person))
        found = schedules.final_schedule(entry.start, entry.end, person=entry.person).intervals
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
