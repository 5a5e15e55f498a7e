"""One-line descriptions of rules and ladders, shared by the window, the CLI and the iCal export.

`ladder_lines` gives one line per escalation level; the rule list joins them with " → ", the
details panel lists them and an exported calendar event puts one per line in its description.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from oncall_desktop.domain import (
    ALL_SEVERITIES,
    TEAM_PREFIX,
    WEEKDAYS,
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    OnCallRule,
    Override,
    Rotation,
    Status,
    Window,
    is_short_form,
    sorted_severities,
    sorted_statuses,
)
from oncall_desktop.timeutil import is_zone, night_part, zone

_CHANNEL_NAMES = {
    Channel.SMS: "SMS",
    Channel.VOICE: "voice call",
    Channel.EMAIL: "email",
    Channel.CHAT: "chat",
}
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


def short_names(names: Sequence[str]) -> list[str]:
    """A short label per name for narrow places (the calendar's lanes), no two alike.

    Each starts as the name's initials ("Platform primary" → "PP"); labels that clash grow by a
    letter of one word at a time ("Platform primary" and "Payments primary" → "PlP", "PaP") until
    they differ; names that are alike to the end are numbered.
    """
    options = [_label_options(name) for name in names]
    step = [0] * len(names)
    while True:
        labels = [opts[min(k, len(opts) - 1)] for opts, k in zip(options, step, strict=True)]
        seen = Counter(label.casefold() for label in labels)
        clashing = [
            i
            for i, label in enumerate(labels)
            if seen[label.casefold()] > 1 and step[i] < len(options[i]) - 1
        ]
        if not clashing:
            break
        for i in clashing:
            step[i] += 1
    seen = Counter(label.casefold() for label in labels)
    taken = {label for label in seen if seen[label] == 1}
    for i, label in enumerate(labels):
        if seen[label.casefold()] > 1:
            first = options[i][0]
            sep = "·" if first[-1].isdigit() else ""
            n = 1
            while f"{first}{sep}{n}".casefold() in taken:
                n += 1
            labels[i] = f"{first}{sep}{n}"
            taken.add(labels[i].casefold())
    return labels


def _label_options(name: str) -> list[str]:
    """The labels `name` may take, shortest first: its initials, then one word at a time longer."""
    words = [w for w in re.split(r"[\s\-_/()&,.:]+", name) if w][:3] or [name or "?"]
    options: list[str] = []
    for extra in range(max(len(w) for w in words)):
        for j, word in enumerate(words):
            if extra and len(word) <= extra:
                continue
            label = "".join(
                w[: 1 + extra].capitalize() if i == j else w[:1].upper() for i, w in enumerate(words)
            )
            if label not in options:
                options.append(label)
    return options


def span_text(start: datetime, end: datetime, tz: tzinfo) -> str:
    """`Sat 28 Mar 02:00–03:00`, or `Sat 28 Mar 22:00 – Sun 29 Mar 06:00` across midnight."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    if a.date() == b.date():
        return f"{a:%a %-d %b %H:%M}–{b:%H:%M}"
    return f"{a:%a %-d %b %H:%M} – {b:%a %-d %b %H:%M}"


def override_made(config: Configuration, override: Override, tz: tzinfo) -> str:
    """What a new override is, for the status bar, with a warning when it falls in the person's
    night (22:00–07:00 in their own zone): `Override: Wei Lim, Sat 28 Mar 02:00–03:00 Europe/London`."""
    zone_name = getattr(tz, "key", str(tz))
    span = span_text(override.start, override.end, tz)
    text = f"Override: {config.display_name(override.person)}, {span} {zone_name}"
    person = config.person(override.person)
    if person is None or not person.timezone or not is_zone(person.timezone):
        return text
    night = night_part(override.start, override.end, zone(person.timezone))
    if night is None:
        return text
    when = span_text(*night, zone(person.timezone))
    return f"{text} · ⚠ night for {person.name}: {when} in {person.timezone}"
