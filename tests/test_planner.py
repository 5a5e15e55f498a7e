"""The escalation planner against SPEC §3: seed examples, ladder semantics, handover, dedup."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_desktop.domain import (
    Configuration,
    EscalationLevel,
    Rotation,
    Severity,
    Status,
    StatusChange,
    Target,
    Team,
    Window,
)
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.routing import route
from oncall_desktop.schedule import Schedules
from tests.strategies import (
    EMAIL,
    PERSON_IDS,
    SMS,
    VOICE,
    config,
    ladders,
    people,
    quarter_hours,
    rotations,
    rule,
    utc,
    windows,
    zones,
)

T = utc("2026-01-12T10:00")
OPEN, WORKING, RESOLVED = Status.OPEN, Status.WORKING, Status.RESOLVED
OPEN_OR_WORKING = frozenset({OPEN, WORKING})
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def level0(channels: dict | None = None, **fields: object) -> EscalationLevel:
    return EscalationLevel(channels=channels or {"*": (SMS,)}, **fields)  # type: ignore[arg-type]


def level(wait: int, *targets: tuple[str, tuple], **fields: object) -> EscalationLevel:
    add = tuple(Target(target, channels) for target, channels in targets)
    return EscalationLevel(wait=wait, add=add, **fields)  # type: ignore[arg-type]


def timeline(
    cfg: Configuration,
    *,
    minutes: int = 60,
    severity: Severity = Severity.P1,
    tags: tuple[str, ...] = (),
    changes: tuple[tuple[int, Status], ...] = (),
    created: datetime = T,
) -> list[tuple[int, str, str, int, int]]:
    """(minutes after creation, person, channel, level, repeat) of every planned notification."""
    notes = plan(
        Schedules(cfg),
        IncidentFacts(created, severity, tags),
        [StatusChange(created + timedelta(minutes=m), s) for m, s in changes],
        until=created + timedelta(minutes=minutes),
    )
    return [
        ((n.at - created) // timedelta(minutes=1), n.person, str(n.channel), n.level, n.repeat) for n in notes
    ]


def default_only(*ladder: EscalationLevel, personnel: tuple[str, ...] = ("alice",)) -> Configuration:
    return config(rule("default", personnel, escalation=ladder))


# -- the seed examples of SPEC §3 ----------------------------------------------------------------


def test_seed_level0_repeating_every_5_minutes_then_level1_at_30() -> None:
    cfg = default_only(level0(repeat=5), level(30, ("bob", (VOICE,))))
    assert timeline(cfg, minutes=60) == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 0, 1),
        (10, "alice", "sms", 0, 2),
        (15, "alice", "sms", 0, 3),
        (20, "alice", "sms", 0, 4),
        (25, "alice", "sms", 0, 5),
        (30, "alice", "sms", 1, 0),
        (30, "bob", "voice", 1, 0),
    ]


def test_seed_four_level_ladder() -> None:
    cfg = config(
        rule(
            "default",
            ("A",),
            escalation=(
                level0({"*": (SMS, EMAIL)}),
                level(5, ("B", (VOICE,))),
                level(15, ("C", (SMS,))),
                level(30, ("D", (SMS,)), repeat=10),
            ),
        ),
        person_ids=("A", "B", "C", "D"),
    )
    a = [("A", "email"), ("A", "sms")]
    ab = [*a, ("B", "voice")]
    abc = [*ab, ("C", "sms")]
    abcd = [*abc, ("D", "sms")]
    expected = [(0, p, c, 0, 0) for p, c in a]
    expected += [(5, p, c, 1, 0) for p, c in ab]
    expected += [(15, p, c, 2, 0) for p, c in abc]
    for k, at in enumerate((30, 40, 50)):
        expected += [(at, p, c, 3, k) for p, c in abcd]
    assert timeline(cfg, minutes=55) == expected


# -- ladder semantics -----------------------------------------------------------------------------


def test_level_entry_waits_until_the_level_applies() -> None:
    cfg = default_only(
        level0(statuses=OPEN_OR_WORKING),
        level(5, ("bob", (VOICE,)), statuses=frozenset({WORKING})),
    )
    # Acknowledged at T+12: level 1 (working only) is entered then, not at T+5.
    assert timeline(cfg, changes=((12, WORKING),)) == [
        (0, "alice", "sms", 0, 0),
        (12, "alice", "sms", 1, 0),
        (12, "bob", "voice", 1, 0),
    ]
    # Never acknowledged: level 1 is never entered.
    assert timeline(cfg) == [(0, "alice", "sms", 0, 0)]


def test_level_that_stops_applying_before_its_wait_is_never_entered() -> None:
    cfg = default_only(level0(statuses=OPEN_OR_WORKING), level(5, ("bob", (VOICE,))))
    assert timeline(cfg, changes=((3, WORKING),)) == [(0, "alice", "sms", 0, 0)]


def test_repeats_pause_under_a_higher_level_and_resume_when_it_stops_applying() -> None:
    cfg = default_only(
        level0(statuses=OPEN_OR_WORKING, repeat=5),
        level(10, ("bob", (VOICE,)), statuses=frozenset({OPEN})),
    )
    assert timeline(cfg, minutes=25, changes=((12, WORKING),)) == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 0, 1),
        (10, "alice", "sms", 1, 0),
        (10, "bob", "voice", 1, 0),
        # acknowledged at T+12: level 1 no longer applies, level 0's repeats go on from E0 + 3R
        (15, "alice", "sms", 0, 3),
        (20, "alice", "sms", 0, 4),
    ]


def test_repeats_continue_under_a_next_level_for_other_severities() -> None:
    cfg = default_only(
        level0(repeat=5),
        level(10, ("bob", (VOICE,)), severities=frozenset({Severity.P0}), repeat=5),
    )
    assert timeline(cfg, minutes=20, severity=Severity.P1) == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 0, 1),
        (10, "alice", "sms", 0, 2),
        (15, "alice", "sms", 0, 3),
    ]
    assert timeline(cfg, minutes=20, severity=Severity.P0) == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 0, 1),
        (10, "alice", "sms", 1, 0),
        (10, "bob", "voice", 1, 0),
        (15, "alice", "sms", 1, 1),
        (15, "bob", "voice", 1, 1),
    ]


def test_last_level_repeats_until_the_status_leaves_its_sets() -> None:
    cfg = default_only(level0(), level(5, ("bob", (VOICE,)), repeat=10))
    got = timeline(cfg, minutes=120, changes=((27, WORKING),))
    assert [(at, p, lvl, k) for at, p, _c, lvl, k in got] == [
        (0, "alice", 0, 0),
        (5, "alice", 1, 0),
        (5, "bob", 1, 0),
        (15, "alice", 1, 1),
        (15, "bob", 1, 1),
        (25, "alice", 1, 2),
        (25, "bob", 1, 2),
    ]
    # Not acknowledged: it goes on for the whole span.
    assert [at for at, p, *_ in timeline(cfg, minutes=120) if p == "bob"] == list(range(5, 120, 10))


def test_status_change_takes_effect_before_that_instants_notifications() -> None:
    cfg = default_only(level0(repeat=5))
    assert timeline(cfg, minutes=30, changes=((10, WORKING),)) == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 0, 1),
    ]
    # Resolved at the very instant of creation: nothing at all.
    assert timeline(cfg, minutes=30, changes=((0, RESOLVED),)) == []


def test_nothing_is_sent_after_resolve() -> None:
    cfg = default_only(level0(statuses=OPEN_OR_WORKING, repeat=5), level(10, ("bob", (VOICE,))))
    got = timeline(cfg, minutes=120, changes=((7, WORKING), (17, RESOLVED)))
    assert [at for at, *_ in got] == [0, 5, 10, 15]
    assert max(at for at, *_ in got) < 17


def test_status_never_moves_backwards() -> None:
    cfg = default_only(level0(repeat=5))
    # A late "open" after "working" does not restart escalation.
    assert timeline(cfg, minutes=30, changes=((7, WORKING), (12, OPEN))) == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 0, 1),
    ]


def test_level0_channels_per_person_with_a_default() -> None:
    cfg = default_only(level0({"alice": (VOICE, EMAIL), "*": (SMS,)}), personnel=("alice", "bob"))
    assert timeline(cfg) == [
        (0, "alice", "email", 0, 0),
        (0, "alice", "voice", 0, 0),
        (0, "bob", "sms", 0, 0),
    ]


def test_team_targets_expand_to_their_members() -> None:
    cfg = Configuration(
        people=people("alice", "carol", "dave"),
        teams=(Team("sre", "SRE", ("carol", "dave")),),
        rules=(rule("default", ("alice",), escalation=(level0(), level(5, ("team:sre", (VOICE,))))),),
    )
    assert timeline(cfg) == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 1, 0),
        (5, "carol", "voice", 1, 0),
        (5, "dave", "voice", 1, 0),
    ]


def test_no_notifications_before_creation_or_at_and_after_until() -> None:
    cfg = default_only(level0(repeat=5))
    notes = plan(Schedules(cfg), IncidentFacts(T, Severity.P2), until=T + timedelta(minutes=15))
    assert [n.at for n in notes] == [T, T + timedelta(minutes=5), T + timedelta(minutes=10)]
    assert plan(Schedules(cfg), IncidentFacts(T, Severity.P2), until=T) == []


# -- cross-shift handover -------------------------------------------------------------------------


def night_rota() -> Configuration:
    rotation = Rotation("daily", 1, time(0, 0), date(2026, 1, 1))
    return config(
        rule(
            "default",
            ("alice", "bob"),
            tz="Europe/Berlin",
            rotation=rotation,
            escalation=(level0({"*": (SMS,)}, statuses=OPEN_OR_WORKING, repeat=10),),
        ),
    )


def test_shift_handover_notifies_the_new_person_and_moves_repeats_to_them() -> None:
    # alice holds 2026-01-01 (Berlin), bob 2026-01-02; the incident starts at 23:55 Berlin time.
    created = utc("2026-01-01T22:55")
    notes = plan(
        Schedules(night_rota()),
        IncidentFacts(created, Severity.P1),
        until=created + timedelta(minutes=30),
    )
    got = [((n.at - created) // timedelta(minutes=1), n.person, n.level, n.repeat, n.handover) for n in notes]
    assert got == [
        (0, "alice", 0, 0, False),
        (5, "bob", 0, 0, True),  # 00:00 Berlin: bob takes over and gets a handover notice
        (10, "bob", 0, 1, False),
        (20, "bob", 0, 2, False),
    ]
    assert all(n.channel == SMS for n in notes)


def test_after_a_handover_the_higher_levels_repeats_go_to_the_new_person() -> None:
    cfg = config(
        rule(
            "default",
            ("alice", "bob"),
            rotation=Rotation("daily", 1, time(0, 0), date(2026, 1, 1)),
            escalation=(level0({"*": (SMS, EMAIL)}), level(2, ("carol", (VOICE,)), repeat=5)),
        ),
    )
    created = utc("2026-01-01T23:55")
    assert timeline(cfg, created=created, minutes=13) == [
        (0, "alice", "email", 0, 0),
        (0, "alice", "sms", 0, 0),
        (2, "alice", "email", 1, 0),
        (2, "alice", "sms", 1, 0),
        (2, "carol", "voice", 1, 0),
        (5, "bob", "email", 0, 0),  # the handover notice, on level 0's channels
        (5, "bob", "sms", 0, 0),
        (7, "bob", "email", 1, 1),
        (7, "bob", "sms", 1, 1),
        (7, "carol", "voice", 1, 1),
        (12, "bob", "email", 1, 2),
        (12, "bob", "sms", 1, 2),
        (12, "carol", "voice", 1, 2),
    ]


def test_no_handover_notice_once_level0_no_longer_applies() -> None:
    cfg = config(
        rule(
            "default",
            ("alice", "bob"),
            rotation=Rotation("daily", 1, time(0, 0), date(2026, 1, 1)),
            escalation=(level0(repeat=10),),  # level 0 lists only `open`
        ),
    )
    created = utc("2026-01-01T23:55")
    assert timeline(cfg, created=created, minutes=30, changes=((2, WORKING),)) == [
        (0, "alice", "sms", 0, 0),
    ]


def test_routing_moving_to_another_rule_sends_a_handover_notice_under_that_rules_ladder() -> None:
    office = (Window((MON, TUE, WED, THU, FRI), time(9), time(17)),)
    cfg = config(
        rule(
            "payments",
            ("alice",),
            windows=office,
            conditions=("service:payment",),
            escalation=(level0({"*": (SMS,)}, repeat=5),),
        ),
        rule("default", ("dave",), escalation=(level0({"*": (EMAIL,)}, repeat=15),)),
    )
    created = utc("2026-01-12T16:50")
    got = timeline(cfg, created=created, minutes=40, tags=("service:payment",))
    assert got == [
        (0, "alice", "sms", 0, 0),
        (5, "alice", "sms", 0, 1),
        # 17:00: the payments window closes and the incident is routed to the default rule
        (10, "dave", "email", 0, 0),
        (15, "dave", "email", 0, 1),
        (30, "dave", "email", 0, 2),
    ]
    notes = plan(
        Schedules(cfg),
        IncidentFacts(created, Severity.P1, ("service:payment",)),
        until=created + timedelta(minutes=40),
    )
    handover = [n for n in notes if n.handover]
    assert [(n.person, n.rule, n.at) for n in handover] == [("dave", "default", utc("2026-01-12T17:00"))]


# -- deduplication --------------------------------------------------------------------------------


def test_two_routed_rules_notifying_one_person_send_one_notification_per_channel() -> None:
    cfg = config(
        rule("primary", ("alice",), escalation=(level0({"*": (SMS,)}, repeat=5),)),
        rule("platform", ("alice", "bob"), escalation=(level0({"*": (SMS, EMAIL)}, repeat=5),)),
        rule("default", ("dave",)),
    )
    got = timeline(cfg, minutes=6)
    assert [(at, p, c) for at, p, c, *_ in got] == [
        (0, "alice", "email"),
        (0, "alice", "sms"),
        (0, "bob", "email"),
        (0, "bob", "sms"),
        (5, "alice", "email"),
        (5, "alice", "sms"),
        (5, "bob", "email"),
        (5, "bob", "sms"),
    ]


def test_handover_notice_coinciding_with_a_repeat_is_one_notification() -> None:
    cfg = config(
        rule(
            "default",
            ("alice", "bob"),
            rotation=Rotation("daily", 1, time(0, 0), date(2026, 1, 1)),
            escalation=(level0({"*": (SMS,)}, repeat=5),),
        ),
    )
    created = utc("2026-01-01T23:55")
    notes = plan(Schedules(cfg), IncidentFacts(created, Severity.P1), until=created + timedelta(minutes=6))
    at_midnight = [n for n in notes if n.at == utc("2026-01-02T00:00")]
    assert [(n.person, n.channel, n.repeat, n.handover) for n in at_midnight] == [("bob", SMS, 1, False)]


# -- the planner against the SPEC's text, minute by minute ----------------------------------------


def spec_timeline(
    ladder: tuple[EscalationLevel, ...],
    on_call: tuple[str, ...],
    severity: Severity,
    changes: tuple[tuple[int, Status], ...],
    minutes: int,
) -> list[tuple[int, str, str, int, int]]:
    """SPEC §3's escalation ladder read literally, for one rule and whole-minute events."""

    def status(m: int) -> Status:
        current = OPEN
        for at, new in sorted(changes, key=lambda c: c[0]):
            if at <= m and new.rank > current.rank:
                current = new
        return current

    def applies(index: int, m: int) -> bool:
        return ladder[index].applies(severity, status(m))

    entries = [
        next((m for m in range(lvl.wait, minutes) if applies(index, m)), None)
        for index, lvl in enumerate(ladder)
    ]

    def recipients(index: int) -> dict[tuple[str, str], None]:
        found = {(p, str(c)): None for p in on_call for c in ladder[0].channels_for(p)}
        for lvl in ladder[1 : index + 1]:
            found.update({(t.target, str(c)): None for t in lvl.add for c in t.channels})
        return found

    sent: dict[tuple[int, str, str], tuple[int, int]] = {}
    for m in range(minutes):
        notes = [(index, 0) for index, entry in enumerate(entries) if entry == m]
        active = max(
            (i for i, e in enumerate(entries) if e is not None and e <= m and applies(i, m)), default=None
        )
        if active is not None:
            entry, repeat = entries[active], ladder[active].repeat
            assert entry is not None
            if repeat and m > entry and (m - entry) % repeat == 0:
                notes.append((active, (m - entry) // repeat))
        for index, k in notes:
            for person, channel in recipients(index):
                held = sent.get((m, person, channel))
                if held is None or held[0] < index:
                    sent[(m, person, channel)] = (index, k)
    return sorted((m, p, c, index, k) for (m, p, c), (index, k) in sent.items())


@settings(max_examples=150, deadline=None)
@given(
    ladder=ladders(),
    severity=st.sampled_from(sorted(Severity)),
    ack=st.one_of(st.none(), st.integers(0, 150)),
    resolve=st.one_of(st.none(), st.integers(0, 200)),
)
def test_planner_agrees_with_the_spec_read_minute_by_minute(
    ladder: tuple[EscalationLevel, ...], severity: Severity, ack: int | None, resolve: int | None
) -> None:
    changes = tuple((m, s) for m, s in ((ack, WORKING), (resolve, RESOLVED)) if m is not None)
    cfg = config(rule("default", ("erin",), escalation=ladder))
    assert timeline(cfg, minutes=200, severity=severity, changes=changes) == spec_timeline(
        ladder, ("erin",), severity, changes, 200
    )


@st.composite
def routed_setups(draw: st.DrawFn) -> tuple[Configuration, datetime]:
    """A tagged rule and an untagged one with random windows, and the default rule, all rotating."""

    def personnel() -> tuple[str, ...]:
        return tuple(draw(st.lists(st.sampled_from(PERSON_IDS), min_size=1, max_size=3)))

    def short_shifts() -> Rotation:
        anchor = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 1, 1)))
        return Rotation("hours", draw(st.integers(1, 3)), draw(quarter_hours), anchor)

    tz = draw(zones)
    cfg = config(
        rule(
            "tagged",
            personnel(),
            tz=tz,
            conditions=("service:x",),
            windows=draw(windows()),
            rotation=short_shifts() if draw(st.booleans()) else draw(rotations()),
            escalation=draw(ladders()),
        ),
        rule(
            "untagged",
            personnel(),
            tz=tz,
            windows=draw(windows()),
            rotation=short_shifts() if draw(st.booleans()) else None,
            escalation=draw(ladders()),
        ),
        rule("default", personnel(), rotation=short_shifts(), escalation=draw(ladders())),
    )
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 365)))
    return cfg, created


def spec_routed_timeline(
    cfg: Configuration,
    created: datetime,
    tags: tuple[str, ...],
    severity: Severity,
    changes: tuple[tuple[int, Status], ...],
    minutes: int,
) -> list[tuple[int, str, str, int, int, bool]]:
    """SPEC §3 with routing and handover, evaluated at every minute (all changes fall on minutes)."""
    schedules = Schedules(cfg)
    sent: dict[tuple[int, str, str], tuple[bool, int, int]] = {}

    def offer(m: int, person: str, channel: str, index: int, k: int, handover: bool) -> None:
        held = sent.get((m, person, channel))
        if held is None or (held[0], -held[1]) > (handover, -index):
            sent[(m, person, channel)] = (handover, index, k)

    def status(m: int) -> Status:
        return max((new for at, new in changes if at <= m), key=lambda s: s.rank, default=OPEN)

    def entry(level: EscalationLevel) -> int | None:
        return next((m for m in range(level.wait, minutes) if level.applies(severity, status(m))), None)

    entries_by_rule: dict[str, list[int | None]] = {}
    previous: set[str] | None = None
    for m in range(minutes):
        t = created + timedelta(minutes=m)
        now: set[str] = set()
        for rule_id in route(schedules, tags, t):
            ladder = schedules.rules[rule_id].rule.escalation
            people_now = schedules.rules[rule_id].on_call(t)
            now.update(people_now)
            if rule_id not in entries_by_rule:
                entries_by_rule[rule_id] = [entry(level) for level in ladder]
            entries = entries_by_rule[rule_id]
            recipients = [
                {(p, str(c)): None for p in people_now for c in ladder[0].channels_for(p)}
                | {
                    (a.target, str(c)): None
                    for level in ladder[1 : i + 1]
                    for a in level.add
                    for c in a.channels
                }
                for i in range(len(ladder))
            ]
            for index, entered in enumerate(entries):
                if entered == m:
                    for person, channel in recipients[index]:
                        offer(m, person, channel, index, 0, False)
            applying = [
                i
                for i, e in enumerate(entries)
                if e is not None and e <= m and ladder[i].applies(severity, status(m))
            ]
            if applying:
                active = applying[-1]
                entered, repeat = entries[active], ladder[active].repeat
                assert entered is not None
                if repeat and m > entered and (m - entered) % repeat == 0:
                    for person, channel in recipients[active]:
                        offer(m, person, channel, active, (m - entered) // repeat, False)
            if previous is not None and applying and applying[0] == 0:
                for person in people_now:
                    if person not in previous:
                        for channel in ladder[0].channels_for(person):
                            offer(m, person, str(channel), 0, 0, True)
        previous = now
    return sorted((m, p, c, index, k, h) for (m, p, c), (h, index, k) in sent.items())


@settings(max_examples=80, deadline=None)
@given(
    setup=routed_setups(),
    severity=st.sampled_from(sorted(Severity)),
    tagged=st.booleans(),
    ack=st.one_of(st.none(), st.integers(0, 240)),
    resolve=st.one_of(st.none(), st.integers(0, 300)),
)
def test_planner_routes_and_hands_over_as_the_spec_says_minute_by_minute(
    setup: tuple[Configuration, datetime],
    severity: Severity,
    tagged: bool,
    ack: int | None,
    resolve: int | None,
) -> None:
    cfg, created = setup
    tags = ("service:x",) if tagged else ()
    changes = tuple((m, s) for m, s in ((ack, WORKING), (resolve, RESOLVED)) if m is not None)
    notes = plan(
        Schedules(cfg),
        IncidentFacts(created, severity, tags),
        [StatusChange(created + timedelta(minutes=m), s) for m, s in changes],
        until=created + timedelta(minutes=240),
    )
    got = [
        ((n.at - created) // timedelta(minutes=1), n.person, str(n.channel), n.level, n.repeat, n.handover)
        for n in notes
    ]
    assert got == spec_routed_timeline(cfg, created, tags, severity, changes, 240)


@settings(max_examples=60, deadline=None)
@given(
    setup=routed_setups(),
    severity=st.sampled_from(sorted(Severity)),
    tagged=st.booleans(),
    ack=st.one_of(st.none(), st.integers(0, 240)),
    since=st.integers(0, 239),
    seconds=st.sampled_from([0, 1, 59]),
)
def test_planning_on_from_since_gives_exactly_the_tail_of_the_whole_plan(
    setup: tuple[Configuration, datetime],
    severity: Severity,
    tagged: bool,
    ack: int | None,
    since: int,
    seconds: int,
) -> None:
    """The engine plans each incident on from where it stopped; that must change nothing."""
    cfg, created = setup
    schedules = Schedules(cfg)
    facts = IncidentFacts(created, severity, ("service:x",) if tagged else ())
    changes = [StatusChange(created + timedelta(minutes=ack), WORKING)] if ack is not None else []
    until = created + timedelta(minutes=240)
    cut = created + timedelta(minutes=since, seconds=seconds)
    whole = plan(schedules, facts, changes, until=until)
    assert plan(schedules, facts, changes, until=until, since=cut) == [n for n in whole if n.at > cut]


@settings(max_examples=60, deadline=None)
@given(
    setup=routed_setups(),
    severity=st.sampled_from(sorted(Severity)),
    ack=st.one_of(st.none(), st.integers(0, 240)),
    since=st.one_of(st.none(), st.integers(0, 120)),
    now=st.integers(0, 239),
)
def test_stopping_after_now_plans_what_is_due_and_the_next_instant_that_notifies(
    setup: tuple[Configuration, datetime],
    severity: Severity,
    ack: int | None,
    since: int | None,
    now: int,
) -> None:
    """The engine asks only for what is due by now and the next instant after it that notifies."""
    cfg, created = setup
    schedules = Schedules(cfg)
    facts = IncidentFacts(created, severity, ("service:x",))
    changes = [StatusChange(created + timedelta(minutes=ack), WORKING)] if ack is not None else []
    until = created + timedelta(minutes=240)
    cut = None if since is None else created + timedelta(minutes=since)
    at = created + timedelta(minutes=now)
    whole = plan(schedules, facts, changes, until=until, since=cut)
    later = [n.at for n in whole if n.at > at]
    want = [n for n in whole if n.at <= at or (later and n.at == later[0])]
    assert plan(schedules, facts, changes, until=until, since=cut, stop_after=at) == want
