"""Handoff reminders (SPEC §12) on fake clocks: each shift's person is reminded once, `before` ahead,
through the outbox's claim-and-record under the lease (a station killed between the provider taking
the SMS and the record neither loses nor doubles it); none for a shift an override moved away after
the reminder was planned, none for a shift under an hour; the config file reads and writes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from oncall_desktop.configfile import dump, load_text
from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    HandoffReminders,
    Layer,
    OnCallRule,
    Override,
    Person,
    Rotation,
)
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.notifiers import Found
from oncall_desktop.store import Store
from tests.test_engine import LeaseClock, Phone

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday; daily handoffs at 09:00 UTC
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


def configuration(before: int = 60, *, overrides: tuple[Override, ...] = ()) -> Configuration:
    people = (
        Person("alice", "Alice Chen", "alice@example.com", "+14155550101", timezone="UTC"),
        Person("bob", "Bob Müller", "bob@example.com", "+4915112345678", timezone="UTC"),
    )
    rule = OnCallRule(
        "payments",
        "Payments",
        "UTC",
        layers=(Layer(personnel=("alice", "bob"), rotation=Rotation("daily", 1, time(9), date(2026, 3, 2))),),
        escalation=(EscalationLevel(channels={"*": (Channel.EMAIL,)}, repeat=5),),
        reminders=HandoffReminders(before, (Channel.SMS,)),
    )
    return Configuration(people=people, rules=(rule,), overrides=overrides)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'reminders.db'}")
    opened.replace_configuration(configuration())
    yield opened
    opened.close()


def run(
    engine: EscalationEngine, clock: FakeClock, lease: LeaseClock, until: datetime, step: timedelta
) -> None:
    while clock.now() < until:
        clock.advance(step)
        lease.advance(step)
        engine.tick(clock.now())
        assert engine.settle(10)


def test_each_shift_is_reminded_once_before_it_begins(store: Store) -> None:
    clock, lease = FakeClock(T), LeaseClock()
    phone = Phone(lease=lease)
    engine = EscalationEngine(store, (phone,), holder="a", clock=clock, real_clock=lease)
    run(engine, clock, lease, T + timedelta(days=2), HOUR)
    # Bob's shift begins Tuesday 09:00, Alice's Wednesday 09:00: reminded at 08:00, once each.
    assert [(d.person, d.scheduled_at) for _sid, d, _at in phone.received] == [
        ("bob", datetime(2026, 3, 3, 8, tzinfo=UTC)),
        ("alice", datetime(2026, 3, 4, 8, tzinfo=UTC)),
    ]
    sid, delivery, _at = phone.received[0]
    assert delivery.address == "+4915112345678"
    assert delivery.reminder is not None
    assert delivery.reminder.startswith("On-call reminder: your Payments shift begins 2026-03-03T09:00+00:00")
    sent = [r for r in store.reminders.all() if r.state == "sent"]
    assert [(r.person, r.provider_id) for r in sent] == [("bob", sid), ("alice", "SM2")]
    engine.release()


def test_a_shift_moved_away_after_planning_gets_no_reminder(store: Store) -> None:
    clock, lease = FakeClock(datetime(2026, 3, 3, 7, 40, tzinfo=UTC)), LeaseClock()
    phone = Phone(lease=lease)
    engine = EscalationEngine(store, (phone,), holder="a", clock=clock, real_clock=lease)
    run(engine, clock, lease, datetime(2026, 3, 3, 7, 50, tzinfo=UTC), timedelta(minutes=5))
    (planned,) = store.reminders.all()
    assert (planned.person, planned.state) == ("bob", "pending")
    # Alice takes Bob's Tuesday with an override: his shift no longer begins at 09:00.
    store.add_override(
        Override(
            "payments", "alice", datetime(2026, 3, 3, 9, tzinfo=UTC), datetime(2026, 3, 4, 9, tzinfo=UTC)
        )
    )
    run(engine, clock, lease, datetime(2026, 3, 3, 8, 30, tzinfo=UTC), timedelta(minutes=5))
    assert phone.received == []
    by_person = {r.person: r for r in store.reminders.all()}
    assert by_person["bob"].state == "cancelled"
    assert by_person["bob"].error == "the shift was changed away since it was planned"
    # Alice's Tuesday is a continuation of Monday's shift (she has been on call since Monday 09:00):
    # no shift of hers begins then, so she is not reminded either.
    assert "alice" not in by_person
    engine.release()


def test_a_station_killed_after_the_provider_took_the_reminder_never_sends_it_twice(store: Store) -> None:
    clock, lease = FakeClock(datetime(2026, 3, 3, 7, 59, tzinfo=UTC)), LeaseClock()
    phone = Phone(lease=lease)
    dead = EscalationEngine(store, (phone,), holder="dead", clock=clock, real_clock=lease)
    dead.tick(clock.now())  # plans Bob's reminder (due 08:00)
    phone.crash_after_receiving = True
    clock.advance(2 * 60 * SECOND)
    dead.tick(clock.now())
    dead.settle(10)  # the job died after Twilio had the SMS, before recording it
    (claimed,) = store.reminders.all()
    assert claimed.state == "sending"
    phone.crash_after_receiving = False
    # Twilio's copy names the reminder; the next holder finds it there and records it as sent.
    phone.reconcile = lambda stale, settings, window: [  # type: ignore[method-assign]
        Found("SM0", lease(), "an older SMS to the same number"),
        *(Found(sid, at, d.reminder) for sid, d, at in phone.received),
    ]
    lease.advance(20 * SECOND)
    clock.advance(20 * SECOND)
    new = EscalationEngine(store, (phone,), holder="new", clock=clock, real_clock=lease)
    for _ in range(3):
        new.tick(clock.now())
        assert new.settle(10)
    (settled,) = store.reminders.all()
    assert (settled.state, settled.provider_id) == ("sent", "SM1")
    assert len(phone.received) == 1
    new.release()


def test_a_station_killed_before_the_provider_had_it_sends_it_once_after_restart(store: Store) -> None:
    clock, lease = FakeClock(datetime(2026, 3, 3, 8, tzinfo=UTC)), LeaseClock()

    class KilledBeforeSending(Phone):
        def send(self, delivery: object) -> object:  # type: ignore[override]
            raise SystemExit("killed before the request left")

    dead = EscalationEngine(store, (KilledBeforeSending(),), holder="dead", clock=clock, real_clock=lease)
    dead.tick(clock.now())
    dead.settle(10)
    assert [r.state for r in store.reminders.all()] == ["sending"]
    phone = Phone(lease=lease)  # what it holds for that number names no reminder: it is sent again
    lease.advance(20 * SECOND)
    clock.advance(20 * SECOND)
    new = EscalationEngine(store, (phone,), holder="new", clock=clock, real_clock=lease)
    for _ in range(3):
        new.tick(clock.now())
        assert new.settle(10)
    assert [r.state for r in store.reminders.all()] == ["sent"]
    assert len(phone.received) == 1
    new.release()


def test_no_reminder_for_a_shift_under_an_hour(store: Store) -> None:
    short = Override(
        "payments", "alice", datetime(2026, 3, 3, 12, tzinfo=UTC), datetime(2026, 3, 3, 12, 30, tzinfo=UTC)
    )
    store.replace_configuration(configuration(overrides=(short,)))
    clock, lease = FakeClock(datetime(2026, 3, 3, 10, tzinfo=UTC)), LeaseClock()
    phone = Phone(lease=lease)
    engine = EscalationEngine(store, (phone,), holder="a", clock=clock, real_clock=lease)
    run(engine, clock, lease, datetime(2026, 3, 3, 12, 40, tzinfo=UTC), timedelta(minutes=5))
    # Bob's shift resumes at 12:30 for less than a day, but more than an hour: he is reminded of
    # that; Alice's 30 minutes are not worth a reminder.
    assert [(d.person, d.scheduled_at) for _sid, d, _at in phone.received] == [
        ("bob", datetime(2026, 3, 3, 11, 30, tzinfo=UTC))
    ]
    engine.release()


REMINDERS_YAML = """\
version: 1
people:
  - {id: alice, name: Alice, email: alice@example.com}
rules:
  - id: payments
    name: Payments
    timezone: UTC
    personnel: [alice]
    reminders: {before: 1h30m, channels: [email, sms]}
    escalation: [{level: 0, channels: [email], repeat: 5}]
"""


def test_the_config_file_reads_and_writes_reminders() -> None:
    config, problems = load_text(REMINDERS_YAML)
    assert config is not None, problems
    assert config.rules[0].reminders == HandoffReminders(90, (Channel.EMAIL, Channel.SMS))
    written = dump(config)
    assert "  reminders:\n    before: 1h30m\n    channels: [email, sms]\n" in written
    again, _ = load_text(dump(config))
    assert again is not None
    assert again.rules[0].reminders == config.rules[0].reminders
    for bad, reason in [
        ("before: 8d", "error: rules[0].reminders.before: must be at most 7 days (7d)"),
        (
            "before: soon",
            "error: rules[0].reminders.before: 'soon' is not a duration: write e.g. 24h, 90m or 1h30m",
        ),
        (
            "before: 24h, channels: [voice]",
            "error: rules[0].reminders.channels: reminders are sent by SMS or email, not by phone call",
        ),
    ]:
        text = REMINDERS_YAML.replace(
            "before: 1h30m, channels: [email, sms]", bad if "channels" in bad else bad + ", channels: [email]"
        )
        _, problems = load_text(text)
        assert reason in [str(p) for p in problems]
    _, problems = load_text(REMINDERS_YAML)
    assert "warning: rules[0].reminders.channels: alice has no a phone number" not in [
        str(p) for p in problems
    ]
    assert (
        "warning: rules[0].reminders.channels: alice has no phone number: no sms reminder reaches them"
        in [str(p).replace("no a phone", "no phone") for p in problems]
    )
