"""Builders and hypothesis strategies for the schedule, routing and planner tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    RotationPeriod,
    Severity,
    Status,
    Target,
    Team,
    Window,
)
from oncall_desktop.timeutil import all_zone_names, resolve_wall, zone

SMS, VOICE, EMAIL = Channel.SMS, Channel.VOICE, Channel.EMAIL


def people(*ids: str) -> tuple[Person, ...]:
    return tuple(Person(id=pid, name=pid.title(), email=f"{pid}@example.com") for pid in ids)


def rule(
    rule_id: str,
    personnel: tuple[str, ...] = (),
    *,
    tz: str = "UTC",
    rotation: Rotation | None = None,
    windows: tuple[Window, ...] = (),
    conditions: tuple[str, ...] = (),
    mode: str = "all",
    escalation: tuple[EscalationLevel, ...] | None = None,
    effective_start: datetime | None = None,
    effective_end: datetime | None = None,
) -> OnCallRule:
    """A rule; with personnel and no ladder given, level 0 pages everyone on call by SMS."""
    if escalation is None:
        escalation = (EscalationLevel(channels={"*": (SMS,)}),) if personnel else ()
    return OnCallRule(
        id=rule_id,
        name=rule_id.title(),
        timezone=tz,
        effective_start=effective_start,
        effective_end=effective_end,
        windows=windows,
        match=MatchConditions(mode="any" if mode == "any" else "all", conditions=conditions),
        layers=(Layer(personnel=personnel, rotation=rotation),),
        escalation=escalation,
    )


def config(
    *rules: OnCallRule,
    person_ids: tuple[str, ...] = ("alice", "bob", "carol", "dave", "erin"),
    teams: tuple[Team, ...] = (),
    overrides: tuple[Override, ...] = (),
) -> Configuration:
    return Configuration(people=people(*person_ids), teams=teams, rules=rules, overrides=overrides)


def utc(text: str) -> datetime:
    """`2026-03-29T01:30` read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def wall(text: str, tz: str) -> datetime:
    """`2026-03-29T01:30` read as wall-clock time in `tz`, as a UTC instant."""
    return resolve_wall(datetime.fromisoformat(text), zone(tz))


# -- hypothesis strategies ------------------------------------------------------------------------

ZONES = all_zone_names()
PERSON_IDS = ("alice", "bob", "carol", "dave")

# Half of the zones drawn are ones with unusual DST (southern, 30-minute, negative, …).
DST_ZONES = (
    "Europe/Berlin",
    "America/Chicago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
    "Europe/Dublin",
    "Africa/Casablanca",
    "America/St_Johns",
    "Asia/Tehran",
)
zones = st.one_of(st.sampled_from(ZONES), st.sampled_from(DST_ZONES))
minutes_of_day = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
quarter_hours = st.integers(0, 24 * 4 - 1).map(lambda q: time(q // 4, 15 * (q % 4)))


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    period: RotationPeriod = draw(st.sampled_from(("hours", "daily", "weekly", "monthly")))
    every = draw(st.integers(1, 3))
    if period == "hours":
        every = draw(st.sampled_from((1, 2, 3, 4, 6, 8, 12)))
    anchor = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    return Rotation(period=period, every=every, handoff=draw(quarter_hours), anchor=anchor)


@st.composite
def windows(draw: st.DrawFn) -> tuple[Window, ...]:
    count = draw(st.integers(0, 3))
    found = []
    for _ in range(count):
        days = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))))
        found.append(Window(days=days, start=draw(quarter_hours), end=draw(quarter_hours)))
    return tuple(found)


@st.composite
def rotating_setups(draw: st.DrawFn) -> tuple[Configuration, datetime, datetime]:
    """A configuration with one rotating rule `r` (random zone, windows, overrides) and a span."""
    tz = draw(zones)
    personnel = tuple(draw(st.lists(st.sampled_from(PERSON_IDS), min_size=1, max_size=4)))
    # Half of the spans start in a month in which many zones change their clocks.
    month = draw(st.one_of(st.integers(1, 12), st.sampled_from((3, 4, 9, 10, 11))))
    span_start = datetime(draw(st.integers(2020, 2030)), month, draw(st.integers(1, 28)), tzinfo=UTC)
    span_start += timedelta(minutes=15 * draw(st.integers(0, 4 * 24 - 1)))
    span_end = span_start + timedelta(hours=draw(st.integers(1, 24 * 40)))
    overrides = []
    for _ in range(draw(st.integers(0, 3))):
        o_start = span_start + timedelta(minutes=15 * draw(st.integers(-4 * 24, 4 * 24 * 40)))
        o_end = o_start + timedelta(minutes=15 * draw(st.integers(1, 4 * 24 * 3)))
        overrides.append(
            Override(rule="r", person=draw(st.sampled_from(PERSON_IDS)), start=o_start, end=o_end)
        )
    effective_start = None
    if draw(st.booleans()):
        effective_start = span_start.replace(tzinfo=None) + timedelta(hours=draw(st.integers(-48, 48)))
    the_rule = rule(
        "r",
        personnel,
        tz=tz,
        rotation=draw(rotations()),
        windows=draw(windows()),
        effective_start=effective_start,
    )
    return config(the_rule, overrides=tuple(overrides)), span_start, span_end


def _offset_change_after(tz_name: str, t: datetime) -> datetime | None:
    """The first instant after `t` (within half a year) at which the zone's UTC offset changes."""
    tz = zone(tz_name)
    lo, hi = t, t + timedelta(days=183)
    if lo.astimezone(tz).utcoffset() == hi.astimezone(tz).utcoffset():
        return None
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
            lo = mid
        else:
            hi = mid
    return hi.replace(second=0, microsecond=0)


@st.composite
def wall_times_near_transitions(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and a naive wall-clock time, usually within 90 minutes of one of its DST changes."""
    tz_name = draw(zones)
    t = datetime(draw(st.integers(2020, 2030)), draw(st.integers(1, 12)), 1, tzinfo=UTC)
    change = _offset_change_after(tz_name, t)
    base = change if change is not None else t
    wall_time = base.astimezone(zone(tz_name)).replace(tzinfo=None)
    return tz_name, wall_time + timedelta(minutes=draw(st.integers(-90, 90)))


@st.composite
def ladders(draw: st.DrawFn) -> tuple[EscalationLevel, ...]:
    """A ladder that passes SPEC §3's rule limits: increasing waits, shrinking sets, short repeats."""
    severities = frozenset(Severity)
    statuses = frozenset({Status.OPEN, Status.WORKING})
    waits = [0, *sorted(draw(st.sets(st.integers(1, 120), max_size=4)))]
    levels = []
    for index, wait in enumerate(waits):
        severities = (
            frozenset(draw(st.sets(st.sampled_from(sorted(severities)), min_size=1))) if index else severities
        )
        statuses = frozenset(draw(st.sets(st.sampled_from(sorted(statuses)), min_size=1)))
        room = waits[index + 1] - wait - 1 if index + 1 < len(waits) else 60
        repeat = draw(st.one_of(st.none(), st.integers(1, room))) if room >= 1 else None
        channels = tuple(draw(st.sets(st.sampled_from((SMS, VOICE, EMAIL)), min_size=1)))
        if index == 0:
            levels.append(EscalationLevel(statuses=statuses, repeat=repeat, channels={"*": channels}))
        else:
            target = draw(st.sampled_from(PERSON_IDS))
            levels.append(
                EscalationLevel(
                    wait=wait,
                    severities=severities,
                    statuses=statuses,
                    repeat=repeat,
                    add=(Target(target, channels),),
                )
            )
    return tuple(levels)
