"""Heartbeats (SPEC §13) on a fake clock: each integration's heartbeat URL takes GET and POST, a
lapse opens one P1 incident "no heartbeat from <integration>" (also across an engine restart), the
next beat resolves it; a real Alertmanager's always-firing Watchdog routed to the heartbeat URL
keeps it quiet, and stopping Alertmanager opens the incident."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall_desktop import configfile
from oncall_desktop.domain import Integration, Settings, Severity, StationSettings, Status
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.server import create_app
from oncall_desktop.integrations import heartbeat_url
from oncall_desktop.store import Store
from tests.fake_twilio import ServerThread
from tests.helpers_station import (
    STATION_YAML,
    configured_store,
    free_port,
    integration,
    wait_for_port,
    wait_until,
)
from tests.test_alertmanager import ALERTMANAGER, iso, post_alerts
from tests.test_engine import LeaseClock, Phone

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@dataclass
class Beating:
    store: Store
    clock: FakeClock
    engine: EscalationEngine
    station: ServerThread
    lease: LeaseClock

    def am(self) -> Integration:
        return integration(self.store, "prod-am")

    def url(self) -> str:
        return heartbeat_url(self.store.load_configuration().settings, self.am())

    def tick(self, advance: timedelta = timedelta(0)) -> None:
        self.clock.advance(advance)
        self.lease.advance(SECOND)
        self.engine.tick(self.clock.now())
        assert self.engine.settle(10)

    def lapses(self) -> list[int]:
        return [
            i.id for i in self.store.incidents.newest() if i.title == "no heartbeat from Prod Alertmanager"
        ]


def beat(url: str, method: str = "POST") -> dict[str, object]:
    data = b'{"status": "firing"}' if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        answer: dict[str, object] = json.loads(response.read())
        return answer


@pytest.fixture
def beating(tmp_path: Path) -> Iterator[Beating]:
    store = configured_store(f"sqlite:///{tmp_path / 'beats.db'}")
    config = store.load_configuration()
    integrations = tuple(
        replace(i, heartbeat_timeout=600 if i.id == "prod-am" else None) for i in config.integrations
    )
    store.replace_configuration(replace(config, integrations=integrations))
    clock, lease = FakeClock(T), LeaseClock()
    station = ServerThread(create_app(store, clock)).start()
    store.save_settings(Settings(station=StationSettings(public_url=station.url)))
    engine = EscalationEngine(store, [Phone()], holder="a", clock=clock, real_clock=lease)
    try:
        yield Beating(store, clock, engine, station, lease)
    finally:
        engine.release(10)
        station.stop()
        store.close()


def test_a_lapse_opens_one_p1_incident_and_the_next_beat_resolves_it(beating: Beating) -> None:
    beating.tick()  # the station starts watching at T
    beating.tick(9 * 60 * SECOND)
    assert beating.lapses() == []
    assert beat(beating.url(), "GET") == {"ok": True, "resolved": None}
    beating.tick(9 * 60 * SECOND)  # T+18m: 9 minutes after the beat
    assert beating.lapses() == []
    beating.tick(60 * SECOND)  # ten minutes since the beat
    [lapsed] = beating.lapses()
    incident = beating.store.incidents.get(lapsed)
    assert (incident.severity, incident.status, incident.tags) == (
        Severity.P1,
        Status.OPEN,
        ("heartbeat:prod-am",),
    )
    assert incident.description.startswith(
        "No heartbeat arrived at the heartbeat URL of Prod Alertmanager within 10m "
        "(since 2026-03-02T10:09:00Z)"
    )
    assert beating.store.incidents.notifications(lapsed)  # paged like any incident
    # a restarted engine (another station) sees the lapse already open
    beating.engine.release(10)
    beating.lease.advance(20 * SECOND)
    beating.engine = EscalationEngine(
        beating.store, [Phone()], holder="b", clock=beating.clock, real_clock=beating.lease
    )
    beating.tick(5 * 60 * SECOND)
    assert beating.lapses() == [lapsed]
    assert beat(beating.url()) == {"ok": True, "resolved": lapsed}
    assert beating.store.incidents.get(lapsed).status == Status.RESOLVED
    said = [e.message for e in beating.store.incidents.timeline(lapsed) if e.kind == "heartbeat"]
    assert said == ["heartbeat from Prod Alertmanager again"]
    beating.tick(9 * 60 * SECOND)
    assert beating.lapses() == [lapsed]


def test_heartbeat_url_refuses_unknown_tokens_and_other_kinds(beating: Beating) -> None:
    url = beating.url()
    assert url == f"{beating.station.url}/integrations/v1/alertmanager/{beating.am().token}/heartbeat/"
    for wrong, status in (
        (url.replace(beating.am().token or "", "nope"), 403),
        (url.replace("/alertmanager/", "/webhook/"), 400),
        (url.replace("/alertmanager/", "/nagios/"), 404),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            beat(wrong)
        assert refused.value.code == status
    assert beating.store.heartbeats.last_beats(["prod-am"]) == {}


def test_config_heartbeat_timeout_reads_checks_and_dumps() -> None:
    text = STATION_YAML.replace(
        "{id: prod-am, name: Prod Alertmanager, kind: alertmanager}",
        "{id: prod-am, name: Prod Alertmanager, kind: alertmanager, heartbeat: {timeout: 10m}}",
    ).replace(
        "{id: hook, name: Generic, kind: webhook}",
        "{id: hook, name: Generic, kind: webhook, heartbeat: {timeout: 2s}}",
    )
    config, problems = configfile.load_text(text)
    assert config is None
    assert [str(p) for p in problems if "heartbeat" in p.path] == [
        "error: integrations[2].heartbeat.timeout: must be from 5s to 7d, not 2s"
    ]
    config, problems = configfile.load_text(text.replace("timeout: 2s", "timeout: 600"))
    assert [str(p) for p in problems if "heartbeat" in p.path] == [
        "error: integrations[2].heartbeat.timeout: write a duration with its unit, e.g. 600s or 10m"
    ]
    config, _ = configfile.load_text(text.replace("timeout: 2s", "timeout: 90s"))
    assert config is not None
    assert [i.heartbeat_timeout for i in config.integrations] == [600, None, 90]
    dumped = configfile.dump(config)
    assert "heartbeat:\n    timeout: 10m" in dumped
    assert "heartbeat:\n    timeout: 90s" in dumped


@pytest.mark.skipif(not Path(ALERTMANAGER).exists(), reason="prometheus-alertmanager not installed")
def test_alertmanager_watchdog_is_a_dead_mans_switch(tmp_path: Path, beating: Beating) -> None:
    store = beating.store
    config = store.load_configuration()
    short = tuple(replace(i, heartbeat_timeout=5 if i.id == "prod-am" else None) for i in config.integrations)
    store.replace_configuration(replace(config, integrations=short))
    beating.tick()
    am_config = tmp_path / "alertmanager.yml"
    am_config.write_text(
        json.dumps(
            {
                "route": {
                    "receiver": "nobody",
                    "routes": [
                        {
                            "receiver": "heartbeat",
                            "matchers": ['alertname="Watchdog"'],
                            "group_wait": "0s",
                            "group_interval": "1s",
                            "repeat_interval": "1s",
                        }
                    ],
                },
                "receivers": [
                    {"name": "nobody"},
                    {
                        "name": "heartbeat",
                        "webhook_configs": [{"url": beating.url(), "send_resolved": False}],
                    },
                ],
            }
        )
    )
    port = free_port()
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={am_config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("wb"),
    )
    try:
        wait_for_port(port, process)  # type: ignore[arg-type]
        now = datetime.now(UTC)
        watchdog = {"labels": {"alertname": "Watchdog", "severity": "none"}, "startsAt": iso(now)}
        post_alerts(port, [{**watchdog, "endsAt": iso(now + timedelta(hours=1))}])
        for _ in range(4):  # 4 × 3 s of fake time, past the 5 s timeout: the beats keep it quiet
            beating.tick(3 * SECOND)
            wait_until(
                lambda: store.heartbeats.last_beats(["prod-am"]).get("prod-am") == beating.clock.now(),
                what="a Watchdog notification on the heartbeat URL",
            )
            beating.tick()
            assert beating.lapses() == []
    finally:
        process.terminate()
        process.wait(timeout=10)
    beating.tick(6 * SECOND)
    [lapsed] = beating.lapses()
    assert store.incidents.get(lapsed).status == Status.OPEN
