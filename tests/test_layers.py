"""Layered schedules (SPEC §8): each layer expanded as SPEC §3 says in its own zone, then combined."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall_desktop.domain import Configuration, Interval, Layer, Override, Rotation, Severity, Window
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import RuleSchedule, Schedules
from oncall_desktop.timeutil import wall_clock, zone
from tests.strategies import (
    PERSON_IDS,
    config,
    rotating_setups,
    rotations,
    rule,
    utc,
    wall,
    windows,
    zones,
)

WEEKDAYS = (0, 1, 2, 3, 4)
NINE_TO_FIVE = (Window(WEEKDAYS, time(9), time(17)),)


def schedule_of(cfg: Configuration, rule_id: str = "r") -> RuleSchedule:
    return Schedules(cfg).rules[rule_id]


def without_layer(intervals: list[Interval]) -> list[Interval]:
    return [i._replace(layer=None) for i in intervals]


def merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Spans sorted and joined where they touch or overlap."""
    out: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def by_person(intervals: list[Interval]) -> dict[str, list[tuple[datetime, datetime]]]:
    found: dict[str, list[tuple[datetime, datetime]]] = {}
    for i in intervals:
        found.setdefault(i.person, []).append((i.start, i.end))
    return {person: merged(spans) for person, spans in found.items()}


def follow_the_sun() -> Configuration:
    """SPEC §8's example: Sydney, London and New York 09:00–17:00 on weekdays, a backstop behind."""
    layers = (
        Layer("Sydney", "Australia/Sydney", ("olivia",), windows=NINE_TO_FIVE),
        Layer("London", "Europe/London", ("priya",), windows=NINE_TO_FIVE),
        Layer("New York", "America/New_York", ("maria",), windows=NINE_TO_FIVE),
        Layer("Backstop", personnel=("sam",)),
    )
    db = replace(rule("db", ("sam",), tz="UTC", conditions=("service:db*",)), layers=layers)
    return config(db, person_ids=("olivia", "priya", "maria", "sam"))


# -- one layer is the v1 rule ----------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=rotating_setups(), name=st.sampled_from(["", "Primary"]), explicit_zone=st.booleans())
def test_a_one_layer_rule_is_the_v1_rule_in_every_zone(
    setup: tuple[Configuration, datetime, datetime], name: str, explicit_zone: bool
) -> None:
    cfg, start, end = setup
    v1 = cfg.rules[0]
    layer = replace(v1.layers[0], name=name, timezone=v1.timezone if explicit_zone else None)
    layered = replace(cfg, rules=(replace(v1, layers=(layer,)),))
    old, new = schedule_of(cfg), schedule_of(layered)
    old_intervals, old_gaps = old.intervals(start, end)
    new_intervals, new_gaps = new.intervals(start, end)
    assert without_layer(new_intervals) == old_intervals
    assert new_gaps == old_gaps
    untouched = [
        i for i in new_intervals if not any(o.start < i.end and o.end > i.start for o in cfg.overrides)
    ]
    assert {i.layer for i in untouched} <= {name or None}
    assert all(i.layer is None for i in new_intervals if i not in untouched)
    for t in (start, end - timedelta(seconds=1), *(i.start for i in old_intervals)):
        assert new.on_call(t) == old.on_call(t)


@settings(max_examples=100, deadline=None)
@given(
    tz=zones,
    rule_zone=zones,
    personnel=st.lists(st.sampled_from(PERSON_IDS), min_size=1, max_size=4).map(tuple),
    rotation=st.one_of(st.none(), rotations()),
    days=st.integers(0, 3000),
)
def test_a_layer_in_its_own_zone_rotates_as_a_v1_rule_in_that_zone(
    tz: str, rule_zone: str, personnel: tuple[str, ...], rotation: object, days: int
) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=days)
    end = start + timedelta(days=45)
    v1 = config(rule("r", personnel, tz=tz, rotation=rotation))  # type: ignore[arg-type]
    layer = replace(v1.rules[0].layers[0], name="Own zone", timezone=tz)
    layered = replace(v1, rules=(replace(v1.rules[0], timezone=rule_zone, layers=(layer,)),))
    assert (
        without_layer(schedule_of(layered).intervals(start, end)[0])
        == schedule_of(v1).intervals(start, end)[0]
    )


# -- combining ------------------------------------------------------------------------------------


@st.composite
def layered_setups(draw: st.DrawFn) -> tuple[Configuration, datetime, datetime]:
    """A rule `r` of 2–3 layers, each with its own zone, personnel, rotation and windows."""
    layers = []
    for j in range(draw(st.integers(2, 3))):
        layers.append(
            Layer(
                name=f"L{j}",
                timezone=draw(st.one_of(st.none(), zones)),
                personnel=tuple(draw(st.lists(st.sampled_from(PERSON_IDS), min_size=1, max_size=3))),
                rotation=draw(st.one_of(st.none(), rotations())),
                windows=draw(windows()),
            )
        )
    month = draw(st.one_of(st.integers(1, 12), st.sampled_from((3, 4, 10, 11))))
    start = datetime(draw(st.integers(2020, 2030)), month, draw(st.integers(1, 28)), tzinfo=UTC)
    start += timedelta(minutes=15 * draw(st.integers(0, 95)))
    end = start + timedelta(hours=draw(st.integers(1, 24 * 30)))
    combine = draw(st.sampled_from(["first", "all"]))
    the_rule = replace(
        rule("r", ("alice",), tz=draw(zones), windows=draw(windows())), layers=tuple(layers), combine=combine
    )
    overrides = []
    for _ in range(draw(st.sampled_from((0, 0, 1, 3)))):
        o_start = start + timedelta(minutes=15 * draw(st.integers(-96, 4 * 24 * 30)))
        o_end = o_start + timedelta(minutes=15 * draw(st.integers(1, 4 * 24 * 3)))
        overrides.append(Override("r", draw(st.sampled_from(PERSON_IDS)), o_start, o_end))
    return config(the_rule, overrides=tuple(overrides)), start, end


def alone(cfg: Configuration, index: int) -> RuleSchedule:
    """Layer `index` of rule `r` computed by itself, as the only layer of the rule."""
    the_rule = cfg.rules[0]
    alone_rule = replace(the_rule, layers=(the_rule.layers[index],))
    return schedule_of(replace(cfg, rules=(alone_rule,), overrides=()))


def instants(
    start: datetime, end: datetime, intervals: list[Interval], data: st.DataObject
) -> list[datetime]:
    """Every interval boundary in the span, plus a few random instants."""
    found = [start] + [t for i in intervals for t in (i.start, i.end) if start <= t < end]
    seconds = int((end - start).total_seconds())
    found += [start + timedelta(seconds=data.draw(st.integers(0, seconds - 1))) for _ in range(5)]
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=layered_setups(), data=st.data())
def test_combined_layers_are_the_union_or_the_first_layer_with_someone(
    setup: tuple[Configuration, datetime, datetime], data: st.DataObject
) -> None:
    cfg, start, end = setup
    the_rule = cfg.rules[0]
    combined = schedule_of(cfg)
    intervals, gaps = combined.intervals(start, end)
    layers = [alone(cfg, j) for j in range(len(the_rule.layers))]
    alone_intervals = [layer.intervals(start, end)[0] for layer in layers]
    # (a) with the gaps the intervals tile exactly the rule's duty time.
    tiles = merged([(i.start, i.end) for i in intervals] + [(g.start, g.end) for g in gaps])
    assert tiles == combined.duty(start, end)
    if the_rule.combine == "all" and not cfg.overrides:
        # The union of the layers computed alone, person by person.
        union = by_person([i for found in alone_intervals for i in found])
        assert by_person(intervals) == union
        # Nobody on call exactly where every layer alone has a gap.
        covered = merged([(i.start, i.end) for found in alone_intervals for i in found])
        assert merged([(i.start, i.end) for i in intervals]) == covered
    edges = [g.start for g in gaps] + [t for o in cfg.overrides for t in (o.start, o.end) if start <= t < end]
    for t in instants(start, end, intervals, data) + edges:
        holders = {i.person for i in intervals if i.start <= t < i.end}
        assert set(combined.on_call(t)) == holders
        each = [layer.on_call(t) for layer in layers]
        overriding = [o for o in cfg.overrides if o.start <= t < o.end]
        if overriding:
            assert holders == ({overriding[-1].person} if combined.on_duty(t) else set())
        elif the_rule.combine == "all":
            assert holders == {p for found in each for p in found}
        else:
            assert combined.on_call(t) == next((found for found in each if found), ())
        on_duty = combined.on_duty(t)
        assert (on_duty and not holders) == any(g.start <= t < g.end for g in gaps)
        if not on_duty:
            assert not holders
    # Within the rule intervals of one person never overlap, and they are maximal.
    for person, spans in by_person(intervals).items():
        own = sorted((i.start, i.end) for i in intervals if i.person == person)
        assert own == spans, person
    # An interval names its layer exactly when that one layer put the person on call throughout.
    for interval in [] if cfg.overrides else intervals:
        sources = {
            j
            for j, found in enumerate(alone_intervals)
            for i in found
            if i.person == interval.person and i.start < interval.end and i.end > interval.start
        }
        if the_rule.combine == "all":
            assert (interval.layer is None) == (len(sources) > 1), interval
        elif interval.layer is None:
            assert len(sources) > 1, interval
        if interval.layer is not None:
            j = int(interval.layer[1:])
            assert j in sources
            mine = merged([(i.start, i.end) for i in alone_intervals[j] if i.person == interval.person])
            assert any(lo <= interval.start and interval.end <= hi for lo, hi in mine)


def test_first_gives_priority_to_the_earlier_layer_and_all_pages_both() -> None:
    weekdays = Layer("Weekdays", personnel=("alice",), windows=(Window(WEEKDAYS, time(9), time(9)),))
    always = Layer("Always", personnel=("bob",))
    first = replace(rule("r", ("x",), tz="Europe/Berlin"), layers=(weekdays, always))
    cfg = config(first)
    monday, saturday = wall("2026-01-12T12:00", "Europe/Berlin"), wall("2026-01-17T12:00", "Europe/Berlin")
    assert schedule_of(cfg).on_call(monday) == ("alice",)
    assert schedule_of(cfg).on_call(saturday) == ("bob",)
    union = config(replace(first, combine="all"))
    assert schedule_of(union).on_call(monday) == ("alice", "bob")
    assert schedule_of(union).on_call(saturday) == ("bob",)
    intervals, gaps = schedule_of(union).intervals(utc("2026-01-12T00:00"), utc("2026-01-19T00:00"))
    assert gaps == []
    bob = [i for i in intervals if i.person == "bob"]
    assert [(i.start, i.end, i.layer) for i in bob] == [
        (utc("2026-01-12T00:00"), utc("2026-01-19T00:00"), "Always")
    ]


def test_the_same_person_from_two_layers_in_turn_is_one_interval_of_no_single_layer() -> None:
    days = Layer("Days", personnel=("alice",), windows=(Window(tuple(range(7)), time(8), time(20)),))
    nights = Layer("Nights", personnel=("alice",), windows=(Window(tuple(range(7)), time(20), time(8)),))
    cfg = config(replace(rule("r", ("x",)), layers=(days, nights)))
    intervals, gaps = schedule_of(cfg).intervals(utc("2026-01-12T00:00"), utc("2026-01-13T00:00"))
    assert gaps == []
    assert intervals == [
        Interval("r", "alice", utc("2026-01-12T00:00"), utc("2026-01-13T00:00"), False, None)
    ]
    only_days = schedule_of(cfg).intervals(utc("2026-01-12T09:00"), utc("2026-01-12T10:00"))[0]
    assert [i.layer for i in only_days] == ["Days"]


def test_the_rules_own_windows_decide_duty_and_gaps_are_where_no_layer_has_anyone() -> None:
    tz = "Europe/Berlin"
    morning = Layer("Morning", personnel=("alice",), windows=(Window(WEEKDAYS, time(8), time(12)),))
    the_rule = replace(
        rule("r", ("x",), tz=tz, windows=(Window((0,), time(6), time(14)),)), layers=(morning,)
    )
    intervals, gaps = schedule_of(config(the_rule)).intervals(
        utc("2026-01-12T00:00"), utc("2026-01-14T00:00")
    )
    # Monday only (the rule's window), 06:00–14:00: alice 08:00–12:00, gaps around her.
    assert [(i.person, i.start, i.end) for i in intervals] == [
        ("alice", wall("2026-01-12T08:00", tz), wall("2026-01-12T12:00", tz))
    ]
    assert [(g.start, g.end) for g in gaps] == [
        (wall("2026-01-12T06:00", tz), wall("2026-01-12T08:00", tz)),
        (wall("2026-01-12T12:00", tz), wall("2026-01-12T14:00", tz)),
    ]


def test_a_layers_effective_span_is_wall_clock_in_its_own_zone() -> None:
    new_team = Layer("New team", "Asia/Tokyo", ("bob",), effective_start=datetime(2026, 2, 1))
    old_team = Layer("Old team", personnel=("alice",))
    cfg = config(replace(rule("r", ("x",), tz="Europe/London"), layers=(new_team, old_team)))
    change = wall("2026-02-01T00:00", "Asia/Tokyo")
    schedule = schedule_of(cfg)
    assert schedule.on_call(change - timedelta(minutes=1)) == ("alice",)
    assert schedule.on_call(change) == ("bob",)


def test_overrides_replace_the_whole_on_call_set_of_a_layered_rule() -> None:
    layers = (Layer("A", personnel=("alice",)), Layer("B", personnel=("bob",)))
    override = Override("r", "carol", utc("2026-01-12T10:00"), utc("2026-01-12T11:00"))
    cfg = config(replace(rule("r", ("x",)), layers=layers, combine="all"), overrides=(override,))
    schedule = schedule_of(cfg)
    assert schedule.on_call(utc("2026-01-12T10:30")) == ("carol",)
    intervals, _ = schedule.intervals(utc("2026-01-12T09:00"), utc("2026-01-12T12:00"))
    assert sorted((i.person, i.start, i.end, i.override, i.layer) for i in intervals) == [
        ("alice", utc("2026-01-12T09:00"), utc("2026-01-12T10:00"), False, "A"),
        ("alice", utc("2026-01-12T11:00"), utc("2026-01-12T12:00"), False, "A"),
        ("bob", utc("2026-01-12T09:00"), utc("2026-01-12T10:00"), False, "B"),
        ("bob", utc("2026-01-12T11:00"), utc("2026-01-12T12:00"), False, "B"),
        ("carol", utc("2026-01-12T10:00"), utc("2026-01-12T11:00"), True, None),
    ]


# -- DST in each layer's own zone -----------------------------------------------------------------


def transitions(tz_name: str, year: int) -> list[datetime]:
    """The instants in `year` at which the zone's UTC offset changes."""
    tz = zone(tz_name)
    found = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    while t.year == year:
        nxt = t + timedelta(hours=1)
        if t.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            found.append(nxt)
        t = nxt
    return found


def working(t: datetime, tz_name: str) -> bool:
    """Whether `t` is within 09:00–17:00 of a weekday in that zone."""
    local = wall_clock(t, zone(tz_name))
    return local.weekday() < 5 and time(9) <= local.time() < time(17)


def test_follow_the_sun_keeps_each_members_hours_in_their_own_zone_across_every_dst_change_of_2027() -> None:
    cfg = follow_the_sun()
    schedule = schedule_of(cfg, "db")
    zones_of = {"olivia": "Australia/Sydney", "priya": "Europe/London", "maria": "America/New_York"}
    weeks = sorted({t for tz in zones_of.values() for t in transitions(tz, 2027)})
    assert len(weeks) == 6
    for change in weeks:
        start, end = change - timedelta(days=7), change + timedelta(days=7)
        intervals, gaps = schedule.intervals(start, end)
        assert gaps == []
        members = [i for i in intervals if i.person != "sam"]
        assert members
        for i in members:
            tz = zone(zones_of[i.person])
            begins, ends = wall_clock(i.start, tz), wall_clock(i.end, tz)
            assert begins.date() == ends.date()
            assert begins.weekday() < 5
            # 09:00–17:00 of their own day, cut short only where an earlier layer has the hour.
            assert time(9) <= begins.time(), i
            assert ends.time() <= time(17), i
            assert i.layer == {"olivia": "Sydney", "priya": "London", "maria": "New York"}[i.person]
        t = start
        while t < end:
            expected = next((p for p, tz_name in zones_of.items() if working(t, tz_name)), "sam")
            assert schedule.on_call(t) == (expected,), t
            t += timedelta(minutes=30)


def test_a_layers_rotation_hands_off_at_its_local_time_across_its_own_dst_change() -> None:
    daily = Rotation("daily", 1, time(9), datetime(2027, 3, 1).date())
    layer = Layer("Sydney", "Australia/Sydney", ("olivia", "oscar"), rotation=daily)
    cfg = config(replace(rule("r", ("x",), tz="UTC"), layers=(layer,)), person_ids=("olivia", "oscar"))
    intervals, _ = schedule_of(cfg).intervals(utc("2027-03-30T00:00"), utc("2027-04-08T00:00"))
    tz = zone("Australia/Sydney")
    for interval, following in itertools.pairwise(intervals):
        assert wall_clock(interval.end, tz).time() == time(9)
        assert interval.end == following.start
    # Sydney leaves daylight saving on 4 April 2027: 09:00 is 22:00 UTC before, 23:00 after.
    assert {i.end.hour for i in intervals[:-1]} == {22, 23}


def test_a_rule_whose_layers_list_nobody_never_covers() -> None:
    empty = replace(rule("r", ("x",)), layers=(Layer("A"), Layer("B", personnel=("team:none",))))
    cfg = config(empty, overrides=(Override("r", "alice", utc("2026-01-01T00:00"), utc("2026-01-02T00:00")),))
    schedule = schedule_of(cfg)
    assert schedule.on_call(utc("2026-01-01T12:00")) == ()
    intervals, gaps = schedule.intervals(utc("2026-01-01T00:00"), utc("2026-01-02T00:00"))
    assert intervals == []
    assert len(gaps) == 1


def test_a_layer_taking_over_is_a_handover_the_planner_pages() -> None:
    """An incident at 16:55 in London on a weekday: Priya is paged, and at 17:00 London, when the
    New York layer has Maria and London's hours end, Maria gets a handover notice."""
    cfg = follow_the_sun()
    start = wall("2027-01-05T16:55", "Europe/London")
    notes = plan(
        Schedules(cfg),
        IncidentFacts(start, Severity.P1, ("service:db",)),
        until=start + timedelta(minutes=10),
    )
    assert [(n.at, n.person, n.handover) for n in notes] == [
        (start, "priya", False),
        (wall("2027-01-05T17:00", "Europe/London"), "maria", True),
    ]
