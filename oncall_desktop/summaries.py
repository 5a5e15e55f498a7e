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
    Channel,
    Configuration,
    EscalationLevel,
    OnCallRule,
    Override,
    Rotation,
    Status,
)
from oncall_desktop.timeutil import is_zone, night_part, zone
from oncall_desktop.validation import sorted_severities, sorted_statuses

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


def personnel_summary(rule: OnCallRule, config: Configuration) -> str:
    names = [target_name(config, entry) for entry in rule.personnel]
    return ", ".join(names) if names else "nobody"


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
