"""The escalation engine on fake clocks: the outbox equals the planner, restarts catch up late and
never twice, one engine per store under a growing fencing epoch, a send claimed by a station that
died is reconciled with the provider before it is sent again, one incident's fault never stops the
others, unpaged incidents say so, one slow provider delays only its own channel."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall_desktop.domain import Channel, Layer, PlannedNotification, Settings, Severity, Status
from oncall_desktop.engine import planning
from oncall_desktop.engine.clock import FakeClock, ScaledClock, clock_speed
from oncall_desktop.engine.engine import EscalationEngine, TickReport, next_delay
from oncall_desktop.engine.intake import parse
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, Found, ReconcileResult
from oncall_desktop.engine.status import station_status
from oncall_desktop.incident import NotificationRecord, StaleClaim
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.sms_limit import SmsMessage, SmsRateLimit, apply_limit
from oncall_desktop.store import Store
from tests.helpers_station import configured_store, integration

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


class LeaseClock:
    """Real time for leases and claims, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Phone:
    """A provider on one channel that keeps what it received, as Twilio does, so a restarted engine
    can ask it (`reconcile`). `fail` holds results to answer instead of sending; `hang` blocks sends."""

    in_transaction = False
    hang_for = 10.0

    def __init__(self, channel: Channel = Channel.SMS, lease: LeaseClock | None = None) -> None:
        self.channels = frozenset({channel})
        self.lease = lease
        self.received: list[tuple[str, Delivery, datetime]] = []
        self.fail: list[DeliveryResult] = []
        self.hang: threading.Event | None = None
        self.entered = threading.Event()
        self.crash_after_receiving = False

    def ready(self, settings: Settings) -> bool:
        return True

    def send(self, delivery: Delivery) -> DeliveryResult:
        self.entered.set()
        if self.hang is not None:
            self.hang.wait(self.hang_for)
        if self.fail:
            return self.fail.pop(0)
        sid = f"SM{len(self.received) + 1}"
        self.received.append((sid, delivery, self.lease() if self.lease else datetime.now(UTC)))
        if self.crash_after_receiving:
            raise SystemExit("the station was killed after the provider took the message")
        return DeliveryResult.sent(sid)

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        return [Found(sid, at) for sid, d, at in self.received if d.address == stale.address]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = configured_store(f"sqlite:///{tmp_path / 'engine.db'}")
    yield store  # type: ignore[misc]
    store.close()


def open_incident(
    store: Store, at: datetime, tags: dict[str, str] | None = None, key: str = "k", severity: str = "P1"
) -> int:
    hook = integration(store, "hook")
    body = {"title": "Checkout down", "severity": severity, "alert_uid": key, "tags": tags or {}}
    outcome = store.incidents.ingest(hook.id, parse(hook, json.dumps(body).encode()), at)
    assert outcome.incident_id is not None
    return outcome.incident_id


def planned(store: Store, incident_id: int, until: datetime) -> list[tuple[datetime, str, Channel, int, int]]:
    incident = store.incidents.get(incident_id)
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
    return [key(n) for n in store.incidents.notifications(incident_id)]


def engine_on(
    store: Store, clock: FakeClock, lease: LeaseClock, *notifiers: Phone, holder: str = "a"
) -> EscalationEngine:
    return EscalationEngine(store, notifiers, holder=holder, clock=clock, real_clock=lease)


def tick(engine: EscalationEngine, clock: FakeClock) -> TickReport:
    report = engine.tick(clock.now())
    assert engine.settle(10)
    return report


def run(engine: EscalationEngine, clock: FakeClock, until: datetime, lease: LeaseClock | None = None) -> None:
    while clock.now() <= until:
        tick(engine, clock)
        clock.advance(MINUTE)
        if lease is not None:
            lease.advance(SECOND)


def test_outbox_equals_the_planner_and_every_page_is_on_the_timeline_at_its_attempt(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    engine = engine_on(store, clock, lease)
    run(engine, clock, T + 45 * MINUTE, lease)
    expected = planned(store, incident_id, T + 45 * MINUTE + MINUTE)
    assert recorded(store, incident_id) == expected
    # the seed example: level 0 every 5 min, level 1 (carol by voice) at T+30, repeating every 10
    assert [(at - T) // MINUTE for at, *_ in expected if _[0] == "carol"] == [30, 40]
    notes = store.incidents.notifications(incident_id)
    assert {n.state for n in notes} == {"sent"}
    assert not any(n.late for n in notes)
    assert all(n.sent_at == n.scheduled_at for n in notes)
    notified = [e for e in store.incidents.timeline(incident_id) if e.kind == "notified"]
    assert len(notified) == len(notes)
    carol = [e for e in notified if e.person == "carol"]
    assert carol[0].message == (
        "notified Carol Diaz by phone call (+14155550103) at 2026-03-02T10:30:00Z, level 1"
    )
    assert (carol[0].at, carol[0].channel, carol[0].level) == (T + 30 * MINUTE, Channel.VOICE, 1)
    escalated = [e.message for e in store.incidents.timeline(incident_id) if e.kind == "level"]
    assert escalated == [
        "escalated to level 1 of Default: notifying Alice Chen (SMS, email), Carol Diaz (call)"
    ]


def test_restart_after_downtime_sends_the_missed_ones_late_and_none_twice(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    run(engine_on(store, clock, lease, holder="first"), clock, T + 7 * MINUTE)  # then it dies, lease held
    clock.set(T + 17 * MINUTE)
    lease.advance(16 * SECOND)  # the dead station's 15 s lease has lapsed
    second = engine_on(store, clock, lease, holder="second")
    assert tick(second, clock).holds_lease
    assert second.epoch == 2
    run(second, clock, T + 40 * MINUTE)
    notes = store.incidents.notifications(incident_id)
    assert [key(n) for n in notes] == planned(store, incident_id, T + 40 * MINUTE + MINUTE)
    assert {(n.scheduled_at - T) // MINUTE for n in notes if n.late} == {10, 15}
    assert all(n.sent_at == T + 17 * MINUTE for n in notes if n.late)


def test_one_engine_at_a_time_and_the_standby_takes_over_when_the_lease_lapses(store: Store) -> None:
    open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    running = engine_on(store, clock, lease, holder="a")
    waiting = engine_on(store, clock, lease, holder="b")
    assert tick(running, clock).holds_lease
    lease.advance(10 * SECOND)
    assert not tick(waiting, clock).holds_lease
    lease.advance(6 * SECOND)  # a stopped renewing 16 s ago; the lease is 15 s
    assert tick(waiting, clock).holds_lease
    assert (running.epoch, waiting.epoch) == (1, 2)
    assert not tick(running, clock).holds_lease
    status = station_status(store, "b", clock.now(), lease())
    assert status["engine"]["holder"] == "b"
    assert status["engine"]["epoch"] == 2
    assert {s["id"]: s["engine"] for s in status["stations"]} == {"a": False, "b": True}


def test_ticks_woken_by_new_incidents_page_at_once_and_the_lease_is_renewed_once_a_second(
    store: Store,
) -> None:
    clock, lease = FakeClock(T), LeaseClock()
    engine = engine_on(store, clock, lease)
    tick(engine, clock)

    def last_tick() -> datetime | None:
        state = store.lease.state()
        assert state is not None
        return state.last_tick

    renewed = last_tick()
    assert renewed == lease()

    for n in range(5):  # intake wakes the engine for each new incident, 100 ms apart
        lease.advance(timedelta(milliseconds=100))
        incident = open_incident(store, clock.now(), key=f"burst-{n}")
        report = tick(engine, clock)
        assert report.holds_lease
        assert [i.id for i in report.opened] == [incident]
        assert {s.incident_id for s in report.sent} == {incident}  # its level-0 pages, at once
    assert last_tick() == renewed  # those ticks wrote no lease renewal
    lease.advance(SECOND)
    tick(engine, clock)
    assert last_tick() != renewed
    assert station_status(store, "a", clock.now(), lease())["healthy"]


def test_station_ids_are_unique_even_for_the_same_host_and_process() -> None:

    from oncall_desktop.engine.engine import new_station_id

    ids = {new_station_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(i.count(":") == 2 for i in ids)


def test_acknowledging_stops_the_repeats_of_open_only_levels(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    engine = engine_on(store, clock, lease)
    run(engine, clock, T + 12 * MINUTE)
    store.incidents.acknowledge(incident_id, T + 12 * MINUTE + timedelta(seconds=30), by="alice")
    run(engine, clock, T + 60 * MINUTE)
    assert {(at - T) // MINUTE for at, *_ in recorded(store, incident_id)} == {0, 5, 10}
    assert store.incidents.get(incident_id).status == Status.WORKING


def test_a_configuration_change_applies_from_now_on_and_never_pages_for_the_past(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    engine = engine_on(store, clock, lease)
    run(engine, clock, T + 7 * MINUTE)
    default = store.load_configuration().rule("default")
    assert default is not None
    store.save_rule(replace(default, layers=(Layer(personnel=("bob",)),)))
    run(engine, clock, T + 12 * MINUTE)
    got = [((at - T) // MINUTE, person) for at, person, *_ in recorded(store, incident_id)]
    assert sorted(set(got)) == [(0, "alice"), (5, "alice"), (10, "bob")]


def test_tags_route_the_incident_to_the_matching_rule(store: Store) -> None:
    incident_id = open_incident(store, T, tags={"service": "payments"})
    clock = FakeClock(T)
    tick(engine_on(store, clock, LeaseClock()), clock)
    assert [(n.person, n.channel, n.rule) for n in store.incidents.notifications(incident_id)] == [
        ("bob", Channel.SMS, "payments")
    ]
    assert store.incidents.get(incident_id).paged is True


def test_a_resolved_incident_is_no_longer_escalated(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock = FakeClock(T)
    engine = engine_on(store, clock, LeaseClock())
    tick(engine, clock)
    store.incidents.resolve(incident_id, T + 2 * MINUTE)
    clock.set(T + 60 * MINUTE)
    report = tick(engine, clock)
    assert report.sent == ()
    assert len(recorded(store, incident_id)) == 2
    assert report.next_due is None


def test_a_temporary_failure_shows_at_once_and_the_retry_follows_after_its_delay(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone(lease=lease)
    phone.fail.append(DeliveryResult.retry("Twilio refused (500, code 20500): fake", timedelta(seconds=30)))
    engine = engine_on(store, clock, lease, phone)
    tick(engine, clock)
    retrying = [e for e in store.incidents.timeline(incident_id) if e.kind == "retrying"]
    assert [e.message for e in retrying] == [
        "SMS to Alice Chen (+14155550101) not sent yet: Twilio refused (500, code 20500): fake; "
        "retrying in 30 s"
    ]
    clock.advance(20 * SECOND)
    report = tick(engine, clock)
    assert (report.next_due, phone.received) == (T + 30 * SECOND, [])
    clock.advance(10 * SECOND)
    report = tick(engine, clock)
    report = tick(engine, clock)  # the finished send is reported by the next tick
    sms = [n for n in store.incidents.notifications(incident_id) if n.channel == Channel.SMS]
    assert [(n.state, n.provider_id, n.sent_at, n.error) for n in sms] == [
        ("sent", "SM1", T + 30 * SECOND, None)
    ]
    notified = [e for e in store.incidents.timeline(incident_id) if e.channel == Channel.SMS]
    assert [e.kind for e in notified] == ["retrying", "notified"]
    assert notified[1].message.endswith("at 2026-03-02T10:00:30Z, level 0 [Twilio SM1]")


def test_a_failure_reads_as_a_failure_with_its_reason(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone(lease=lease)
    phone.fail.append(DeliveryResult.failed("Twilio refused (400, code 21211): not a valid phone number"))
    tick(engine_on(store, clock, lease, phone), clock)
    [failed] = [e for e in store.incidents.timeline(incident_id) if e.kind == "failed"]
    assert failed.message == (
        "SMS to Alice Chen (+14155550101) failed: Twilio refused (400, code 21211): not a valid phone "
        "number; level 0, not sent"
    )
    assert not failed.message.startswith("notified")


def test_a_station_killed_after_the_provider_took_a_page_never_sends_it_twice(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone(lease=lease)
    phone.crash_after_receiving = True
    dead = engine_on(store, clock, lease, phone, holder="dead")
    dead.tick(clock.now())
    dead.settle(10)  # the send job died after Twilio had the SMS, before recording it
    [sms] = [n for n in store.incidents.notifications(incident_id) if n.channel == Channel.SMS]
    assert sms.state == "sending"
    phone.crash_after_receiving = False
    lease.advance(20 * SECOND)
    clock.advance(20 * SECOND)
    new = engine_on(store, clock, lease, phone, holder="new")
    tick(new, clock)  # takes the lease, asks the provider about the claim of epoch 1
    tick(new, clock)
    [sms] = [n for n in store.incidents.notifications(incident_id) if n.channel == Channel.SMS]
    assert (sms.state, sms.provider_id) == ("sent", "SM1")
    assert len(phone.received) == 1
    found = [e.message for e in store.incidents.timeline(incident_id) if "found at the provider" in e.message]
    assert len(found) == 1


def test_a_station_killed_before_the_provider_had_the_page_sends_it_once_after_restart(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()

    class KilledBeforeSending(Phone):
        def send(self, delivery: Delivery) -> DeliveryResult:
            raise SystemExit("killed before the request left")

    dead = engine_on(store, clock, lease, KilledBeforeSending(), holder="dead")
    dead.tick(clock.now())
    dead.settle(10)
    lease.advance(20 * SECOND)
    clock.advance(20 * SECOND)
    phone = Phone(lease=lease)
    new = engine_on(store, clock, lease, phone, holder="new")
    for _ in range(3):
        tick(new, clock)
    assert [d.person for _sid, d, _at in phone.received] == ["alice"]
    [sms] = [n for n in store.incidents.notifications(incident_id) if n.channel == Channel.SMS]
    assert (sms.state, sms.late) == ("sent", False)
    kinds = [e.kind for e in store.incidents.timeline(incident_id) if e.channel == Channel.SMS]
    assert kinds == ["retrying", "notified"]


def test_a_page_is_not_claimed_without_lease_time_left_for_its_send(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock = FakeClock(T)

    class StalledBeforeTheClaim(LeaseClock):
        """The sender thread gets to its claim 9 s after the tick: the 15 s lease has 6 s left, less
        than a send may take (two 3 s time-outs and a second)."""

        def __call__(self) -> datetime:
            stalled = threading.current_thread().name.startswith("send-")
            return self.now + (9 * SECOND if stalled else timedelta(0))

    lease = StalledBeforeTheClaim()
    phone = Phone(lease=lease)
    tick(engine_on(store, clock, lease, phone), clock)
    assert phone.received == []
    [sms] = [n for n in store.incidents.notifications(incident_id) if n.channel == Channel.SMS]
    assert (sms.state, sms.attempts) == ("pending", 0)
    assert station_status(store, "a", clock.now(), lease())["outbox"] == {"due": 1, "unknown": 0}


def test_a_send_that_hangs_past_the_lease_never_leads_to_a_double_send(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()

    class TakesItThenHangs(Phone):
        """The provider takes the message, then its answer never comes: the client times out."""

        def send(self, delivery: Delivery) -> DeliveryResult:
            sid = f"SM{len(self.received) + 1}"
            self.received.append((sid, delivery, self.lease() if self.lease else T))
            self.entered.set()
            assert self.hang is not None
            self.hang.wait(self.hang_for)
            return DeliveryResult.unknown("Twilio unreachable: ReadTimeout (no answer within 5 s)")

    twilio = TakesItThenHangs(lease=lease)
    twilio.hang_for = 0.2
    twilio.hang = threading.Event()
    a = engine_on(store, clock, lease, twilio, holder="a")
    a.tick(clock.now())
    assert twilio.entered.wait(5)
    lease.advance(16 * SECOND)  # a's lease lapses while its send hangs; b takes over
    b = engine_on(store, clock, lease, twilio, holder="b")
    for _ in range(3):
        assert tick(b, clock).holds_lease
        a.settle(5)
    [sms] = [n for n in store.incidents.notifications(incident_id) if n.channel == Channel.SMS]
    assert (sms.state, sms.provider_id) == ("sent", "SM1")
    assert len(twilio.received) == 1


def test_a_provider_that_never_answers_is_asked_before_the_page_is_sent_again(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone(lease=lease)
    phone.fail.append(DeliveryResult.unknown("Twilio unreachable: ReadTimeout (no answer within 5 s)"))
    engine = engine_on(store, clock, lease, phone)
    tick(engine, clock)
    [sms] = [n for n in store.incidents.notifications(incident_id) if n.channel == Channel.SMS]
    assert sms.state == "sending"
    lease.advance(13 * SECOND)
    tick(engine, clock)  # Twilio has nothing: back to pending
    tick(engine, clock)  # and sent once
    assert len(phone.received) == 1
    lines = [e.message for e in store.incidents.timeline(incident_id) if e.channel == Channel.SMS]
    assert lines[0] == (
        "SMS to Alice Chen (+14155550101): Twilio unreachable: ReadTimeout (no answer within 5 s); "
        "checking with Twilio whether it went out before sending it again"
    )
    assert "the provider has no record of it; sending it again" in lines[1]


def test_one_hung_provider_delays_only_its_own_channel(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    sms = Phone(Channel.SMS, lease)
    sms.hang = threading.Event()
    email = Phone(Channel.EMAIL, lease)
    engine = engine_on(store, clock, lease, sms, email)
    engine.tick(clock.now())
    assert sms.entered.wait(5)
    for _ in range(5):  # the engine keeps ticking (and renewing its lease) while the SMS hangs
        lease.advance(5 * SECOND)
        assert engine.tick(clock.now()).holds_lease
    assert [d.channel for _sid, d, _at in email.received] == [Channel.EMAIL]
    assert sms.received == []
    sms.hang.set()
    assert engine.settle(10)
    assert {n.state for n in store.incidents.notifications(incident_id)} == {"sent"}


def test_one_incident_that_cannot_be_planned_is_paged_by_the_default_rule_and_the_others_go_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    poisoned = open_incident(store, T, tags={"service": "payments"}, key="poison")
    healthy = open_incident(store, T, key="fine")
    real_plan = planning.plan

    def plan_or_raise(
        schedules: Schedules, incident: IncidentFacts, *args: object, **kwargs: object
    ) -> object:
        if "service:payments" in incident.tags and any(r.id == "payments" for r in schedules.config.rules):
            raise OverflowError("date value out of range")
        return real_plan(schedules, incident, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(planning, "plan", plan_or_raise)
    clock, lease = FakeClock(T), LeaseClock()
    engine = engine_on(store, clock, lease)
    run(engine, clock, T + 10 * MINUTE, lease)
    assert recorded(store, healthy) == planned(store, healthy, T + 11 * MINUTE)
    # the poisoned incident is paged meanwhile through the default rule (alice), not its own (bob)
    assert {person for _at, person, *_ in recorded(store, poisoned)} == {"alice"}
    lines = [e.message for e in store.incidents.timeline(poisoned) if e.kind == "planning"]
    assert lines == [
        "cannot plan with its rules (OverflowError: date value out of range); paging through the default "
        "rule meanwhile"
    ]
    problems = station_status(store, "a", clock.now(), lease())["problems"]
    assert [p["incident"] for p in problems] == [poisoned]
    monkeypatch.setattr(planning, "plan", real_plan)
    run(engine, clock, T + 12 * MINUTE, lease)
    assert station_status(store, "a", clock.now(), lease())["problems"] == []


def test_an_incident_whose_ladder_takes_no_such_severity_is_stored_as_unpaged_and_says_why(
    store: Store,
) -> None:
    config = store.load_configuration()
    payments = config.rule("payments")
    assert payments is not None
    level0 = replace(payments.escalation[0], severities=frozenset({Severity.P0, Severity.P1}))
    store.save_rule(replace(payments, escalation=(level0,)))
    incident_id = open_incident(store, T, tags={"service": "payments"}, severity="P3")
    clock = FakeClock(T)
    tick(engine_on(store, clock, LeaseClock()), clock)
    incident = store.incidents.get(incident_id)
    assert incident.paged is False
    assert store.incidents.notifications(incident_id) == []
    [line] = [e.message for e in store.incidents.timeline(incident_id) if e.kind == "unpaged"]
    assert line == "nobody is notified: routed to Payments [payments]: its level 0 takes P0, P1 only, not P3"


def test_a_level_that_notifies_nobody_says_so_on_the_timeline(store: Store) -> None:
    config = store.load_configuration()
    from oncall_desktop.domain import Target, Team

    store.save_team(Team("sre", "SRE", ()))
    default = config.rule("default")
    assert default is not None
    levels = (
        default.escalation[0],
        replace(default.escalation[1], add=(Target("team:sre", (Channel.SMS,)),)),
    )
    store.save_rule(replace(default, escalation=levels))
    incident_id = open_incident(store, T)
    clock = FakeClock(T)
    run(engine_on(store, clock, LeaseClock()), clock, T + 31 * MINUTE)
    lines = [e.message for e in store.incidents.timeline(incident_id) if e.kind == "level"]
    assert lines == [
        "escalated to level 1 of Default: notifying Alice Chen (SMS, email); SRE has no members, so this "
        "level adds nobody"
    ]


def test_the_engine_bundles_sms_exactly_as_simulate_lists_them(store: Store) -> None:
    default = store.load_configuration().rule("default")
    assert default is not None
    every_minute = replace(default.escalation[0], repeat=1, channels={"*": (Channel.SMS,)})
    store.save_rule(replace(default, escalation=(every_minute,)))
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone(lease=lease)
    run(engine_on(store, clock, lease, phone), clock, T + 20 * MINUTE, lease)
    incident = store.incidents.get(incident_id)
    notes = plan(
        Schedules(store.load_configuration()),
        IncidentFacts(incident.created_at, incident.severity, incident.tags),
        until=T + 21 * MINUTE,
    )
    expected = apply_limit(notes, SmsRateLimit())
    assert len(notes) == 21
    assert len(expected) == len(phone.received) == 11
    sent_at = [n.sent_at for n in store.incidents.notifications(incident_id) if n.state == "sent"]
    assert sorted(set(sent_at)) == [m.at for m in expected]
    bundled = [m for m in expected if isinstance(m, SmsMessage)]
    assert [len(m.pages) for m in bundled] == [6, 6]


def test_a_bundled_sms_names_each_incident_once(store: Store) -> None:
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone(lease=lease)
    engine = engine_on(store, clock, lease, phone)
    ids = [open_incident(store, T, key=f"k{i}") for i in range(8)]  # 8 incidents at once, 2 pages each
    tick(engine, clock)
    tick(engine, clock)
    texts = [d for _sid, d, _at in phone.received]
    assert len(texts) == 5  # four on their own, the fifth carrying the other four incidents
    [bundle] = [d for d in texts if d.bundled]
    assert [p.incident_id for p in bundle.pages] == ids[4:]
    assert len({p.incident_id for p in bundle.pages}) == len(bundle.pages)


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
    assert fast.at_real(datetime.fromtimestamp(1.0, UTC)) == T + timedelta(seconds=60)
