"""Planning around people (SPEC §12): time off, public holidays, conflicts and the covers for them.

Time off and holidays never change the schedule. A *conflict* is a stretch of a final-schedule
interval during which its person is away: on their own time off, or on a public holiday of their
country (subdivision). A *cover* is someone else from the rule's people who is free throughout the
conflict; covers are ranked by fairness: fewest on-call hours in the span looked at first.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, Interval, Override, Person
from oncall_desktop.schedule import Schedules
from oncall_desktop.schedule.spans import merge_spans

Reason = Literal["time off", "holiday"]
Span = tuple[datetime, datetime]

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Away:
    """A span during which a person is away, and why (`note`: the time off's note or the holiday's name)."""

    person: str
    start: datetime
    end: datetime
    reason: Reason
    note: str = ""


@dataclass(frozen=True, slots=True)
class Conflict:
    """`person` is on call for `rule` during [start, end) while away for `reason`."""

    rule: str
    person: str
    start: datetime
    end: datetime
    reason: Reason
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cover:
    """Someone free to take a conflict, with their on-call hours in the span (the ranking key)."""

    person: str
    hours: float


def person_zone(person: Person | None) -> tzinfo:
    """The zone a person's day is read in: their own, else the system's."""
    name = person.timezone if person is not None and person.timezone else timeutil.system_zone_name()
    return timeutil.zone(name) if timeutil.is_zone(name) else timeutil.zone("UTC")


def split_holiday_code(code: str) -> tuple[str, str | None]:
    """`DE-BY` → (`DE`, `BY`); `FR` → (`FR`, None)."""
    country, _, subdivision = code.strip().partition("-")
    return country.upper(), (subdivision.upper() or None)


def holiday_code_problem(code: str) -> str | None:
    """Why `code` names no holiday calendar of the `holidays` library, or None."""
    import holidays as holiday_calendars  # 60 ms to import: loaded only when someone has holidays

    country, subdivision = split_holiday_code(code)
    supported = holiday_calendars.list_supported_countries()
    if country not in supported:
        return f"{code!r} is not a country the holidays calendar knows: write an ISO code such as DE or US-CA"
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country][:12]) + (", …" if len(supported[country]) > 12 else "")
        return f"{country} has no subdivision {subdivision!r} (known: {known or 'none'})"
    return None


@functools.lru_cache(maxsize=256)
def holiday_dates(code: str, year: int) -> tuple[tuple[date, str], ...]:
    """The public holidays of `code` (country or `XX-YY`) in `year`, sorted; none for an unknown code."""
    if holiday_code_problem(code) is not None:
        return ()
    import holidays as holiday_calendars

    country, subdivision = split_holiday_code(code)
    calendar = holiday_calendars.country_holidays(country, subdiv=subdivision, years=year)
    return tuple(sorted((day, str(name)) for day, name in calendar.items() if day.year == year))


def holidays_between(person: Person, start: datetime, end: datetime) -> list[Away]:
    """The person's public holidays overlapping [start, end), each its whole local day as an instant span."""
    if not person.holidays:
        return []
    tz = person_zone(person)
    first = timeutil.wall_clock(start, tz).date()
    last = timeutil.wall_clock(end, tz).date()
    found: list[Away] = []
    for year in range(first.year, last.year + 1):
        for day, name in holiday_dates(person.holidays, year):
            if first <= day <= last:
                lo = timeutil.resolve_wall(datetime.combine(day, datetime.min.time()), tz)
                hi = timeutil.resolve_wall(datetime.combine(day + _DAY, datetime.min.time()), tz)
                if lo < end and hi > start:
                    found.append(Away(person.id, lo, hi, "holiday", name))
    return found


def away_spans(config: Configuration, person_id: str, start: datetime, end: datetime) -> list[Away]:
    """Everything that takes a person away during [start, end): time off and holidays, by start."""
    found = [
        Away(person_id, t.start, t.end, "time off", t.note)
        for t in config.time_off
        if t.person == person_id and t.start < end and t.end > start
    ]
    person = config.person(person_id)
    if person is not None:
        found.extend(holidays_between(person, start, end))
    return sorted(found, key=lambda a: (a.start, a.end))


def conflicts(
    config: Configuration,
    start: datetime,
    end: datetime,
    *,
    rules: Iterable[str] | None = None,
    schedules: Schedules | None = None,
) -> list[Conflict]:
    """Every conflict within [start, end), sorted by (rule, start, person, reason)."""
    schedules = schedules or Schedules(config)
    intervals = schedules.final_schedule(start, end, rules=rules).intervals
    away: dict[str, list[Away]] = {}
    found: list[Conflict] = []
    for interval in intervals:
        if interval.person not in away:
            away[interval.person] = away_spans(config, interval.person, start, end)
        for item in away[interval.person]:
            lo, hi = max(interval.start, item.start), min(interval.end, item.end)
            if lo < hi:
                found.append(Conflict(interval.rule, interval.person, lo, hi, item.reason, item.note))
    return sorted(found, key=lambda c: (c.rule, c.start, c.person, c.reason))


def hours_on_call(intervals: Iterable[Interval]) -> dict[str, float]:
    """Per person, the hours they are on call (for any of the intervals' rules: overlaps count once)."""
    spans: dict[str, list[Span]] = {}
    for interval in intervals:
        spans.setdefault(interval.person, []).append((interval.start, interval.end))
    return {person: total_hours(merge_spans(found)) for person, found in spans.items()}


def total_hours(spans: Iterable[Span]) -> float:
    return sum((hi - lo for lo, hi in spans), timedelta()) / timedelta(hours=1)


def overlap_seconds(spans: Sequence[Span], starts: Sequence[datetime], lo: datetime, hi: datetime) -> float:
    """Seconds of [lo, hi) inside sorted, disjoint `spans` (`starts`: their starts, for bisecting)."""
    total = 0.0
    index = max(bisect_right(starts, lo) - 1, 0)
    while index < len(spans) and spans[index][0] < hi:
        s, e = spans[index]
        a, b = max(s, lo), min(e, hi)
        if a < b:
            total += (b - a).total_seconds()
        index += 1
    return total


def is_free(config: Configuration, person_id: str, start: datetime, end: datetime) -> bool:
    """Whether a person has neither time off nor a public holiday anywhere in [start, end)."""
    return not away_spans(config, person_id, start, end)


def covers(
    config: Configuration,
    conflict: Conflict,
    span_start: datetime,
    span_end: datetime,
    *,
    schedules: Schedules | None = None,
) -> list[Cover]:
    """Who could take `conflict` over: the rule's other people free throughout it, ranked by fewest
    on-call hours (all rules) in [span_start, span_end), then by their order in the rule."""
    rule = config.rule(conflict.rule)
    if rule is None:
        return []
    schedules = schedules or Schedules(config)
    hours = hours_on_call(schedules.final_schedule(span_start, span_end).intervals)
    order = config.rule_people(rule)
    free = [
        pid for pid in order if pid != conflict.person and is_free(config, pid, conflict.start, conflict.end)
    ]
    ranked = sorted(free, key=lambda pid: (hours.get(pid, 0.0), order.index(pid)))
    return [Cover(pid, round(hours.get(pid, 0.0), 2)) for pid in ranked]


def cover_override(conflict: Conflict, cover: Cover) -> Override:
    """The override that hands the conflict's span of the rule to the cover."""
    return Override(rule=conflict.rule, person=cover.person, start=conflict.start, end=conflict.end)
