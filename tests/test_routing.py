"""Matching tags to rules and routing incidents (SPEC §3 "Matching and routing")."""

from __future__ import annotations

from datetime import time

import pytest

from oncall_desktop.domain import Configuration, MatchConditions, Team, Window
from oncall_desktop.routing import matches, route
from oncall_desktop.schedule import Schedules
from tests.strategies import config, people, rule, utc

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def all_of(*conditions: str) -> MatchConditions:
    return MatchConditions("all", conditions)


def any_of(*conditions: str) -> MatchConditions:
    return MatchConditions("any", conditions)


@pytest.mark.parametrize(
    ("match", "tags", "expected"),
    [
        (all_of("service:payment", "env:prod"), ["service:payment", "env:prod", "team:x"], True),
        (all_of("service:payment", "env:prod"), ["service:payment", "env:staging"], False),
        (any_of("service:payment", "env:prod"), ["service:search", "env:prod"], True),
        (any_of("service:payment", "env:prod"), ["service:search", "env:dev"], False),
        # prefix match
        (all_of("service:auth*"), ["service:auth-api"], True),
        (all_of("service:auth*"), ["service:auth"], True),
        (all_of("service:auth*"), ["service:au"], False),
        (all_of("service:auth*"), ["svc:auth-api"], False),
        (all_of("service:*"), ["service:anything"], True),
        # without `*` the value must be equal, not a prefix
        (all_of("service:auth"), ["service:auth-api"], False),
        # trimming of keys and values on both sides
        (all_of(" service : payment "), ["service:payment"], True),
        (all_of("service:payment"), ["  service:payment  "], True),
        (all_of("service:payment"), ["service : payment"], True),
        # case-sensitive keys and values
        (all_of("service:payment"), ["Service:payment"], False),
        (all_of("service:payment"), ["service:Payment"], False),
        (all_of("service:Pay*"), ["service:payment"], False),
        # a value may itself contain colons
        (all_of("url:http://x"), ["url:http://x"], True),
        # no conditions never match (an untagged rule is not "tagged and matching")
        (all_of(), ["service:payment"], False),
        (any_of(), [], False),
    ],
)
def test_matches(match: MatchConditions, tags: list[str], expected: bool) -> None:
    assert matches(match, tags) is expected


def test_all_is_the_default_mode() -> None:
    assert MatchConditions(conditions=("a:1", "b:2")).mode == "all"
    assert not matches(MatchConditions(conditions=("a:1", "b:2")), ["a:1"])


def routing_config() -> Configuration:
    """Office-hours payments team (tagged), a 24/7 general rota (untagged), and the default rule."""
    office = (Window((MON, TUE, WED, THU, FRI), time(9), time(17)),)
    return config(
        rule("payments", ("alice",), windows=office, conditions=("service:payment*",)),
        rule("auth", ("bob",), conditions=("service:auth", "env:prod"), mode="any"),
        rule("general", ("carol",), windows=(Window((MON, TUE, WED, THU, FRI), time(8), time(20)),)),
        rule("default", ("dave",)),
    )


# 2026-01-12 is a Monday, 2026-01-17 a Saturday.
@pytest.mark.parametrize(
    ("tags", "at", "expected"),
    [
        (["service:payment-api"], "2026-01-12T10:00", ("payments",)),
        # two tagged rules match and cover: both
        (["service:payment-api", "env:prod"], "2026-01-12T10:00", ("payments", "auth")),
        # the tagged rule matches but is off duty: skipped, the other tagged one covers
        (["service:payment-api", "env:prod"], "2026-01-12T18:00", ("auth",)),
        # tagged rule off duty, nothing else tagged: untagged custom rule
        (["service:payment-api"], "2026-01-12T18:00", ("general",)),
        # nothing tagged matches: untagged custom rule, never a non-matching tagged one
        (["service:search"], "2026-01-12T10:00", ("general",)),
        # no custom rule covers: default
        (["service:payment-api"], "2026-01-12T21:00", ("default",)),
        (["service:search"], "2026-01-17T10:00", ("default",)),
        ([], "2026-01-17T10:00", ("default",)),
        # an `any` rule matched by one tag, at a weekend
        (["env:prod"], "2026-01-17T10:00", ("auth",)),
    ],
)
def test_route_falls_back_from_tagged_to_untagged_to_default(
    tags: list[str], at: str, expected: tuple[str, ...]
) -> None:
    assert route(Schedules(routing_config()), tags, utc(at)) == expected


def test_rule_on_duty_with_nobody_on_call_does_not_cover() -> None:
    cfg = Configuration(
        people=people("alice", "dave"),
        teams=(Team("empty", "Empty", ()),),
        rules=(
            rule("tagged", ("team:empty",), conditions=("service:x",)),
            rule("untagged", ("team:empty",)),
            rule("default", ("dave",)),
        ),
    )
    schedules = Schedules(cfg)
    assert schedules.rules["tagged"].on_duty(utc("2026-01-12T10:00"))
    assert route(schedules, ["service:x"], utc("2026-01-12T10:00")) == ("default",)


def test_default_rule_is_the_last_resort_even_without_personnel() -> None:
    cfg = config(rule("payments", ("alice",), conditions=("service:payment",)), rule("default", ()))
    assert route(Schedules(cfg), ["service:search"], utc("2026-01-12T10:00")) == ("default",)
