"""Maintenance windows (SPEC §13): planned quiet times that hold matching incidents.

An incident opened inside a window that matches it is stored as usual, marked "in maintenance" and
pages nobody; if it is still open when the window ends, its escalation starts then, with T = the
window's end. Which window holds an incident is decided once, from its creation instant and tags,
and stored with it (`Incident.held_until`), so a station that restarts mid-window, or a later edit
of the window, does not change what already happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from oncall_desktop import timeutil
from oncall_desktop.domain import MaintenanceWindow, Status
from oncall_desktop.routing import condition_matches, split_tag


@dataclass(frozen=True, slots=True)
class Hold:
    """An incident held by a window: its name, and the instant escalation starts (the window's end)."""

    window: str
    until: datetime


def station_zone() -> tzinfo:
    """The zone a window's wall-clock bounds are read in: the station's (the system's) zone."""
    return timeutil.zone(timeutil.system_zone_name())


def span(window: MaintenanceWindow, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """The window as UTC instants [start, end)."""
    zone = tz or station_zone()
    return timeutil.to_instant(window.start, zone), timeutil.to_instant(window.end, zone)


def matches(window: MaintenanceWindow, tags: Iterable[str]) -> bool:
    """Whether a window applies to an incident with `tags`; a window without conditions holds every
    incident (unlike a rule's match, where no conditions means untagged)."""
    conditions = window.match.conditions
    if not conditions:
        return True
    pairs = [split_tag(tag) for tag in tags]
    results = (condition_matches(c, pairs) for c in conditions)
    return any(results) if window.match.mode == "any" else all(results)


def hold_for(
    windows: Sequence[MaintenanceWindow],
    created_at: datetime,
    tags: Iterable[str],
    tz: tzinfo | None = None,
) -> Hold | None:
    """The hold of an incident opened at `created_at` with `tags`: the matching window that contains
    that instant and ends last (overlapping windows hold until the last of them ends), else None."""
    tag_list = list(tags)
    best: Hold | None = None
    for window in windows:
        start, end = span(window, tz)
        if start <= created_at < end and matches(window, tag_list) and (best is None or end > best.until):
            best = Hold(window.name, end)
    return best


def active(windows: Sequence[MaintenanceWindow], now: datetime, tz: tzinfo | None = None) -> bool:
    """Whether any window is running at `now` (for the tray and the calendar)."""
    return any(start <= now < end for start, end in (span(w, tz) for w in windows))


def held_count(
    window: MaintenanceWindow, held: Iterable[tuple[str | None, datetime | None, Status]], now: datetime
) -> int:
    """How many incidents `window` holds at `now`, from (window name, held until, status) triples:
    unresolved ones it held whose hold has not ended."""
    return sum(
        1
        for name, until, status in held
        if name == window.name and until is not None and until > now and status != Status.RESOLVED
    )
