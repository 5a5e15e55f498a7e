"""Reading and checking SPEC §13's config keys: `maintenance`, an integration's `heartbeat` and a
person's `chat`. `validation` calls these, so the findings use its `error: PATH: reason` format."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, MaintenanceWindow

if TYPE_CHECKING:
    from oncall_desktop.validation.checks import Checker
    from oncall_desktop.validation.document import DocumentReader

MAINTENANCE_KEYS = ("name", "start", "end", "match")
HEARTBEAT_KEYS = ("timeout",)
HEARTBEAT_SECONDS = (5, 7 * 24 * 3600)
"""A heartbeat timeout from 5 seconds (drills and tests) to a week."""
_DURATION = re.compile(r"(\d+)\s*(s|m|h|d)\Z")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int | None:
    """`30s`, `10m`, `2h`, `1d` → seconds; None if it is not one."""
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_duration(seconds: int) -> str:
    """Seconds as the config file writes them: the largest whole unit (`10m`, `90s`, `2h`)."""
    for unit in ("d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def read_maintenance(
    reader: DocumentReader, value: object, paths: list[str]
) -> tuple[MaintenanceWindow, ...]:
    """The `maintenance` list; each readable window's path is appended to `paths`."""
    from oncall_desktop.validation.reader import UnreadableError

    items: list[object] = reader.kept(lambda: reader.sequence(value, "maintenance"), [])
    windows: list[MaintenanceWindow] = []
    for i, item in enumerate(items):
        path = f"maintenance[{i}]"
        try:
            windows.append(_window(reader, item, path))
        except UnreadableError:
            continue
        paths.append(path)
    return tuple(windows)


def _window(reader: DocumentReader, value: object, path: str) -> MaintenanceWindow:
    from oncall_desktop.validation.reader import UnreadableError

    required = ("name", "start", "end")
    raw = reader.mapping(value, path, MAINTENANCE_KEYS, required, secrets="NAME")
    if any(key not in raw for key in required):
        raise UnreadableError()
    name = reader.string(raw.get("name"), f"{path}.name")
    start = reader.moment(raw.get("start"), f"{path}.start")
    end = reader.moment(raw.get("end"), f"{path}.end")
    match = reader.match_conditions(raw.get("match"), f"{path}.match")
    return MaintenanceWindow(name=name, start=start, end=end, match=match)


def read_heartbeat(reader: DocumentReader, value: object, path: str) -> int | None:
    """An integration's `heartbeat: {timeout: 10m}` as seconds (None: no heartbeat)."""
    if value is None:
        return None
    raw = reader.mapping(value, path, HEARTBEAT_KEYS, ("timeout",))
    timeout = raw.get("timeout")
    if isinstance(timeout, int) and not isinstance(timeout, bool):
        raise reader.error(f"{path}.timeout", f"write a duration with its unit, e.g. {timeout}s or 10m")
    text = reader.string(timeout, f"{path}.timeout")
    seconds = parse_duration(text)
    if seconds is None:
        raise reader.error(f"{path}.timeout", f"{text!r} is not a duration: write e.g. 90s, 10m or 2h")
    return seconds


def read_chat(reader: DocumentReader, value: object, path: str) -> bool:
    """A person's `chat: true`: they have chat URLs in the keyring (never the URLs themselves)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, list)):
        raise reader.error(
            path,
            "chat URLs hold tokens, so they belong in the keyring, never in this file: "
            "write chat: true and store them with `oncall-desktop secrets set chat.<person>`",
        )
    raise reader.error(path, "must be true or false")


def check_reach(checker: Checker, config: Configuration, paths: Sequence[str]) -> None:
    """The semantic checks of the maintenance windows and heartbeats."""
    seen: dict[str, str] = {}
    zone = timeutil.zone(timeutil.system_zone_name())
    for window, path in zip(config.maintenance, paths, strict=True):
        if not window.name.strip():
            checker.error(f"{path}.name", "must not be empty")
        elif window.name in seen:
            checker.error(f"{path}.name", f"duplicate window name {window.name!r} (also {seen[window.name]})")
        else:
            seen[window.name] = path
        if timeutil.to_instant(window.end, zone) <= timeutil.to_instant(window.start, zone):
            checker.error(f"{path}.end", "must be after the start")
        if window.match.mode not in ("all", "any"):
            checker.error(f"{path}.match.mode", "must be all or any")
        for i, condition in enumerate(window.match.conditions):
            key, sep, _value = condition.partition(":")
            if not sep or not key.strip():
                checker.error(f"{path}.match.conditions[{i}]", f"{condition!r} is not key:value")
    low, high = HEARTBEAT_SECONDS
    for integration, path in zip(config.integrations, checker.paths.integrations, strict=True):
        timeout = integration.heartbeat_timeout
        if timeout is not None and not low <= timeout <= high:
            checker.error(
                f"{path}.heartbeat.timeout",
                f"must be from {format_duration(low)} to {format_duration(high)}, "
                f"not {format_duration(timeout)}",
            )
