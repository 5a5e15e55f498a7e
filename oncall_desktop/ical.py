"""iCalendar export of the final schedule and import of shifts as overrides (issue 7).

Export writes one VEVENT per final-schedule interval with its real (unclipped) start and end, in the
rule's zone with a VTIMEZONE, and a UID derived from (rule, person, real start) so calendar apps
update a shift instead of duplicating it on the next export.

Import reads a calendar's occurrences through `ical_reading` (bounded in time for any file; RRULE,
EXDATE, RECURRENCE-ID, RDATE, Google's X-WR-TIMEZONE, Outlook's zone names). All-day events become
whole local days in the rule's zone, as do floating times. Each event is matched to one person and
becomes an override on the chosen rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

import icalendar

from oncall_desktop.domain import Configuration, Interval, OnCallRule, Override, Person
from oncall_desktop.ical_reading import OPEN_RECURRENCE_REACH, IcalError, occurrences
from oncall_desktop.schedule import UNCLIPPED_REACH, Schedules
from oncall_desktop.summaries import ladder_lines
from oncall_desktop.timeutil import resolve_wall, wall_clock, zone

PRODID = "-//oncall-desktop//On-call schedule//EN"
DEFAULT_BACK = timedelta(days=14)
DEFAULT_AHEAD = timedelta(days=180)
__all__ = ["OPEN_RECURRENCE_REACH", "IcalError", "export_calendar", "preview_import", "with_import"]

OVERRIDE_CATEGORY = "override"
_UID_NAMESPACE = uuid.UUID("0b7c4b59-6d6c-4f0e-9a43-5f2a8d7c1e21")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


# -- export ---------------------------------------------------------------------------------------


def default_span(now: datetime) -> tuple[datetime, datetime]:
    """The export span when none is chosen: 14 days back to 180 days ahead of `now`."""
    now = now.astimezone(UTC)
    return now - DEFAULT_BACK, now + DEFAULT_AHEAD


def event_uid(rule_id: str, person_id: str, start: datetime | None) -> str:
    """A UID that stays the same for the same shift across exports (`start=None`: no known start)."""
    key = f"{rule_id}\x1f{person_id}\x1f{start.astimezone(UTC).isoformat() if start else 'open'}"
    return f"{uuid.uuid5(_UID_NAMESPACE, key)}@oncall-desktop"


def export_calendar(
    config: Configuration,
    start: datetime,
    end: datetime,
    *,
    person: str | None = None,
    rule: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The final-schedule intervals overlapping [start, end) as an iCalendar file.

    `person` limits it to that person's shifts (in all their rules), `rule` to one rule; both may
    be given. Unknown ids raise ValueError.
    """
    if person is not None and config.person(person) is None:
        raise ValueError(f"unknown person {person!r}")
    if rule is not None and config.rule(rule) is None:
        raise ValueError(f"unknown rule {rule!r}")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    schedule = Schedules(config).final_schedule(
        start, end, rules=[rule] if rule else None, person=person, clip=False
    )
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name(config, person=person, rule=rule))
    calendar.add("x-published-ttl", "PT1H")
    reach_start, reach_end = start - UNCLIPPED_REACH, end + UNCLIPPED_REACH
    first = min((i.start for i in schedule.intervals), default=start)
    last = max((i.end for i in schedule.intervals), default=end)
    summaries: dict[str, str] = {}
    for interval in schedule.intervals:
        oncall_rule = config.rule(interval.rule)
        assert oncall_rule is not None
        if oncall_rule.id not in summaries:
            summaries[oncall_rule.id] = "\n".join(ladder_lines(oncall_rule, config))
        calendar.add_component(
            _event(
                interval,
                oncall_rule,
                config.person(interval.person),
                summaries[oncall_rule.id],
                stamp,
                open_start=interval.start <= reach_start,
                open_end=interval.end >= reach_end,
            )
        )
    calendar.add_missing_timezones(
        first_date=(first - timedelta(days=366)).date(), last_date=(last + timedelta(days=366)).date()
    )
    for timezone in calendar.walk("VTIMEZONE"):
        _one_rdate_per_line(timezone)
    return bytes(calendar.to_ical())


def _one_rdate_per_line(timezone: icalendar.cal.Component) -> None:
    """Write each RDATE of a VTIMEZONE observance as its own property.

    Equivalent by RFC 5545, and readers built on dateutil's tzical (vobject among them) keep only
    the first value of a comma-separated RDATE list, which would silently drop every later DST change.
    """
    for observance in timezone.subcomponents:
        found = observance.pop("RDATE", None)
        if found is None:
            continue
        for value in found if isinstance(found, list) else [found]:
            for instant in value.dts:
                observance.add("rdate", instant.dt)


def calendar_name(config: Configuration, *, person: str | None = None, rule: str | None = None) -> str:
    parts = []
    if rule is not None:
        found_rule = config.rule(rule)
        parts.append(found_rule.name if found_rule else rule)
    if person is not None:
        parts.append(config.display_name(person))
    return f"On call: {' — '.join(parts)}" if parts else "On call: everyone"


def _event(
    interval: Interval,
    rule: OnCallRule,
    person: Person | None,
    description: str,
    stamp: datetime,
    *,
    open_start: bool,
    open_end: bool,
) -> icalendar.Event:
    tz: tzinfo = zone(rule.timezone)
    name = person.name if person else interval.person
    event = icalendar.Event()
    # An interval that reaches the export's look-ahead has no known start: keep its UID stable.
    event.add("uid", event_uid(interval.rule, interval.person, None if open_start else interval.start))
    event.add("dtstamp", stamp)
    if not (_readable_in(interval.start, tz) and _readable_in(interval.end, tz)):
        tz = UTC
    event.add("dtstart", interval.start.astimezone(tz))
    event.add("dtend", interval.end.astimezone(tz))
    suffix = " (override)" if interval.override else ""
    event.add("summary", f"On call: {rule.name} — {name}{suffix}")
    notes = [f"{name} is on call for {rule.name} ({rule.timezone})."]
    if interval.layer:
        layer = next(la for la in rule.layers if la.name == interval.layer)
        notes.append(f"Layer: {interval.layer} ({layer.timezone or rule.timezone}).")
    if interval.override:
        notes.append("This shift is an override.")
    if open_start or open_end:
        notes.append("The shift continues beyond the exported span.")
    notes += ["", "Escalation:", description]
    event.add("description", "\n".join(notes))
    event.add("transp", "TRANSPARENT")
    if interval.override:
        event.add("categories", [OVERRIDE_CATEGORY])
    if person is not None and person.email:
        event.add("attendee", f"mailto:{person.email}", parameters={"CN": person.name})
    event.add("x-oncall-rule", interval.rule)
    event.add("x-oncall-person", interval.person)
    if interval.layer:
        event.add("x-oncall-layer", interval.layer)
    return event


def _readable_in(instant: datetime, tz: tzinfo) -> bool:
    """Whether `instant` written as wall-clock time in `tz` reads back as itself.

    A TZID time in a fall-back hour names its first occurrence to every reader, so a shift that
    starts or ends in the second occurrence is written in UTC (both ends: readers mishandle events
    whose start and end are in different zones across a DST change).
    """
    return resolve_wall(wall_clock(instant, tz), tz) == instant


# -- import ---------------------------------------------------------------------------------------

MatchedBy = Literal["attendee", "email", "name"]


@dataclass(frozen=True, slots=True)
class ImportedEvent:
    """One occurrence read from a calendar; `person` is None when it matched nobody (see `reason`)."""

    summary: str
    start: datetime
    end: datetime
    person: str | None = None
    matched_by: MatchedBy | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What an import would do to `rule`, before anything is stored.

    `conflicts` are pairs of matched events that overlap each other or an existing override of the
    rule (the later one wins where they overlap); `already_present` are matched events equal to an
    existing override, which are not added again.
    """

    rule: str
    matched: tuple[ImportedEvent, ...]
    unmatched: tuple[ImportedEvent, ...]
    conflicts: tuple[tuple[ImportedEvent, ImportedEvent | Override], ...]
    already_present: tuple[ImportedEvent, ...]

    @property
    def overrides(self) -> tuple[Override, ...]:
        """The overrides an apply adds."""
        present = set(self.already_present)
        return tuple(
            Override(self.rule, e.person, e.start, e.end)
            for e in self.matched
            if e.person is not None and e not in present
        )


def preview_import(
    data: bytes | str,
    config: Configuration,
    rule_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ImportPreview:
    """Read a calendar and decide, event by event, what an import onto `rule_id` would store.

    Without a span every event counts, past ones too, and an infinite recurrence is expanded up to
    `OPEN_RECURRENCE_REACH` after the latest DTSTART in the file. With a span, occurrences
    overlapping it count, clipped to it.
    """
    rule = config.rule(rule_id)
    if rule is None:
        raise ValueError(f"unknown rule {rule_id!r}")
    if (start is None) != (end is None):
        raise ValueError("give both the start and the end of the span, or neither")
    if start is not None and end is not None and end <= start:
        raise ValueError("the span ends before it starts")
    matcher = _PersonMatcher(config.people)
    events = [matcher.match(*occurrence) for occurrence in occurrences(data, zone(rule.timezone), start, end)]
    matched = sorted((e for e in events if e.person), key=lambda e: (e.start, e.end, e.person or ""))
    unmatched = sorted((e for e in events if not e.person), key=lambda e: (e.start, e.summary))
    existing = config.overrides_for(rule_id)
    exact = {(o.person, o.start, o.end) for o in existing}
    present = [e for e in matched if (e.person, e.start, e.end) in exact]
    fresh = [e for e in matched if (e.person, e.start, e.end) not in exact]
    return ImportPreview(
        rule=rule_id,
        matched=tuple(matched),
        unmatched=tuple(unmatched),
        conflicts=tuple(_conflicts(fresh, existing)),
        already_present=tuple(present),
    )


def with_import(config: Configuration, preview: ImportPreview) -> Configuration:
    """`config` with the preview's overrides appended (after the existing ones, so they win)."""
    return replace(config, overrides=config.overrides + preview.overrides)


class _PersonMatcher:
    """Finds the one person an event is about: ATTENDEE email, else an email or name in SUMMARY."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.by_email: dict[str, str] = {}
        for person in people:
            for email in (person.email, person.oncall_email):
                if email:
                    self.by_email.setdefault(email.strip().lower(), person.id)
        self.names = [(p.name.strip().casefold(), p.id) for p in people if p.name.strip()]

    def match(self, summary: str, start: datetime, end: datetime, emails: tuple[str, ...]) -> ImportedEvent:
        event = ImportedEvent(summary, start, end)
        if end <= start:
            return replace(event, reason="no duration")
        found = list(dict.fromkeys(self.by_email[e] for e in emails if e in self.by_email))
        if len(found) == 1:
            return replace(event, person=found[0], matched_by="attendee", reason="")
        if len(found) > 1:
            return replace(event, reason=f"several people attend: {', '.join(found)}")
        in_summary = [m.group(0).lower() for m in _EMAIL.finditer(event.summary)]
        found = list(dict.fromkeys(self.by_email[e] for e in in_summary if e in self.by_email))
        if len(found) == 1:
            return replace(event, person=found[0], matched_by="email", reason="")
        if len(found) > 1:
            return replace(event, reason=f"several people named: {', '.join(found)}")
        folded = event.summary.casefold()
        found = list(dict.fromkeys(pid for name, pid in self.names if _contains_name(folded, name)))
        if len(found) == 1:
            return replace(event, person=found[0], matched_by="name", reason="")
        if len(found) > 1:
            return replace(event, reason=f"several people named: {', '.join(found)}")
        return replace(event, reason="no attendee, email or name of a known person")


def _contains_name(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _conflicts(
    events: Sequence[ImportedEvent], existing: Sequence[Override]
) -> list[tuple[ImportedEvent, ImportedEvent | Override]]:
    pairs: list[tuple[ImportedEvent, ImportedEvent | Override]] = []
    ordered = sorted(events, key=lambda e: (e.start, e.end))
    for index, event in enumerate(ordered):
        for later_index in range(index + 1, len(ordered)):
            later = ordered[later_index]
            if later.start >= event.end:
                break
            pairs.append((event, later))
        pairs.extend((event, o) for o in existing if o.start < event.end and event.start < o.end)
    return pairs
