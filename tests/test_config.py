"""Config as code (SPEC §3 limits and checklist, §6 file): what `config validate` prints, and round trips."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall_desktop import timeutil
from oncall_desktop.configfile import dump, load_file, load_text
from oncall_desktop.domain import (
    ALL_SEVERITIES,
    DEFAULT_RULE_ID,
    Channel,
    Combine,
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
from oncall_desktop.validation import Problem, validate_configuration, validate_document

DATA = Path(__file__).parent / "data"
SPEC_EXAMPLE = DATA / "spec-example.yaml"


def lines(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


@pytest.fixture
def base() -> dict[str, Any]:
    """The SPEC example with its one warning (the default rule's last level has no repeat) fixed."""
    doc: dict[str, Any] = yaml.safe_load(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    doc["rules"][1]["escalation"][0]["repeat"] = 10
    config, problems = validate_document(doc)
    assert config is not None
    assert problems == []
    return doc


def test_spec_example_parses() -> None:
    config, problems = load_file(SPEC_EXAMPLE)
    assert lines(problems) == [
        "warning: rules[1].escalation[0].repeat: "
        "the last level has no repeat: nobody is notified again after it"
    ]
    assert config is not None
    payments = config.rule("payments")
    assert payments is not None
    assert payments.timezone == "Europe/Berlin"
    assert payments.effective_start == datetime(2026, 1, 1)
    assert payments.effective_end is None
    assert payments.windows == (Window(days=(0, 1, 2, 3, 4), start=time(9), end=time(18)),)
    assert payments.match == MatchConditions("all", ("service:payment", "env:prod"))
    assert payments.layers == (
        Layer(
            personnel=("alice", "bob", "team:sre"), rotation=Rotation("weekly", 1, time(9), date(2026, 1, 5))
        ),
    )
    level0, level1 = payments.escalation
    assert level0.channels == {"*": (Channel.SMS, Channel.EMAIL)}
    assert level0.statuses == frozenset({Status.OPEN})
    assert level1.wait == 5
    assert level1.repeat == 5
    assert level1.severities == frozenset({Severity.P0, Severity.P1})
    assert level1.add == (Target("carol", (Channel.VOICE,)), Target("team:sre", (Channel.SMS,)))
    # The default rule comes last, in the system's zone, even when the file lists it elsewhere.
    default = config.rules[-1]
    assert default.id == DEFAULT_RULE_ID
    assert default.name == "Default"
    assert default.timezone == timeutil.system_zone_name()
    assert default.layers == (Layer(personnel=("alice",)),)
    assert default.escalation[0].severities == ALL_SEVERITIES
    # Override bounds are wall-clock in the rule's zone (Berlin, UTC+1 in February).
    assert config.overrides == (
        Override(
            "payments", "carol", datetime(2026, 2, 1, 8, tzinfo=UTC), datetime(2026, 2, 2, 8, tzinfo=UTC)
        ),
    )
    assert config.integrations == (Integration("prod-am", "Prod Alertmanager", "alertmanager"),)
    assert config.settings.twilio.from_number == "+14155550100"
    assert config.settings.smtp.security == "starttls"


def _levels(doc: dict[str, Any]) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = doc["rules"][0]["escalation"]
    return levels


def _too_many_levels(doc: dict[str, Any]) -> None:
    levels = _levels(doc)
    levels[1]["repeat"] = 4
    for n in range(2, 12):
        levels.append({"level": n, "wait": 5 * n, "repeat": 4})


def _wait_361(doc: dict[str, Any]) -> None:
    _levels(doc)[1]["wait"] = 361


def _waits_not_increasing(doc: dict[str, Any]) -> None:
    _levels(doc).append({"level": 2, "wait": 5, "repeat": 5})


def _repeat_not_below_gap(doc: dict[str, Any]) -> None:
    levels = _levels(doc)
    levels[1]["repeat"] = 4
    levels.append({"level": 2, "wait": 10, "repeat": 30})
    levels.append({"level": 3, "wait": 40, "repeat": 5})


def _severities_not_subset(doc: dict[str, Any]) -> None:
    _levels(doc).append({"level": 2, "wait": 30, "severities": ["P0", "P2"], "repeat": 5})


def _working_only(doc: dict[str, Any]) -> None:
    for level in _levels(doc):
        level["statuses"] = ["working"]


def _add_only_an_empty_team(doc: dict[str, Any]) -> None:
    doc["teams"].append({"id": "night", "name": "Night", "members": []})
    _levels(doc)[1]["add"] = [{"target": "team:night", "channels": ["sms"]}]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _remove_team_sre_email_and_phone(doc: dict[str, Any]) -> None:
    carol = doc["people"][2]
    del carol["phone"]


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "too many levels",
        _too_many_levels,
        "error: rules[0].escalation: at most 10 levels after level 0 (found 11)",
    ),
    ("wait over 360", _wait_361, "error: rules[0].escalation[1].wait: must be at most 360 minutes"),
    (
        "waits not increasing",
        _waits_not_increasing,
        "error: rules[0].escalation[2].wait: must be greater than 5, the wait of level 1 (waits increase)",
    ),
    (
        "repeat not below the gap",
        _repeat_not_below_gap,
        "error: rules[0].escalation[2].repeat: must be less than 30, the wait to level 3",
    ),
    (
        "severities not a subset",
        _severities_not_subset,
        "error: rules[0].escalation[2].severities: "
        "must be a subset of level 1's severities (P0, P1); P2 is not",
    ),
    (
        "resolved in a level",
        _set(("rules", 0, "escalation", 1, "statuses"), ["open", "resolved"]),
        "error: rules[0].escalation[1].statuses: 'resolved' is not allowed: "
        "statuses are open and working only (resolved ends escalation)",
    ),
    (
        "level number mismatch",
        _set(("rules", 0, "escalation", 1, "level"), 2),
        "error: rules[0].escalation[1].level: is 2 but this is level 1, its position in the list",
    ),
    (
        "level 0 missing with personnel",
        _set(("rules", 0, "escalation"), []),
        "error: rules[0].escalation: a rule with personnel needs level 0",
    ),
    (
        "ladder without personnel",
        _set(("rules", 0, "personnel"), []),
        "error: rules[0].escalation: "
        "a rule without personnel has no ladder: add personnel or remove the levels",
    ),
    (
        "unquoted time",
        _set(("rules", 0, "windows", 0, "end"), 1050),
        "error: rules[0].windows[0].end: times must be quoted strings: "
        "YAML reads an unquoted 17:30 as the number 1050",
    ),
    (
        "unknown zone",
        _set(("rules", 0, "timezone"), "Europe/Berln"),
        "error: rules[0].timezone: unknown time zone 'Europe/Berln' (use an IANA name like Europe/Berlin)",
    ),
    (
        "phone not E.164",
        _set(("people", 0, "phone"), "+1 415 555 0101"),
        "error: people[0].phone: '+1 415 555 0101' is not in E.164 form: write +14155550101",
    ),
    (
        "unquoted phone",
        _set(("settings", "twilio", "from_number"), 14155550100),
        "error: settings.twilio.from_number: phone numbers must be quoted strings: "
        "YAML reads an unquoted +14155550100 as the number 14155550100",
    ),
    (
        "unknown person",
        _set(("rules", 0, "personnel"), ["alice", "bobby"]),
        "error: rules[0].personnel[1]: unknown person 'bobby' (teams are written team:<id>)",
    ),
    (
        "unknown team target",
        _set(("rules", 0, "escalation", 1, "add", 1, "target"), "team:ops"),
        "error: rules[0].escalation[1].add[1].target: unknown team 'ops'",
    ),
    (
        "unknown key",
        _set(("people", 0, "emial"), "a@example.com"),
        "error: people[0].emial: unknown key 'emial' (did you mean 'email'?)",
    ),
    (
        "secret in settings",
        _set(("settings", "twilio", "auth_token"), "s3cret"),
        "error: settings.twilio.auth_token: secrets belong in the keyring, never in this file: "
        "store it with `oncall-desktop secrets set twilio.auth_token`",
    ),
    (
        "default rule with a timezone",
        _set(("rules", 1, "timezone"), "Europe/Paris"),
        "error: rules[1].timezone: the default rule's timezone is not editable (it is the system's)",
    ),
    (
        "override ends before it starts",
        _set(("overrides", 0, "end"), "2026-02-01T08:00"),
        "error: overrides[0].end: must be after the start",
    ),
    (
        "missing version",
        lambda doc: doc.pop("version"),
        "error: version: is required: write version: 1 at the top",
    ),
    (
        "target lacking an address",
        _remove_team_sre_email_and_phone,
        "warning: rules[0].escalation[1].add[0].target: carol has no phone or oncall_phone for voice",
    ),
    (
        "last level without repeat",
        _set(("rules", 0, "escalation", 1, "repeat"), None),
        "warning: rules[0].escalation[1].repeat: "
        "the last level has no repeat: nobody is notified again after it",
    ),
    (
        "default rule without personnel",
        lambda doc: doc["rules"].pop(1),
        "warning: rules: the default rule has no personnel: an incident could then reach nobody",
    ),
    (
        "level 0 excludes severities (SPEC §9)",
        _set(("rules", 0, "escalation", 0, "severities"), ["P0", "P1"]),
        "warning: rules[0].escalation[0].severities: P2, P3, P4 incidents routed here notify nobody",
    ),
    (
        "level 0 excludes open incidents (SPEC §9)",
        _working_only,
        "warning: rules[0].escalation[0].statuses: incidents routed here notify nobody while they are open",
    ),
    (
        "a level adding only a team without members (SPEC §9)",
        _add_only_an_empty_team,
        "warning: rules[0].escalation[1].add: adds nobody who can be notified: team 'night' has no members",
    ),
    (
        "default entry without personnel",
        _set(("rules", 1), {"id": "default"}),
        "warning: rules[1].personnel: the default rule has no personnel: an incident could then reach nobody",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_check_prints_exactly_its_line(
    base: dict[str, Any], mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    doc = copy.deepcopy(base)
    mutate(doc)
    config, problems = validate_document(doc)
    assert lines(problems) == [expected]
    assert (config is None) == expected.startswith("error:")


def test_unquoted_time_in_the_text_names_the_number() -> None:
    text = SPEC_EXAMPLE.read_text(encoding="utf-8").replace('handoff: "09:00"', "handoff: 17:30")
    config, problems = load_text(text)
    assert config is None
    assert "error: rules[0].rotation.handoff: times must be quoted strings: " in lines(problems)[0]
    assert "17:30 as the number 1050" in lines(problems)[0]


def test_malformed_yaml_names_line_and_column() -> None:
    config, problems = load_text("version: 1\npeople:\n  - {id: alice, name: Alice\nteams: []\n")
    assert config is None
    assert lines(problems) == [
        "error: line 4, column 6: malformed YAML: "
        "while parsing a flow mapping, expected ',' or '}', but got ':'"
    ]


def test_missing_file_is_one_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    config, problems = load_file(missing)
    assert config is None
    assert lines(problems) == [f"error: <file>: no such file: {missing}"]


def test_empty_file_says_what_it_needs() -> None:
    config, problems = load_text("")
    assert config is None
    assert lines(problems) == ["error: <document>: the file must be a YAML mapping starting with version: 1"]


def test_default_rule_listed_first_is_still_addressed_by_its_file_index(base: dict[str, Any]) -> None:
    doc = copy.deepcopy(base)
    default = doc["rules"].pop(1)
    default["escalation"][0]["repeat"] = None
    doc["rules"].insert(0, default)
    config, problems = validate_document(doc)
    assert config is not None
    assert config.rules[-1].id == DEFAULT_RULE_ID
    assert lines(problems) == [
        "warning: rules[0].escalation[0].repeat: "
        "the last level has no repeat: nobody is notified again after it"
    ]


def test_gui_edits_are_checked_on_domain_objects() -> None:
    config, _ = load_file(SPEC_EXAMPLE)
    assert config is not None
    payments = config.rules[0]
    too_slow = EscalationLevel(wait=400, severities=frozenset({Severity.P0}), repeat=5)
    edited = Configuration(
        people=config.people,
        teams=config.teams,
        rules=(
            OnCallRule(**{**_fields(payments), "escalation": (*payments.escalation, too_slow)}),
            config.rules[1],
        ),
        overrides=config.overrides,
        integrations=config.integrations,
        settings=config.settings,
    )
    assert "error: rules[0].escalation[2].wait: must be at most 360 minutes" in lines(
        validate_configuration(edited)
    )


def _fields(rule: OnCallRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in OnCallRule.__dataclass_fields__}


RICH = Configuration(
    people=(
        Person(
            "alice",
            "Alice Chen",
            "alice@example.com",
            "+14155550101",
            None,
            None,
            "America/Los_Angeles",
            None,
        ),
        Person(
            "bob",
            "Bob Stone",
            "bob@example.com",
            "+4915112345678",
            "bob.pager@example.com",
            "+4915112345679",
            "Europe/Berlin",
            "#3366ff",
        ),
        Person("carol", "Carol Díaz: night", "carol@example.com", "+14155550102"),
        Person("dave", "yes", "dave@example.com", "+14155550103"),
    ),
    teams=(Team("sre", "SRE", ("alice", "bob")), Team("db", "Databases", ("carol",))),
    rules=(
        OnCallRule(
            id="payments",
            name="Payments primary",
            timezone="Europe/Berlin",
            effective_start=datetime(2026, 1, 1),
            effective_end=datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=1))),
            windows=(Window((0, 1, 2, 3, 4), time(9), time(18)), Window((4,), time(22), time(6))),
            match=MatchConditions("any", ("service:payment*", "env:prod")),
            layers=(
                Layer(
                    personnel=("alice", "bob", "team:sre"),
                    rotation=Rotation("hours", 12, time(9), date(2026, 1, 5)),
                ),
            ),
            escalation=(
                EscalationLevel(
                    channels={"alice": (Channel.SMS,), "*": (Channel.EMAIL, Channel.VOICE)}, repeat=4
                ),
                EscalationLevel(
                    wait=5,
                    severities=frozenset({Severity.P0, Severity.P1}),
                    repeat=5,
                    add=(Target("carol", (Channel.VOICE,)), Target("team:db", (Channel.SMS, Channel.EMAIL))),
                ),
                EscalationLevel(wait=30, severities=frozenset({Severity.P0}), repeat=10),
            ),
        ),
        OnCallRule(
            id="db",
            name="Databases",
            timezone="Asia/Kolkata",
            layers=(Layer(rotation=Rotation("monthly", 1, time(0, 30), date(2026, 1, 31))),),
        ),
        OnCallRule(
            id=DEFAULT_RULE_ID,
            name="Default",
            timezone=timeutil.system_zone_name(),
            layers=(Layer(personnel=("dave",)),),
            escalation=(EscalationLevel(channels={"*": (Channel.EMAIL,)}, repeat=15),),
        ),
    ),
    overrides=(
        Override(
            "payments",
            "carol",
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
        Override(
            "db", "carol", datetime(2026, 2, 1, 3, 45, 30, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC)
        ),
    ),
    integrations=(
        Integration("prod-am", "Prod Alertmanager", "alertmanager", severity_mapping={"page": Severity.P0}),
        Integration("hook", "Generic", "webhook"),
    ),
    settings=Settings(
        StationSettings("0.0.0.0:9090", "https://pager.example.com"),
        TwilioSettings("AC0123456789abcdef0123456789abcdef", "+14155550100", "http://127.0.0.1:9999"),
        SmtpSettings("smtp.example.com", 465, "tls", "pager", "pager@example.com"),
    ),
)


def test_rich_configuration_round_trips_byte_identical() -> None:
    assert [p for p in validate_configuration(RICH) if p.level == "error"] == []
    text = dump(RICH)
    loaded, problems = load_text(text)
    assert [p for p in problems if p.level == "error"] == []
    assert loaded == RICH
    assert dump(loaded) == text
    assert text.startswith("version: 1\npeople:\n")
    assert 'start: "2026-03-29T01:30+01:00"' in text  # wall-clock with offset in the rule's zone
    assert 'handoff: "09:00"' in text
    assert "severities: [P0, P1]" in text


def test_dump_leaves_out_integration_tokens_and_keeps_the_default_rule_to_its_fields() -> None:
    with_token = Configuration(
        rules=RICH.rules, integrations=(Integration("prod-am", "Prod", "alertmanager", token="abc123"),)
    )
    text = dump(with_token)
    assert "abc123" not in text
    assert "token" not in text
    default_entry = text.split("- id: default\n", 1)[1].split("overrides:", 1)[0]
    assert "timezone" not in default_entry
    assert "name" not in default_entry


# ---------------------------------------------------------------------------------------------------
# Property: random small valid configurations survive dump → load → dump.
# ---------------------------------------------------------------------------------------------------

PHONES = ("+14155550101", "+4915112345678", "+442071838750", None)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
CHANNEL_SETS = st.lists(st.sampled_from(list(Channel)), min_size=1, max_size=3, unique=True).map(tuple)
MINUTE_INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
)
NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s.strip() != "")


_ROTATIONS = st.one_of(
    st.none(),
    st.builds(
        Rotation,
        st.sampled_from(["hours", "daily", "weekly", "monthly"]),
        st.integers(1, 4),
        st.builds(time, st.integers(0, 23), st.integers(0, 59)),
        st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    ),
)


@st.composite
def rule_layers(draw: st.DrawFn, targets: list[str]) -> tuple[tuple[Layer, ...], Combine]:
    """Half the time v1's one plain layer; else named layers with their own zones, windows and spans."""
    personnel = st.lists(st.sampled_from(targets), max_size=3).map(tuple)
    if draw(st.booleans()):
        return (Layer(personnel=draw(personnel), rotation=draw(_ROTATIONS)),), "first"
    layers = []
    for j in range(draw(st.integers(1, 3))):
        start = draw(st.one_of(st.none(), MINUTE_INSTANTS.map(lambda d: d.replace(tzinfo=None))))
        layers.append(
            Layer(
                name=draw(st.sampled_from(["Weekdays", "Sydney", "Backstop", "on: call"])) + f" {j}",
                timezone=draw(st.sampled_from([None, *ZONES])),
                personnel=draw(personnel),
                rotation=draw(_ROTATIONS),
                windows=tuple(
                    Window(tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))), time(9), time(17))
                    for _ in range(draw(st.integers(0, 2)))
                ),
                effective_start=start,
                effective_end=None if start is None else start + timedelta(days=draw(st.integers(1, 90))),
            )
        )
    return tuple(layers), draw(st.sampled_from(["first", "all"]))


@st.composite
def ladders(draw: st.DrawFn, person_ids: list[str], targets: list[str]) -> tuple[EscalationLevel, ...]:
    count = draw(st.integers(0, 3))
    waits = sorted(draw(st.lists(st.integers(1, 360), min_size=count, max_size=count, unique=True)))
    severities = frozenset(ALL_SEVERITIES)
    statuses = frozenset({Status.OPEN})
    keys = draw(st.lists(st.sampled_from([*person_ids, "*"]), max_size=2, unique=True)) or ["*"]
    levels = [
        EscalationLevel(
            severities=severities,
            statuses=statuses,
            channels={k: draw(CHANNEL_SETS) for k in keys},
        )
    ]
    all_waits = [0, *waits]
    for wait in waits:
        severities = frozenset(draw(st.sets(st.sampled_from(sorted(severities)), min_size=1)))
        add = tuple(
            Target(t, draw(CHANNEL_SETS)) for t in draw(st.lists(st.sampled_from(targets), max_size=2))
        )
        levels.append(EscalationLevel(wait=wait, severities=severities, statuses=statuses, add=add))
    result = []
    for i, level in enumerate(levels):
        gap = all_waits[i + 1] - all_waits[i] if i + 1 < len(levels) else 1000
        repeat = draw(st.one_of(st.none(), st.integers(1, 999))) if gap > 1 else None
        if repeat is not None and repeat >= gap:
            repeat = gap - 1
        result.append(EscalationLevel(**{**_level_fields(level), "repeat": repeat}))
    return tuple(result)


def _level_fields(level: EscalationLevel) -> dict[str, Any]:
    return {name: getattr(level, name) for name in EscalationLevel.__dataclass_fields__}


@st.composite
def configurations(draw: st.DrawFn) -> Configuration:
    n_people = draw(st.integers(1, 3))
    person_ids = [f"p{i}" for i in range(n_people)]
    people = tuple(
        Person(
            pid,
            draw(NAMES),
            draw(st.sampled_from([f"{pid}@example.com", None])),
            draw(st.sampled_from(PHONES)),
            timezone=draw(st.sampled_from([*ZONES, None])),
        )
        for pid in person_ids
    )
    teams = tuple(
        Team(f"t{i}", draw(NAMES), tuple(draw(st.lists(st.sampled_from(person_ids), max_size=3))))
        for i in range(draw(st.integers(0, 2)))
    )
    targets = person_ids + [f"team:{t.id}" for t in teams]
    rules = []
    for i in range(draw(st.integers(0, 2))):
        layers, combine = draw(rule_layers(targets))
        start = draw(st.one_of(st.none(), MINUTE_INSTANTS.map(lambda d: d.replace(tzinfo=None))))
        end = None if start is None else draw(st.one_of(st.none(), st.just(start + timedelta(days=30))))
        rules.append(
            OnCallRule(
                id=f"r{i}",
                name=draw(NAMES),
                timezone=draw(st.sampled_from(ZONES)),
                effective_start=start,
                effective_end=end,
                windows=tuple(
                    Window(
                        tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=3))),
                        time(draw(st.integers(0, 23)), draw(st.integers(0, 59))),
                        time(draw(st.integers(0, 23))),
                    )
                    for _ in range(draw(st.integers(0, 2)))
                ),
                match=MatchConditions(
                    draw(st.sampled_from(["all", "any"])),
                    tuple(draw(st.lists(st.sampled_from(["env:prod", "service:a*", "team:x"])))),
                ),
                layers=layers,
                combine=combine,
                escalation=draw(ladders(person_ids, targets)) if any(la.personnel for la in layers) else (),
            )
        )
    default_layers, default_combine = draw(rule_layers(targets))
    rules.append(
        OnCallRule(
            id=DEFAULT_RULE_ID,
            name="Default",
            timezone=timeutil.system_zone_name(),
            layers=default_layers,
            combine=default_combine,
            escalation=draw(ladders(person_ids, targets))
            if any(la.personnel for la in default_layers)
            else (),
        )
    )
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(MINUTE_INSTANTS)
        overrides.append(
            Override(
                draw(st.sampled_from([r.id for r in rules] or [DEFAULT_RULE_ID])),
                draw(st.sampled_from(person_ids)),
                start,
                start + timedelta(minutes=draw(st.integers(1, 10_000))),
            )
        )
    return Configuration(people=people, teams=teams, rules=tuple(rules), overrides=tuple(overrides))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configurations())
def test_random_valid_configurations_survive_dump_and_load(config: Configuration) -> None:
    text = dump(config)
    loaded, problems = load_text(text)
    assert [str(p) for p in problems if p.level == "error"] == []
    assert loaded is not None
    assert dump(loaded) == text
    assert loaded == config


def test_a_huge_value_makes_a_short_message() -> None:
    """YAML anchors let a kilobyte file hold megabytes; the error must stay one readable line."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    config, problems = load_text(bomb + "version: 1\npeople: *h\n")
    assert config is None
    assert problems
    assert all(len(str(p)) < 300 for p in problems)


def test_a_person_colour_must_be_a_hex_colour() -> None:
    config, problems = load_text('version: 1\npeople:\n  - {id: ann, name: Ann, colour: "#zzzzzz"}\n')
    assert config is None
    assert [str(p) for p in problems if p.level == "error"] == [
        "error: people[0].colour: '#zzzzzz' is not a colour: write it like #1f77b4"
    ]


def test_config_validate_warns_for_every_level_that_notifies_nobody(
    base: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SPEC §9: severities level 0 leaves out, a rotation slot without an address for level 0's
    channels, and a level whose every target lacks the address its channel needs."""
    from oncall_desktop import cli

    doc = copy.deepcopy(base)
    doc["rules"][1]["escalation"][0]["severities"] = ["P0", "P1"]
    bob = doc["people"][1]
    bob.pop("email")
    bob.pop("phone")
    _levels(doc)[1]["add"] = [{"target": "bob", "channels": ["voice"]}]
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert cli.main(["config", "validate", str(path)]) == 0
    out = capsys.readouterr().err.splitlines()
    assert "warning: rules[1].escalation[0].severities: P2, P3, P4 incidents routed here notify nobody" in out
    assert (
        "warning: rules[0].escalation[0]: notifies nobody while bob is on call: no address for sms, email"
        in out
    )
    assert (
        "warning: rules[0].escalation[1].add: adds nobody who can be notified: bob has no address for voice"
        in out
    )


def test_a_ladder_whose_on_call_people_all_lack_addresses_notifies_nobody_at_every_level() -> None:
    people = (Person("alice", "Alice"), Person("bob", "Bob", phone="+14155550101"))
    rule = OnCallRule(
        "r",
        "R",
        "UTC",
        layers=(Layer(personnel=("alice",)),),
        escalation=(
            EscalationLevel(repeat=5, channels={"*": (Channel.EMAIL,)}),
            EscalationLevel(wait=10, repeat=5, add=(Target("bob", (Channel.EMAIL,)),)),
            EscalationLevel(wait=20, repeat=5, add=(Target("bob", (Channel.SMS,)),)),
        ),
    )
    default = OnCallRule(
        DEFAULT_RULE_ID,
        "Default",
        "UTC",
        layers=(Layer(personnel=("bob",)),),
        escalation=(EscalationLevel(repeat=5, channels={"*": (Channel.SMS,)}),),
    )
    found = lines(validate_configuration(Configuration(people=people, rules=(rule, default))))
    assert (
        "warning: rules[0].escalation[0]: notifies nobody: no one on call has an address for its channels"
        in found
    )
    assert "warning: rules[0].escalation[1]: notifies nobody: bob has no address for email" in found
    assert not [line for line in found if line.startswith("warning: rules[0].escalation[2]")]
