"""What `oncall-desktop status` and `GET /healthz` say (SPEC §10): this station, the engine lease,
the stations seen lately and the outbox; healthy when an engine, on any station, ticked lately."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oncall_desktop.store import Store
from oncall_desktop.timeutil import format_instant

HEALTHY_TICK = timedelta(seconds=10)


def station_status(
    store: Store, station: str | None, engine_now: datetime, real_now: datetime
) -> dict[str, Any]:
    """The status document; `engine_now` is the engine's clock (for what is due), `real_now` real time."""
    lease = store.lease.state()
    holder = lease.holder if lease is not None else None
    due, unknown = store.lease.outbox_counts(engine_now)
    return {
        "station": station,
        "engine": {
            "holder": holder,
            "epoch": lease.epoch if lease is not None else 0,
            "lease_expires": _instant(lease.expires_at if lease is not None else None),
            "last_tick": _instant(lease.last_tick if lease is not None else None),
        },
        "stations": [
            {"id": s.id, "last_seen": format_instant(s.last_seen), "engine": s.id == holder}
            for s in store.lease.stations(real_now)
        ],
        "outbox": {"due": due, "unknown": unknown},
        "problems": [{"incident": i, "reason": reason} for i, reason in store.outbox.problems()],
        "healthy": healthy(store, real_now, lease.last_tick if lease is not None else None),
    }


def healthy(store: Store, real_now: datetime, last_tick: datetime | None) -> bool:
    """An engine ticked within `HEALTHY_TICK` of now (lease times are real time)."""
    return last_tick is not None and real_now - last_tick <= HEALTHY_TICK


def _instant(value: datetime | None) -> str | None:
    return format_instant(value) if value is not None else None
