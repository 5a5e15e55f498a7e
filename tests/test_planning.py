"""Planning around people (SPEC §12): time off, holidays, conflicts, covers and the fairness report,
checked against hand-computed cases, across clock changes, and through the command line."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_desktop.cli import main
from oncall_desktop.configfile import dump, load_text
from oncall_desktop.domain import (
    Configuration,
    EscalationLevel,
    Layer,
    OnCallRule,
    Person,
    Rotation,
    Severity,
    TimeOff,
    Window,
)
from oncall_desktop.fairness import IncidentTimes, fairness_report, people_csv
from oncall_desktop.incident import IncomingAlert, IntakeResult
from oncall_desktop.planning import conflicts, cover_override, covers, holiday_code_problem
from oncall_desktop.schedule import Schedules, utc
from oncall_desktop.store import Store

from .strategies import EMAIL

LADDER = (EscalationLevel(channels={"*": (EMAIL,)}),)


def berlin_night_rule(people: tuple[str, ...] = ("alice",)) -> OnCallRule:
    """On duty Saturday 22:00 to Sunday 06:00 in Berlin: 8 hours, 9 on the 25-hour day, 7 on the 23-hour."""
    return OnCallRule(
        id="nights",
        name="Nights",
        timezone="Europe/Berlin",
        windows=(Window(days=(5,), start=time(22), end=time(6)),),
        layers=(Layer(personnel=people),),
        escalation=LADDER,
    )


def person(pid: str, tz: str = "Europe/Berlin", holidays: str | None = None) -> Person:
    return Person(id=pid, name=pid.title(), email=f"{pid}@example.com", timezone=tz, holidays=holidays)


def weekly(people: tuple[str, ...], tz: str = "Europe/Berlin", rule_id: str = "payments") -> OnCallRule:
    return OnCallRule(
        id=rule_id,
        name=rule_id.title(),
        timezone=tz,
        layers=(Layer(personnel=people, rotation=Rotation("weekly", 1, time(9), utc(2026, 1, 5).date())),),
        escalation=LADDER,
    )


# -- the report's hours across clock changes -----------------------------------------------------------


def test_a_night_shift_on_the_25_hour_day_counts_9_night_hours() -> None:
    config = Configuration(people=(person("alice"),), rules=(berlin_night_rule(),))
    # The clocks go back at 03:00 on Sunday 25 October 2026 in Berlin.
    report = fairness_report(config, utc(2026, 10, 19), utc(2026, 10, 26))
    alice = report.people[0]
    assert (alice.hours, alice.night_hours, alice.weekend_hours, alice.shifts) == (9.0, 9.0, 9.0, 1)
    # The chart puts each hour in one segment: a Saturday night is a weekend hour.
    assert alice.segments == (0.0, 0.0, 9.0, 0.0)


def test_a_night_shift_on_the_23_hour_day_counts_7() -> None:
    config = Configuration(people=(person("alice"),), rules=(berlin_night_rule(),))
    report = fairness_report(config, utc(2026, 3, 23), utc(2026, 3, 30))
    assert (report.people[0].hours, report.people[0].night_hours) == (7.0, 7.0)


def test_night_weekend_and_holiday_hours_are_read_in_the_persons_own_zone() -> None:
    # On call all of Thursday 26 November 2026 (UTC); Bob lives in New York, where it is Thanksgiving
    # from 05:00 UTC, and night there is 03:00–12:00 UTC.
    rule = OnCallRule(
        id="r", name="R", timezone="UTC", layers=(Layer(personnel=("bob",)),), escalation=LADDER
    )
    config = Configuration(people=(person("bob", "America/New_York", "US"),), rules=(rule,))
    bob = fairness_report(config, utc(2026, 11, 26), utc(2026, 11, 27)).people[0]
    assert bob.hours == 24.0
    assert bob.holiday_hours == 19.0  # 05:00–24:00 UTC of the 24 hours
    # Night: 00:00–12:00 UTC is 19:00–07:00 in New York, of which 22:00–07:00 (03:00–12:00 UTC)
    # is night, and 22:00 on the 26th (03:00 UTC on the 27th) is past the span.
    assert bob.night_hours == 9.0
    assert bob.weekend_hours == 0.0
    # Segments: holiday 19, of the other 5 (00:00–05:00 UTC) the night part is 03:00–05:00.
    assert bob.segments == (3.0, 2.0, 0.0, 19.0)


@settings(max_examples=30, deadline=None)
@given(
    start_day=st.integers(0, 364),
    days=st.integers(1, 40),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]),
)
def test_segments_add_up_to_the_hours_and_hours_to_the_schedule(start_day: int, days: int, zone: str) -> None:
    config = Configuration(
        people=(person("alice", zone, "DE"), person("bob", zone, "US"), person("carol", zone)),
        rules=(weekly(("alice", "bob", "carol"), zone),),
    )
    start = utc(2026, 1, 1) + timedelta(days=start_day)
    end = start + timedelta(days=days)
    report = fairness_report(config, start, end)
    intervals = Schedules(config).final_schedule(start, end).intervals
    for figures in report.people:
        scheduled = sum(
            (i.end - i.start for i in intervals if i.person == figures.person), timedelta()
        ) / timedelta(hours=1)
        assert figures.hours == pytest.approx(scheduled, abs=0.02)
        assert sum(figures.segments) == pytest.approx(figures.hours, abs=0.05)
        assert 0 <= figures.night_hours <= figures.hours
        assert 0 <= figures.holiday_hours <= figures.hours
    assert sum(p.hours for p in report.people) == pytest.approx(days * 24, abs=0.05)


def test_incident_figures_per_person_and_per_rule() -> None:
    config = Configuration(people=(person("alice"), person("bob")), rules=(weekly(("alice", "bob")),))
    t0 = utc(2026, 2, 2, 12)
    incidents = [
        IncidentTimes(1, (), t0, t0 + timedelta(minutes=2), "alice", t0 + timedelta(minutes=30)),
        IncidentTimes(2, (), t0 + timedelta(hours=1), t0 + timedelta(hours=1, minutes=6), "alice", None),
        IncidentTimes(3, (), t0 + timedelta(hours=2), t0 + timedelta(hours=2, minutes=10), "bob", None),
        IncidentTimes(4, (), t0 + timedelta(hours=3), None, None, None),
        IncidentTimes(5, (), utc(2026, 5, 1), None, None, None),  # outside the span
    ]
    report = fairness_report(config, utc(2026, 2, 1), utc(2026, 3, 1), incidents, {"alice": 7})
    alice, bob = report.people
    assert (alice.pages, alice.acks, alice.median_ack_seconds) == (7, 2, 240.0)
    assert (bob.pages, bob.acks, bob.median_ack_seconds) == (0, 1, 600.0)
    payments = next(r for r in report.rules if r.rule == "payments")
    assert payments.incidents == 4
    assert payments.mtta_seconds == pytest.approx((120 + 360 + 600) / 3, abs=0.01)
    assert payments.mttr_seconds == 1800.0
    week = next(t for t in report.trend if t.rule == "payments" and t.start <= t0 < t.end)
    assert week.incidents == 4
    assert people_csv(report).splitlines()[1] == "alice,336.0,126.0,96.0,0.0,2,7,2,240.0"


# -- conflicts and covers ---------------------------------------------------------------------------------


def test_time_off_on_the_25_hour_day_is_a_25_hour_conflict() -> None:
    config = Configuration(
        people=(person("alice"), person("bob")),
        rules=(
            OnCallRule(
                id="r", name="R", timezone="UTC", layers=(Layer(personnel=("alice",)),), escalation=LADDER
            ),
        ),
        time_off=(TimeOff("alice", utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), "away"),),
    )
    (found,) = conflicts(config, utc(2026, 10, 1), utc(2026, 11, 1))
    assert (found.rule, found.person, found.reason, found.note) == ("r", "alice", "time off", "away")
    assert found.end - found.start == timedelta(hours=25)


def test_covers_are_the_free_colleagues_with_fewest_hours_first() -> None:
    # Weekly from Monday 5 January 09:00 Berlin: alice, bob, carol, dan in turn.
    config = Configuration(
        people=(person("alice"), person("bob"), person("carol"), person("dan", "Europe/London", "GB")),
        rules=(weekly(("alice", "bob", "carol", "dan")),),
        time_off=(TimeOff("alice", utc(2026, 1, 7), utc(2026, 1, 8), "dentist"),),
    )
    start, end = utc(2026, 1, 5, 8), utc(2026, 1, 26, 8)
    found = [c for c in conflicts(config, start, end) if c.reason == "time off"]
    assert [(c.person, c.start, c.end) for c in found] == [("alice", utc(2026, 1, 7), utc(2026, 1, 8))]
    offers = covers(config, found[0], start, end)
    # In these three weeks dan is never on call, carol and bob once each: dan first, then bob (listed first).
    assert [(c.person, c.hours) for c in offers] == [("dan", 0.0), ("bob", 168.0), ("carol", 168.0)]
    # Bob away too: he is no cover.
    away = Configuration(
        people=config.people,
        rules=config.rules,
        time_off=(*config.time_off, TimeOff("bob", utc(2026, 1, 7, 12), utc(2026, 1, 9), "")),
    )
    assert [c.person for c in covers(away, found[0], start, end)] == ["dan", "carol"]
    # The cover's override takes exactly the conflict's span: the conflict is gone.
    moved = Configuration(
        people=config.people,
        rules=config.rules,
        time_off=config.time_off,
        overrides=(cover_override(found[0], offers[0]),),
    )
    assert [c for c in conflicts(moved, start, end) if c.reason == "time off"] == []


def test_public_holidays_are_conflicts_by_country_and_subdivision() -> None:
    rule = OnCallRule(
        id="r", name="R", timezone="UTC", layers=(Layer(personnel=("alice",)),), escalation=LADDER
    )
    bavaria = Configuration(people=(person("alice", holidays="DE-BY"),), rules=(rule,))
    berlin = Configuration(people=(person("alice", holidays="DE-BE"),), rules=(rule,))
    # Epiphany (6 January) is a holiday in Bavaria, not in Berlin.
    span = (utc(2026, 1, 5), utc(2026, 1, 8))
    (found,) = conflicts(bavaria, *span)
    assert (found.reason, found.note, found.start, found.end) == (
        "holiday",
        "Epiphany",
        utc(2026, 1, 5, 23),
        utc(2026, 1, 6, 23),
    )
    assert conflicts(berlin, *span) == []
    assert holiday_code_problem("DE-BY") is None
    assert "subdivision 'ZZ'" in (holiday_code_problem("DE-ZZ") or "")
    assert "not a country" in (holiday_code_problem("QQ") or "")


# -- the config file ---------------------------------------------------------------------------------------

CONFIG = textwrap.dedent(
    """\
    version: 1
    people:
      - {id: alice, name: Alice, email: alice@example.com, timezone: Europe/Berlin, holidays: DE-BY}
      - {id: bob, name: Bob, email: bob@example.com, timezone: America/New_York, holidays: US}
    rules:
      - id: payments
        name: Payments
        timezone: Europe/Berlin
        personnel: [alice, bob]
        rotation: {period: weekly, handoff: "09:00", anchor: "2026-01-05"}
        escalation: [{level: 0, channels: [email], repeat: 5}]
    time_off:
      - {person: alice, start: "2026-01-07", end: "2026-01-09", note: dentist}
      - {person: bob, start: "2026-03-07T09:00", end: "2026-03-08T09:00"}
    """
)


def test_time_off_is_read_in_the_persons_zone_and_round_trips() -> None:
    config, problems = load_text(CONFIG)
    assert config is not None, problems
    alice, bob = config.time_off
    assert (alice.start, alice.end, alice.note) == (utc(2026, 1, 6, 23), utc(2026, 1, 8, 23), "dentist")
    assert bob.start == utc(2026, 3, 7, 14)  # 09:00 in New York, still EST
    assert config.people[0].holidays == "DE-BY"
    again, _ = load_text(dump(config))
    assert again is not None
    assert again.time_off == config.time_off
    assert dump(again) == dump(config)


def test_validate_warns_of_time_off_on_call_and_names_bad_entries() -> None:
    _, problems = load_text(CONFIG)
    lines = [str(p) for p in problems]
    assert any(
        line.startswith("warning: time_off[0]: alice is on call for payments during this time off")
        for line in lines
    ), lines
    assert not any("time_off[1]" in line for line in lines)  # bob is not on call that week
    bad = CONFIG.replace("holidays: US", "holidays: QQ").replace(
        '{person: bob, start: "2026-03-07T09:00", end: "2026-03-08T09:00"}',
        '{person: zed, start: "2026-03-08", end: "2026-03-07", colour: red}',
    )
    config, problems = load_text(bad)
    assert config is None
    lines = [str(p) for p in problems]
    assert (
        "error: people[1].holidays: 'QQ' is not a country the holidays calendar knows: "
        "write an ISO code such as DE or US-CA"
    ) in lines
    assert any(line.startswith("error: time_off[1].colour: unknown key") for line in lines), lines
    unparsable = CONFIG.replace('end: "2026-03-08T09:00"', 'end: "tomorrow"')
    _, problems = load_text(unparsable)
    assert any(str(p).startswith("error: time_off[1].end: 'tomorrow' is not a date-time") for p in problems)
    backwards = CONFIG.replace('end: "2026-03-08T09:00"', 'end: "2026-03-06T09:00"')
    _, problems = load_text(backwards)
    assert "error: time_off[1].end: must be after start" in [str(p) for p in problems]


# -- the command line and the store -------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "planning.yaml"
    path.write_text(CONFIG)
    status, _, err = run(capsys, "config", "apply", str(path))
    assert status == 0, err
    return path


@pytest.mark.usefixtures("applied")
def test_conflicts_json_lists_time_off_and_holidays(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "conflicts", "--start", "2026-01-01T00:00Z", "--end", "2026-01-12T00:00Z", "--json"
    )
    assert status == 0
    found = json.loads(out)["conflicts"]
    assert {
        "rule": "payments",
        "person": "alice",
        "start": "2026-01-06T23:00:00Z",
        "end": "2026-01-08T23:00:00Z",
        "reason": "time off",
    } in found
    # Alice's Epiphany (Bavaria) while she is on call, and both New Year's Days.
    assert {(c["person"], c["reason"], c["start"]) for c in found} >= {
        ("alice", "holiday", "2026-01-05T23:00:00Z"),
        ("bob", "holiday", "2026-01-01T05:00:00Z"),
    }
    status, out, _ = run(capsys, "conflicts", "--start", "2026-01-01T00:00Z", "--end", "2026-01-12T00:00Z")
    assert "Alice: time off (dentist); covers: nobody is free" not in out  # Bob is free then
    assert "Alice: time off (dentist); covers: Bob" in out


@pytest.mark.usefixtures("applied")
def test_cli_refuses_bad_spans_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "report", "--start", "2026-02-01T00:00Z", "--end", "2026-01-01T00:00Z")
    assert status == 2
    assert err.strip().endswith("--end: must be after --start")
    status, _, err = run(
        capsys, "conflicts", "--start", "2026-01-01T00:00Z", "--end", "2026-02-01T00:00Z", "--rule", "nope"
    )
    assert status == 2
    assert "--rule: no rule 'nope'" in err
    assert len(err.strip().splitlines()) == 1


def test_report_numbers_are_what_schedule_and_incidents_imply(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    try:
        t0 = utc(2026, 1, 13, 10)  # bob's week on payments
        for k, (ack, resolve) in enumerate([(3, 20), (9, None), (None, None)]):
            created = t0 + timedelta(hours=k)
            result = IntakeResult(
                f"g{k}",
                f"incident {k}",
                "",
                Severity.P1,
                ("service:pay",),
                (IncomingAlert(f"f{k}", "firing", {"service": "pay"}),),
            )
            outcome = store.incidents.ingest("", result, created)
            assert outcome.incident_id is not None
            if ack is not None:
                store.incidents.acknowledge(outcome.incident_id, created + timedelta(minutes=ack), by="bob")
            if resolve is not None:
                store.incidents.resolve(outcome.incident_id, created + timedelta(minutes=resolve))
    finally:
        store.close()
    span = ("--start", "2026-01-05T00:00Z", "--end", "2026-02-02T00:00Z")
    _, out, _ = run(capsys, "report", *span, "--json")
    report = json.loads(out)
    _, out, _ = run(capsys, "schedule", *span, "--json")
    intervals = json.loads(out)["intervals"]
    _, out, _ = run(capsys, "incidents", "--json")
    incidents = json.loads(out)["incidents"]

    def hours(pid: str) -> float:
        def at(text: str) -> datetime:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))

        return (
            sum((at(i["end"]) - at(i["start"])).total_seconds() for i in intervals if i["person"] == pid)
            / 3600
        )

    for figures in report["people"]:
        assert figures["hours"] == pytest.approx(hours(figures["person"]))
        assert figures["shifts"] == len([i for i in intervals if i["person"] == figures["person"]])
        assert figures["acks"] == len([i for i in incidents if i["acknowledged_by"] == figures["person"]])
    bob = next(p for p in report["people"] if p["person"] == "bob")
    assert bob["median_ack_seconds"] == 360.0
    payments = next(r for r in report["rules"] if r["rule"] == "payments")
    assert (payments["incidents"], payments["mtta_seconds"], payments["mttr_seconds"]) == (3, 360.0, 1200.0)
    _, out, _ = run(capsys, "report", *span, "--csv", "--rule", "payments")
    people_table, rules_table = out.split("\n\n")
    assert people_table.splitlines()[0].startswith("person,hours,night_hours")
    assert rules_table.splitlines() == ["rule,incidents,mtta_seconds,mttr_seconds", "payments,3,360.0,1200.0"]


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    config, _ = load_text(CONFIG)
    assert config is not None
    opened.replace_configuration(config)
    yield opened
    opened.close()


def test_store_keeps_time_off_and_holidays_through_edits_and_applies(store: Store) -> None:
    loaded = store.load_configuration()
    assert [t.note for t in loaded.time_off] == ["dentist", ""]
    assert [p.holidays for p in loaded.people] == ["DE-BY", "US"]
    revision = store.revision()
    added = store.planning.add_time_off(TimeOff("bob", utc(2026, 4, 1), utc(2026, 4, 3), "trip"))
    assert added.id is not None
    assert store.revision() == revision + 1  # other stations and the app notice
    store.planning.update_time_off(
        TimeOff("bob", utc(2026, 4, 1), utc(2026, 4, 4), "longer trip", id=added.id)
    )
    assert store.planning.time_off("bob")[-1].note == "longer trip"
    # Applying the same configuration again keeps the ids (the app's undo refers to them).
    ids = [t.id for t in store.load_configuration().time_off]
    store.replace_configuration(store.load_configuration())
    assert [t.id for t in store.load_configuration().time_off] == ids
    store.planning.delete_time_off(added.id)
    assert len(store.load_configuration().time_off) == 2
    # A person deleted takes their time off along.
    config = store.load_configuration()
    store.replace_configuration(
        Configuration(
            people=tuple(p for p in config.people if p.id != "bob"),
            rules=tuple(r if r.id != "payments" else weekly(("alice",)) for r in config.rules),
            time_off=tuple(t for t in config.time_off if t.person != "bob"),
        )
    )
    assert [t.person for t in store.load_configuration().time_off] == ["alice"]
