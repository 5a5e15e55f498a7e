"""Time for the engine, injected: the real clock, a fake one for tests, a fast one for crash drills."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


class ScaledClock:
    """Virtual time running `speed` times faster than real time, equal to `start` at Unix time
    `anchor`: processes started with the same three values share one timeline, so a station killed
    and restarted resumes where the virtual clock has got to meanwhile. For testing only."""

    def __init__(self, start: datetime, speed: float, anchor: float) -> None:
        self.start = start.astimezone(UTC)
        self.speed = speed
        self.anchor = anchor

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    @classmethod
    def parse(cls, spec: str) -> ScaledClock:
        """`START,SPEED,ANCHOR`: an ISO instant with offset, a factor, Unix seconds."""
        parts = spec.split(",")
        if len(parts) != 3:
            raise ValueError("expected START,SPEED,ANCHOR")
        start = datetime.fromisoformat(parts[0].strip().replace("z", "Z"))
        if start.tzinfo is None:
            raise ValueError(f"{parts[0]!r} has no UTC offset")
        speed = float(parts[1])
        if not speed > 0:
            raise ValueError("SPEED must be positive")
        return cls(start, speed, float(parts[2]))


def clock_speed(clock: Clock) -> float:
    """How many virtual seconds pass on `clock` per real second (1 but for a ScaledClock)."""
    return clock.speed if isinstance(clock, ScaledClock) else 1.0
