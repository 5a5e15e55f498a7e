"""The demo team the first run offers: valid, realistic, and busy around `now` in every season."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from oncall_desktop.demo import demo_configuration
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from oncall_desktop.validation import validate_configuration

NOWS = [
    datetime(2026, 3, 27, 10, 30, tzinfo=UTC),  # two days before the EU spring-forward
    datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # between the EU and US fall-backs
    datetime(2027, 1, 4, 0, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("now", NOWS)
def test_demo_is_valid_without_errors(now: datetime) -> None:
    problems = validate_configuration(demo_configuration(now))
    assert [str(p) for p in problems if p.level == "error"] == []


def test_demo_team_is_eight_people_on_three_continents_with_five_rules() -> None:
    config = demo_configuration(NOWS[0])
    assert len(config.people) == 8
    continents = {p.timezone.split("/")[0] for p in config.people if p.timezone}
    assert {"America", "Europe", "Asia"} <= continents
    assert all(p.phone and p.phone.startswith("+") and p.email for p in config.people)
    custom = [r for r in config.rules if not r.is_default]
    assert [r.id for r in custom] == ["primary", "secondary", "follow-the-sun", "business-hours", "database"]
    assert config.rules[-1].is_default
    rotations = {r.id: r.layers[0].rotation.period for r in custom if r.layers[0].rotation}
    assert rotations["primary"] == rotations["secondary"] == "weekly"
    assert all(3 <= len(r.escalation) <= 4 for r in custom)
    assert custom[3].windows, "business hours has weekly windows"


@pytest.mark.parametrize("now", NOWS)
def test_demo_has_overrides_around_now_and_everyone_on_call_right_now(now: datetime) -> None:
    config = demo_configuration(now)
    assert len(config.overrides) >= 3
    assert any(o.start <= now < o.end for o in config.overrides)
    assert all(abs(o.start - now) < timedelta(days=10) for o in config.overrides)
    on_call = Schedules(config).on_call(now)
    assert all(on_call[rule] for rule in ("primary", "secondary", "follow-the-sun", "database", "default"))


def test_follow_the_sun_hands_over_every_eight_hours_between_continents() -> None:
    config = demo_configuration(NOWS[0])
    start = datetime(2026, 3, 25, 22, 0, tzinfo=UTC)
    schedule = Schedules(config).final_schedule(start, start + timedelta(days=1), rules=["follow-the-sun"])
    assert [(i.start.hour, i.end - i.start) for i in schedule.intervals] == [
        (22, timedelta(hours=8)),
        (6, timedelta(hours=8)),
        (14, timedelta(hours=8)),
    ]
    zones = [config.person(i.person).timezone.split("/")[0] for i in schedule.intervals]  # type: ignore[union-attr]
    assert zones == ["Asia", "Europe", "America"]
    assert schedule.gaps == ()


def test_demo_round_trips_through_the_store(tmp_path: object) -> None:
    config = demo_configuration(NOWS[0])
    store = Store.open(f"sqlite:///{tmp_path}/demo.db")
    try:
        store.replace_configuration(config)
        loaded = store.load_configuration()
    finally:
        store.close()
    assert all(i.token for i in loaded.integrations)
    assert [i.kind for i in loaded.integrations] == ["alertmanager", "grafana_alerting", "webhook"]
    assert (
        replace(
            loaded,
            overrides=tuple(replace(o, id=None) for o in loaded.overrides),
            integrations=tuple(replace(i, token=None) for i in loaded.integrations),
        )
        == config
    )


def test_the_database_rule_has_each_region_on_call_in_its_own_working_day() -> None:
    config = demo_configuration(NOWS[0])
    # Thursday 26 March 2026: Tokyo 09–17 is 00–08 UTC, London (still GMT) 09–17, New York (EDT) 13–21.
    start = datetime(2026, 3, 26, 0, 0, tzinfo=UTC)
    schedule = Schedules(config).final_schedule(start, start + timedelta(days=1), rules=["database"])
    shifts = [(i.start.hour, i.end.hour, i.layer) for i in schedule.intervals]
    assert shifts == [
        (0, 8, "Asia-Pacific"),
        (8, 9, "Backstop"),
        (9, 17, "Europe"),
        (17, 21, "Americas"),
        (21, 0, "Backstop"),
    ]
    assert schedule.gaps == ()
