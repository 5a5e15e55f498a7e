"""The station's one HTTP app: intake, calendar feeds and paging routes, also run beside the GUI."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.station import BackgroundIntake
from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from tests.helpers_station import configured_store, free_port, integration

NOW = utc(2026, 3, 20, 12)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = configured_store(f"sqlite:///{tmp_path / 'station.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def intake(store: Store) -> Iterator[BackgroundIntake]:
    seen: list[int] = []
    running = BackgroundIntake(
        store, f"127.0.0.1:{free_port()}", FakeClock(NOW), lambda o: seen.append(len(o))
    )
    running.start()
    yield running
    running.stop()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_background_intake_stores_an_alert_before_answering(store: Store, intake: BackgroundIntake) -> None:
    webhook = integration(store, "hook")
    body = json.dumps({"title": "Disk full on db-1", "severity": "P1", "alert_uid": "disk-db-1"}).encode()
    url = f"http://127.0.0.1:{intake.port}/integrations/v1/webhook/{webhook.token}/"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert 200 <= response.status < 300
    assert [i.title for i in store.incidents.newest()] == ["Disk full on db-1"]


def test_the_station_serves_calendar_feeds_and_hides_unknown_tokens(
    store: Store, intake: BackgroundIntake
) -> None:
    person = store.load_configuration().people[0]
    feed = store.feeds.create(NOW, person=person.id)
    status, body = get(f"http://127.0.0.1:{intake.port}/ical/{feed.token}.ics")
    assert status == 200
    assert body.startswith(b"BEGIN:VCALENDAR")
    status, body = get(f"http://127.0.0.1:{intake.port}/ical/{'x' * 32}.ics")
    assert status == 404
    assert b"VCALENDAR" not in body


def test_a_busy_port_is_reported_not_swallowed(store: Store, intake: BackgroundIntake) -> None:
    second = BackgroundIntake(store, f"127.0.0.1:{intake.port}", FakeClock(NOW))
    with pytest.raises(OSError, match=r"(?i)address already in use|error while attempting"):
        second.start()
