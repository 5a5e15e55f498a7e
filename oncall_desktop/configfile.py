"""The SPEC §6 YAML file: reading it (never raising) and writing it deterministically.

`dump` writes every value explicitly, in a fixed order, so that `dump → load_text → dump` is
byte-identical and a configuration survives the round trip (integration tokens excepted: `dump`
writes them only for a migration, SPEC §11). All checking is `validation`'s.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any

import yaml

from oncall_desktop import planning_config, timeutil
from oncall_desktop.domain import (
    WEEKDAYS,
    Channel,
    Configuration,
    EscalationLevel,
    Integration,
    Layer,
    MaintenanceWindow,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Settings,
    Team,
    Window,
    is_short_form,
    sorted_severities,
    sorted_statuses,
)
from oncall_desktop.reach_validation import format_duration
from oncall_desktop.validation import Problem, validate_document

FILE_PATH = "<file>"


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML would keep the last
    silently, so a typo'd second `escalation:` would replace the first without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class says so
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    f"while reading a mapping (line {first.start_mark.line + 1})",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep)


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    try:
        return int(yaml.SafeLoader.construct_yaml_int(loader, node))
    except ValueError:  # more digits than Python converts (4,300)
        raise yaml.constructor.ConstructorError(
            None, None, f"a number of {len(str(node.value))} digits is too long to read", node.start_mark
        ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

MAX_DEPTH_REASON = "the file is nested too deeply to read (a few levels are all this format needs)"


def load_text(text: str) -> tuple[Configuration | None, list[Problem]]:
    """Parse and validate YAML text; malformed YAML is one error naming its line and column."""
    try:
        doc = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc)]
    except RecursionError:
        return None, [Problem("error", FILE_PATH, MAX_DEPTH_REASON)]
    try:
        return validate_document(doc)
    except RecursionError:
        return None, [Problem("error", FILE_PATH, MAX_DEPTH_REASON)]


def load_file(path: str | os.PathLike[str]) -> tuple[Configuration | None, list[Problem]]:
    """Read, parse and validate a config file; a missing or unreadable file is one error, never raised."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None, [Problem("error", FILE_PATH, f"no such file: {os.fspath(path)}")]
    except IsADirectoryError:
        return None, [Problem("error", FILE_PATH, f"{os.fspath(path)} is a directory, not a file")]
    except UnicodeDecodeError as exc:
        return None, [Problem("error", FILE_PATH, f"{os.fspath(path)} is not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem("error", FILE_PATH, f"cannot read {os.fspath(path)}: {exc.strerror or exc}")]
    return load_text(text)


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    reason = "malformed YAML: " + ", ".join(str(p) for p in (context, problem) if p) if problem else str(exc)
    if mark is not None:
        return Problem("error", f"line {mark.line + 1}, column {mark.column + 1}", reason)
    return Problem("error", FILE_PATH, reason)


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------


class _Quoted(str):
    """A string always written in double quotes (times, dates, phone numbers: YAML would misread them)."""

    __slots__ = ()


class _Flow(list[Any]):
    """A short list written on one line: `[sms, email]`."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_quoted(dumper: yaml.SafeDumper, data: _Quoted) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(data), flow_style=True)


_Dumper.add_representer(_Quoted, _represent_quoted)
_Dumper.add_representer(_Flow, _represent_flow)


def dump(config: Configuration, *, tokens: bool = False) -> str:
    """The configuration as the §6 YAML file; deterministic, with the default rule last.

    Integration tokens are written only with `tokens` (a migration keeping its source's URLs, SPEC
    §11); `config dump` never prints them."""
    zones = {r.id: r.timezone for r in config.rules}
    rules = [r for r in config.rules if not r.is_default] + [r for r in config.rules if r.is_default]
    doc: dict[str, Any] = {
        "version": 1,
        "people": [_person(p) for p in config.people],
        "teams": [_team(t) for t in config.teams],
        "rules": [_rule(r) for r in rules],
        "overrides": [_override(o, zones.get(o.rule)) for o in config.overrides],
        "integrations": [_integration(i, tokens) for i in config.integrations],
        "settings": _settings(config.settings),
    }
    if config.maintenance:
        doc["maintenance"] = [_maintenance(w) for w in config.maintenance]
    if config.time_off:  # written only when there is some, so files without planning stay as they were
        doc["time_off"] = [
            {**entry, "start": _Quoted(entry["start"]), "end": _Quoted(entry["end"])}
            for entry in planning_config.dump_time_off(config)
        ]
    return yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096
    )


def _opt_quoted(value: str | None) -> _Quoted | None:
    return None if value is None else _Quoted(value)


def _hhmm(value: time) -> _Quoted:
    return _Quoted(value.strftime("%H:%M"))


def _moment(value: datetime) -> _Quoted:
    """A naive wall-clock time or an aware instant (with its offset), to the minute when possible."""
    spec = "minutes" if value.second == 0 and value.microsecond == 0 else "auto"
    return _Quoted(value.isoformat(timespec=spec))


def _person(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "phone": _opt_quoted(person.phone),
        "oncall_email": person.oncall_email,
        "oncall_phone": _opt_quoted(person.oncall_phone),
        "timezone": person.timezone,
        "colour": _opt_quoted(person.colour),
        **({"chat": True} if person.chat else {}),
        **({"holidays": person.holidays} if person.holidays else {}),
    }


def _team(team: Team) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "members": _Flow(team.members)}


def _rule(rule: OnCallRule) -> dict[str, Any]:
    staffing: dict[str, Any]
    if is_short_form(rule):
        staffing = _staffing(rule.layers[0])
    else:
        staffing = {"combine": rule.combine, "layers": [_layer(layer) for layer in rule.layers]}
    staffing["escalation"] = [_level(level, i) for i, level in enumerate(rule.escalation)]
    if rule.reminders is not None:
        staffing["reminders"] = {
            "before": planning_config.format_duration(rule.reminders.before_minutes),
            "channels": _channels(rule.reminders.channels),
        }
    if rule.is_default:
        return {"id": rule.id, **staffing}
    return {
        "id": rule.id,
        "name": rule.name,
        "timezone": rule.timezone,
        "effective": _effective(rule.effective_start, rule.effective_end),
        "windows": [_window(w) for w in rule.windows],
        "match": {"mode": rule.match.mode, "conditions": _Flow(_Quoted(c) for c in rule.match.conditions)},
        **staffing,
    }


def _staffing(layer: Layer) -> dict[str, Any]:
    return {"personnel": _Flow(layer.personnel), "rotation": _rotation(layer.rotation)}


def _layer(layer: Layer) -> dict[str, Any]:
    return {
        "name": layer.name,
        "timezone": layer.timezone,
        "effective": _effective(layer.effective_start, layer.effective_end),
        "windows": [_window(w) for w in layer.windows],
        **_staffing(layer),
    }


def _effective(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    return {
        "start": None if start is None else _moment(start),
        "end": None if end is None else _moment(end),
    }


def _window(window: Window) -> dict[str, Any]:
    return {
        "days": _Flow(WEEKDAYS[d] for d in window.days),
        "start": _hhmm(window.start),
        "end": _hhmm(window.end),
    }


def _rotation(rotation: Rotation | None) -> dict[str, Any] | None:
    if rotation is None:
        return None
    return {
        "period": rotation.period,
        "every": rotation.every,
        "handoff": _hhmm(rotation.handoff),
        "anchor": _Quoted(rotation.anchor.isoformat()),
    }


def _channels(channels: tuple[Channel, ...]) -> _Flow:
    return _Flow(c.value for c in channels)


def _level(level: EscalationLevel, index: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "level": index,
        "wait": level.wait,
        "severities": _Flow(s.value for s in sorted_severities(level.severities)),
        "statuses": _Flow(s.value for s in sorted_statuses(level.statuses)),
        "repeat": level.repeat,
    }
    if index == 0 or level.channels:
        out["channels"] = _level_channels(level.channels)
    if index > 0 or level.add:
        out["add"] = [{"target": t.target, "channels": _channels(t.channels)} for t in level.add]
    return out


def _level_channels(channels: Mapping[str, tuple[Channel, ...]]) -> _Flow | dict[str, _Flow]:
    if not channels:
        return _Flow()
    if set(channels) == {"*"} and channels["*"]:
        return _channels(channels["*"])
    return {key: _channels(value) for key, value in channels.items()}


def _override(override: Override, rule_zone: str | None) -> dict[str, Any]:
    tz = timeutil.zone(rule_zone) if rule_zone and timeutil.is_zone(rule_zone) else UTC
    return {
        "rule": override.rule,
        "person": override.person,
        "start": _Quoted(timeutil.format_in_zone(override.start, tz)),
        "end": _Quoted(timeutil.format_in_zone(override.end, tz)),
    }


def _integration(integration: Integration, tokens: bool) -> dict[str, Any]:
    out = {
        "id": integration.id,
        "name": integration.name,
        "kind": integration.kind,
        "severity_mapping": {k: v.value for k, v in sorted(integration.severity_mapping.items())},
        **(
            {"heartbeat": {"timeout": format_duration(integration.heartbeat_timeout)}}
            if integration.heartbeat_timeout is not None
            else {}
        ),
    }
    if tokens and integration.token is not None:
        out["token"] = _Quoted(integration.token)
    return out


def _maintenance(window: MaintenanceWindow) -> dict[str, Any]:
    found: dict[str, Any] = {"name": window.name, "start": _moment(window.start), "end": _moment(window.end)}
    if window.match.conditions:
        found["match"] = {"mode": window.match.mode, "conditions": _Flow(list(window.match.conditions))}
    return found


def _settings(settings: Settings) -> dict[str, Any]:
    station, twilio, smtp = settings.station, settings.twilio, settings.smtp
    return {
        "station": {
            "listen": _Quoted(station.listen),
            "public_url": station.public_url,
            "lease_seconds": station.lease_seconds,
        },
        "twilio": {
            "account_sid": twilio.account_sid,
            "from_number": _opt_quoted(twilio.from_number),
            "api_base_url": twilio.api_base_url,
        },
        "smtp": {
            "host": smtp.host,
            "port": smtp.port,
            "security": smtp.security,
            "username": smtp.username,
            "sender": smtp.sender,
        },
    }
