"""Matching incidents' tags to rules and routing them (SPEC §3 "Matching and routing")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from oncall_desktop.domain import DEFAULT_RULE_ID, MatchConditions, OnCallRule
from oncall_desktop.schedule import Schedules


def split_tag(tag: str) -> tuple[str, str]:
    """`key:value` → (key, value), both trimmed; a tag without a colon has an empty value."""
    key, _, value = tag.partition(":")
    return key.strip(), value.strip()


def condition_matches(condition: str, tags: Sequence[tuple[str, str]]) -> bool:
    """`key:value` equals a tag; `key:prefix*` matches any tag of that key starting with prefix."""
    key, value = split_tag(condition)
    if value.endswith("*"):
        prefix = value[:-1]
        return any(k == key and v.startswith(prefix) for k, v in tags)
    return any(k == key and v == value for k, v in tags)


def matches(match: MatchConditions, tags: Iterable[str]) -> bool:
    """Whether tags satisfy the conditions (mode `all` or `any`); no conditions never match."""
    if not match.conditions:
        return False
    pairs = [split_tag(tag) for tag in tags]
    results = (condition_matches(c, pairs) for c in match.conditions)
    return any(results) if match.mode == "any" else all(results)


def candidate_rules(schedules: Schedules, tags: Iterable[str]) -> tuple[OnCallRule, ...]:
    """Rules an incident with `tags` could ever be routed to, in configuration order."""
    tag_list = list(tags)
    return tuple(
        rule
        for rule in schedules.config.rules
        if rule.is_default or not rule.is_tagged or matches(rule.match, tag_list)
    )


def route(schedules: Schedules, tags: Iterable[str], at: datetime) -> tuple[str, ...]:
    """Rule ids an incident with `tags` is routed to at `at`: tagged → untagged → default."""
    return select_routes(
        schedules.config.rules, list(tags), lambda rule_id: bool(schedules.rules[rule_id].on_call(at))
    )


def select_routes(
    rules: Iterable[OnCallRule], tags: Sequence[str], covers: Callable[[str], bool]
) -> tuple[str, ...]:
    """The routing rule itself, given which rules cover the instant in question."""
    custom = [r for r in rules if not r.is_default]
    tagged = tuple(r.id for r in custom if r.is_tagged and matches(r.match, tags) and covers(r.id))
    if tagged:
        return tagged
    untagged = tuple(r.id for r in custom if not r.is_tagged and covers(r.id))
    return untagged or (DEFAULT_RULE_ID,)
