"""Shared by the station tests: a configured store, and `serve` running as a real subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from oncall_desktop import configfile
from oncall_desktop.domain import Channel, Integration, Settings
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, ReconcileResult
from oncall_desktop.incident import StaleClaim
from oncall_desktop.store import Store
from tests.processes import die_with_parent

STATION_YAML = """
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
      - {level: 0, channels: [sms]}
  - id: default
    personnel: [alice]
    escalation:
      - {level: 0, channels: [sms, email], repeat: 5}
      - {level: 1, wait: 30, add: [{target: carol, channels: [voice]}], repeat: 10}
integrations:
  - {id: prod-am, name: Prod Alertmanager, kind: alertmanager}
  - {id: grafana, name: Grafana, kind: grafana_alerting}
  - {id: hook, name: Generic, kind: webhook}
"""


def configured_store(url: str) -> Store:
    """A store holding STATION_YAML's configuration (integrations get fresh tokens)."""
    config, problems = configfile.load_text(STATION_YAML)
    assert config is not None, problems
    store = Store.open(url)
    store.replace_configuration(config)
    return store


def integration(store: Store, integration_id: str) -> Integration:
    return next(i for i in store.integrations() if i.id == integration_id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 20.0) -> None:
    """Poll until something accepts connections on 127.0.0.1:`port` (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)  # polling a socket for readiness, not waiting for a result
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


def wait_until(predicate: object, timeout: float = 20.0, what: str = "condition") -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)  # polling the database, bounded by the deadline
    raise TimeoutError(f"{what} not met after {timeout} s")


@dataclass
class Station:
    process: subprocess.Popen[bytes]
    port: int
    stderr: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, integration: Integration) -> str:
        return f"{self.base_url}/integrations/v1/{integration.kind}/{integration.token}/"

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")


def start_serve(db_url: str, log_path: Path, extra: Sequence[str] = (), port: int | None = None) -> Station:
    port = port or free_port()
    stderr = log_path.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oncall_desktop.cli",
            "--db",
            db_url,
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=die_with_parent,
    )
    stderr.close()
    wait_for_port(port, process)
    return Station(process, port, log_path)


def stop_serve(station: Station, sig: int = signal.SIGTERM) -> int:
    if station.process.poll() is None:
        station.process.send_signal(sig)
    return station.process.wait(timeout=20)


@contextmanager
def serving(db_url: str, log_path: Path, extra: Sequence[str] = ()) -> Iterator[Station]:
    station = start_serve(db_url, log_path, extra)
    try:
        yield station
    finally:
        stop_serve(station)


class FailingVoice:
    """Phone calls fail for good, as when the carrier rejects the number (an outside provider)."""

    channels = frozenset({Channel.VOICE})
    in_transaction = False

    def ready(self, settings: Settings) -> bool:
        return True

    def send(self, delivery: Delivery) -> DeliveryResult:
        return DeliveryResult.failed("carrier rejected the number")

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        return []


def tick_at(engine: EscalationEngine, clock: FakeClock, at: datetime) -> None:
    """Tick the engine (running on `clock`) at `at` and wait for the sends it started."""
    clock.set(at)
    engine.tick(at)
    assert engine.settle(20)
