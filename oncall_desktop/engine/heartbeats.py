"""Heartbeats (SPEC §13): the dead man's switch on each integration.

An integration with `heartbeat: {timeout: …}` expects a request on its heartbeat URL at least that
often (Alertmanager's always-firing Watchdog alert routed there is the classic one). When none came
within the timeout — counted from the last beat, or from when the station began watching — the
engine's tick opens a P1 incident "no heartbeat from <integration>"; the next beat resolves it.
Both go through intake's grouping, so a lapse seen twice opens one incident.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from oncall_desktop.domain import Integration, Severity
from oncall_desktop.incident import IncomingAlert, IntakeResult, NewEvent
from oncall_desktop.reach_validation import format_duration
from oncall_desktop.store import Store
from oncall_desktop.timeutil import format_instant

log = logging.getLogger(__name__)

HEARTBEAT_GROUP = "oncall-desktop-heartbeat"
_FINGERPRINT = "heartbeat"


def lapse_title(integration: Integration) -> str:
    return f"no heartbeat from {integration.name}"


def _lapse(integration: Integration, since: datetime, timeout: int) -> IntakeResult:
    return IntakeResult(
        group_key=HEARTBEAT_GROUP,
        title=lapse_title(integration),
        description=(
            f"No heartbeat arrived at the heartbeat URL of {integration.name} within "
            f"{format_duration(timeout)} (since {format_instant(since)}): the monitoring that "
            "sends it may be down."
        ),
        severity=Severity.P1,
        tags=(f"heartbeat:{integration.id}",),
        alerts=(IncomingAlert(_FINGERPRINT, "firing", {}),),
    )


def _beat() -> IntakeResult:
    return IntakeResult(
        group_key=HEARTBEAT_GROUP,
        title="heartbeat",
        description="",
        severity=Severity.P1,
        tags=(),
        alerts=(IncomingAlert(_FINGERPRINT, "resolved", {}),),
    )


def record_beat(store: Store, integration: Integration, now: datetime) -> int | None:
    """A heartbeat arrived: store it and resolve the lapse's incident, if one is open (its id)."""
    store.heartbeats.beat(integration.id, now)
    outcome = store.incidents.ingest(integration.id, _beat(), now)
    if outcome.resolved and outcome.incident_id is not None:
        store.incidents.add_events(
            [NewEvent(outcome.incident_id, now, "heartbeat", f"heartbeat from {integration.name} again")]
        )
        log.info("incident %s resolved: heartbeat from %s again", outcome.incident_id, integration.id)
        return outcome.incident_id
    return None


def check_heartbeats(store: Store, integrations: Sequence[Integration], now: datetime) -> list[int]:
    """Open an incident for each integration whose heartbeat lapsed at `now` (the ids opened)."""
    by_id = {i.id: i for i in integrations}
    opened = []
    for state in store.heartbeats.watched(now):
        integration = by_id.get(state.integration)
        since = state.last_beat_at or state.armed_at
        if integration is None or state.lapsed_incident is not None or since is None:
            continue
        if now < since + timedelta(seconds=state.timeout):
            continue
        outcome = store.incidents.ingest(integration.id, _lapse(integration, since, state.timeout), now)
        if outcome.incident_id is None:
            continue
        store.heartbeats.lapsed(integration.id, outcome.incident_id)
        if outcome.opened:
            log.warning("incident %s opened: %s", outcome.incident_id, lapse_title(integration))
            opened.append(outcome.incident_id)
    return opened
