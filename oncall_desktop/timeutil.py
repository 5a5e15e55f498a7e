"""Instants, zones and wall-clock times, with the DST rules of SPEC §3.

A wall-clock time that does not exist (spring forward) means the first instant after the gap; an
ambiguous one (fall back) means its first occurrence. Everything returned is an aware UTC datetime.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tzlocal

# Instants given on the command line or over HTTP must leave room for a year of arithmetic around
# them (datetime ends at 9999) and stay where zone data means something.
FIRST_YEAR, LAST_YEAR = 1900, 9000


_DAY = timedelta(days=1)
# Arithmetic from these is several times cheaper than `datetime.replace(tzinfo=...)` in hot paths.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)


class TimeError(ValueError):
    """A zone, instant or time that cannot be understood; the message says which and why."""


@functools.lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or TimeError naming it."""
    if not name or name != name.strip():
        raise TimeError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimeError(f"unknown time zone {name!r}") from None


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except TimeError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    return tuple(sorted(n for n in available_timezones() if "/" in n or n == "UTC"))


def system_zone_name() -> str:
    """The system's IANA zone (the default rule's zone); UTC when it cannot be told."""
    try:
        name = tzlocal.get_localzone_name()
    except Exception:
        return "UTC"
    return name if name and is_zone(name) else "UTC"


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant that carries an offset or `Z`, as UTC."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise TimeError(f"{text!r} is not an ISO 8601 instant") from None
    if parsed.tzinfo is None:
        raise TimeError(f"{text!r} has no UTC offset (write e.g. {value}Z or {value}+01:00)")
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise TimeError(f"{text!r} is outside the years {FIRST_YEAR}–{LAST_YEAR} this tool plans for")
    return parsed.astimezone(UTC)


def parse_local_or_instant(text: str) -> datetime:
    """An ISO date-time: naive (wall-clock, zone given elsewhere) or aware (an instant, kept aware)."""
    value = text.strip()
    try:
        return datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise TimeError(f"{text!r} is not an ISO 8601 date-time") from None


def resolve_wall(naive: datetime, tz: tzinfo) -> datetime:
    """The UTC instant of wall-clock `naive` in `tz` under the SPEC's gap and fold rules."""
    # The hot path of every schedule: when the zone's offset is the same a day before and a day
    # after, `naive` is neither in a gap nor in a fold and its offset is that one. (The zone reads
    # the fields of a naive time as its own wall clock.)
    offset = tz.utcoffset(naive)
    if offset is not None and tz.utcoffset(naive - _DAY) == offset == tz.utcoffset(naive + _DAY):
        return _EPOCH + (naive - _EPOCH_NAIVE - offset)
    aware = naive.replace(tzinfo=tz, fold=0)
    before = aware.utcoffset()
    after = aware.replace(fold=1).utcoffset()
    assert before is not None
    assert after is not None
    first = (naive - before).replace(tzinfo=UTC)
    if before == after:
        return first
    # fold=0 reads `naive` with the offset in force before the transition: for an ambiguous time
    # that is its first occurrence; for a time inside a spring-forward gap it lands past the gap,
    # and the first instant after the gap is the transition itself.
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    return _gap_end((naive - after).replace(tzinfo=UTC), first, tz)


def _gap_end(lo: datetime, hi: datetime, tz: tzinfo) -> datetime:
    """The instant in [lo, hi] at which `tz`'s UTC offset changes (the end of a gap)."""
    off_lo = lo.astimezone(tz).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).utcoffset() == off_lo:
            lo = mid
        else:
            hi = mid
    return hi


def wall_clock(instant: datetime, tz: tzinfo) -> datetime:
    """The naive wall-clock time in `tz` at aware `instant`."""
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return _EPOCH_NAIVE + (instant - _EPOCH) + offset


def to_instant(value: datetime, tz: tzinfo) -> datetime:
    """A naive wall-clock time in `tz`, or an aware instant, as UTC."""
    if value.tzinfo is None:
        return resolve_wall(value, tz)
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    """An instant as the CLI prints it: UTC, to the second, with `Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_in_zone(value: datetime, tz: tzinfo) -> str:
    """An instant as wall-clock time in `tz` with its offset, e.g. `2026-03-29T03:00+02:00`."""
    local = value.astimezone(tz)
    return local.isoformat(timespec="seconds" if local.second else "minutes")


NIGHT_START = time(22, 0)
NIGHT_END = time(7, 0)
"""Night is 22:00–07:00 wall-clock in a person's own zone (SPEC §12)."""


def night_part(start: datetime, end: datetime, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """The first stretch of [start, end) that is night (22:00–07:00 wall-clock in `tz`), or None."""
    day = wall_clock(start, tz).date() - timedelta(days=1)
    last = wall_clock(end, tz).date()
    while day <= last:
        night_start = resolve_wall(datetime.combine(day, NIGHT_START), tz)
        night_end = resolve_wall(datetime.combine(day + timedelta(days=1), NIGHT_END), tz)
        lo, hi = max(start, night_start), min(end, night_end)
        if lo < hi:
            return lo, hi
        day += timedelta(days=1)
    return None
