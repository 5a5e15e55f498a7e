"""What the three sources' mappings share: the result of a migration, the report of what was
skipped, ids made from names, weekly spans cut into §3 windows, and ladders made from timed steps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal

from oncall_desktop import timeutil
from oncall_desktop.domain import (
    LADDER_STATUSES,
    TEAM_PREFIX,
    Channel,
    Configuration,
    EscalationLevel,
    Status,
    Target,
    Window,
)
from oncall_desktop.migration.http import MigrationError

SOURCES = ("grafana-oncall", "opsgenie", "pagerduty")
SOURCE_NAMES = {"grafana-oncall": "Grafana OnCall", "opsgenie": "Opsgenie", "pagerduty": "PagerDuty"}

MAX_WAIT_MINUTES = 360
MAX_LEVELS_AFTER_ZERO = 10
DEFAULT_CHANNELS = (Channel.SMS, Channel.EMAIL)
IMPORTANT_CHANNELS = (Channel.VOICE, Channel.SMS)
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Skipped:
    """One thing that was not carried over (or only approximately), and why."""

    kind: str
    id: str
    reason: str


@dataclass
class Migration:
    """A migrated configuration with its report.

    `schedules` maps each source schedule id to the rule that carries it (what `--verify` compares),
    `people` each source user id to its person id.
    """

    source: str
    config: Configuration
    skipped: list[Skipped] = field(default_factory=list)
    schedules: dict[str, str] = field(default_factory=dict)
    schedule_names: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """SPEC §11's `--json` report."""
        return {
            "people": len(self.config.people),
            "teams": len(self.config.teams),
            "rules": sum(not r.is_default for r in self.config.rules),
            "overrides": len(self.config.overrides),
            "integrations": len(self.config.integrations),
            "skipped": [{"kind": s.kind, "id": s.id, "reason": s.reason} for s in self.skipped],
        }


class Ids:
    """Slugs made from source names, each different from the others of its kind."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def new(self, name: str, fallback: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or fallback
        candidate, n = base, 2
        while candidate in self._taken:
            candidate, n = f"{base}-{n}", n + 1
        self._taken.add(candidate)
        return candidate

    def reserve(self, ident: str) -> None:
        self._taken.add(ident)


# -- reading JSON without trusting it -------------------------------------------------------------


def obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MigrationError(f"{where}: expected a JSON object, found {type(value).__name__}")
    return value


def sub(value: object) -> dict[str, Any]:
    """A nested object, or an empty one where the source gives none."""
    return value if isinstance(value, dict) else {}


def items(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise MigrationError(f"{where}: expected a JSON list, found {type(value).__name__}")
    return [obj(item, f"{where}[{i}]") for i, item in enumerate(value)]


def from_pages(pages: Sequence[object], key: str, where: str) -> list[dict[str, Any]]:
    """The items under `key` of every page, in order."""
    result: list[dict[str, Any]] = []
    for i, page in enumerate(pages):
        result.extend(items(obj(page, f"{where} page {i + 1}").get(key), f"{where} page {i + 1}: {key}"))
    return result


def text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise MigrationError(f"{where}: expected a non-empty string")
    return value


def opt_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def instant(value: object, where: str) -> datetime:
    try:
        return timeutil.parse_instant(text(value, where))
    except timeutil.TimeError as error:
        raise MigrationError(f"{where}: {error}") from None


def wall(value: object, where: str) -> datetime:
    """A naive wall-clock time (`2026-03-01T09:00:00`), or an instant when it carries an offset."""
    raw = text(value, where)
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise MigrationError(f"{where}: {raw!r} is not an ISO date and time") from None


def zone_or_utc(name: object) -> str:
    return name if isinstance(name, str) and timeutil.is_zone(name) else "UTC"


def to_minute(value: datetime, kind: str, ident: str, skipped: list[Skipped]) -> datetime:
    """`value` to the minute: handoffs and windows are whole minutes here (reported when it was not)."""
    if value.second == 0 and value.microsecond == 0:
        return value
    skipped.append(
        Skipped(
            kind,
            ident,
            f"starts at {value.strftime('%H:%M:%S')}: turns start on a whole minute here (approximated)",
        )
    )
    return value.replace(second=0, microsecond=0)


# -- weekly spans as windows ----------------------------------------------------------------------


def span_windows(day: int, start: time, duration: timedelta) -> list[Window] | None:
    """A span starting on weekday `day` at `start` and lasting `duration` (at most a week) as §3
    windows: one per day it touches, back to back (the schedule joins them again). None if it cannot
    be said in whole minutes."""
    if duration <= timedelta(0) or duration > WEEK or duration % timedelta(minutes=1):
        return None
    if duration == WEEK:
        return [Window(tuple(range(7)), time(0), time(0))]
    minutes = start.hour * 60 + start.minute + duration // timedelta(minutes=1)
    if minutes <= 24 * 60:
        return [Window((day,), start, _clock(minutes))]
    windows = [Window((day,), start, time(0))]
    minutes -= 24 * 60
    offset = 1
    while minutes > 24 * 60:
        windows.append(Window(((day + offset) % 7,), time(0), time(0)))
        minutes -= 24 * 60
        offset += 1
    windows.append(Window(((day + offset) % 7,), time(0), _clock(minutes)))
    return windows


def _clock(minutes: int) -> time:
    minutes %= 24 * 60
    return time(minutes // 60, minutes % 60)


def merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """The same windows with equal times on several days written once."""
    grouped: dict[tuple[time, time], list[int]] = {}
    for window in windows:
        grouped.setdefault((window.start, window.end), []).extend(window.days)
    return tuple(Window(tuple(sorted(set(days))), s, e) for (s, e), days in grouped.items())


# -- ladders --------------------------------------------------------------------------------------

StepKind = Literal["oncall", "person", "team"]


@dataclass(frozen=True, slots=True)
class Step:
    """Someone a source notifies `wait` minutes after the alert: this rule's on-call people, a person
    or a team (by our id), on `channels`."""

    wait: int
    kind: StepKind
    target: str
    channels: tuple[Channel, ...] = DEFAULT_CHANNELS


def ladder(
    steps: Sequence[Step],
    repeat: int | None,
    where: str,
    skipped: list[Skipped],
    kind: str = "escalation",
    until_resolved: bool = False,
) -> tuple[EscalationLevel, ...]:
    """Levels from timed steps: level 0 notifies the on-call people at T+0 (with the channels the
    source gave them, when it notified them first), each later instant with people to notify a level
    of its own. `until_resolved`: every level goes on after an acknowledgement, until the incident
    is resolved. What a ladder cannot say is reported in `skipped`."""
    oncall = [s for s in steps if s.kind == "oncall"]
    level0_channels = oncall[0].channels if oncall and oncall[0].wait == 0 else DEFAULT_CHANNELS
    if not oncall:
        skipped.append(
            Skipped(kind, where, "notifies no schedule's on-call people: level 0 notifies them anyway")
        )
    elif oncall[0].wait != 0:
        skipped.append(
            Skipped(
                kind,
                where,
                f"notifies the on-call people at T+{oncall[0].wait}: level 0 notifies them at T+0",
            )
        )
    by_wait: dict[int, list[Target]] = {}
    for step in steps:
        if step.kind == "oncall":
            continue
        wait = step.wait
        if wait == 0:
            skipped.append(
                Skipped(
                    kind,
                    where,
                    f"{step.target} is notified at T+1, not T+0 (level 0 is for the on-call people)",
                )
            )
            wait = 1
        if wait > MAX_WAIT_MINUTES:
            skipped.append(
                Skipped(kind, where, f"{step.target} at T+{wait}: waits end at {MAX_WAIT_MINUTES} minutes")
            )
            continue
        target = f"{TEAM_PREFIX}{step.target}" if step.kind == "team" else step.target
        targets = by_wait.setdefault(wait, [])
        if all(t.target != target for t in targets):
            targets.append(Target(target, step.channels))
    waits = sorted(by_wait)
    if len(waits) > MAX_LEVELS_AFTER_ZERO:
        for wait in waits[MAX_LEVELS_AFTER_ZERO:]:
            skipped.append(
                Skipped(
                    kind, where, f"the step at T+{wait}: at most {MAX_LEVELS_AFTER_ZERO} levels after level 0"
                )
            )
        waits = waits[:MAX_LEVELS_AFTER_ZERO]
    statuses = LADDER_STATUSES if until_resolved else frozenset({Status.OPEN})
    levels = [EscalationLevel(statuses=statuses, channels={"*": level0_channels})]
    levels.extend(EscalationLevel(wait=w, statuses=statuses, add=tuple(by_wait[w])) for w in waits)
    if repeat is not None:
        last = levels[-1]
        levels[-1] = EscalationLevel(
            wait=last.wait,
            severities=last.severities,
            statuses=last.statuses,
            repeat=max(1, repeat),
            channels=last.channels,
            add=last.add,
        )
    return tuple(levels)


def default_ladder() -> tuple[EscalationLevel, ...]:
    return (EscalationLevel(channels={"*": DEFAULT_CHANNELS}),)


def e164(country: object, number: object) -> str | None:
    """`+<country><number>` from a country code and a national number, digits only."""
    digits = re.sub(r"\D", "", str(number)) if isinstance(number, (str, int)) else ""
    code = re.sub(r"\D", "", str(country)) if isinstance(country, (str, int)) else ""
    if not digits:
        return None
    return f"+{code}{digits}" if code else (f"+{digits}" if str(number).startswith("+") else None)


def person_map(values: Mapping[str, str], source_id: object) -> str | None:
    return values.get(source_id) if isinstance(source_id, str) else None
