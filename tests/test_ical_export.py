"""iCal export: what a calendar app reads back is exactly the final schedule (issue 7)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
import recurring_ical_events
import vobject

from oncall_desktop import ical
from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Severity,
    Status,
    Target,
    Team,
    Window,
)
from oncall_desktop.schedule import Schedules, utc

PEOPLE = (
    Person("alice", "Alice Chen", "alice@example.com"),
    Person("bob", "Bob Stone", "bob@example.com"),
    Person("carol", "Carol Diaz", "carol@example.com"),
)
LADDER = (
    EscalationLevel(wait=0, repeat=5, channels={"*": (Channel.SMS, Channel.EMAIL)}),
    EscalationLevel(wait=15, add=(Target("carol", (Channel.VOICE,)),)),
)
START, END = utc(2026, 3, 1), utc(2026, 11, 15)


def team_config() -> Configuration:
    payments = OnCallRule(
        id="payments",
        name="Payments primary",
        timezone="Europe/Berlin",
        layers=(
            Layer(personnel=("alice", "bob"), rotation=Rotation("weekly", 1, time(9, 0), date(2026, 3, 2))),
        ),
        escalation=LADDER,
    )
    nights = OnCallRule(
        id="nights",
        name="Nights",
        timezone="America/New_York",
        windows=(Window((0, 1, 2, 3, 4, 5, 6), time(22, 0), time(6, 0)),),
        layers=(
            Layer(
                personnel=("bob", "carol", "alice"),
                rotation=Rotation("daily", 1, time(22, 0), date(2026, 3, 1)),
            ),
        ),
        escalation=LADDER[:1],
    )
    overrides = (
        Override("payments", "carol", utc(2026, 3, 10, 8), utc(2026, 3, 12, 8)),
        # 01:30 in New York's second (EST) 1 a.m. hour on the fall-back night.
        Override("nights", "alice", utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 9)),
    )
    return Configuration(
        people=PEOPLE,
        rules=(payments, nights, OnCallRule("default", "Default", "UTC")),
        overrides=overrides,
    )


def expected(config: Configuration, **kwargs: str) -> set[tuple[str, str, datetime, datetime]]:
    person = kwargs.get("person")
    rules = [kwargs["rule"]] if "rule" in kwargs else None
    schedule = Schedules(config).final_schedule(START, END, rules=rules, person=person, clip=False)
    return {(i.rule, i.person, i.start, i.end) for i in schedule.intervals}


def read_with_icalendar(data: bytes) -> set[tuple[str, str, datetime, datetime]]:
    calendar = icalendar.Calendar.from_ical(data)
    events = recurring_ical_events.of(calendar).between(START - timedelta(days=30), END + timedelta(days=30))
    return {
        (
            str(e["X-ONCALL-RULE"]),
            str(e["X-ONCALL-PERSON"]),
            e["DTSTART"].dt.astimezone(UTC),
            e["DTEND"].dt.astimezone(UTC),
        )
        for e in events
    }


def read_with_vobject(data: bytes) -> set[tuple[str, str, datetime, datetime]]:
    calendar = vobject.readOne(data.decode())
    return {
        (
            e.x_oncall_rule.value,
            e.x_oncall_person.value,
            e.dtstart.value.astimezone(UTC),
            e.dtend.value.astimezone(UTC),
        )
        for e in calendar.vevent_list
    }


def test_two_independent_parsers_read_back_exactly_the_final_schedule() -> None:
    config = team_config()
    data = ical.export_calendar(config, START, END)
    want = expected(config)
    assert len(want) > 200
    assert read_with_icalendar(data) == want
    assert read_with_vobject(data) == want


@pytest.mark.parametrize(
    "scope", [{"person": "carol"}, {"rule": "nights"}, {"person": "alice", "rule": "payments"}]
)
def test_person_and_rule_exports_hold_only_their_shifts(scope: dict[str, str]) -> None:
    config = team_config()
    data = ical.export_calendar(config, START, END, **scope)
    assert read_with_vobject(data) == expected(config, **scope)


def test_times_carry_the_rules_zone_and_dst_keeps_the_wall_clock() -> None:
    data = ical.export_calendar(team_config(), START, END, rule="payments")
    calendar = icalendar.Calendar.from_ical(data)
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {"Europe/Berlin"}
    # The week that crosses Berlin's spring-forward night: 09:00 to 09:00, 167 hours.
    event = next(e for e in calendar.walk("VEVENT") if e["DTSTART"].dt.date() == date(2026, 3, 23))
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert (event["DTSTART"].dt.time(), event["DTEND"].dt.time()) == (time(9, 0), time(9, 0))
    assert event["DTEND"].dt.astimezone(UTC) - event["DTSTART"].dt.astimezone(UTC) == timedelta(hours=167)
    raw = data.decode()
    assert "DTSTART;TZID=Europe/Berlin:20260323T090000" in raw


def test_shift_starting_in_the_repeated_fall_back_hour_keeps_its_instant() -> None:
    data = ical.export_calendar(team_config(), START, END, rule="nights", person="alice")
    assert "DTSTART:20261101T063000Z\r\nDTEND:20261101T090000Z" in data.decode()


def test_summary_description_and_override_marks() -> None:
    data = ical.export_calendar(team_config(), START, END, rule="payments")
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "On call: Payments primary"
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    events = calendar.walk("VEVENT")
    override = next(e for e in events if e["DTSTART"].dt.astimezone(UTC) == utc(2026, 3, 10, 8))
    assert str(override["SUMMARY"]) == "On call: Payments primary — Carol Diaz (override)"
    assert override["CATEGORIES"].cats == ["override"]
    regular = next(e for e in events if e["DTSTART"].dt.astimezone(UTC) == utc(2026, 3, 2, 8))
    assert str(regular["SUMMARY"]) == "On call: Payments primary — Alice Chen"
    assert "CATEGORIES" not in regular
    assert "DTSTAMP" in regular
    description = str(regular["DESCRIPTION"])
    assert "Level 0, at once: the on-call person by SMS + email; repeats every 5 min" in description
    assert "Level 1, after 15 min: add Carol Diaz by voice call" in description


def test_description_names_teams_and_says_when_a_level_is_limited() -> None:
    config = team_config()
    payments = config.rule("payments")
    assert payments is not None
    ladder = (
        *LADDER,
        EscalationLevel(
            wait=30,
            severities=frozenset({Severity.P0, Severity.P1}),
            statuses=frozenset({Status.OPEN, Status.WORKING}),
            add=(Target("team:leads", (Channel.SMS,)), Target("gone", (Channel.EMAIL,))),
        ),
    )
    config = replace(
        config,
        teams=(Team("leads", "Team leads", ("alice", "bob")),),
        rules=(replace(payments, escalation=ladder), *config.rules[1:]),
    )
    data = ical.export_calendar(config, START, END, rule="payments")
    regular = next(e for e in icalendar.Calendar.from_ical(data).walk("VEVENT") if not e.get("CATEGORIES"))
    assert str(regular["DESCRIPTION"]).splitlines()[-3:] == [
        "Level 0, at once: the on-call person by SMS + email; repeats every 5 min",
        "Level 1, after 15 min: add Carol Diaz by voice call",
        "Level 2, after 30 min: add Team leads (team) by SMS, gone by email; only P0, P1; "
        "while open or working",
    ]


def test_uids_are_unique_and_stable_across_exports() -> None:
    config = team_config()
    first = icalendar.Calendar.from_ical(ical.export_calendar(config, START, END, now=utc(2026, 3, 1)))
    later = icalendar.Calendar.from_ical(
        ical.export_calendar(config, START + timedelta(days=20), END, now=utc(2026, 3, 21))
    )

    def uids(calendar: icalendar.Calendar) -> dict[tuple[str, str, datetime], str]:
        return {
            (str(e["X-ONCALL-RULE"]), str(e["X-ONCALL-PERSON"]), e["DTSTART"].dt.astimezone(UTC)): str(
                e["UID"]
            )
            for e in calendar.walk("VEVENT")
        }

    a, b = uids(first), uids(later)
    assert len(set(a.values())) == len(a)
    shared = a.keys() & b.keys()
    assert len(shared) > 100
    assert all(a[key] == b[key] for key in shared)


def test_export_of_an_unknown_person_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown person 'zoe'"):
        ical.export_calendar(team_config(), START, END, person="zoe")


def test_default_span_is_two_weeks_back_to_half_a_year_ahead() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert ical.default_span(now) == (now - timedelta(days=14), now + timedelta(days=180))


def test_a_shift_without_known_start_keeps_its_uid_when_the_span_moves() -> None:
    config = Configuration(
        people=PEOPLE,
        rules=(
            OnCallRule(
                "default",
                "Default",
                "UTC",
                layers=(Layer(personnel=("alice", "bob")),),
                escalation=LADDER[:1],
            ),
        ),
    )
    first = icalendar.Calendar.from_ical(ical.export_calendar(config, START, END))
    later = icalendar.Calendar.from_ical(ical.export_calendar(config, START + timedelta(days=3), END))
    assert sorted(str(e["UID"]) for e in first.walk("VEVENT")) == sorted(
        str(e["UID"]) for e in later.walk("VEVENT")
    )
    assert len(first.walk("VEVENT")) == 2
    assert "continues beyond the exported span" in str(first.walk("VEVENT")[0]["DESCRIPTION"])


def test_a_shift_from_a_named_layer_says_which_layer_and_its_zone() -> None:
    layers = (
        Layer("Weekdays", "Asia/Tokyo", ("alice",), windows=(Window((0, 1, 2, 3, 4), time(9), time(17)),)),
        Layer("Backstop", personnel=("bob",)),
    )
    rule = OnCallRule("db", "Database", "UTC", layers=layers, escalation=LADDER)
    config = Configuration(people=PEOPLE, rules=(rule,))
    data = ical.export_calendar(config, utc(2026, 3, 2), utc(2026, 3, 3), rule="db")
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    alice = next(e for e in events if str(e["X-ONCALL-PERSON"]) == "alice")
    assert alice["DTSTART"].dt.astimezone(UTC) == utc(2026, 3, 2, 0)  # 09:00 in Tokyo
    assert str(alice["X-ONCALL-LAYER"]) == "Weekdays"
    assert "Layer: Weekdays (Asia/Tokyo)." in str(alice["DESCRIPTION"])
    bob = next(e for e in events if str(e["X-ONCALL-PERSON"]) == "bob")
    assert str(bob["X-ONCALL-LAYER"]) == "Backstop"
