"""One-line descriptions of rules and ladders, as the rule list and the details panel show them."""

from __future__ import annotations

from oncall_desktop.domain import ALL_SEVERITIES, Configuration, EscalationLevel, OnCallRule, Rotation
from oncall_desktop.validation import sorted_severities


def rotation_summary(rotation: Rotation | None) -> str:
    if rotation is None:
        return "everyone together"
    unit = {"hours": "hour", "daily": "day", "weekly": "week", "monthly": "month"}[rotation.period]
    every = f"every {rotation.every} {unit}s" if rotation.every != 1 else f"every {unit}"
    return f"{every} at {rotation.handoff:%H:%M}"


def personnel_summary(rule: OnCallRule, config: Configuration) -> str:
    names = []
    for entry in rule.personnel:
        if entry.startswith("team:"):
            team = config.team(entry[5:])
            names.append(f"{team.name if team else entry} (team)")
        else:
            person = config.person(entry)
            names.append(person.name.split(" ")[0] if person else entry)
    return ", ".join(names) if names else "nobody"


def _level(index: int, level: EscalationLevel, config: Configuration) -> str:
    if index == 0:
        channels = sorted({c.value for chans in level.channels.values() for c in chans})
        text = f"on call by {'+'.join(channels) or 'no channel'}"
    else:
        added = []
        for target in level.add:
            if target.is_team:
                team = config.team(target.target[5:])
                added.append(team.name if team else target.target)
            else:
                person = config.person(target.target)
                added.append(person.name.split(" ")[0] if person else target.target)
        text = f"+{level.wait}m {', '.join(added) or 'nobody'}"
    if level.severities != ALL_SEVERITIES:
        text += f" [{','.join(s.value for s in sorted_severities(level.severities))}]"
    if level.repeat:
        text += f" ↻{level.repeat}m"
    return text


def ladder_summary(rule: OnCallRule, config: Configuration) -> str:
    if not rule.escalation:
        return "no ladder"
    return " → ".join(_level(i, level, config) for i, level in enumerate(rule.escalation))


def match_summary(rule: OnCallRule) -> str:
    if rule.is_default:
        return "catches what no other rule takes"
    if not rule.match.conditions:
        return "untagged incidents"
    joiner = " and " if rule.match.mode == "all" else " or "
    return joiner.join(rule.match.conditions)
