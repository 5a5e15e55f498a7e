"""Integrations in the core (issue 13, rough edges): intake URLs, the store's granular edits and a test
alert posted to a real running intake — or to none."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from oncall_desktop.domain import Integration, Settings, Severity, StationSettings
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.station import BackgroundIntake
from oncall_desktop.integrations import (
    KIND_LABELS,
    integration_url,
    local_intake_url,
    new_integration_id,
    send_test_alert,
)
from oncall_desktop.schedule import utc
from oncall_desktop.store import NotFoundError, Store, StoreError
from tests.helpers_station import configured_store, free_port, integration

NOW = utc(2026, 3, 20, 12)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = configured_store(f"sqlite:///{tmp_path / 'station.sqlite3'}")
    yield opened
    opened.close()


def listening_on(store: Store, listen: str) -> Settings:
    settings = replace(store.load_configuration().settings, station=StationSettings(listen=listen))
    store.save_settings(settings)
    return settings


def test_every_kind_has_a_label_and_urls_use_the_public_url_or_the_listen_address() -> None:
    assert list(KIND_LABELS) == ["alertmanager", "grafana_alerting", "webhook"]
    hook = Integration("hook", "Hook", "webhook", token="t" * 20)
    public = Settings(station=StationSettings("0.0.0.0:9000", "https://oncall.example.com/"))
    assert integration_url(public, hook) == f"https://oncall.example.com/integrations/v1/webhook/{'t' * 20}/"
    # Posting from this machine goes to the listen address, loopback for "every address".
    assert local_intake_url(public, hook) == f"http://127.0.0.1:9000/integrations/v1/webhook/{'t' * 20}/"
    assert local_intake_url(Settings(station=StationSettings("[::]:9000")), hook).startswith(
        "http://[::1]:9000/"
    )


def test_new_ids_are_slugs_that_are_not_taken() -> None:
    assert new_integration_id("Prod Alertmanager (EU)", []) == "prod-alertmanager-eu"
    assert new_integration_id("Prod Alertmanager", ["prod-alertmanager"]) == "prod-alertmanager-2"
    assert new_integration_id("!!!", []) == "integration"


def test_saving_inserts_at_a_position_with_a_fresh_token_and_updates_in_place(store: Store) -> None:
    before = [i.id for i in store.integrations()]
    revision = store.revision()
    added = store.save_integration(Integration("eu", "EU Alertmanager", "alertmanager"), position=1)
    assert added.token is not None
    assert len(added.token) >= 16
    assert [i.id for i in store.integrations()] == [before[0], "eu", *before[1:]]
    assert store.revision() > revision
    store.save_integration(replace(added, name="EU Alertmanager (prod)", token=None))
    stored = integration(store, "eu")
    assert stored.name == "EU Alertmanager (prod)"
    assert stored.token == added.token
    assert [i.id for i in store.integrations()] == [before[0], "eu", *before[1:]]
    with pytest.raises(StoreError, match="at least 16"):
        store.save_integration(replace(added, token="short"))


def test_rotating_a_token_and_deleting_change_only_that_integration(store: Store) -> None:
    old = integration(store, "hook")
    others = [i for i in store.integrations() if i.id != "hook"]
    new = store.rotate_integration_token("hook")
    assert new != old.token
    assert integration(store, "hook").token == new
    assert store.rotate_integration_token("hook", old.token) == old.token
    assert integration(store, "hook") == old
    store.delete_integration("hook")
    assert store.integrations() == others
    with pytest.raises(NotFoundError):
        store.delete_integration("hook")
    with pytest.raises(NotFoundError):
        store.rotate_integration_token("hook")


@pytest.mark.parametrize("kind_id", ["prod-am", "grafana", "hook"])
def test_a_test_alert_reaches_the_running_intake_and_opens_one_incident(store: Store, kind_id: str) -> None:
    intake = BackgroundIntake(store, f"127.0.0.1:{free_port()}", FakeClock(NOW))
    intake.start()
    try:
        settings = listening_on(store, f"127.0.0.1:{intake.port}")
        target = integration(store, kind_id)
        first = send_test_alert(settings, target, NOW)
        assert first.ok, first.message
        assert first.incident is not None
        assert f"opened incident #{first.incident}" in first.message
        again = send_test_alert(settings, target, NOW)
    finally:
        intake.stop()
    assert again.ok
    assert f"joined incident #{first.incident}" in again.message
    (opened,) = store.incidents.newest()
    assert opened.id == first.incident
    assert opened.title.startswith("Test alert from oncall-desktop")
    assert opened.severity == Severity.P3
    assert opened.integration == kind_id


def test_a_test_alert_says_when_the_station_is_not_running(store: Store) -> None:
    settings = listening_on(store, f"127.0.0.1:{free_port()}")
    outcome = send_test_alert(settings, integration(store, "hook"), NOW)
    assert not outcome.ok
    assert "the station is not running" in outcome.message
    assert store.incidents.newest() == []


def test_a_test_alert_with_a_token_the_station_does_not_know_says_so(store: Store) -> None:
    intake = BackgroundIntake(store, f"127.0.0.1:{free_port()}", FakeClock(NOW))
    intake.start()
    try:
        settings = listening_on(store, f"127.0.0.1:{intake.port}")
        stale = replace(integration(store, "hook"), token="x" * 32)
        outcome = send_test_alert(settings, stale, NOW)
    finally:
        intake.stop()
    assert not outcome.ok
    assert "(403)" in outcome.message
    assert store.incidents.newest() == []
