"""One-line descriptions of rules and ladders, shared by the window, the CLI and the iCal export.

`ladder_lines` gives one line per escalation level; the rule list joins them with " → ", the
details panel lists them and an exported calendar event puts one per line in its description.
"""

from __future__ import annotations

from collections.abc import Iterable

from oncall_desktop.domain import (
    ALL_SEVERITIES,
    TEAM_PREFIX,
    WEEKDAYS,
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    OnCallRule,
    Rotation,
    Status,
    Window,
)
from oncall_desktop.validation import is_short_form, sorted_severities, sorted_statuses

_CHANNEL_NAMES = {Channel.SMS: "SMS", Channel.VOICE: "voice call", Channel.EMAIL: "email"}
_DEFAULT_STATUSES = frozenset({Status.OPEN})


def rotation_summary(rotation: Rotation | None) -> str:
    if rotation is None:
        return "everyone together"
    unit = {"hours": "hour", "daily": "day", "weekly": "week", "monthly": "month"}[rotation.period]
    every = f"every {rotation.every} {unit}s" if rotation.every != 1 else f"every {unit}"
    return f"{every} at {rotation.handoff:%H:%M}"


def target_name(config: Configuration, target: str) -> str:
    """A person's name, or a team's name marked "(team)"."""
    name = config.display_name(target)
    return f"{name} (team)" if target.startswith(TEAM_PREFIX) else name


def personnel_summary(layer: Layer, config: Configuration) -> str:
    names = [target_name(config, entry) for entry in layer.personnel]
    return ", ".join(names) if names else "nobody"


def _days(days: Iterable[int]) -> str:
    """`Mon–Fri`, `Sat, Sun`, `Mon, Wed–Fri`: runs of three or more days joined by a dash."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [WEEKDAYS[d].title() for d in range(7)]
    parts = [
        f"{names[run[0]]}–{names[run[-1]]}" if len(run) > 2 else ", ".join(names[d] for d in run)
        for run in runs
    ]
    return ", ".join(parts)


def windows_summary(windows: Iterable[Window]) -> str:
    """`Mon–Fri 09:00–17:00; Sat 10:00–14:00`, or `all day, every day` without windows."""
    parts = [f"{_days(w.days)} {w.start:%H:%M}–{w.end:%H:%M}" for w in windows]
    return "; ".join(parts) if parts else "all day, every day"


def layer_summary(layer: Layer, rule: OnCallRule, config: Configuration) -> str:
    """One line about one layer: who, how they rotate, when, and in which zone."""
    text = f"{personnel_summary(layer, config)} ({rotation_summary(layer.rotation)})"
    if layer.windows:
        text += f", {windows_summary(layer.windows)}"
    if layer.timezone is not None or layer.windows or layer.rotation is not None:
        text += f" in {layer.timezone or rule.timezone}"
    return f"{layer.name}: {text}" if layer.name else text


def staffing_summary(rule: OnCallRule, config: Configuration) -> tuple[str, str]:
    """How the rule's people are on call, and who they are: two short lines for the rule list."""
    if is_short_form(rule):
        layer = rule.layers[0]
        return rotation_summary(layer.rotation), personnel_summary(layer, config)
    how = "the first with someone on call" if rule.combine == "first" else "all together"
    count = len(rule.layers)
    who = " · ".join(f"{layer.name or '?'}: {personnel_summary(layer, config)}" for layer in rule.layers)
    return f"{count} layer{'' if count == 1 else 's'}, {how}", who


def match_summary(rule: OnCallRule) -> str:
    if rule.is_default:
        return "catches what no other rule takes"
    if not rule.match.conditions:
        return "untagged incidents"
    joiner = " and " if rule.match.mode == "all" else " or "
    return joiner.join(rule.match.conditions)


def channel_text(channels: Iterable[Channel]) -> str:
    return " + ".join(_CHANNEL_NAMES.get(c, str(c)) for c in channels)


def ladder_lines(rule: OnCallRule, config: Configuration) -> list[str]:
    """The rule's escalation ladder, one line per level; one line saying so when it has none."""
    if not rule.escalation:
        return ["No escalation ladder."]
    return [_level_line(index, level, config) for index, level in enumerate(rule.escalation)]


def _level_line(index: int, level: EscalationLevel, config: Configuration) -> str:
    if index == 0:
        channels = channel_text(level.channels.get("*", ()))
        who = f"the on-call person by {channels}" if channels else "the on-call person"
        specific = [
            f"{target_name(config, pid)}: {channel_text(chs) or 'no channel'}"
            for pid, chs in level.channels.items()
            if pid != "*"
        ]
        if specific:
            who += f" ({'; '.join(specific)})"
        text = f"Level 0, at once: {who}"
    else:
        added = ", ".join(
            f"{target_name(config, t.target)} by {channel_text(t.channels) or 'no channel'}"
            for t in level.add
        )
        text = f"Level {index}, after {level.wait} min: add {added or 'nobody'}"
    if level.repeat:
        text += f"; repeats every {level.repeat} min"
    if level.severities != ALL_SEVERITIES:
        text += f"; only {', '.join(s.value for s in sorted_severities(level.severities))}"
    if level.statuses != _DEFAULT_STATUSES:
        text += f"; while {' or '.join(s.value for s in sorted_statuses(level.statuses))}"
    return text
