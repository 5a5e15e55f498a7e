"""Reading an iCalendar file to import: parsing, checks and recurrence expansion, bounded for any file.

A file from outside may be huge, malformed or written to never end (INTERVAL=0, a secondly RRULE
without UNTIL, COUNT=10⁹). Everything here either reads it or refuses it with one line naming the
event's UID or the line, within `MAX_READ_SECONDS` of one `Deadline` shared by every step: the file
is parsed event by event (so parsing is bounded too, not only expansion), one-off events are taken
as they are, and only recurring series go through `recurring-ical-events`, each once, so the work
grows with the occurrences produced, not their square.

Google's X-WR-TIMEZONE is turned into real zones by `x-wr-timezone`; icalendar maps Outlook's
Windows zone names and learns a file's own VTIMEZONEs while parsing them, before the events.
"""

from __future__ import annotations

import re
import time as time_module
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
import recurring_ical_events
import x_wr_timezone
from dateutil.rrule import rrulestr

from oncall_desktop.timeutil import resolve_wall

# How far an infinite recurrence is expanded when no span is given.
OPEN_RECURRENCE_REACH = timedelta(days=730)
# At most this many occurrences are read from one file (protects against e.g. a minutely RRULE),
# in at most this long, from a file of at most this size: any file is refused or read within seconds.
MAX_OCCURRENCES = 20_000
MAX_READ_SECONDS = 4.0
MAX_FILE_BYTES = 4 * 1024 * 1024

# (summary, start, end, attendee emails) of one occurrence
Occurrence = tuple[str, datetime, datetime, tuple[str, ...]]

_SUB_DAILY = ("SECONDLY", "MINUTELY", "HOURLY")
_DAY_FILTERS = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY", "BYSETPOS")
_RECURRING = ("rrule", "rdate", "recurrence-id")


class IcalError(ValueError):
    """A calendar that cannot be read; the message names what is wrong (and where, when known)."""


class Deadline:
    """The time one import may take, from parsing to the last occurrence."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = MAX_READ_SECONDS if seconds is None else seconds
        self._at = time_module.monotonic() + self.seconds

    def check(self, progress: str) -> None:
        if time_module.monotonic() > self._at:
            raise IcalError(
                f"reading the file took longer than {self.seconds:g} s ({progress}); "
                "import a smaller file or a shorter span"
            )


def read_calendar(data: bytes | str, deadline: Deadline | None = None) -> icalendar.Calendar:
    """Parse iCalendar text; IcalError names what is wrong and, when it can be told, the line or
    the event's UID: a file too large, recurrences that cannot end, zones nobody defines, negative
    durations are refused before anything is expanded."""
    deadline = deadline or Deadline()
    if len(data) > MAX_FILE_BYTES:
        megabytes = len(data) / (1024 * 1024)
        raise IcalError(
            f"the file is {megabytes:.0f} MB; at most {MAX_FILE_BYTES // (1024 * 1024)} MB can be imported"
        )
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if not text.strip():
        raise IcalError("the file is empty")
    skeleton, blocks = _split_events(text)
    if len(blocks) > MAX_OCCURRENCES:
        raise IcalError(
            f"the file holds {len(blocks)} events; at most {MAX_OCCURRENCES} can be imported at once"
        )
    calendar = _parse_calendar(skeleton, text)
    for number, block in enumerate(blocks, start=1):
        if number % 100 == 0:
            deadline.check(f"{number} of {len(blocks)} events read")
        try:
            event = icalendar.Event.from_ical(block)
        except ValueError as error:
            raise IcalError(_with_line(str(error), text)) from None
        calendar.add_component(event)
    for component in calendar.walk():
        for prop, reason in getattr(component, "errors", ()):
            raise IcalError(_with_line(f"{component.name} {prop}: {reason}", text, prop))
    zones = {str(tz.get("tzid")) for tz in calendar.walk("VTIMEZONE")}
    for event in calendar.walk("VEVENT"):
        _check_event(event, zones)
    return calendar


def _split_events(text: str) -> tuple[str, list[str]]:
    """The file without the events of its first calendar, and those events' texts, in order."""
    skeleton: list[str] = []
    blocks: list[str] = []
    current: list[str] | None = None
    depth = 0  # of components inside the first VCALENDAR, while in it
    inside = False
    done = False
    for line in text.splitlines(keepends=True):
        word = line.rstrip("\r\n").upper()
        if current is not None:
            current.append(line)
            if word.startswith("BEGIN:"):
                depth += 1
            elif word.startswith("END:"):
                depth -= 1
                if depth == 0:
                    blocks.append("".join(current))
                    current = None
            continue
        if not done and word == "BEGIN:VCALENDAR" and not inside:
            inside = True
        elif inside and word == "END:VCALENDAR":
            inside, done = False, True
        elif inside and word == "BEGIN:VEVENT":
            current, depth = [line], 1
            continue
        skeleton.append(line)
    if current is not None:  # an event that never ends: let the parser name it
        skeleton.extend(current)
    return "".join(skeleton), blocks


def _parse_calendar(skeleton: str, text: str) -> icalendar.Calendar:
    try:
        components = icalendar.Calendar.from_ical(skeleton, multiple=True)
    except ValueError as error:
        raise IcalError(_with_line(str(error), text)) from None
    calendars = [c for c in components if isinstance(c, icalendar.Calendar)]
    if not calendars:
        raise IcalError("no VCALENDAR in the file")
    return calendars[0]


def _check_event(event: Any, zones: set[str]) -> None:
    """What no reader can make sense of, named by the event's UID."""
    uid = str(event.get("uid", "")) or "(no UID)"
    for prop in ("dtstart", "dtend"):
        value = event.get(prop)
        if value is None:
            continue
        tzid = value.params.get("TZID")
        if tzid and isinstance(value.dt, datetime) and value.dt.tzinfo is None and tzid not in zones:
            raise IcalError(
                f"event {uid}: {prop.upper()} names the time zone {tzid!r}, which is no known zone "
                "and no VTIMEZONE in the file defines"
            )
    duration = event.get("duration")
    if duration is not None and isinstance(duration.dt, timedelta) and duration.dt < timedelta(0):
        raise IcalError(f"event {uid}: DURATION {duration.to_ical().decode()} is negative")
    rules = event.get("rrule")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        for interval in rule.get("INTERVAL", []):
            if not isinstance(interval, int) or interval < 1:
                raise IcalError(f"event {uid}: RRULE INTERVAL={interval} must be at least 1")
        for count in rule.get("COUNT", []):
            if not isinstance(count, int) or count < 1:
                raise IcalError(f"event {uid}: RRULE COUNT={count} must be at least 1")


def _with_line(message: str, text: str, prop: str | None = None) -> str:
    """`message` prefixed with the line it is about, found by the content it quotes."""
    quoted = re.search(r"'([^']+)'", message)
    needle = f"{prop}" if prop else quoted.group(1) if quoted else None
    if needle:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith(needle) if prop else needle in line:
                return f"line {number}: {message}"
    return message


def occurrences(
    data: bytes | str, tz: tzinfo, start: datetime | None, end: datetime | None
) -> list[Occurrence]:
    """Every occurrence of the file's events that counts, sorted by start: without a span every
    event, past ones too, an infinite recurrence up to `OPEN_RECURRENCE_REACH` after the latest
    DTSTART; with a span, occurrences overlapping it, clipped to it. Dates and floating times are
    wall-clock in `tz`."""
    deadline = Deadline()
    calendar = x_wr_timezone.to_standard(read_calendar(data, deadline))
    events = calendar.walk("VEVENT")
    if start is None or end is None:
        starts = [_as_instant(c.get("dtstart").dt, tz) for c in events if c.get("dtstart")]
        if not starts:
            return []
        lo = min(starts) - timedelta(days=1)
        hi = max(starts) + OPEN_RECURRENCE_REACH
    else:
        lo, hi = start, end
    series = {str(e.get("uid", "")) for e in events if any(e.get(p) is not None for p in _RECURRING)}
    recurring = [e for e in events if str(e.get("uid", "")) in series]
    for event in recurring:
        _check_recurrence(event, lo, hi, deadline)
    found: list[Occurrence] = []
    for component in _one_offs(events, series, lo, hi, tz) + _expanded(calendar, recurring, lo, hi, deadline):
        if len(found) == MAX_OCCURRENCES:
            raise IcalError(
                f"more than {MAX_OCCURRENCES} events between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}; "
                "import a shorter span"
            )
        if len(found) % 100 == 99:
            deadline.check(f"{len(found) + 1} events expanded")
        if str(component.get("status", "")).upper() == "CANCELLED":
            continue
        begins = _as_instant(component.get("dtstart").dt, tz)
        if begins >= hi:
            continue
        ends = _event_end(component, begins, tz)
        if start is not None and end is not None:
            begins, ends = max(begins, start), min(ends, end)
        summary = str(component.get("summary", "")).strip()
        found.append((summary, begins, ends, _attendee_emails(component)))
    found.sort(key=lambda o: o[1])
    return found


def _one_offs(events: list[Any], series: set[str], lo: datetime, hi: datetime, tz: tzinfo) -> list[Any]:
    """The events that do not recur and overlap [lo, hi), as they are."""
    kept = []
    for event in events:
        if str(event.get("uid", "")) in series or event.get("dtstart") is None:
            continue
        begins = _as_instant(event.get("dtstart").dt, tz)
        ends = _event_end(event, begins, tz)
        if begins < hi and (ends > lo or begins >= lo):
            kept.append(event)
    return kept


def _check_recurrence(event: Any, lo: datetime, hi: datetime, deadline: Deadline) -> None:
    """Refuse, naming the event, a recurrence that would take too long to expand over [lo, hi):
    more than MAX_OCCURRENCES occurrences (counted lazily, so a secondly rule is refused at once),
    or a sub-daily rule filtered by days (which dateutil searches hour by hour)."""
    rules = event.get("rrule")
    if rules is None or event.get("dtstart") is None:
        return
    uid = str(event.get("uid", "")) or "(no UID)"
    start = event.get("dtstart").dt
    if not isinstance(start, datetime):
        start = datetime.combine(start, time(0, 0))
    for rule in rules if isinstance(rules, list) else [rules]:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        filters = [key for key in _DAY_FILTERS if rule.get(key)]
        if freq in _SUB_DAILY and filters:
            raise IcalError(
                f"event {uid}: RRULE FREQ={freq} with {filters[0]} is not supported (a shift that repeats "
                "more often than daily on chosen days would have to be searched hour by hour)"
            )
        try:
            recurrence = rrulestr(rule.to_ical().decode(), dtstart=start)
            # a floating DTSTART counts in UTC wall-clock: near enough for counting occurrences
            first = lo.replace(tzinfo=None) if start.tzinfo is None else lo
            last = hi.replace(tzinfo=None) if start.tzinfo is None else hi
            counted = 0
            for at in recurrence.xafter(first, count=MAX_OCCURRENCES + 1, inc=True):
                if at >= last:
                    break
                counted += 1
                if counted % 1000 == 0:
                    deadline.check(f"event {uid}: {counted} occurrences counted")
        except (ValueError, TypeError, OverflowError) as error:
            raise IcalError(f"event {uid}: RRULE cannot be read: {error}") from None
        if counted > MAX_OCCURRENCES:
            raise IcalError(
                f"event {uid}: RRULE repeats more than {MAX_OCCURRENCES} times between "
                f"{lo:%Y-%m-%d} and {hi:%Y-%m-%d}; import a shorter span"
            )


def _expanded(
    calendar: icalendar.Calendar, recurring: list[Any], lo: datetime, hi: datetime, deadline: Deadline
) -> list[Any]:
    """The occurrences of the recurring series overlapping [lo, hi), each series expanded once."""
    if not recurring:
        return []
    only_series = icalendar.Calendar()
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE":
            only_series.add_component(component)
    for event in recurring:
        only_series.add_component(event)
    found: list[Any] = []
    try:
        for series in recurring_ical_events.of(only_series).series:
            for occurrence in series.between(lo, hi):
                found.append(occurrence.as_component(False))
                if len(found) > MAX_OCCURRENCES:
                    return found  # the caller names the limit
                if len(found) % 100 == 0:
                    deadline.check(f"{len(found)} occurrences expanded")
    except (ValueError, TypeError, AttributeError) as error:
        raise IcalError(f"cannot expand the calendar's recurrences: {error}") from None
    return found


def _event_end(component: Any, begins: datetime, tz: tzinfo) -> datetime:
    if component.get("dtend") is not None:
        return _as_instant(component.get("dtend").dt, tz)
    if component.get("duration") is not None:
        duration: timedelta = component.get("duration").dt
        return begins + duration
    start = component.get("dtstart").dt
    if isinstance(start, date) and not isinstance(start, datetime):
        return _as_instant(start + timedelta(days=1), tz)
    return begins


def _as_instant(value: date | datetime, tz: tzinfo) -> datetime:
    """A DTSTART/DTEND value as UTC: dates and floating times are wall-clock in the rule's zone."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if value.tzinfo is None:
        return resolve_wall(value, tz)
    return value.astimezone(UTC)


def _attendee_emails(component: Any) -> tuple[str, ...]:
    attendees = component.get("attendee")
    if attendees is None:
        return ()
    if not isinstance(attendees, list):
        attendees = [attendees]
    emails = []
    for attendee in attendees:
        value = str(attendee)
        if value.lower().startswith("mailto:"):
            emails.append(value[len("mailto:") :].strip().lower())
    return tuple(emails)
