"""The store keeps the configuration exactly, atomically and safely, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from oncall_desktop import paths, timeutil
from oncall_desktop.domain import (
    ALL_SEVERITIES,
    Channel,
    Configuration,
    EscalationLevel,
    Integration,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Settings,
    Severity,
    SmtpSettings,
    StationSettings,
    Status,
    Target,
    Team,
    TwilioSettings,
    Window,
)
from oncall_desktop.store import InUseError, NotFoundError, Store, StoreError
from oncall_desktop.store.lease import LeaseState
from oncall_desktop.store.models import Base

OPEN_WORKING = frozenset({Status.OPEN, Status.WORKING})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url = request.getfixturevalue("postgres_database_url")
    assert isinstance(url, str)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


def rich_configuration() -> Configuration:
    """Every field of every configuration type set, in orders that are not alphabetical."""
    people = (
        Person(
            id="carol",
            name="Carol Diaz",
            email="carol@example.com",
            phone="+14155550103",
            oncall_email="carol-pager@example.com",
            oncall_phone="+14155550199",
            timezone="Asia/Kolkata",
            colour="#aa3366",
        ),
        Person(
            id="alice",
            name="Alice Chen",
            email="alice@example.com",
            timezone="America/Los_Angeles",
            colour="#3366aa",
        ),
        Person(id="bob", name="Bob Okafor", phone="+442071838750", colour="#33aa66"),
    )
    teams = (
        Team(id="sre", name="SRE", members=("bob", "alice")),
        Team(id="ops", name="Ops", members=("carol",)),
    )
    payments = OnCallRule(
        id="payments",
        name="Payments primary",
        timezone="Europe/Berlin",
        effective_start=datetime(2026, 1, 1, 0, 0),
        effective_end=datetime(2026, 12, 31, 18, 30, tzinfo=timezone(timedelta(hours=1))),
        windows=(
            Window(days=(0, 1, 2, 3, 4), start=time(9, 0), end=time(18, 0)),
            Window(days=(4,), start=time(22, 0), end=time(6, 0)),
            Window(days=(6,), start=time(0, 0), end=time(0, 0)),
        ),
        match=MatchConditions(mode="any", conditions=("service:payment", "env:prod*")),
        layers=(
            Layer(
                personnel=("alice", "team:sre", "alice"),
                rotation=Rotation(period="monthly", every=1, handoff=time(9, 30), anchor=date(2026, 1, 31)),
            ),
        ),
        escalation=(
            EscalationLevel(
                statuses=OPEN_WORKING,
                repeat=5,
                channels={"alice": (Channel.VOICE, Channel.SMS), "*": (Channel.SMS, Channel.EMAIL)},
            ),
            EscalationLevel(
                wait=10,
                severities=frozenset({Severity.P0, Severity.P1}),
                statuses=frozenset({Status.OPEN}),
                repeat=5,
                add=(Target("carol", (Channel.VOICE,)), Target("team:sre", (Channel.SMS, Channel.EMAIL))),
            ),
            EscalationLevel(
                wait=30,
                severities=frozenset({Severity.P0}),
                statuses=frozenset({Status.OPEN}),
                add=(Target("bob", (Channel.EMAIL,)),),
            ),
        ),
    )
    night = OnCallRule(
        id="night",
        name="Night desk",
        timezone="America/New_York",
        effective_start=datetime(2026, 3, 8, 2, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        match=MatchConditions(conditions=("team:night",)),
        layers=(
            Layer(
                personnel=("team:ops", "bob"),
                rotation=Rotation(period="hours", every=12, handoff=time(9, 0), anchor=date(2026, 1, 5)),
            ),
        ),
        escalation=(EscalationLevel(channels={"*": (Channel.EMAIL,)}),),
    )
    default = OnCallRule(
        id="default",
        name="Default",
        timezone=timeutil.system_zone_name(),
        layers=(
            Layer(
                personnel=("carol",),
                rotation=Rotation(period="weekly", every=2, handoff=time(8, 0), anchor=date(2025, 12, 29)),
            ),
        ),
        escalation=(EscalationLevel(severities=ALL_SEVERITIES, channels={"*": (Channel.SMS,)}),),
    )
    overrides = (
        Override(
            rule="payments",
            person="carol",
            start=datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
            end=datetime(2026, 2, 2, 8, 0, tzinfo=UTC),
        ),
        Override(
            rule="default",
            person="bob",
            start=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            end=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
    )
    integrations = (
        Integration(
            id="prod-am",
            name="Prod Alertmanager",
            kind="alertmanager",
            severity_mapping={"critical": Severity.P0, "warning": Severity.P2},
        ),
        Integration(id="hook", name="Generic hook", kind="webhook", token="given-token-0123456789"),
        Integration(id="grafana", name="Grafana", kind="grafana_alerting"),
    )
    settings = Settings(
        station=StationSettings(listen="0.0.0.0:9090", public_url="https://pager.example.com"),
        twilio=TwilioSettings(
            account_sid="AC0123456789abcdef", from_number="+14155550100", api_base_url="http://127.0.0.1:9"
        ),
        smtp=SmtpSettings(
            host="smtp.example.com", port=465, security="tls", username="pager", sender="pager@example.com"
        ),
    )
    return Configuration(
        people=people,
        teams=teams,
        rules=(payments, night, default),
        overrides=overrides,
        integrations=integrations,
        settings=settings,
    )


def without_ids_and_tokens(config: Configuration) -> Configuration:
    return dataclasses.replace(
        config,
        overrides=tuple(dataclasses.replace(o, id=None) for o in config.overrides),
        integrations=tuple(dataclasses.replace(i, token=None) for i in config.integrations),
    )


def test_rich_configuration_round_trips_exactly(store: Store) -> None:
    config = rich_configuration()
    store.replace_configuration(config)
    loaded = store.load_configuration()

    assert without_ids_and_tokens(loaded) == without_ids_and_tokens(config)
    assert [r.id for r in loaded.rules] == ["payments", "night", "default"]
    assert loaded.rules[0].escalation[0].channels == {
        "alice": (Channel.VOICE, Channel.SMS),
        "*": (Channel.SMS, Channel.EMAIL),
    }
    start, end = loaded.rules[0].effective_start, loaded.rules[0].effective_end
    assert start is not None
    assert start.tzinfo is None
    assert end is not None
    assert end.utcoffset() == timedelta(hours=1)
    assert all(o.id is not None for o in loaded.overrides)
    assert all(o.start.tzinfo is not None and o.start.utcoffset() == timedelta(0) for o in loaded.overrides)
    assert loaded.integrations[1].token == "given-token-0123456789"
    assert loaded.settings == config.settings
    # What was loaded goes back in unchanged, override ids included.
    store.replace_configuration(loaded)
    assert store.load_configuration() == loaded


def test_failed_replace_changes_nothing(store: Store) -> None:
    store.replace_configuration(rich_configuration())
    before, revision = store.load_configuration(), store.revision()
    broken = dataclasses.replace(
        rich_configuration(),
        people=(Person(id="dave", name="Dave"),),
        overrides=(
            Override(
                rule="no-such-rule",
                person="dave",
                start=datetime(2026, 1, 1, tzinfo=UTC),
                end=datetime(2026, 1, 2, tzinfo=UTC),
            ),
        ),
        rules=(OnCallRule(id="solo", name="Solo", timezone="UTC", layers=(Layer(personnel=("dave",)),)),),
        teams=(),
    )

    with pytest.raises(StoreError):
        store.replace_configuration(broken)

    assert store.load_configuration() == before
    assert store.revision() == revision


def test_integration_tokens_survive_replace_while_their_id_stays(store: Store) -> None:
    store.replace_configuration(rich_configuration())
    tokens = {i.id: i.token for i in store.integrations()}
    assert len(tokens["prod-am"] or "") >= 32
    assert tokens["prod-am"] != tokens["grafana"]

    renamed = (
        dataclasses.replace(rich_configuration().integrations[2], name="Grafana prod"),
        Integration(id="new-one", name="New", kind="webhook"),
        dataclasses.replace(rich_configuration().integrations[0], token=None),
    )
    store.replace_configuration(dataclasses.replace(rich_configuration(), integrations=renamed))

    after = {i.id: i for i in store.integrations()}
    assert [i.id for i in store.integrations()] == ["grafana", "new-one", "prod-am"]
    assert after["grafana"].token == tokens["grafana"]
    assert after["grafana"].name == "Grafana prod"
    assert after["prod-am"].token == tokens["prod-am"]
    assert after["new-one"].token not in tokens.values()
    assert "hook" not in after


def test_default_rule_always_exists_and_cannot_be_deleted(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeutil, "system_zone_name", lambda: "Asia/Tokyo")

    empty = store.load_configuration()
    assert empty.rules == (OnCallRule(id="default", name="Default", timezone="Asia/Tokyo"),)

    store.replace_configuration(Configuration())
    assert store.load_configuration().rules == empty.rules
    with pytest.raises(StoreError, match="default rule cannot be deleted"):
        store.delete_rule("default")

    # Only personnel, rotation and ladder of the default rule are stored.
    store.save_person(Person(id="alice", name="Alice"))
    store.save_rule(
        OnCallRule(
            id="default",
            name="Renamed",
            timezone="Europe/Paris",
            windows=(Window(days=(0,), start=time(9), end=time(17)),),
            match=MatchConditions(conditions=("a:b",)),
            layers=(Layer(personnel=("alice",)),),
            escalation=(EscalationLevel(channels={"*": (Channel.EMAIL,)}),),
        )
    )
    (default,) = store.load_configuration().rules
    assert default == OnCallRule(
        id="default",
        name="Default",
        timezone="Asia/Tokyo",
        layers=(Layer(personnel=("alice",)),),
        escalation=(EscalationLevel(channels={"*": (Channel.EMAIL,)}),),
    )


def test_rules_keep_their_position_when_saved_and_new_ones_go_last(store: Store) -> None:
    store.replace_configuration(rich_configuration())
    payments = rich_configuration().rules[0]
    store.save_rule(
        dataclasses.replace(
            payments,
            name="Payments (renamed)",
            windows=(),
            layers=(dataclasses.replace(payments.layers[0], rotation=None),),
        )
    )
    store.save_rule(
        OnCallRule(id="extra", name="Extra", timezone="UTC", layers=(Layer(personnel=("team:ops",)),))
    )

    rules = store.load_configuration().rules
    assert [r.id for r in rules] == ["payments", "night", "extra", "default"]
    assert rules[0].name == "Payments (renamed)"
    assert rules[0].windows == ()
    assert rules[0].layers[0].rotation is None
    assert rules[0].escalation == payments.escalation
    assert len(store.load_configuration().overrides_for("payments")) == 1

    store.delete_rule("payments")
    config = store.load_configuration()
    assert [r.id for r in config.rules] == ["night", "extra", "default"]
    assert config.overrides_for("payments") == ()


def test_overrides_crud(store: Store) -> None:
    store.save_person(Person(id="alice", name="Alice"))
    store.save_person(Person(id="bob", name="Bob"))
    berlin = timezone(timedelta(hours=2))
    added = store.add_override(
        Override(
            rule="default",
            person="alice",
            start=datetime(2026, 6, 1, 9, 0, tzinfo=berlin),
            end=datetime(2026, 6, 1, 17, 0, tzinfo=berlin),
        )
    )
    assert added.id is not None
    (loaded,) = store.load_configuration().overrides
    assert loaded == added
    assert loaded.start == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)

    moved = dataclasses.replace(added, person="bob", end=datetime(2026, 6, 2, tzinfo=UTC))
    store.update_override(moved)
    assert store.load_configuration().overrides == (moved,)

    second = store.add_override(dataclasses.replace(added, id=None))
    assert second.id != added.id
    store.delete_override(added.id)
    assert store.load_configuration().overrides == (second,)

    with pytest.raises(NotFoundError):
        store.delete_override(added.id)
    with pytest.raises(StoreError):
        store.add_override(dataclasses.replace(added, id=None, rule="nope"))
    with pytest.raises(StoreError, match="naive"):
        store.add_override(dataclasses.replace(added, id=None, start=datetime(2026, 6, 1, 9)))


def test_revision_counts_configuration_writes_seen_from_another_connection(store: Store, db_url: str) -> None:
    other = Store.open(db_url)
    try:
        start = other.revision()
        store.save_person(Person(id="alice", name="Alice"))
        store.save_team(Team(id="sre", name="SRE", members=("alice",)))
        store.save_settings(Settings(station=StationSettings(listen="127.0.0.1:9000")))
        store.replace_configuration(store.load_configuration())
        assert other.revision() == start + 4
        with pytest.raises(InUseError):
            store.delete_person("alice")
        assert other.revision() == start + 4
        assert other.load_configuration().settings.station.listen == "127.0.0.1:9000"
    finally:
        other.close()


def test_deleting_a_referenced_person_is_refused_and_names_every_use(store: Store) -> None:
    store.replace_configuration(rich_configuration())
    before, revision = store.load_configuration(), store.revision()

    with pytest.raises(InUseError) as alice:
        store.delete_person("alice")
    message = str(alice.value)
    assert "team 'sre'" in message
    assert "personnel of rule 'payments'" in message
    assert "channels of escalation level 0 of rule 'payments'" in message

    with pytest.raises(InUseError) as carol:
        store.delete_person("carol")
    assert "escalation level 1 of rule 'payments'" in str(carol.value)
    assert "1 override on rule 'payments'" in str(carol.value)
    assert "team 'ops'" in str(carol.value)
    with pytest.raises(InUseError, match="personnel of rule 'night'"):
        store.delete_team("ops")

    assert store.load_configuration() == before
    assert store.revision() == revision


def test_people_and_teams_edits_keep_order(store: Store) -> None:
    for person in rich_configuration().people:
        store.save_person(person)
    store.save_person(Person(id="alice", name="Alice C.", colour="#123456"))
    store.save_team(Team(id="sre", name="SRE", members=("bob", "alice", "bob")))
    store.save_team(Team(id="sre", name="Site Reliability", members=("alice", "bob")))

    config = store.load_configuration()
    assert [p.id for p in config.people] == ["carol", "alice", "bob"]
    assert config.person("alice") == Person(id="alice", name="Alice C.", colour="#123456")
    assert config.teams == (Team(id="sre", name="Site Reliability", members=("alice", "bob")),)

    store.delete_team("sre")
    store.delete_person("alice")
    assert [p.id for p in store.load_configuration().people] == ["carol", "bob"]
    with pytest.raises(NotFoundError):
        store.delete_person("alice")


def test_engine_lease_has_one_holder_and_a_new_epoch_for_every_new_holder(store: Store) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ttl = timedelta(seconds=30)
    lease = store.lease
    first = lease.acquire("station-a", None, now, ttl)
    assert first is not None
    assert first.new
    assert first.epoch == 1
    assert lease.acquire("station-b", None, now + timedelta(seconds=10), ttl) is None
    renewed = lease.acquire("station-a", 1, now + timedelta(seconds=20), ttl)
    assert renewed is not None
    assert not renewed.new
    assert renewed.epoch == 1
    assert lease.acquire("station-b", None, now + timedelta(seconds=49), ttl) is None
    taken = lease.acquire("station-b", None, now + timedelta(seconds=50), ttl)
    assert taken is not None
    assert taken.new
    assert taken.epoch == 2
    assert lease.state() == LeaseState(
        "station-b", 2, now + timedelta(seconds=80), now + timedelta(seconds=50)
    )
    # a's renewal under its old epoch is refused although it asks in time for its own old lease
    assert lease.acquire("station-a", 1, now + timedelta(seconds=51), ttl) is None
    # a release by someone else, or under an old epoch, changes nothing
    assert not lease.release("station-a", 2)
    assert not lease.release("station-b", 1)
    assert lease.release("station-b", 2)
    state = lease.state()
    assert state is not None
    assert state.holder is None
    assert state.epoch == 2
    again = lease.acquire("station-b", None, now + timedelta(seconds=52), ttl)
    assert again is not None
    assert again.epoch == 3  # released and taken again: a new epoch, same station


def test_a_lapsed_lease_taken_back_by_its_own_holder_gets_a_new_epoch(store: Store) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ttl = timedelta(seconds=15)
    assert store.lease.acquire("a", None, now, ttl) is not None
    back = store.lease.acquire("a", 1, now + timedelta(seconds=16), ttl)
    assert back is not None
    assert back.new
    assert back.epoch == 2


def test_migrations_produce_exactly_the_orm_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_file_is_private_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "oncall.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) > 0
    finally:
        store.close()
    reopened = Store.open(f"sqlite:///{path}")
    reopened.close()


def test_database_url_prefers_command_line_then_environment_then_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ONCALL_DESKTOP_DB", raising=False)
    default = f"sqlite:///{tmp_path / 'xdg' / 'oncall-desktop' / 'oncall-desktop.sqlite3'}"
    assert paths.default_database_url() == default
    assert paths.database_url(None) == default
    monkeypatch.setenv("ONCALL_DESKTOP_DB", "postgresql+psycopg://pager@db/oncall")
    assert paths.database_url(None) == "postgresql+psycopg://pager@db/oncall"
    assert paths.database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"

    store = Store.open(default)
    store.close()
    assert (
        stat.S_IMODE(os.stat(tmp_path / "xdg" / "oncall-desktop" / "oncall-desktop.sqlite3").st_mode) == 0o600
    )


# -- person colours (issue 13: they stay with the person) -----------------------------------------


def test_a_person_saved_without_a_colour_gets_a_stored_one_nobody_else_has(store: Store) -> None:
    for person in rich_configuration().people:
        store.save_person(dataclasses.replace(person, colour=None))
    colours = {p.id: p.colour for p in store.load_configuration().people}
    assert all(colours.values())
    assert len(set(colours.values())) == 3
    store.save_person(Person(id="dave", name="Dave"))
    after = {p.id: p.colour for p in store.load_configuration().people}
    assert {k: after[k] for k in colours} == colours
    assert after["dave"] not in colours.values()
    # Editing someone without naming a colour keeps theirs.
    store.save_person(Person(id="alice", name="Alice C."))
    assert store.load_configuration().person("alice").colour == colours["alice"]  # type: ignore[union-attr]


def test_applying_a_configuration_keeps_each_persons_colour_and_colours_newcomers_apart(store: Store) -> None:
    plain = tuple(dataclasses.replace(p, colour=None) for p in rich_configuration().people)
    store.replace_configuration(Configuration(people=plain))
    first = {p.id: p.colour for p in store.load_configuration().people}
    newcomer = Person(id="aaron", name="Aaron")
    store.replace_configuration(Configuration(people=(newcomer, *plain)))
    second = {p.id: p.colour for p in store.load_configuration().people}
    assert {k: second[k] for k in first} == first
    assert second["aaron"] not in first.values()


def test_the_migration_gives_people_stored_without_a_colour_distinct_colours(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from oncall_desktop.store.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0004")
        for position, (pid, colour) in enumerate([("bob", None), ("alice", "#875692"), ("carol", None)]):
            connection.execute(
                text("INSERT INTO people (id, position, name, colour) VALUES (:id, :pos, :name, :colour)"),
                {"id": pid, "pos": position, "name": pid.title(), "colour": colour},
            )
    engine.dispose()
    with Store.open(url) as opened:
        colours = {p.id: p.colour for p in opened.load_configuration().people}
    assert colours["alice"] == "#875692"
    assert colours["bob"]
    assert colours["carol"]
    assert len(set(colours.values())) == 3


def test_closing_the_store_waits_for_a_read_in_progress_on_another_thread_and_reads_go_on(
    tmp_path: Path,
) -> None:
    # Each thread keeps its own sqlite3 connection for configuration reads; closing one under a
    # query crashed the interpreter (the SMS-reply poller read the settings while a test closed
    # the store).
    import threading

    from oncall_desktop.store.sqlite_file import Reader

    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    store.close()
    reader = Reader(tmp_path / "r.db")
    inside, release, closed = threading.Event(), threading.Event(), threading.Event()
    rows: list[object] = []

    def read() -> None:
        with reader.reading() as fetch:
            inside.set()
            release.wait(10)
            rows.extend(fetch("SELECT revision FROM config_state"))

    worker = threading.Thread(target=read)
    worker.start()
    assert inside.wait(10)
    closer = threading.Thread(target=lambda: (reader.close(), closed.set()))
    closer.start()
    assert not closed.wait(0.2)  # it waits for the read
    release.set()
    worker.join(10)
    closer.join(10)
    assert closed.is_set()
    assert len(rows) == 1
    with reader.reading() as fetch:  # a read after closing opens a connection again
        assert len(fetch("SELECT revision FROM config_state")) == 1
    reader.close()
