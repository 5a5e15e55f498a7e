"""Maintenance windows (SPEC §13) on a fake clock: an incident opened inside a matching window is
stored, shown in maintenance and pages nobody; still open at the window's end, it escalates from
then with T = the end; acknowledged meanwhile, nobody is paged; a station restarted mid-window holds
it just the same. The config file reads, checks and dumps the windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall_desktop import configfile
from oncall_desktop.cli import main
from oncall_desktop.domain import MaintenanceWindow, MatchConditions
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.maintenance import hold_for
from oncall_desktop.store import Store
from tests.helpers_station import STATION_YAML, configured_store
from tests.test_engine import LeaseClock, Phone, engine_on, open_incident, run, tick

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DEPLOY = MaintenanceWindow(
    "db upgrade",
    datetime(2026, 3, 2, 9, 50, tzinfo=UTC),
    datetime(2026, 3, 2, 10, 20, tzinfo=UTC),
    MatchConditions("all", ("service:db*",)),
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = configured_store(f"sqlite:///{tmp_path / 'maint.db'}")
    config = store.load_configuration()
    store.replace_configuration(replace(config, maintenance=(DEPLOY,)))
    yield store  # type: ignore[misc]
    store.close()


def minutes(store: Store, incident_id: int) -> list[tuple[int, str]]:
    return [((n.scheduled_at - T) // MINUTE, n.person) for n in store.incidents.notifications(incident_id)]


def test_held_incident_pages_nobody_until_the_window_ends_then_escalates_from_there(store: Store) -> None:
    held = open_incident(store, T, {"service": "db-primary"}, key="held")
    other = open_incident(store, T, {"service": "web"}, key="other")
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone()
    engine = engine_on(store, clock, lease, phone)
    run(engine, clock, T + 19 * MINUTE, lease)
    incident = store.incidents.get(held)
    assert incident.maintenance == "db upgrade"
    assert incident.held_at(T + 19 * MINUTE)
    assert incident.paged is None
    assert minutes(store, held) == []
    assert minutes(store, other)[0] == (0, "alice")  # not matched: paged at once
    said = [e.message for e in store.incidents.timeline(held) if e.kind == "maintenance"]
    assert said == [
        "in maintenance (db upgrade) until 2026-03-02T10:20:00Z: nobody is paged; "
        "escalation starts then if the incident is still open"
    ]
    run(engine, clock, T + 55 * MINUTE, lease)
    # the default rule's ladder with T = 10:20: level 0 every 5 min, carol at T+30
    got = minutes(store, held)
    assert [m for m, p in got if p == "alice" and m < 40] == [20, 20, 25, 25, 30, 30, 35, 35]
    assert [m for m, p in got if p == "carol"] == [50]
    incident = store.incidents.get(held)
    assert incident.paged is True
    assert not incident.held_at(clock.now())
    ended = [e for e in store.incidents.timeline(held) if e.kind == "maintenance"][-1]
    assert ended.at == T + 20 * MINUTE
    assert ended.message == (
        "maintenance (db upgrade) ended with the incident still open: escalation starts now"
    )


def test_acknowledged_inside_the_window_nobody_is_paged_at_its_end(store: Store) -> None:
    held = open_incident(store, T, {"service": "db"}, key="held")
    clock, lease = FakeClock(T), LeaseClock()
    engine = engine_on(store, clock, lease, Phone())
    run(engine, clock, T + 5 * MINUTE, lease)
    store.incidents.acknowledge(held, clock.now(), by="alice")
    run(engine, clock, T + 60 * MINUTE, lease)
    assert minutes(store, held) == []
    ended = [e.message for e in store.incidents.timeline(held) if e.kind == "maintenance"][-1]
    assert ended == (
        "maintenance (db upgrade) ended; the incident was acknowledged meanwhile, so nobody is paged"
    )


def test_a_station_restarted_mid_window_holds_the_incident_and_a_later_edit_does_not_free_it(
    store: Store,
) -> None:
    held = open_incident(store, T, {"service": "db"}, key="held")
    clock, lease = FakeClock(T), LeaseClock()
    run(engine_on(store, clock, lease, Phone(), holder="first"), clock, T + 3 * MINUTE)  # dies
    # the window is deleted meanwhile: what held the incident was stored with it
    store.replace_configuration(replace(store.load_configuration(), maintenance=()))
    clock.set(T + 10 * MINUTE)
    lease.advance(timedelta(seconds=20))
    second = engine_on(store, clock, lease, Phone(), holder="second")
    assert tick(second, clock).holds_lease
    run(second, clock, T + 25 * MINUTE, lease)
    assert [m for m, _ in minutes(store, held)] == [20, 20, 25, 25]


def test_an_engine_down_for_the_whole_window_starts_escalation_late_at_its_end(store: Store) -> None:
    held = open_incident(store, T, {"service": "db"}, key="held")
    clock, lease = FakeClock(T + 30 * MINUTE), LeaseClock()
    engine = engine_on(store, clock, lease, Phone())
    tick(engine, clock)
    kinds = [e.message.split(" (")[0] for e in store.incidents.timeline(held) if e.kind == "maintenance"]
    assert kinds == ["in maintenance", "maintenance"]
    notes = store.incidents.notifications(held)
    assert {(n.scheduled_at - T) // MINUTE for n in notes} == {20, 25, 30}
    assert all(n.late for n in notes if n.scheduled_at < clock.now() - MINUTE)


def test_hold_for_matches_conditions_and_the_last_ending_of_overlapping_windows() -> None:
    longer = MaintenanceWindow("all night", DEPLOY.start, DEPLOY.end + 60 * MINUTE)
    assert hold_for((DEPLOY,), T, ["service:web"]) is None
    assert hold_for((DEPLOY,), DEPLOY.end, ["service:db"]) is None  # half-open
    hold = hold_for((DEPLOY, longer), T, ["service:db"])
    assert hold is not None
    assert (hold.window, hold.until) == ("all night", DEPLOY.end + 60 * MINUTE)


def test_config_reads_checks_and_dumps_windows() -> None:
    text = (
        STATION_YAML
        + """maintenance:
  - name: db upgrade
    start: "2026-03-02T09:50+00:00"
    end: "2026-03-02T10:20+00:00"
    match: {mode: any, conditions: ["service:db*", "team:dba"]}
  - {name: quiet, start: "2026-03-03T22:00", end: "2026-03-04T06:00"}
"""
    )
    config, problems = configfile.load_text(text)
    assert config is not None, problems
    assert [w.name for w in config.maintenance] == ["db upgrade", "quiet"]
    again, _ = configfile.load_text(configfile.dump(config))
    assert again is not None
    assert again.maintenance == config.maintenance
    bad = (
        STATION_YAML
        + """maintenance:
  - {name: a, start: "2026-03-02T10:00", end: "2026-03-02T09:00"}
  - {name: a, start: "2026-03-02T10:00", end: "2026-03-02T11:00", match: {conditions: [nocolon]}}
  - {name: b, start: "2026-03-02T10:00"}
  - {name: c, start: "2026-03-02T10:00", end: 5, token: x}
"""
    )
    _, problems = configfile.load_text(bad)
    assert [str(p) for p in problems if p.path.startswith("maintenance")] == [
        "error: maintenance[2].end: is required",
        "error: maintenance[3].token: secrets belong in the keyring, never in this file: "
        "store it with `oncall-desktop secrets set NAME`",
        "error: maintenance[3].end: must be a quoted string: YAML read 5 as a int",
        "error: maintenance[0].end: must be after the start",
        "error: maintenance[1].name: duplicate window name 'a' (also maintenance[0])",
        "error: maintenance[1].match.conditions[0]: 'nocolon' is not key:value",
    ]


def test_store_keeps_windows_with_their_offsets(store: Store) -> None:
    local = MaintenanceWindow("local", datetime(2026, 5, 1, 22, 0), datetime(2026, 5, 2, 6, 0))
    store.save_maintenance([DEPLOY, local])
    assert store.load_configuration().maintenance == (DEPLOY, local)


def test_the_incident_list_says_in_maintenance_until_the_window_ends(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    held = open_incident(store, T, {"service": "db"}, key="held")
    clock, lease = FakeClock(T), LeaseClock()
    tick(engine_on(store, clock, lease, Phone()), clock)
    capsys.readouterr()
    assert main(["--db", f"sqlite:///{tmp_path / 'maint.db'}", "incidents"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"#{held}  P1  open")
    assert line.endswith("Checkout down  IN MAINTENANCE (db upgrade) until 2026-03-02T10:20:00Z")
