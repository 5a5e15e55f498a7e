"""Time for the engine, injected: the real clock, a fake one for tests, a fast one for crash drills."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware UTC."""
        ...

    def at_real(self, real: datetime) -> datetime:
        """A real (wall-clock) instant, such as a provider's timestamp, on this clock."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def at_real(self, real: datetime) -> datetime:
        return real


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

    def at_real(self, real: datetime) -> datetime:
        return real


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

    def at_real(self, real: datetime) -> datetime:
        return self.start + timedelta(seconds=(real.timestamp() - self.anchor) * self.speed)

    def spec(self) -> str:
        """`START,SPEED,ANCHOR`, as `parse` reads it (other processes can share this clock)."""
        return f"{self.start.isoformat()},{self.speed},{self.anchor}"

    @classmethod
    def parse(cls, spec: str) -> ScaledClock:
        """`START,SPEED[,ANCHOR]`: an ISO instant with offset, a factor, Unix seconds (default: now)."""
        parts = spec.split(",")
        if len(parts) not in (2, 3):
            raise ValueError("expected START,SPEED[,ANCHOR]")
        start = datetime.fromisoformat(parts[0].strip().replace("z", "Z"))
        if start.tzinfo is None:
            raise ValueError(f"{parts[0]!r} has no UTC offset")
        speed = float(parts[1])
        if not speed > 0:
            raise ValueError("SPEED must be positive")
        anchor = float(parts[2]) if len(parts) == 3 else time.time()
        return cls(start, speed, anchor)


def clock_spec(clock: Clock) -> str | None:
    """What other processes need to follow `clock`: the spec of a virtual clock, else None."""
    return clock.spec() if isinstance(clock, ScaledClock) else None


def clock_speed(clock: Clock) -> float:
    """How many virtual seconds pass on `clock` per real second (1 but for a ScaledClock)."""
    return clock.speed if isinstance(clock, ScaledClock) else 1.0
