"""Kill `serve` with SIGKILL at random moments during an escalation, restart it each time, and check
that the recorded notifications are exactly the planner's — none missing, none doubled."""

from __future__ import annotations

import json
import random
import signal
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.store.station_models import EscalationStateRow
from tests.helpers_station import configured_store, integration, start_serve, stop_serve, wait_until

SPEED = 600  # one real second is ten minutes of escalation
KILLS = 4


def test_sigkill_during_escalation_neither_loses_nor_repeats_a_notification(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    store = configured_store(url)
    hook = integration(store, "hook")
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    clock = ["--clock", f"{start.isoformat()},{SPEED},{time.time()}"]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    log = tmp_path / "serve.log"

    station = start_serve(url, log, clock)
    body = json.dumps({"title": "Database down", "severity": "P0", "alert_uid": "db"}).encode()
    request = urllib.request.Request(station.url(hook), data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    target = 0
    for _ in range(KILLS):
        # crash at a random moment: once a random number of further notifications is recorded
        target += rng.randint(1, 6)
        wait_until(
            lambda goal=target: len(store.incidents.notifications()) >= goal, what=f"{target} notifications"
        )
        stop_serve(station, signal.SIGKILL)
        station = start_serve(url, log, clock, port=station.port)
    wait_until(lambda: len(store.incidents.notifications()) > 30, what="an hour of escalation")
    assert stop_serve(station) == 0

    [incident] = store.incidents.newest()
    with store.session() as session:
        planned_until = session.scalar(
            select(EscalationStateRow.planned_until).where(EscalationStateRow.incident_id == incident.id)
        )
    assert planned_until is not None
    expected = plan(
        Schedules(store.load_configuration()),
        IncidentFacts(incident.created_at, incident.severity, incident.tags),
        incident.status_changes(),
        until=planned_until + timedelta(microseconds=1),
    )
    notes = store.incident.id.incidents.notifications()
    context = f"seed {seed}"
    assert [(n.scheduled_at, n.person, n.channel, n.level, n.repeat) for n in notes] == [
        (n.at, n.person, n.channel, n.level, n.repeat) for n in expected
    ], context
    assert {n.state for n in notes} == {"sent"}, context
    delivered = [e for e in store.incident.id.incidents.timeline() if e.kind == "notified"]
    assert len(delivered) == len(notes), context
    assert any(n.late for n in notes), context
    store.close()
