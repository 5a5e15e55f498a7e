"""End to end, in-process on a fake clock: an Alertmanager webhook in → SMS and a call out through the
real `twilio` client to the fake Twilio → key 1 pressed (a signed Gather callback) → the incident is
acknowledged → escalation stops as the ladder says. And once through the real `serve` process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import keyring
import pytest
import requests
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from oncall_desktop import secrets
from oncall_desktop.domain import (
    Channel,
    EscalationLevel,
    Settings,
    Severity,
    StationSettings,
    Status,
    Target,
    TwilioSettings,
)
from tests.fake_twilio import FakeTwilio
from tests.helpers_paging import ACCOUNT_SID, ALICE, AUTH_TOKEN, MINUTE, STATION_NUMBER, Paging, T, paging
from tests.helpers_station import (
    configured_store,
    free_port,
    integration,
    start_serve,
    stop_serve,
    wait_until,
)

BOB = "+14155550102"
CAROL = "+14155550103"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Paging]:
    with paging(f"sqlite:///{tmp_path / 'e2e.db'}") as env:
        rule = env.store.load_configuration().rule("payments")
        assert rule is not None
        env.store.save_rule(
            replace(
                rule,
                escalation=(
                    EscalationLevel(channels={"*": (Channel.SMS, Channel.VOICE)}, repeat=5),
                    EscalationLevel(
                        wait=15,
                        severities=frozenset({Severity.P0, Severity.P1}),
                        statuses=frozenset({Status.OPEN}),
                        add=(Target("carol", (Channel.SMS,)),),
                    ),
                ),
            )
        )
        yield env


def alert(status: str = "firing") -> dict[str, object]:
    labels = {"alertname": "PaymentsDown", "service": "payments", "severity": "critical"}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="PaymentsDown"}',
        "status": status,
        "receiver": "oncall",
        "groupLabels": {"alertname": "PaymentsDown"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "Payments API returns 500s"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": "Payments API returns 500s"},
                "startsAt": "2026-03-02T09:59:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "c0ffee",
            }
        ],
    }


def test_webhook_page_keypress_acknowledges_and_escalation_stops(env: Paging) -> None:
    hook = integration(env.store, "prod-am")
    url = f"{env.station.url}/integrations/v1/alertmanager/{hook.token}/"
    response = requests.post(url, json=alert(), timeout=10)
    assert response.status_code == 201
    incident = response.json()["incident"]

    env.tick()  # T+0: level 0 texts and calls bob, who is on call for the payments rule
    assert [(m["to"], m["body"]) for m in env.fake.messages] == [
        (
            BOB,
            f"[P0] #{incident} Payments API returns 500s (payments). Reply 1a to acknowledge, 1r to resolve.",
        )
    ]
    [call] = env.fake.calls
    assert call.to == BOB
    played = env.fake.play(call)
    assert played.said[0].startswith(
        f"This is the on-call station. Severity P 0 incident {incident} for rule payments: "
        "Payments API returns 500s."
    )
    assert played.gather_action is not None

    env.tick(5 * MINUTE)  # T+5: not acknowledged yet, so level 0 repeats
    assert len(env.fake.messages) == 2
    assert len(env.fake.calls) == 2

    env.clock.advance(MINUTE)
    pressed = env.fake.press(env.fake.calls[1], "1", played.gather_action)
    assert pressed.said == [f"Incident {incident} acknowledged. Goodbye."]
    current = env.store.incidents.get(incident)
    assert (current.status, current.acknowledged_by, current.acknowledged_at) == (
        Status.WORKING,
        "bob",
        T + 6 * MINUTE,
    )

    for _ in range(12):  # T+6 … T+66: no repeat at T+10, no level 1 (open only) at T+15
        env.tick(5 * MINUTE)
    assert len(env.fake.messages) == 2
    assert len(env.fake.calls) == 2
    assert [m["to"] for m in env.fake.messages] == [BOB, BOB]
    sent = [(n.scheduled_at - T, n.channel) for n in env.store.incidents.notifications(incident)]
    assert sent == [
        (timedelta(0), Channel.SMS),
        (timedelta(0), Channel.VOICE),
        (5 * MINUTE, Channel.SMS),
        (5 * MINUTE, Channel.VOICE),
    ]
    kinds = [e.kind for e in env.store.incidents.timeline(incident)]
    assert kinds[0] == "created"
    assert "acknowledged" in kinds


def test_without_a_keypress_escalation_goes_on_to_the_next_level(env: Paging) -> None:
    hook = integration(env.store, "prod-am")
    url = f"{env.station.url}/integrations/v1/alertmanager/{hook.token}/"
    incident = requests.post(url, json=alert(), timeout=10).json()["incident"]
    env.tick()
    played = env.fake.play(env.fake.calls[0])
    assert played.gather_action is not None
    no_key = env.fake.press(env.fake.calls[0], "", played.gather_action)
    assert no_key.said == [
        "No key was pressed. The incident is not acknowledged, and escalation continues. Goodbye."
    ]
    for _ in range(3):
        env.tick(5 * MINUTE)  # T+15: level 1 adds carol
    assert env.status(incident) == "open"
    assert [m["to"] for m in env.fake.messages].count(CAROL) == 1


def test_serve_pages_through_twilio_with_the_keyring_token_and_takes_a_reply(tmp_path: Path) -> None:
    """The real `serve` process: its notifiers, its webhook routes and the token from the keyring."""
    if not isinstance(keyring.get_keyring(), SecretServiceKeyring):
        pytest.fail(f"needs the Secret Service keyring (scripts/test.sh), got {secrets.backend_name()}")
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    store = configured_store(url)
    port = free_port()
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, STATION_NUMBER).start()
    store.save_settings(
        Settings(
            station=StationSettings(f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"),
            twilio=TwilioSettings(ACCOUNT_SID, STATION_NUMBER, fake.base_url),
        )
    )
    secrets.set_secret(secrets.TWILIO_AUTH_TOKEN, AUTH_TOKEN)
    station = start_serve(url, tmp_path / "serve.log", port=port)
    try:
        hook = integration(store, "hook")
        body = {"title": "Checkout down", "severity": "P1", "alert_uid": "serve"}
        incident = requests.post(station.url(hook), json=body, timeout=10).json()["incident"]
        wait_until(lambda: len(fake.messages) == 1, what="the page by SMS")
        assert fake.messages[0]["to"] == ALICE
        assert "Reply 1a to acknowledge" in fake.messages[0]["body"]
        assert fake.sms_webhook(station.base_url, ALICE, "1a").status_code == 200
        assert store.incidents.get(incident).status == Status.WORKING
        wait_until(lambda: len(fake.messages) == 2, what="the confirmation SMS")
        assert fake.messages[1]["body"] == f"Acknowledged #{incident}: Checkout down"
    finally:
        assert stop_serve(station) == 0
        fake.stop()
        secrets.delete_secret(secrets.TWILIO_AUTH_TOKEN)
        store.close()
    assert AUTH_TOKEN not in station.log()
