"""Layers in the config file (SPEC §8): both forms read, dumped back exactly, errors naming the layer."""

from __future__ import annotations

import json
import textwrap
from datetime import time
from pathlib import Path

import pytest

from oncall_desktop.cli import main
from oncall_desktop.configfile import dump, load_text
from oncall_desktop.domain import Layer, Window

PEOPLE = """\
version: 1
people:
  - {id: olivia, name: Olivia, email: olivia@example.com, timezone: Australia/Sydney}
  - {id: priya, name: Priya, email: priya@example.com, timezone: Europe/London}
  - {id: maria, name: Maria, email: maria@example.com, timezone: America/New_York}
  - {id: sam, name: Sam, email: sam@example.com}
teams:
  - {id: dba, name: DBAs, members: [olivia, priya]}
"""

FOLLOW_THE_SUN = (
    PEOPLE
    + """\
rules:
  - id: db
    name: Database
    timezone: UTC
    match: {conditions: ["service:db*"]}
    layers:
      - {name: Sydney, timezone: Australia/Sydney, personnel: [olivia],
         windows: [{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}]}
      - {name: London, timezone: Europe/London, personnel: [priya],
         windows: [{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}]}
      - {name: New York, timezone: America/New_York, personnel: [maria],
         windows: [{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}]}
      - {name: Backstop, personnel: [sam]}
    escalation: [{level: 0, channels: [email]}]
  - {id: default, personnel: [sam], escalation: [{level: 0, channels: [email]}]}
"""
)


def problems_of(text: str) -> list[str]:
    return [str(p) for p in load_text(text)[1]]


def with_rule(rule_yaml: str) -> str:
    return PEOPLE + "rules:\n" + textwrap.indent(textwrap.dedent(rule_yaml), "  ")


def test_the_spec_example_reads_as_four_layers_in_their_own_zones() -> None:
    config, problems = load_text(FOLLOW_THE_SUN)
    assert config is not None, problems
    db = config.rule("db")
    assert db is not None
    assert db.combine == "first"
    nine_to_five = (Window((0, 1, 2, 3, 4), time(9), time(17)),)
    assert db.layers == (
        Layer("Sydney", "Australia/Sydney", ("olivia",), windows=nine_to_five),
        Layer("London", "Europe/London", ("priya",), windows=nine_to_five),
        Layer("New York", "America/New_York", ("maria",), windows=nine_to_five),
        Layer("Backstop", personnel=("sam",)),
    )


def test_dump_writes_layers_for_a_layered_rule_and_the_short_form_for_a_plain_one() -> None:
    config, _ = load_text(FOLLOW_THE_SUN)
    assert config is not None
    text = dump(config)
    assert "  combine: first\n  layers:\n  - name: Sydney\n    timezone: Australia/Sydney\n" in text
    default = text[text.index("- id: default") :]
    assert "personnel: [sam]" in default
    assert "layers" not in default
    again, problems = load_text(text)
    assert again == config, problems
    assert dump(again) == text


def test_a_v1_rule_reads_as_one_plain_layer_and_dumps_as_v1() -> None:
    v1 = with_rule(
        """\
        - id: primary
          name: Primary
          timezone: Europe/London
          personnel: [olivia, team:dba]
          rotation: {period: weekly, handoff: "09:00", anchor: "2026-01-05"}
          escalation: [{level: 0, channels: [email]}]
        """
    )
    config, problems = load_text(v1)
    assert config is not None, problems
    primary = config.rule("primary")
    assert primary is not None
    assert len(primary.layers) == 1
    assert primary.layers[0].is_plain
    assert primary.layers[0].personnel == ("olivia", "team:dba")
    text = dump(config)
    assert "  personnel: [olivia, 'team:dba']\n  rotation:\n    period: weekly\n" in text
    assert "layers" not in text
    assert dump(load_text(text)[0]) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule_yaml", "expected"),
    [
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - {name: Day, personnel: [olivia]}
                - name: Night
                  personnel: [priya]
                  rotation: {period: daily, handoff: 21:00, anchor: "2026-01-05"}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].layers[1].rotation.handoff: times must be quoted strings: "
            "YAML reads an unquoted 21:00 as the number 1260",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - {name: Day, personnel: [olivia]}
                - {name: Night, personnel: [priya, bobby]}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].layers[1].personnel[1]: unknown person 'bobby' (teams are written team:<id>)",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - {name: Day, personnel: [olivia]}
                - {name: Day, personnel: [priya]}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].layers[1].name: duplicate layer name 'Day' (also rules[0].layers[0])",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - {personnel: [olivia]}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].layers[0].name: is required",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - {name: Day, timezone: Mars/Olympus, personnel: [olivia]}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].layers[0].timezone: unknown time zone 'Mars/Olympus' "
            "(use an IANA name like Europe/Berlin)",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - name: Day
                  personnel: [olivia]
                  windows: [{days: [], start: "09:00", end: "17:00"}]
                  effective: {start: "2026-02-01T00:00", end: "2026-01-01T00:00"}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].layers[0].effective.end: must be after the start",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              personnel: [sam]
              layers:
                - {name: Day, personnel: [olivia]}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].personnel: a rule with layers lists its personnel in each layer",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              combine: all
              personnel: [sam]
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].combine: combine applies to layers: list the rule's layers under layers",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              combine: both
              layers:
                - {name: Day, personnel: [olivia]}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].combine: unknown combine mode 'both' (one of first, all)",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers: []
            """,
            "error: rules[0].layers: must list at least one layer",
        ),
        (
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - {name: Day}
                - {name: Night}
              escalation: [{level: 0, channels: [email]}]
            """,
            "error: rules[0].escalation: a rule without personnel has no ladder: "
            "add personnel or remove the levels",
        ),
    ],
)
def test_problems_name_the_layer(rule_yaml: str, expected: str) -> None:
    found = problems_of(with_rule(rule_yaml))
    assert expected in found, found


def test_window_problems_of_a_layer_name_the_layer() -> None:
    found = problems_of(
        with_rule(
            """\
            - id: db
              name: Database
              timezone: UTC
              layers:
                - name: Day
                  personnel: [olivia]
                  windows: [{days: [], start: "09:00", end: "17:00"}]
              escalation: [{level: 0, channels: [email]}]
            """
        )
    )
    assert "error: rules[0].layers[0].windows[0].days: must list at least one day" in found


def test_the_default_rule_may_have_layers_of_its_own() -> None:
    text = PEOPLE + textwrap.dedent(
        """\
        rules:
          - id: default
            combine: all
            layers:
              - {name: Europe, timezone: Europe/London, personnel: [priya]}
              - {name: Americas, timezone: America/New_York, personnel: [maria]}
            escalation: [{level: 0, channels: [email]}]
        """
    )
    config, problems = load_text(text)
    assert config is not None, problems
    assert [layer.name for layer in config.rules[-1].layers] == ["Europe", "Americas"]
    assert dump(load_text(dump(config))[0]) == dump(config)  # type: ignore[arg-type]


def test_apply_dump_apply_of_layers_and_schedule_json_names_the_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sun.yaml"
    path.write_text(FOLLOW_THE_SUN)
    assert main(["config", "apply", str(path)]) == 0
    capsys.readouterr()
    assert main(["config", "dump"]) == 0
    first = capsys.readouterr().out
    path.write_text(first)
    assert main(["config", "apply", str(path)]) == 0
    capsys.readouterr()
    assert main(["config", "dump"]) == 0
    assert capsys.readouterr().out == first
    # Monday 2027-01-04, 12:00 UTC: London (priya) is in its hours, Sydney and New York are not.
    args = [
        "schedule",
        "--start",
        "2027-01-04T12:00Z",
        "--end",
        "2027-01-04T13:00Z",
        "--rule",
        "db",
        "--json",
    ]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["intervals"] == [
        {
            "rule": "db",
            "person": "priya",
            "start": "2027-01-04T12:00:00Z",
            "end": "2027-01-04T13:00:00Z",
            "layer": "London",
        }
    ]
