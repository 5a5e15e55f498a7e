"""Chat through Apprise (SPEC §13) against real local receivers: Apprise's `json://` and `ntfy://`
posting to an aiohttp server on 127.0.0.1. The page carries title, severity, tags and the
acknowledge link; a failed post is retried and said on the timeline; after a crash mid-send the
page goes again marked possibly repeated (a chat service cannot be asked); the URLs live in the
real keyring only — never in the database file, a config dump or a log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from aiohttp import web
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from oncall_desktop import configfile, secrets
from oncall_desktop.cli import main
from oncall_desktop.domain import Channel
from oncall_desktop.engine.chat_notifier import ChatNotifier
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.intake import parse
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult
from oncall_desktop.store import Store
from tests.fake_twilio import ServerThread
from tests.helpers_station import integration
from tests.test_engine import LeaseClock

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
TOKEN = "hooktoken-7f3e2a9c41"

CHAT_YAML = """
version: 1
people:
  - {id: alice, name: Alice Chen, email: alice@example.com, chat: true}
  - {id: bob, name: Bob Stone, chat: true}
rules:
  - id: default
    personnel: [alice]
    escalation:
      - {level: 0, channels: [chat]}
      - {level: 1, wait: 5, add: [{target: bob, channels: [chat]}]}
integrations:
  - {id: hook, name: Generic, kind: webhook}
settings:
  station: {public_url: "https://pager.example.com"}
"""


@dataclass
class Receiver:
    """What the local chat services received; `fail` holds statuses to answer first."""

    got: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    fail: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.fail:
            return web.Response(status=self.fail.pop(0), text="down")
        self.got.append((request.path, json.loads(body or b"{}")))
        return web.json_response({"ok": True})


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerThread]]:
    found = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", found.handle)
    server = ServerThread(app).start()
    yield found, server
    server.stop()


@pytest.fixture
def real_keyring() -> Iterator[None]:
    if not isinstance(keyring.get_keyring(), SecretServiceKeyring):
        pytest.fail(f"needs the Secret Service keyring (scripts/test.sh), got {secrets.backend_name()}")
    names = [secrets.chat_secret(p) for p in ("alice", "bob")]
    for name in names:
        secrets.delete_secret(name)
    yield
    for name in names:
        secrets.delete_secret(name)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    config, problems = configfile.load_text(CHAT_YAML)
    assert config is not None, problems
    opened = Store.open(f"sqlite:///{tmp_path / 'chat.db'}")
    opened.replace_configuration(config)
    yield opened
    opened.close()


def open_incident(store: Store, at: datetime) -> int:
    hook = integration(store, "hook")
    body = {"title": "Checkout down", "severity": "P1", "alert_uid": "k", "tags": {"service": "payments"}}
    outcome = store.incidents.ingest(hook.id, parse(hook, json.dumps(body).encode()), at)
    assert outcome.incident_id is not None
    return outcome.incident_id


def set_chat(person: str, *urls: str, db: str | None = None) -> None:
    stdin = io.StringIO("".join(f"{u}\n" for u in urls))
    argv = ["secrets", "set", secrets.chat_secret(person)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", stdin)
        assert main(([] if db is None else ["--db", db]) + argv) == 0


def test_a_chat_page_through_json_carries_title_severity_tags_and_the_ack_link_and_failures_retry(
    real_keyring: None,
    store: Store,
    receiver: tuple[Receiver, ServerThread],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    got, server = receiver
    port = server.port
    url = f"json://127.0.0.1:{port}/page/{TOKEN}"
    set_chat("alice", url, db=f"sqlite:///{tmp_path / 'chat.db'}")
    set_chat("bob", f"ntfys://127.0.0.1:{port}/bad", f"ntfy://127.0.0.1:{port}/oncall-{TOKEN}")
    got.fail = [500]  # alice's first attempt
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    engine = EscalationEngine(store, [ChatNotifier(clock)], holder="a", clock=clock, real_clock=lease)
    engine.tick(clock.now())
    assert engine.settle(20)
    assert got.got == []
    retrying = [e.message for e in store.incidents.timeline(incident_id) if e.kind == "retrying"]
    assert retrying == [
        "chat to Alice Chen not sent yet: JSON did not take the message (attempt 1, retrying); "
        "retrying in 30 s"
    ]
    clock.advance(31 * SECOND)
    lease.advance(SECOND)
    engine.tick(clock.now())
    assert engine.settle(20)
    [(path, body)] = got.got
    assert path == f"/page/{TOKEN}"
    assert body["title"] == f"[P1] #{incident_id} Checkout down"
    message = str(body["message"])
    assert "Severity: P1" in message
    assert "Tags: service:payments" in message
    assert "Acknowledge: https://pager.example.com/ack/" in message
    assert body["type"] == "failure"
    [note] = [n for n in store.incidents.notifications(incident_id) if n.person == "alice"]
    assert (note.channel, note.state, note.address) == (Channel.CHAT, "sent", None)
    # level 1 at T+5: bob's two URLs, one of which (ntfys:// to a plain HTTP port) fails
    clock.set(T + 5 * 60 * SECOND)
    lease.advance(SECOND)
    engine.tick(clock.now())
    assert engine.settle(30)
    ntfy = [(p, b) for p, b in got.got if p != f"/page/{TOKEN}"]
    assert len(ntfy) == 1
    assert ntfy[0][1]["topic"] == f"oncall-{TOKEN}"
    assert ntfy[0][1]["title"] == f"[P1] #{incident_id} Checkout down"
    assert "Tags: service:payments" in str(ntfy[0][1]["message"])
    said = [e.message for e in store.incidents.timeline(incident_id) if e.person == "bob"]
    assert any("chat: sent to 1 of 2; ntfy did not take the message" in m for m in said)
    engine.release(10)
    # the URLs (and their tokens) are in the keyring only
    assert TOKEN in (secrets.get_secret("chat.bob") or "")
    dumped = configfile.dump(store.load_configuration())
    assert "chat: true" in dumped
    leaked = [TOKEN, f"127.0.0.1:{port}"]
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp"))
    for text in (dumped, ours, "".join(capsys.readouterr())):
        assert not any(part in text for part in leaked), text
    for path in tmp_path.glob("chat.db*"):
        assert TOKEN.encode() not in path.read_bytes()


def test_after_a_crash_mid_send_a_chat_page_goes_again_marked_possibly_repeated(
    store: Store, receiver: tuple[Receiver, ServerThread]
) -> None:
    got, server = receiver
    urls = {"chat.alice": f"json://127.0.0.1:{server.port}/page"}

    class KilledAfterSending(ChatNotifier):
        def send(self, delivery: Delivery) -> DeliveryResult:
            super().send(delivery)
            raise SystemExit("the station was killed after the chat service took the page")

    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    dead = EscalationEngine(
        store, [KilledAfterSending(clock, urls.get)], holder="dead", clock=clock, real_clock=lease
    )
    dead.tick(clock.now())
    dead.settle(10)
    lease.advance(20 * SECOND)
    clock.advance(20 * SECOND)
    new = EscalationEngine(
        store, [ChatNotifier(clock, urls.get)], holder="new", clock=clock, real_clock=lease
    )
    for _ in range(2):
        new.tick(clock.now())
        assert new.settle(10)
    assert len(got.got) == 2
    assert str(got.got[1][1]["message"]).startswith("(Possibly repeated: the station stopped")
    timeline = [e.message for e in store.incidents.timeline(incident_id)]
    assert (
        "chat to alice: the station stopped while sending it; sending it again, possibly repeated" in timeline
    )
    assert any("possibly repeated (the station stopped while sending it before)" in m for m in timeline)
    new.release(10)


def test_a_person_without_chat_urls_fails_with_where_to_set_them(store: Store) -> None:
    incident_id = open_incident(store, T)
    clock, lease = FakeClock(T), LeaseClock()
    engine = EscalationEngine(store, [ChatNotifier(clock, {}.get)], holder="a", clock=clock, real_clock=lease)
    engine.tick(clock.now())
    assert engine.settle(10)
    failed = [e.message for e in store.incidents.timeline(incident_id) if e.kind == "failed"]
    assert failed == [
        "chat to Alice Chen failed: Alice Chen has no chat URLs in the OS keyring (People & teams, or "
        "`oncall-desktop secrets set chat.alice`); level 0, not sent"
    ]
    engine.release(10)


def test_config_warns_for_chat_without_urls_and_refuses_urls_in_the_file() -> None:
    _, problems = configfile.load_text(
        CHAT_YAML.replace("{id: bob, name: Bob Stone, chat: true}", "{id: bob, name: Bob}")
    )
    lacks = "bob has no chat URLs (chat: true, with `secrets set chat.bob`)"
    assert f"warning: rules[0].escalation[1].add[0].target: {lacks}" in [str(p) for p in problems]
    _, problems = configfile.load_text(CHAT_YAML.replace("chat: true}", 'chat: ["slack://a/b/c"]}', 1))
    assert [str(p) for p in problems if p.path == "people[0].chat"] == [
        "error: people[0].chat: chat URLs hold tokens, so they belong in the keyring, never in this file: "
        "write chat: true and store them with `oncall-desktop secrets set chat.<person>`"
    ]
