"""Wall-clock resolution agrees with the SPEC's rule everywhere, not only near DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_desktop.timeutil import all_zone_names, resolve_wall, wall_clock, zone


def reference(naive: datetime, tz_name: str) -> datetime:
    """SPEC §3 read literally: the earliest instant showing `naive` on the zone's clock; in a gap,
    the first instant whose clock shows a later time."""
    tz = zone(tz_name)
    guess = naive.replace(tzinfo=UTC) - timedelta(hours=26)
    step = timedelta(minutes=15)
    while (guess + step).astimezone(tz).replace(tzinfo=None) <= naive - timedelta(hours=1):
        guess += step  # a coarse walk to just before the wall time, then minute by minute
    t = guess
    while True:
        shown = t.astimezone(tz).replace(tzinfo=None)
        if shown >= naive:
            # In a gap, the walk stops at the change itself: zones change on whole minutes.
            return t
        t += timedelta(minutes=1)


@settings(max_examples=400, deadline=None)
@given(
    tz_name=st.sampled_from(all_zone_names()),
    naive=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
)
def test_resolve_wall_matches_the_spec_reading_in_every_zone(tz_name: str, naive: datetime) -> None:
    assert resolve_wall(naive, zone(tz_name)) == reference(naive, tz_name)


def test_gap_and_fold_in_the_two_hemispheres() -> None:
    berlin, sydney = zone("Europe/Berlin"), zone("Australia/Sydney")
    assert resolve_wall(datetime(2026, 3, 29, 2, 30), berlin) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert resolve_wall(datetime(2026, 10, 25, 2, 30), berlin) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert resolve_wall(datetime(2026, 10, 4, 2, 30), sydney) == datetime(2026, 10, 3, 16, 0, tzinfo=UTC)
    assert resolve_wall(datetime(2026, 4, 5, 2, 30), sydney) == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(
    tz_name=st.sampled_from(all_zone_names()),
    instant=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31)).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
)
def test_wall_clock_is_what_the_zone_shows(tz_name: str, instant: datetime) -> None:
    tz = zone(tz_name)
    shown = wall_clock(instant, tz)
    assert shown.tzinfo is None
    assert shown == instant.astimezone(tz).replace(tzinfo=None)
    assert resolve_wall(shown, tz) <= instant  # a fold's second pass resolves to the first
