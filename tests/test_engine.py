"""The escalation engine on a fake clock: the outbox equals the planner, restarts catch up late and
never twice, acknowledgement and configuration changes take effect, one engine per database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall_desktop.domain import Channel, Layer, PlannedNotification, Status
from oncall_desktop.engine import incidents
from oncall_desktop.engine.clock import FakeClock, ScaledClock, clock_speed
from oncall_desktop.engine.engine import UNKNOWN_DELIVERY, EscalationEngine, TickReport, next_delay
from oncall_desktop.engine.incidents import NotificationRecord
from oncall_desktop.engine.intake import parse
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, Journal
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from tests.helpers_station import configured_store, integration

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = configured_store(f"sqlite:///{tmp_path / 'engine.db'}")
    yield store  # type: ignore[misc]
    store.close()


def open_incident(store: Store, at: datetime, tags: dict[str, str] | None = None, key: str = "k") -> int:
    hook = integration(store, "hook")
    body = {"title": "Checkout down", "severity": "P1", "alert_uid": key, "tags": tags or {}}
    outcome = incidents.ingest(store, hook.id, parse(hook, json.dumps(body).encode()), at)
    assert outcome.incident_id is not None
    return outcome.incident_id


def planned(store: Store, incident_id: int, until: datetime) -> list[tuple[datetime, str, Channel, int, int]]:
    incident = incidents.get(store, incident_id)
    notes = plan(
        Schedules(store.load_configuration()),
        IncidentFacts(incident.created_at, incident.severity, incident.tags),
        incident.status_changes(),
        until=until,
    )
    return [key(n) for n in notes]


def key(n: PlannedNotification | NotificationRecord) -> tuple[datetime, str, Channel, int, int]:
    at = n.at if isinstance(n, PlannedNotification) else n.scheduled_at
    return (at, n.person, n.channel, n.level, n.repeat)


def recorded(store: Store, incident_id: int) -> list[tuple[datetime, str, Channel, int, int]]:
    return [key(n) for n in incidents.notifications(store, incident_id)]


def run(engine: EscalationEngine, clock: FakeClock, until: datetime, step: timedelta = MINUTE) -> None:
    while clock.now() <= until:
        engine.tick(clock.now())
        clock.advance(step)


def test_outbox_equals_the_planner_and_everything_is_sent_on_time(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock = FakeClock(T)
    engine = EscalationEngine(store)
    run(engine, clock, T + 45 * MINUTE)
    expected = planned(store, incident_id, T + 45 * MINUTE + MINUTE)
    assert recorded(store, incident_id) == expected
    # the seed example: level 0 every 5 min, level 1 (carol by voice) at T+30, repeating every 10
    assert [(at - T) // MINUTE for at, *_ in expected if _[0] == "carol"] == [30, 40]
    notes = incidents.notifications(store, incident_id)
    assert {n.state for n in notes} == {"sent"}
    assert not any(n.late for n in notes)
    assert all(n.sent_at == n.scheduled_at for n in notes)
    assert {n.address for n in notes if n.person == "alice"} == {"+14155550101", "alice@example.com"}
    notified = [e for e in incidents.timeline(store, incident_id) if e.kind == "notified"]
    assert len(notified) == len(notes)
    assert "notified Carol Diaz by phone call (+14155550103), level 1" in [e.message for e in notified]


def test_restart_after_downtime_sends_the_missed_ones_late_and_none_twice(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock = FakeClock(T)
    first = EscalationEngine(store, holder="first")
    run(first, clock, T + 7 * MINUTE)  # T+0 and T+5 sent; then the station dies without releasing
    second = EscalationEngine(store, holder="second")
    clock.set(T + 7 * MINUTE + 10 * MINUTE)
    second.tick(clock.now())  # the dead station's lease (30 s) has lapsed long ago
    assert second.holds_lease
    run(second, clock, T + 40 * MINUTE)
    notes = incidents.notifications(store, incident_id)
    assert [key(n) for n in notes] == planned(store, incident_id, T + 40 * MINUTE + MINUTE)
    late = {(n.scheduled_at - T) // MINUTE for n in notes if n.late}
    assert late == {10, 15}
    assert all(n.sent_at == T + 17 * MINUTE for n in notes if n.late)


def test_an_engine_does_not_run_while_another_holds_the_lease(store: Store) -> None:
    open_incident(store, T)
    running = EscalationEngine(store, holder="a")
    waiting = EscalationEngine(store, holder="b")
    assert running.tick(T).holds_lease
    report = waiting.tick(T + timedelta(seconds=10))
    assert not report.holds_lease
    assert waiting.tick(T + timedelta(seconds=31)).holds_lease  # a stopped renewing at T
    assert not running.tick(T + timedelta(seconds=32)).holds_lease


def test_acknowledging_stops_the_repeats_of_open_only_levels(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock = FakeClock(T)
    engine = EscalationEngine(store)
    run(engine, clock, T + 12 * MINUTE)
    incidents.acknowledge(store, incident_id, T + 12 * MINUTE + timedelta(seconds=30), by="alice")
    run(engine, clock, T + 60 * MINUTE)
    assert {(at - T) // MINUTE for at, *_ in recorded(store, incident_id)} == {0, 5, 10}
    assert incidents.get(store, incident_id).status == Status.WORKING


def test_a_configuration_change_applies_from_now_on_and_never_pages_for_the_past(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock = FakeClock(T)
    engine = EscalationEngine(store)
    run(engine, clock, T + 7 * MINUTE)
    config = store.load_configuration()
    default = config.rule("default")
    assert default is not None
    store.save_rule(replace(default, layers=(Layer(personnel=("bob",)),)))
    run(engine, clock, T + 12 * MINUTE)
    got = [((at - T) // MINUTE, person) for at, person, *_ in recorded(store, incident_id)]
    assert sorted(set(got)) == [(0, "alice"), (5, "alice"), (10, "bob")]


def test_tags_route_the_incident_to_the_matching_rule(store: Store) -> None:
    incident_id = open_incident(store, T, tags={"service": "payments"})
    EscalationEngine(store).tick(T)
    assert [(n.person, n.channel, n.rule) for n in incidents.notifications(store, incident_id)] == [
        ("bob", Channel.SMS, "payments")
    ]


def test_a_resolved_incident_is_no_longer_escalated(store: Store) -> None:
    incident_id = open_incident(store, T)
    engine = EscalationEngine(store)
    engine.tick(T)
    incidents.resolve(store, incident_id, T + 2 * MINUTE)
    report = engine.tick(T + 60 * MINUTE)
    assert report.sent == ()
    assert len(recorded(store, incident_id)) == 2
    assert report.next_due is None


class FlakyPhone:
    """An external notifier: the first attempt fails temporarily, later ones succeed."""

    channels = frozenset({Channel.SMS})
    in_transaction = False

    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    def send(self, delivery: Delivery, journal: Journal) -> DeliveryResult:
        self.sent.append(delivery)
        if len(self.sent) == 1:
            return DeliveryResult.retry("429 Too Many Requests", timedelta(seconds=20))
        journal("notified", f"texted {delivery.person_name}")
        return DeliveryResult.sent(provider_id=f"SM{len(self.sent)}")


def test_external_notifier_retries_temporary_failures_after_the_given_delay(store: Store) -> None:
    incident_id = open_incident(store, T)
    phone = FlakyPhone()
    engine = EscalationEngine(store, [phone])
    first = engine.tick(T)
    assert [n.channel for n in first.sent] == [Channel.EMAIL]  # email went through the timeline
    assert first.next_due == T + timedelta(seconds=20)
    assert engine.tick(T + timedelta(seconds=10)).sent == ()
    again = engine.tick(T + timedelta(seconds=20))
    assert [(n.channel, n.provider_id) for n in again.sent] == [(Channel.SMS, "SM2")]
    assert [d.person for d in phone.sent] == ["alice", "alice"]
    assert "texted Alice Chen" in [e.message for e in incidents.timeline(store, incident_id)]


def test_a_send_interrupted_by_a_crash_is_marked_failed_and_never_repeated(store: Store) -> None:
    incident_id = open_incident(store, T)

    class Crashing:
        channels = frozenset({Channel.SMS})
        in_transaction = False

        def send(self, delivery: Delivery, journal: Journal) -> DeliveryResult:
            raise SystemExit("killed mid-send")

    with pytest.raises(SystemExit):
        EscalationEngine(store, [Crashing()], holder="dead").tick(T)
    phone = FlakyPhone()
    EscalationEngine(store, [phone], holder="new").tick(T + MINUTE)
    sms = [n for n in incidents.notifications(store, incident_id) if n.channel == Channel.SMS]
    assert [(n.state, n.error) for n in sms] == [("failed", UNKNOWN_DELIVERY)]
    assert phone.sent == []


@pytest.mark.postgres
def test_two_stations_on_postgresql_one_engine_at_a_time_and_takeover(postgres_database_url: str) -> None:
    store = configured_store(postgres_database_url)
    try:
        incident_id = open_incident(store, T)
        clock = FakeClock(T)
        first, second = EscalationEngine(store, holder="desk-1"), EscalationEngine(store, holder="desk-2")
        while clock.now() <= T + 7 * MINUTE:
            assert first.tick(clock.now()).holds_lease
            assert not second.tick(clock.now()).holds_lease
            clock.advance(MINUTE)
        # desk-1 goes silent; desk-2 takes over once its lease lapses, sending what fell due meanwhile
        clock.advance(4 * MINUTE)
        run(second, clock, T + 20 * MINUTE)
        assert second.holds_lease
        assert recorded(store, incident_id) == planned(store, incident_id, T + 20 * MINUTE + MINUTE)
        assert {
            (n.scheduled_at - T) // MINUTE for n in incidents.notifications(store, incident_id) if n.late
        } == {10}
        hook = integration(store, "hook")
        body = json.dumps({"title": "Checkout down", "alert_uid": "k", "state": "ok"}).encode()
        assert incidents.ingest(store, hook.id, parse(hook, body), clock.now()).resolved
        assert second.tick(clock.now()).next_due is None
    finally:
        store.close()


def test_the_next_tick_follows_the_next_due_instant_within_the_idle_bound() -> None:
    report = TickReport(T, holds_lease=True, next_due=T + timedelta(milliseconds=300))
    assert next_delay(report, T) == timedelta(milliseconds=300)
    assert next_delay(TickReport(T, True, next_due=T + timedelta(hours=1)), T) == timedelta(seconds=1)
    assert next_delay(TickReport(T, True, next_due=T - timedelta(seconds=5)), T) == timedelta(0)
    assert next_delay(TickReport(T, True, more=True, next_due=T + timedelta(hours=1)), T) == timedelta(0)
    assert next_delay(TickReport(T, True), T) == timedelta(seconds=1)


def test_a_failed_tick_is_retried_after_the_idle_bound_not_in_a_busy_loop() -> None:
    assert next_delay(None, T) == timedelta(seconds=1)


def test_on_a_fast_clock_the_next_tick_comes_in_real_time() -> None:
    fast = ScaledClock(T, speed=60.0, anchor=0.0)
    due_in_half_a_virtual_minute = TickReport(T, True, next_due=T + timedelta(seconds=30))
    assert next_delay(due_in_half_a_virtual_minute, T, clock_speed(fast)) == timedelta(milliseconds=500)
    assert clock_speed(FakeClock(T)) == 1.0
