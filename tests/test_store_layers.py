"""The store keeps layers exactly, and migration 0007_layers turns every rule into a one-layer rule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Team,
    Window,
)
from oncall_desktop.store import InUseError, Store
from oncall_desktop.store.migrate import alembic_config
from oncall_desktop.store.orm import create_store_engine

LADDER = (EscalationLevel(channels={"*": (Channel.EMAIL,)}, repeat=5),)
PEOPLE = tuple(
    Person(pid, pid.title(), f"{pid}@example.com", colour=colour)
    for pid, colour in (("olivia", "#875692"), ("priya", "#f38400"), ("maria", "#a1caf1"), ("sam", "#be0032"))
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url = request.getfixturevalue("postgres_database_url")
    assert isinstance(url, str)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


def layered_configuration() -> Configuration:
    nine_to_five = (Window((0, 1, 2, 3, 4), time(9), time(17)),)
    db = OnCallRule(
        "db",
        "Database",
        "UTC",
        windows=(Window((5, 6), time(0), time(0)),),
        match=MatchConditions("all", ("service:db*",)),
        layers=(
            Layer("Sydney", "Australia/Sydney", ("olivia", "team:dba"), windows=nine_to_five),
            Layer(
                "London",
                "Europe/London",
                ("priya",),
                rotation=Rotation("weekly", 2, time(9, 30), date(2026, 1, 5)),
                windows=nine_to_five,
                effective_start=datetime(2026, 2, 1, 9, 0),
                effective_end=datetime(2026, 12, 1, tzinfo=timezone(timedelta(hours=1))),
            ),
            Layer("Backstop", personnel=("sam",)),
        ),
        combine="all",
        escalation=LADDER,
    )
    default = OnCallRule("default", "Default", "UTC", layers=(Layer(personnel=("sam",)),), escalation=LADDER)
    return Configuration(
        people=PEOPLE,
        teams=(Team("dba", "DBAs", ("olivia", "priya")),),
        rules=(db, default),
        overrides=(
            Override("db", "maria", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
        ),
    )


def comparable(config: Configuration) -> Configuration:
    """Without what the store adds (override ids, the default rule's system zone)."""
    rules = tuple(replace(r, timezone="UTC") if r.is_default else r for r in config.rules)
    return replace(config, rules=rules, overrides=tuple(replace(o, id=None) for o in config.overrides))


def test_layers_round_trip_exactly(store: Store) -> None:
    store.replace_configuration(layered_configuration())
    assert comparable(store.load_configuration()) == layered_configuration()
    rule = layered_configuration().rules[0]
    fewer = replace(rule, layers=rule.layers[1:], combine="first")
    store.save_rule(fewer)
    assert store.load_configuration().rule("db") == fewer


def test_a_person_in_a_named_layer_cannot_be_deleted_and_the_message_names_the_layer(store: Store) -> None:
    store.replace_configuration(layered_configuration())
    with pytest.raises(InUseError, match="the personnel of layer 'London' of rule 'db'"):
        store.delete_person("priya")
    with pytest.raises(InUseError, match="the personnel of layer 'Sydney' of rule 'db'"):
        store.delete_team("dba")


def test_migration_0005_turns_each_rule_into_one_layer_losing_nothing(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0004")
            for statement in (
                "INSERT INTO people (id, position, name) VALUES "
                "('olivia', 0, 'Olivia'), ('priya', 1, 'Priya')",
                "INSERT INTO teams (id, position, name) VALUES ('dba', 0, 'DBAs')",
                "INSERT INTO team_members (team_id, position, person_id) VALUES ('dba', 0, 'priya')",
                "INSERT INTO rules (id, position, name, timezone, match_mode, "
                "rotation_period, rotation_every, rotation_handoff, rotation_anchor) VALUES "
                "('primary', 0, 'Primary', 'Europe/Berlin', 'any', 'monthly', 2, '09:30:00', '2026-01-31')",
                "UPDATE rules SET position = 1 WHERE id = 'default'",
                "INSERT INTO rule_personnel (rule_id, position, person_id, team_id) VALUES "
                "('primary', 0, 'priya', NULL), ('primary', 1, NULL, 'dba'), ('primary', 2, 'olivia', NULL), "
                "('default', 0, 'olivia', NULL)",
                'INSERT INTO rule_windows (rule_id, position, days, start, "end") VALUES '
                "('primary', 0, '[0, 1, 2, 3, 4]', '09:00:00', '18:00:00')",
                "INSERT INTO rule_conditions (rule_id, position, condition) "
                "VALUES ('primary', 0, 'env:prod')",
                "INSERT INTO escalation_levels "
                "(rule_id, level, wait, severities, statuses, repeat, channels) VALUES "
                """('primary', 0, 0, '["P0"]', '["open"]', 5, '{"*": ["sms"]}')""",
                "INSERT INTO overrides (rule_id, person_id, start_at, end_at) VALUES "
                "('primary', 'olivia', '2026-03-01 00:00:00', '2026-03-02 00:00:00')",
            ):
                connection.execute(text(statement))
    finally:
        engine.dispose()
    with Store.open(db_url) as store:
        config = store.load_configuration()
    primary = config.rule("primary")
    assert primary is not None
    assert primary.layers == (
        Layer(
            personnel=("priya", "team:dba", "olivia"),
            rotation=Rotation("monthly", 2, time(9, 30), date(2026, 1, 31)),
        ),
    )
    assert primary.combine == "first"
    assert primary.windows == (Window((0, 1, 2, 3, 4), time(9), time(18)),)
    assert primary.match == MatchConditions("any", ("env:prod",))
    assert primary.escalation[0].repeat == 5
    assert config.rules[-1].layers == (Layer(personnel=("olivia",)),)
    assert [(o.rule, o.person) for o in config.overrides] == [("primary", "olivia")]


def test_downgrading_below_layers_is_refused_while_a_rule_has_more_than_one_layer(db_url: str) -> None:
    with Store.open(db_url) as store:
        store.replace_configuration(layered_configuration())
    engine = create_store_engine(db_url)
    try:
        refused = pytest.raises(RuntimeError, match="these rules have layers that version cannot hold: db")
        with refused, engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0004")
    finally:
        engine.dispose()
    with Store.open(db_url) as store:
        assert comparable(store.load_configuration()) == layered_configuration()
