"""A real Prometheus Alertmanager posts firing and then resolved alerts to a running `serve`."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall_desktop.domain import Severity, Status
from oncall_desktop.store import Store
from tests.helpers_station import (
    Station,
    configured_store,
    free_port,
    integration,
    serving,
    wait_for_port,
    wait_until,
)
from tests.processes import die_with_parent

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
pytestmark = pytest.mark.skipif(
    not Path(ALERTMANAGER).exists(), reason="prometheus-alertmanager not installed"
)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[tuple[Store, Station]]:
    url = f"sqlite:///{tmp_path / 'station.db'}"
    store = configured_store(url)
    with serving(url, tmp_path / "serve.log") as running:
        yield store, running
    store.close()


def start_alertmanager(tmp_path: Path, webhook_url: str) -> tuple[subprocess.Popen[bytes], int]:
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "global": {"resolve_timeout": "1s"},
                "route": {
                    "receiver": "station",
                    "group_by": ["alertname"],
                    "group_wait": "1s",
                    "group_interval": "1s",
                    "repeat_interval": "1h",
                },
                "receivers": [
                    {"name": "station", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}
                ],
            }
        )
    )
    port = free_port()
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("wb"),
        preexec_fn=die_with_parent,
    )
    wait_for_port(port, process)  # type: ignore[arg-type]
    return process, port


def post_alerts(port: int, alerts: list[dict[str, object]]) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_alertmanager_fires_then_resolves_one_incident(
    tmp_path: Path, station: tuple[Store, Station]
) -> None:
    store, running = station
    process, port = start_alertmanager(tmp_path, running.url(integration(store, "prod-am")))
    try:
        now = datetime.now(UTC)
        labels = {"alertname": "CheckoutErrors", "severity": "warning", "service": "payments"}
        alerts: list[dict[str, object]] = [
            {
                "labels": {**labels, "instance": f"web-{n}"},
                "annotations": {"summary": "Checkout errors above 2%"},
                "startsAt": iso(now),
                "endsAt": iso(now + timedelta(hours=1)),
            }
            for n in (1, 2)
        ]
        post_alerts(port, alerts)
        wait_until(lambda: store.incidents.newest(), what="an incident from Alertmanager")
        [incident] = store.incidents.newest()
        assert incident.title == "Checkout errors above 2%"
        assert incident.severity == Severity.P2
        assert "service:payments" in incident.tags
        assert incident.status == Status.OPEN
        wait_until(lambda: store.incidents.notifications(incident.id), what="the engine paging bob")
        assert {(n.person, n.rule) for n in store.incidents.notifications(incident.id)} == {
            ("bob", "payments")
        }

        ended = datetime.now(UTC) - timedelta(seconds=1)
        post_alerts(port, [{**alert, "endsAt": iso(ended)} for alert in alerts])
        wait_until(
            lambda: store.incidents.get(incident.id).status == Status.RESOLVED, what="the incident resolved"
        )
        assert len(store.incidents.newest()) == 1
        assert "incident 1 opened: Checkout errors above 2%" in running.log()
    finally:
        process.terminate()
        process.wait(timeout=10)
