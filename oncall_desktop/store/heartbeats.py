"""Heartbeats in the store (SPEC §13): each integration's last beat, and the incident its lapse opened.

A lapse opens its incident through intake's own grouping (one open incident per integration and
group key), so opening it twice — two stations, or a station that died between the two writes —
attaches to the one already open. A beat resolves it the same way, with a resolved alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from oncall_desktop.store.db import Database
from oncall_desktop.store.models import IntegrationRow
from oncall_desktop.store.reach_models import HeartbeatRow


@dataclass(frozen=True, slots=True)
class HeartbeatState:
    """An integration's heartbeat: its timeout (seconds), the last beat (None: none yet, counted
    from `armed_at`, when the station first watched it), and the incident open for a lapse."""

    integration: str
    timeout: int
    last_beat_at: datetime | None
    armed_at: datetime | None
    lapsed_incident: int | None


class Heartbeats:
    def __init__(self, db: Database) -> None:
        self.db = db

    def beat(self, integration_id: str, now: datetime) -> int | None:
        """Record a beat at `now`; the incident a lapse had opened (to resolve), if any."""
        with self.db.write() as session:
            row = session.get(HeartbeatRow, integration_id)
            if row is None:
                session.add(HeartbeatRow(integration_id=integration_id, last_beat_at=now))
                return None
            lapsed = row.lapsed_incident_id
            row.last_beat_at = now
            row.lapsed_incident_id = None
            return lapsed

    def watched(self, now: datetime) -> list[HeartbeatState]:
        """Every integration with a heartbeat timeout; one never watched before is armed at `now`."""
        query = (
            select(IntegrationRow.id, IntegrationRow.heartbeat_seconds, HeartbeatRow)
            .outerjoin(HeartbeatRow, HeartbeatRow.integration_id == IntegrationRow.id)
            .where(IntegrationRow.heartbeat_seconds.is_not(None))
            .order_by(IntegrationRow.position)
        )
        with self.db.read() as session:
            rows = session.execute(query).all()
            found = [
                HeartbeatState(
                    integration_id,
                    int(timeout or 0),
                    beat.last_beat_at if beat else None,
                    beat.armed_at if beat else None,
                    beat.lapsed_incident_id if beat else None,
                )
                for integration_id, timeout, beat in rows
            ]
        unarmed = [s.integration for s in found if s.last_beat_at is None and s.armed_at is None]
        if unarmed:
            with self.db.write() as session:
                for integration_id in unarmed:
                    row = session.get(HeartbeatRow, integration_id)
                    if row is None:
                        session.add(HeartbeatRow(integration_id=integration_id, armed_at=now))
                    elif row.last_beat_at is None and row.armed_at is None:
                        row.armed_at = now
        return [
            s if s.integration not in unarmed else HeartbeatState(s.integration, s.timeout, None, now, None)
            for s in found
        ]

    def lapsed(self, integration_id: str, incident_id: int) -> None:
        """The lapse's incident is open."""
        with self.db.write() as session:
            session.execute(
                update(HeartbeatRow)
                .where(HeartbeatRow.integration_id == integration_id)
                .values(lapsed_incident_id=incident_id)
            )

    def last_beats(self, integration_ids: Sequence[str]) -> dict[str, datetime | None]:
        """When each integration last beat (for the Integrations page)."""
        with self.db.read() as session:
            return dict(
                session.execute(
                    select(HeartbeatRow.integration_id, HeartbeatRow.last_beat_at).where(
                        HeartbeatRow.integration_id.in_(list(integration_ids))
                    )
                ).all()
            )
