"""Instants as the incident views write them: wall-clock time in the calendar's zone with its UTC
offset, so the hour repeated on a fall-back day reads twice, told apart (01:30:00 +02:00, then
01:30:00 +01:00)."""

from __future__ import annotations

from datetime import datetime, tzinfo


def offset_text(local: datetime) -> str:
    """`+02:00`, `-05:00`, `+05:30`, or `+00:00`."""
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def clock_time(value: datetime, tz: tzinfo, *, with_day: bool = False) -> str:
    """`14:03:07 +01:00`, or `Sun 25 Oct 01:30:00 +02:00` with the day."""
    local = value.astimezone(tz)
    day = f"{local:%a %-d %b} " if with_day else ""
    return f"{day}{local:%H:%M:%S} {offset_text(local)}"


def full_time(value: datetime, tz: tzinfo) -> str:
    """`Sun 25 Oct 2026 01:30:00 CEST (UTC+02:00)`."""
    local = value.astimezone(tz)
    return f"{local:%a %-d %b %Y %H:%M:%S %Z} (UTC{offset_text(local)})"
