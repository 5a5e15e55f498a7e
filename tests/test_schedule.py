"""The final schedule of SPEC §3: duty windows, rotations, overrides, DST, maximal intervals, gaps."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall_desktop.domain import Configuration, Gap, Interval, Override, Rotation, Team, Window
from oncall_desktop.schedule import LayerSchedule, Schedules
from oncall_desktop.timeutil import resolve_wall, zone
from tests.strategies import config, rotating_setups, rule, utc, wall, wall_times_near_transitions

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def rotation(period: str, anchor: str, handoff: str = "09:00", every: int = 1) -> Rotation:
    return Rotation(
        period=period,  # type: ignore[arg-type]
        every=every,
        handoff=time.fromisoformat(handoff),
        anchor=date.fromisoformat(anchor),
    )


def people_over(cfg: Configuration, start: datetime, end: datetime, rule_id: str = "r") -> list[tuple]:
    intervals, _gaps = Schedules(cfg).rules[rule_id].intervals(start, end)
    return [(i.person, i.start, i.end) for i in intervals]


# -- duty windows and effective period -------------------------------------------------------------


def test_window_crossing_midnight_runs_into_the_next_day() -> None:
    tz = "Europe/Berlin"
    cfg = config(rule("r", ("alice",), tz=tz, windows=(Window((FRI,), time(22), time(6)),)))
    schedule = Schedules(cfg).rules["r"]
    # 2026-01-09 is a Friday.
    assert schedule.duty(utc("2026-01-05T00:00"), utc("2026-01-19T00:00")) == [
        (wall("2026-01-09T22:00", tz), wall("2026-01-10T06:00", tz)),
        (wall("2026-01-16T22:00", tz), wall("2026-01-17T06:00", tz)),
    ]
    assert schedule.on_call(wall("2026-01-10T05:59", tz)) == ("alice",)
    assert schedule.on_call(wall("2026-01-10T06:00", tz)) == ()
    assert schedule.on_call(wall("2026-01-09T21:59", tz)) == ()
    # One interval per night: the window is not split at midnight.
    assert people_over(cfg, utc("2026-01-09T00:00"), utc("2026-01-11T00:00")) == [
        ("alice", wall("2026-01-09T22:00", tz), wall("2026-01-10T06:00", tz))
    ]


def test_window_with_start_equal_to_end_lasts_24_hours() -> None:
    cfg = config(rule("r", ("alice",), tz="America/Chicago", windows=(Window((MON,), time(9), time(9)),)))
    schedule = Schedules(cfg).rules["r"]
    # Monday 2026-01-12 09:00 CST to Tuesday 09:00 CST.
    assert schedule.duty(utc("2026-01-11T00:00"), utc("2026-01-15T00:00")) == [
        (utc("2026-01-12T15:00"), utc("2026-01-13T15:00"))
    ]


def test_back_to_back_windows_make_one_interval() -> None:
    windows = (Window((MON,), time(9), time(17)), Window((MON,), time(17), time(22)))
    cfg = config(rule("r", ("alice",), windows=windows))
    assert people_over(cfg, utc("2026-01-12T00:00"), utc("2026-01-13T00:00")) == [
        ("alice", utc("2026-01-12T09:00"), utc("2026-01-12T22:00"))
    ]


def test_effective_period_bounds_duty_in_the_rules_zone() -> None:
    tz = "Europe/Berlin"
    cfg = config(
        rule(
            "r",
            ("alice",),
            tz=tz,
            effective_start=datetime(2026, 2, 1),
            effective_end=datetime(2026, 2, 3, 12, 0),
        )
    )
    schedule = Schedules(cfg).rules["r"]
    assert not schedule.on_duty(utc("2026-01-31T22:59"))
    assert schedule.on_duty(utc("2026-01-31T23:00"))
    assert schedule.on_duty(utc("2026-02-03T10:59"))
    assert not schedule.on_duty(utc("2026-02-03T11:00"))
    assert people_over(cfg, utc("2026-01-01T00:00"), utc("2026-03-01T00:00")) == [
        ("alice", utc("2026-01-31T23:00"), utc("2026-02-03T11:00"))
    ]


def test_effective_bound_written_with_an_offset_is_that_instant() -> None:
    start = datetime.fromisoformat("2026-02-01T09:00+01:00")
    cfg = config(rule("r", ("alice",), tz="Asia/Tokyo", effective_start=start))
    assert Schedules(cfg).rules["r"].duty(utc("2026-01-01T00:00"), utc("2026-02-02T00:00")) == [
        (utc("2026-02-01T08:00"), utc("2026-02-02T00:00"))
    ]


# -- rotations -------------------------------------------------------------------------------------


def test_twelve_hour_shifts_hand_off_at_nine_and_twenty_one_across_dst() -> None:
    tz = "Europe/Berlin"  # clocks go forward on 2026-03-29 and back on 2026-10-25
    rot = rotation("hours", "2026-03-27", "09:00", every=12)
    cfg = config(rule("r", ("alice", "bob"), tz=tz, rotation=rot))
    for first, last in (("2026-03-27", "2026-04-01"), ("2026-10-23", "2026-10-28")):
        got = people_over(cfg, wall(f"{first}T09:00", tz), wall(f"{last}T09:00", tz))
        local_bounds = [(s.astimezone(zone(tz)).time(), e.astimezone(zone(tz)).time()) for _, s, e in got]
        assert set(local_bounds) == {(time(9), time(21)), (time(21), time(9))}
        assert [p for p, _, _ in got] == ["alice", "bob"] * (len(got) // 2)
    # The night of the spring-forward change is an hour shorter, the autumn one an hour longer.
    night = {s: e - s for _, s, e in people_over(cfg, utc("2026-03-28T00:00"), utc("2026-03-30T00:00"))}
    assert night[wall("2026-03-28T21:00", tz)] == timedelta(hours=11)
    night = {s: e - s for _, s, e in people_over(cfg, utc("2026-10-24T00:00"), utc("2026-10-26T00:00"))}
    assert night[wall("2026-10-24T21:00", tz)] == timedelta(hours=13)


def test_daily_rotation_hands_off_at_the_handoff_time() -> None:
    cfg = config(rule("r", ("alice", "bob", "carol"), rotation=rotation("daily", "2026-01-05", "08:30")))
    assert people_over(cfg, utc("2026-01-05T08:30"), utc("2026-01-09T08:30")) == [
        ("alice", utc("2026-01-05T08:30"), utc("2026-01-06T08:30")),
        ("bob", utc("2026-01-06T08:30"), utc("2026-01-07T08:30")),
        ("carol", utc("2026-01-07T08:30"), utc("2026-01-08T08:30")),
        ("alice", utc("2026-01-08T08:30"), utc("2026-01-09T08:30")),
    ]


def test_weekly_rotation_every_two_weeks() -> None:
    cfg = config(rule("r", ("alice", "bob"), rotation=rotation("weekly", "2026-01-05", every=2)))
    assert people_over(cfg, utc("2026-01-05T09:00"), utc("2026-02-16T09:00")) == [
        ("alice", utc("2026-01-05T09:00"), utc("2026-01-19T09:00")),
        ("bob", utc("2026-01-19T09:00"), utc("2026-02-02T09:00")),
        ("alice", utc("2026-02-02T09:00"), utc("2026-02-16T09:00")),
    ]


def test_monthly_rotation_clamps_each_month_from_the_anchor_not_cumulatively() -> None:
    cfg = config(rule("r", ("alice", "bob"), rotation=rotation("monthly", "2024-01-31", "09:00")))
    got = people_over(cfg, utc("2024-01-31T09:00"), utc("2024-05-31T09:00"))
    assert got == [
        ("alice", utc("2024-01-31T09:00"), utc("2024-02-29T09:00")),
        ("bob", utc("2024-02-29T09:00"), utc("2024-03-31T09:00")),
        ("alice", utc("2024-03-31T09:00"), utc("2024-04-30T09:00")),
        ("bob", utc("2024-04-30T09:00"), utc("2024-05-31T09:00")),
    ]
    schedule = Schedules(cfg).rules["r"]
    assert schedule.layers[0].handoff(13) == utc("2025-02-28T09:00")
    assert schedule.layers[0].handoff(14) == utc("2025-03-31T09:00")
    assert schedule.on_call(utc("2025-02-28T08:59")) == ("alice",)
    assert schedule.on_call(utc("2025-02-28T09:00")) == ("bob",)


def test_slots_before_the_anchor_continue_backwards_in_order() -> None:
    cfg = config(rule("r", ("alice", "bob", "carol"), rotation=rotation("daily", "2026-01-10", "00:00")))
    got = people_over(cfg, utc("2026-01-04T00:00"), utc("2026-01-12T00:00"))
    # The anchor (2026-01-10) is alice's; the days before it count down carol, bob, alice, …
    assert [p for p, _, _ in got] == ["alice", "bob", "carol", "alice", "bob", "carol", "alice", "bob"]
    assert got[0][1:] == (utc("2026-01-04T00:00"), utc("2026-01-05T00:00"))


def test_person_listed_twice_takes_two_slots_and_teams_expand_in_order() -> None:
    teams = (Team("sre", "SRE", ("carol", "dave")),)
    cfg = Configuration(
        people=config().people,
        teams=teams,
        rules=(rule("r", ("alice", "team:sre", "alice"), rotation=rotation("daily", "2026-01-01", "00:00")),),
    )
    got = people_over(cfg, utc("2026-01-01T00:00"), utc("2026-01-06T00:00"))
    assert [p for p, _, _ in got] == ["alice", "carol", "dave", "alice"]
    # alice's second slot is followed by her first: one two-day interval.
    assert got[-1][1:] == (utc("2026-01-04T00:00"), utc("2026-01-06T00:00"))
    # alice's two slots in a row (slot 3 then slot 0) are one maximal interval.
    cfg = Configuration(
        people=config().people,
        rules=(rule("r", ("bob", "alice", "alice"), rotation=rotation("daily", "2026-01-01", "00:00")),),
    )
    assert people_over(cfg, utc("2026-01-01T00:00"), utc("2026-01-05T00:00")) == [
        ("bob", utc("2026-01-01T00:00"), utc("2026-01-02T00:00")),
        ("alice", utc("2026-01-02T00:00"), utc("2026-01-04T00:00")),
        ("bob", utc("2026-01-04T00:00"), utc("2026-01-05T00:00")),
    ]


def test_without_rotation_all_personnel_are_on_call_together() -> None:
    cfg = config(rule("r", ("alice", "bob")))
    schedule = Schedules(cfg).rules["r"]
    assert schedule.on_call(utc("2026-05-01T12:00")) == ("alice", "bob")
    assert people_over(cfg, utc("2026-05-01T00:00"), utc("2026-05-03T00:00")) == [
        ("alice", utc("2026-05-01T00:00"), utc("2026-05-03T00:00")),
        ("bob", utc("2026-05-01T00:00"), utc("2026-05-03T00:00")),
    ]


def test_single_person_rotation_is_one_maximal_interval() -> None:
    cfg = config(rule("r", ("alice",), rotation=rotation("daily", "2026-01-01")))
    assert people_over(cfg, utc("2026-01-01T00:00"), utc("2026-01-08T00:00")) == [
        ("alice", utc("2026-01-01T00:00"), utc("2026-01-08T00:00"))
    ]


# -- overrides -------------------------------------------------------------------------------------


def test_override_replaces_the_rotation_person_only_while_on_duty() -> None:
    windows = (Window((MON, TUE, WED, THU, FRI), time(9), time(17)),)
    override = Override("r", "carol", utc("2026-01-12T12:00"), utc("2026-01-13T12:00"))
    cfg = config(
        rule("r", ("alice", "bob"), windows=windows, rotation=rotation("daily", "2026-01-12", "09:00")),
        overrides=(override,),
    )
    schedule = Schedules(cfg).rules["r"]
    assert schedule.on_call(utc("2026-01-12T20:00")) == ()  # inside the override, outside the window
    assert not schedule.on_duty(utc("2026-01-12T20:00"))
    assert people_over(cfg, utc("2026-01-12T00:00"), utc("2026-01-14T00:00")) == [
        ("alice", utc("2026-01-12T09:00"), utc("2026-01-12T12:00")),
        ("carol", utc("2026-01-12T12:00"), utc("2026-01-12T17:00")),
        ("carol", utc("2026-01-13T09:00"), utc("2026-01-13T12:00")),
        ("bob", utc("2026-01-13T12:00"), utc("2026-01-13T17:00")),
    ]
    assert (
        Schedules(cfg).rules["r"].intervals(utc("2026-01-12T00:00"), utc("2026-01-14T00:00"))[0][1].override
    )


def test_override_without_rotation_replaces_all_personnel() -> None:
    override = Override("r", "carol", utc("2026-01-01T10:00"), utc("2026-01-01T11:00"))
    cfg = config(rule("r", ("alice", "bob")), overrides=(override,))
    assert Schedules(cfg).rules["r"].on_call(utc("2026-01-01T10:30")) == ("carol",)
    assert Schedules(cfg).rules["r"].on_call(utc("2026-01-01T11:00")) == ("alice", "bob")


def test_later_override_wins_where_two_overlap() -> None:
    overrides = (
        Override("r", "carol", utc("2026-01-01T10:00"), utc("2026-01-01T14:00")),
        Override("r", "dave", utc("2026-01-01T12:00"), utc("2026-01-01T13:00")),
    )
    cfg = config(rule("r", ("alice",), rotation=rotation("daily", "2026-01-01")), overrides=overrides)
    schedule = Schedules(cfg).rules["r"]
    assert schedule.on_call(utc("2026-01-01T12:30")) == ("dave",)
    assert people_over(cfg, utc("2026-01-01T09:00"), utc("2026-01-01T15:00")) == [
        ("alice", utc("2026-01-01T09:00"), utc("2026-01-01T10:00")),
        ("carol", utc("2026-01-01T10:00"), utc("2026-01-01T12:00")),
        ("dave", utc("2026-01-01T12:00"), utc("2026-01-01T13:00")),
        ("carol", utc("2026-01-01T13:00"), utc("2026-01-01T14:00")),
        ("alice", utc("2026-01-01T14:00"), utc("2026-01-01T15:00")),
    ]


# -- gaps ------------------------------------------------------------------------------------------


def test_empty_team_leaves_a_reported_gap() -> None:
    cfg = Configuration(
        people=config().people,
        teams=(Team("night", "Night", ()),),
        rules=(rule("r", ("team:night",), windows=(Window((MON,), time(22), time(6)),)),),
    )
    intervals, gaps = Schedules(cfg).rules["r"].intervals(utc("2026-01-12T00:00"), utc("2026-01-14T00:00"))
    assert intervals == []
    assert gaps == [Gap("r", utc("2026-01-12T22:00"), utc("2026-01-13T06:00"))]


def test_rule_without_personnel_is_a_gap_and_ignores_overrides() -> None:
    override = Override("r", "carol", utc("2026-01-01T10:00"), utc("2026-01-01T11:00"))
    cfg = config(rule("r", ()), overrides=(override,))
    schedules = Schedules(cfg)
    assert schedules.rules["r"].on_call(utc("2026-01-01T10:30")) == ()
    final = schedules.final_schedule(utc("2026-01-01T00:00"), utc("2026-01-02T00:00"))
    assert final.intervals == ()
    assert final.gaps == (Gap("r", utc("2026-01-01T00:00"), utc("2026-01-02T00:00")),)


def test_final_schedule_filters_by_person_and_sorts_by_rule() -> None:
    cfg = config(
        rule("zeta", ("alice",)),
        rule("alpha", ("bob", "alice"), rotation=rotation("daily", "2026-01-01", "00:00")),
    )
    final = Schedules(cfg).final_schedule(utc("2026-01-01T00:00"), utc("2026-01-03T00:00"), person="alice")
    assert final.intervals == (
        Interval("alpha", "alice", utc("2026-01-02T00:00"), utc("2026-01-03T00:00")),
        Interval("zeta", "alice", utc("2026-01-01T00:00"), utc("2026-01-03T00:00")),
    )


def test_unclipped_intervals_keep_their_real_bounds() -> None:
    cfg = config(rule("r", ("alice", "bob"), rotation=rotation("weekly", "2026-01-05")))
    intervals, _ = (
        Schedules(cfg).rules["r"].intervals(utc("2026-01-07T00:00"), utc("2026-01-08T00:00"), clip=False)
    )
    assert [(i.person, i.start, i.end) for i in intervals] == [
        ("alice", utc("2026-01-05T09:00"), utc("2026-01-12T09:00"))
    ]


# -- DST in both hemispheres ----------------------------------------------------------------------


def test_weekly_rotation_in_chicago_keeps_local_midnight_across_both_changes() -> None:
    cfg = config(
        rule("r", ("alice", "bob"), tz="America/Chicago", rotation=rotation("weekly", "2024-10-01", "00:00"))
    )
    bounds = [(s, e) for _, s, e in people_over(cfg, utc("2024-10-01T00:00"), utc("2025-04-01T00:00"))]
    assert (utc("2024-10-29T05:00"), utc("2024-11-05T06:00")) in bounds
    assert (utc("2025-03-04T06:00"), utc("2025-03-11T05:00")) in bounds
    local = zone("America/Chicago")
    assert all(s.astimezone(local).time() == time(0) for s, _ in bounds[1:])


@pytest.mark.parametrize(
    ("tz", "change_day", "short"),
    [
        ("Europe/Berlin", "2026-03-29", timedelta(hours=23)),
        ("Europe/Berlin", "2026-10-25", timedelta(hours=25)),
        ("America/Chicago", "2026-03-08", timedelta(hours=23)),
        ("America/Chicago", "2026-11-01", timedelta(hours=25)),
        ("Australia/Sydney", "2026-10-04", timedelta(hours=23)),
        ("Australia/Sydney", "2026-04-05", timedelta(hours=25)),
        ("Australia/Lord_Howe", "2026-10-04", timedelta(hours=23, minutes=30)),
        ("Australia/Lord_Howe", "2026-04-05", timedelta(hours=24, minutes=30)),
    ],
)
def test_daily_handoff_keeps_wall_clock_time_across_dst(tz: str, change_day: str, short: timedelta) -> None:
    cfg = config(rule("r", ("alice", "bob"), tz=tz, rotation=rotation("daily", "2026-01-01", "00:00")))
    day = date.fromisoformat(change_day)
    start = wall(f"{day - timedelta(days=2)}T00:00", tz)
    end = wall(f"{day + timedelta(days=3)}T00:00", tz)
    got = people_over(cfg, start, end)
    assert len(got) == 5
    assert all(s.astimezone(zone(tz)).time() == time(0) for _, s, _ in got)
    lengths = {s.astimezone(zone(tz)).date(): e - s for _, s, e in got}
    assert lengths[day] == short
    assert all(length == timedelta(hours=24) for d, length in lengths.items() if d != day)


def test_handoff_in_a_spring_forward_gap_happens_at_the_end_of_the_gap() -> None:
    tz = "Europe/Berlin"
    cfg = config(rule("r", ("alice", "bob"), tz=tz, rotation=rotation("daily", "2026-03-27", "02:30")))
    schedule = Schedules(cfg).rules["r"]
    # 2026-03-29 02:30 does not exist in Berlin: the handoff is at 03:00 CEST (01:00Z).
    assert schedule.on_call(utc("2026-03-29T00:59")) == ("bob",)
    assert schedule.on_call(utc("2026-03-29T01:00")) == ("alice",)


def test_window_inside_a_spring_forward_gap_is_no_duty_at_all() -> None:
    tz = "Europe/Berlin"
    windows = (Window((SUN,), time(2, 15), time(2, 45)), Window((SUN,), time(1, 30), time(2, 30)))
    schedule = Schedules(config(rule("r", ("alice",), tz=tz, windows=windows))).rules["r"]
    # 2026-03-29 02:00–03:00 does not exist: the first window is empty, the second ends at the gap.
    only_in_gap = Schedules(config(rule("r", ("alice",), tz=tz, windows=windows[:1]))).rules["r"]
    assert only_in_gap.duty(utc("2026-03-28T00:00"), utc("2026-03-30T00:00")) == []
    assert only_in_gap.intervals(utc("2026-03-28T00:00"), utc("2026-03-30T00:00")) == ([], [])
    assert schedule.duty(utc("2026-03-28T00:00"), utc("2026-03-30T00:00")) == [
        (wall("2026-03-29T01:30", tz), utc("2026-03-29T01:00"))
    ]
    assert schedule.duty(utc("2026-04-04T00:00"), utc("2026-04-06T00:00")) == [
        (wall("2026-04-05T01:30", tz), wall("2026-04-05T02:45", tz))
    ]


# -- resolve_wall ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "naive", "expected"),
    [
        # spring-forward gaps → the first instant after the gap
        ("Europe/Berlin", "2026-03-29T02:30", "2026-03-29T01:00"),
        ("America/Chicago", "2026-03-08T02:00", "2026-03-08T08:00"),
        ("America/Chicago", "2026-03-08T02:59", "2026-03-08T08:00"),
        ("Australia/Sydney", "2026-10-04T02:15", "2026-10-03T16:00"),
        ("Australia/Lord_Howe", "2026-10-04T02:10", "2026-10-03T15:30"),
        # ambiguous times → the first occurrence
        ("Europe/Berlin", "2026-10-25T02:30", "2026-10-25T00:30"),
        ("America/Chicago", "2026-11-01T01:30", "2026-11-01T06:30"),
        ("Australia/Sydney", "2026-04-05T02:30", "2026-04-04T15:30"),
        ("Australia/Lord_Howe", "2026-04-05T01:45", "2026-04-04T14:45"),
        # ordinary times
        ("Australia/Lord_Howe", "2026-07-01T12:00", "2026-07-01T01:30"),
        ("Europe/Berlin", "2026-07-01T12:00", "2026-07-01T10:00"),
    ],
)
def test_resolve_wall_gap_and_fold_rules(tz: str, naive: str, expected: str) -> None:
    assert resolve_wall(datetime.fromisoformat(naive), zone(tz)) == utc(expected)


@settings(max_examples=300, deadline=None)
@given(near=wall_times_near_transitions())
def test_resolve_wall_is_the_first_instant_showing_that_wall_time_or_the_end_of_its_gap(
    near: tuple[str, datetime],
) -> None:
    tz_name, naive = near
    tz = zone(tz_name)
    instant = resolve_wall(naive, tz)
    shown = instant.astimezone(tz).replace(tzinfo=None)
    if shown == naive:
        # the first occurrence: no instant with another nearby offset shows the same wall time earlier
        for nearby in (instant - timedelta(days=1), instant + timedelta(days=1)):
            offset = nearby.astimezone(tz).utcoffset()
            assert offset is not None
            other = (naive - offset).replace(tzinfo=UTC)
            assert other >= instant or other.astimezone(tz).replace(tzinfo=None) != naive
    else:
        # a gap: the instant is the transition; just before it the wall clock was before `naive`
        assert shown > naive
        assert (instant - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) < naive


# -- properties over many zones and random rotations -----------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=rotating_setups(), data=st.data())
def test_rotating_rule_schedule_properties(
    setup: tuple[Configuration, datetime, datetime], data: st.DataObject
) -> None:
    cfg, start, end = setup
    schedule = Schedules(cfg).rules["r"]
    intervals, gaps = schedule.intervals(start, end)
    pieces = sorted([(i.start, i.end) for i in intervals] + [(g.start, g.end) for g in gaps])
    # (a) intervals never overlap, and (b) with the gaps they tile exactly the on-duty time.
    for (_, prev_end), (next_start, _) in itertools.pairwise(pieces):
        assert prev_end <= next_start
    assert all(s < e for s, e in pieces)
    merged: list[tuple[datetime, datetime]] = []
    for s, e in pieces:
        if merged and merged[-1][1] == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    assert merged == schedule.duty(start, end)
    # (d) maximal: no two back-to-back intervals of the same person.
    ends = {(i.person, i.end) for i in intervals}
    assert not any((i.person, i.start) in ends for i in intervals)
    # (c) on_call at an instant is the person whose interval contains it.
    boundaries = [i.start for i in intervals] + [g.start for g in gaps] + [i.end for i in intervals]
    for t in boundaries:
        if start <= t < end:
            assert schedule.on_call(t) == tuple(i.person for i in intervals if i.start <= t < i.end)
    for _ in range(5):
        offset = data.draw(st.integers(0, int((end - start).total_seconds()) - 1))
        t = start + timedelta(seconds=offset)
        holders = tuple(i.person for i in intervals if i.start <= t < i.end)
        assert schedule.on_call(t) == holders


# -- cost of asking who is on call -----------------------------------------------------------------


def test_who_in_2036_costs_no_more_handoffs_than_in_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    original = LayerSchedule.handoff

    def counting(self: LayerSchedule, k: int) -> datetime:
        nonlocal calls
        calls += 1
        return original(self, k)

    monkeypatch.setattr(LayerSchedule, "handoff", counting)
    counts = {}
    for period, every in (("hours", 12), ("daily", 1), ("weekly", 2), ("monthly", 1)):
        cfg = config(
            rule(
                "r",
                ("alice", "bob", "carol"),
                tz="Europe/Berlin",
                rotation=rotation(period, "2026-01-05", every=every),
            )
        )
        schedule = Schedules(cfg).rules["r"]
        for year in (2026, 2036):
            calls = 0
            schedule.on_call(datetime(year, 7, 15, 12, 0, tzinfo=UTC))
            counts[period, year] = calls
        assert counts[period, 2036] <= counts[period, 2026] <= 4


def test_rules_sharing_windows_or_a_rotation_each_keep_their_own_schedule() -> None:
    """Rules with the same windows (or layers with the same rotation) share what is worked out for
    them; a rule differing only in its span, zone or handoff gets its own."""
    from oncall_desktop.schedule import forget_shared

    weekdays = (Window((0, 1, 2, 3, 4), time(9), time(17)),)
    weekly = rotation("weekly", "2026-01-05")
    rules = (
        rule("a", ("p1", "p2"), tz="Europe/Berlin", rotation=weekly, windows=weekdays),
        rule(
            "b",
            ("p2", "p1"),
            tz="Europe/Berlin",
            rotation=weekly,
            windows=weekdays,
            effective_end=datetime(2026, 3, 11, 12),
        ),
        rule("c", ("p1", "p2"), tz="Asia/Tokyo", rotation=weekly, windows=weekdays),
        rule(
            "d",
            ("p1", "p2"),
            tz="Europe/Berlin",
            rotation=rotation("weekly", "2026-01-05", "10:00"),
            windows=weekdays,
        ),
    )
    together = Schedules(config(*rules, person_ids=("p1", "p2")))
    start, end = utc("2026-03-02T00:00"), utc("2026-03-30T00:00")
    asked = {r.id: together.rules[r.id].intervals(start, end) for r in rules}
    for r in rules:
        forget_shared()
        alone = Schedules(config(r, person_ids=("p1", "p2"))).rules[r.id].intervals(start, end)
        assert asked[r.id] == alone, r.id
        assert together.rules[r.id].intervals(start, end) == alone, r.id  # asked again: the same
    assert asked["b"][0][-1].end == utc("2026-03-11T11:00")
    assert asked["c"][0][0].start == utc("2026-03-02T00:00")  # 09:00 in Tokyo
    assert asked["d"][0][1].start == utc("2026-03-02T09:00")  # the handoff at 10:00 Berlin
