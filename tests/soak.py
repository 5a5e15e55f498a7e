"""A paging station under fire, for the crash and fail-over drills: `serve` processes with the real
`twilio` client against the fake Twilio API and a real SMTP server (aiosmtpd), on a virtual clock,
and the check that what the providers received is exactly what the planner says — no SMS or call
missed or doubled, an email repeated only where its timeline says "possibly repeated"."""

from __future__ import annotations

import asyncio
import email
import json
import signal
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from oncall_desktop import configfile, secrets
from oncall_desktop.commands.station import station_clock
from oncall_desktop.domain import Channel, Settings, SmtpSettings, StationSettings, Status, TwilioSettings
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from tests.fake_twilio import FakeTwilio
from tests.helpers_paging import ACCOUNT_SID, AUTH_TOKEN, STATION_NUMBER
from tests.helpers_station import Station, free_port, integration, start_serve, stop_serve, wait_until

LEASE_SECONDS = 5
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

SOAK_YAML = """
version: 1
people:
  - {id: alice, name: Alice Chen, email: alice@example.com, phone: "+14155550101"}
  - {id: bob, name: Bob Stone, email: bob@example.com, phone: "+14155550102"}
  - {id: carol, name: Carol Diaz, email: carol@example.com, phone: "+14155550103"}
rules:
  - id: payments
    name: Payments
    timezone: UTC
    match: {conditions: ["service:payments"]}
    personnel: [bob]
    escalation:
      - {level: 0, channels: [sms, email], repeat: 5}
      - {level: 1, wait: 20, add: [{target: carol, channels: [voice]}], repeat: 10}
  - id: default
    personnel: [alice]
    escalation:
      - {level: 0, channels: [sms, email], repeat: 5}
      - {level: 1, wait: 30, add: [{target: carol, channels: [voice]}], repeat: 10}
integrations:
  - {id: hook, name: Generic, kind: webhook}
"""


@dataclass
class Mailbox:
    """The SMTP server's handler: keeps every message."""

    received: list[EmailMessage] = field(default_factory=list)
    latency: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.latency:
            await asyncio.sleep(self.latency)
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 OK"


@dataclass
class Drill:
    url: str
    store: Store
    fake: FakeTwilio
    mailbox: Mailbox
    log: Path
    clock: list[str]
    port: int

    def serve(self, port: int | None = None) -> Station:
        return start_serve(self.url, self.log, self.clock, port=port or self.port)

    def post(self, station: Station, key: str, tags: dict[str, str] | None = None) -> int:
        hook = integration(self.store, "hook")
        body = json.dumps(
            {"title": f"Incident {key}", "severity": "P1", "alert_uid": key, "tags": tags or {}}
        )
        request = urllib.request.Request(station.url(hook), data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status in (200, 201)
            return int(json.loads(response.read())["incident"])

    def sent(self) -> int:
        return sum(n.state == "sent" for n in self.store.incidents.notifications())

    def pending(self) -> int:
        return sum(n.state == "pending" for n in self.store.incidents.notifications())

    def resolve_all(self) -> None:
        """Resolve every open incident at the stations' virtual time: escalation ends, so the
        outbox empties (what was not yet sent is cancelled)."""
        clock = station_clock(self.store)
        for incident in self.store.incidents.newest():
            if incident.status != Status.RESOLVED:
                self.store.incidents.resolve(incident.id, clock.now())

    def settle(self, timeout: float = 60) -> None:
        """Wait until the outbox holds nothing to send or in doubt."""
        wait_until(self._nothing_waiting, timeout=timeout, what="the outbox to empty")

    def _nothing_waiting(self) -> bool:
        notes = self.store.incidents.notifications()
        return bool(notes) and all(n.state in ("sent", "failed", "cancelled") for n in notes)


@contextmanager
def drill(tmp_path: Path, db_url: str | None = None, speed: float = 60.0) -> Iterator[Drill]:
    """A store with SOAK_YAML, Twilio (fake) and SMTP (aiosmtpd) set up, the Twilio token in the
    keyring, and the clock every `serve` of the drill shares."""
    url = db_url or f"sqlite:///{tmp_path / 'soak.db'}"
    config, problems = configfile.load_text(SOAK_YAML)
    assert config is not None, problems
    store = Store.open(url)
    store.replace_configuration(config)
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, STATION_NUMBER).start()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    store.save_settings(
        Settings(
            station=StationSettings(f"127.0.0.1:{port}", None, lease_seconds=LEASE_SECONDS),
            twilio=TwilioSettings(ACCOUNT_SID, STATION_NUMBER, fake.base_url),
            smtp=SmtpSettings("127.0.0.1", smtp.port, "none", None, "pager@example.com"),
        )
    )
    secrets.set_secret(secrets.TWILIO_AUTH_TOKEN, AUTH_TOKEN)
    clock = ["--clock", f"{START.isoformat()},{speed},{time.time()}"]
    try:
        yield Drill(url, store, fake, mailbox, tmp_path / "serve.log", clock, port)
    finally:
        smtp.stop()
        fake.stop()
        secrets.delete_secret(secrets.TWILIO_AUTH_TOKEN)
        store.close()


def kill(station: Station) -> None:
    stop_serve(station, signal.SIGKILL)


def check_exactly_once(store: Store, fake: FakeTwilio, mailbox: Mailbox, context: str) -> dict[str, int]:
    """What reached the providers is what the planner says, every page once; returns counts."""
    incidents = store.incidents.newest()
    notes = store.incidents.notifications()
    config = store.load_configuration()
    schedules = Schedules(config)
    for incident in incidents:
        if incident.resolved_at is not None:
            until = incident.resolved_at
        else:
            state = store.outbox.planning_state(incident.id)
            assert state is not None, context
            assert state[0] is not None, context
            until = state[0]
        expected = plan(
            schedules,
            IncidentFacts(incident.created_at, incident.severity, incident.tags),
            incident.status_changes(),
            until=until + timedelta(microseconds=1),
        )
        # A station may plan an instant just after a resolve it has not read yet (its clock runs in
        # another process); such a page is cancelled at dispatch, never sent, and is not the plan's.
        got = [
            (n.scheduled_at, n.person, n.channel, n.level, n.repeat)
            for n in notes
            if n.incident_id == incident.id
            and not (
                n.state == "cancelled" and incident.resolved_at and n.scheduled_at > incident.resolved_at
            )
        ]
        want = [(n.at, n.person, n.channel, n.level, n.repeat) for n in expected]
        assert got == want, (
            sorted(set(got) - set(want)),
            sorted(set(want) - set(got)),
            context,
            incident.id,
        )
    resolved = {i.id for i in incidents if i.resolved_at is not None}
    bad = [
        (n.id, n.channel.value, n.state, n.error)
        for n in notes
        if n.state != "sent" and not (n.state == "cancelled" and n.incident_id in resolved)
    ]
    assert bad == [], context
    notes = [n for n in notes if n.state == "sent"]
    # SMS and calls: every page carries the id of a message or call Twilio has, and Twilio has no
    # message or call that no page carries — one send each (an SMS bundle is one message for several)
    for channel, received in (
        (Channel.SMS, [m["sid"] for m in fake.messages]),
        (Channel.VOICE, [c.sid for c in fake.calls]),
    ):
        carried = {n.provider_id for n in notes if n.channel == channel}
        assert None not in carried, (context, channel)
        assert len(received) == len(set(received)), context
        assert carried == set(received), (
            context,
            channel,
            _explain(set(received) - carried, fake, store),
            sorted(carried - set(received)),
        )
    # email: at least once; a Message-ID twice only for a page marked as possibly repeated
    emails = [n for n in notes if n.channel == Channel.EMAIL]
    delivered = Counter(str(m["Message-ID"]) for m in mailbox.received)
    for note in emails:
        assert note.provider_id is not None, context
        copies = delivered.get(note.provider_id, 0)
        assert copies >= 1, (context, note.id)
        assert copies == 1 or note.possibly_repeated, (context, note.id, copies)
    assert sum(delivered.values()) >= len(emails), context
    # every message or call is a "notified" line on each incident it carried (a bundle names each once)
    timeline = [e for i in incidents for e in store.incidents.timeline(i.id) if e.kind == "notified"]
    assert len(timeline) >= len({(n.incident_id, n.provider_id) for n in notes}), context

    return {
        "pages": len(notes),
        "sms": len(fake.messages),
        "calls": len(fake.calls),
        "emails": sum(delivered.values()),
        "late": sum(n.late for n in notes),
        "repeated": sum(n.possibly_repeated for n in emails),
    }


def post_all(drill_: Drill, station: Station, keys: Sequence[str]) -> list[int]:
    return [
        drill_.post(station, key, {"service": "payments"} if i % 3 == 0 else None)
        for i, key in enumerate(keys)
    ]


def _explain(orphans: set[str], fake: FakeTwilio, store: Store) -> list[str]:
    """A message no page carries, and the pages to its number (for the failure's report)."""
    lines = []
    for message in fake.messages:
        if message["sid"] not in orphans:
            continue
        lines.append(
            f"{message['sid']} to {message['to']} at {message['date_created']}: {message['body'][:60]}"
        )
        lines += [
            f"#{n.id} of {n.incident_id} at {n.scheduled_at:%H:%M}: {n.state} {n.provider_id} {n.claim_epoch}"
            for n in store.incidents.notifications()
            if n.address == message["to"] and n.channel == Channel.SMS
        ]
    return lines
