"""The command line as a user drives it: files in, JSON and one-line errors out."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oncall_desktop.cli import main

WEEK_START, WEEK_END = "2024-10-29T05:00:00Z", "2024-11-05T06:00:00Z"
SPEC_EXAMPLE = Path(__file__).parent / "data" / "spec-example.yaml"

CHICAGO = textwrap.dedent(
    """\
    version: 1
    people:
      - {id: ann, name: Ann Ames, email: ann@example.com}
      - {id: ben, name: Ben Bell, email: ben@example.com}
      - {id: cat, name: Cat Cole, email: cat@example.com}
      - {id: dan, name: Dan Dunn, email: dan@example.com}
    rules:
      - id: primary
        name: Primary
        timezone: America/Chicago
        effective: {start: "2024-01-01T00:00", end: null}
        personnel: [ann, ben, cat, dan]
        rotation: {period: weekly, every: 1, handoff: "00:00", anchor: "2024-10-01"}
        escalation:
          - {level: 0, channels: [email], repeat: 5}
          - {level: 1, wait: 30, add: [{target: dan, channels: [email]}], repeat: 10}
      - {id: default, personnel: [ann], escalation: [{level: 0, channels: [email], repeat: 30}]}
    """
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def chicago(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "chicago.yaml"
    path.write_text(CHICAGO)
    assert run(capsys, "config", "apply", str(path))[0] == 0
    return path


def test_dump_apply_dump_is_byte_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "config", "apply", str(SPEC_EXAMPLE))[0] == 0
    status, first, _ = run(capsys, "config", "dump")
    assert status == 0
    dumped = tmp_path / "dumped.yaml"
    dumped.write_text(first)
    assert run(capsys, "config", "apply", str(dumped))[0] == 0
    assert run(capsys, "config", "dump")[1] == first
    assert "payments" in first
    assert "token" not in first


def test_apply_with_an_error_changes_nothing(
    chicago: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = run(capsys, "config", "dump")[1]
    broken = tmp_path / "broken.yaml"
    broken.write_text(CHICAGO.replace("{level: 1, wait: 30,", "{level: 1, wait: 400,"))
    status, _, err = run(capsys, "config", "apply", str(broken))
    assert status == 2
    assert "error: rules[0].escalation[1].wait:" in err
    assert run(capsys, "config", "dump")[1] == before


def test_schedule_json_reproduces_chicago_dst_handoffs(
    chicago: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        capsys, "schedule", "--start", "2024-10-29T05:00Z", "--end", "2024-11-05T06:00Z", "--json"
    )
    assert status == 0
    assert json.loads(out) == {
        "intervals": [
            {
                "rule": "default",
                "person": "ann",
                "start": "2024-10-29T05:00:00Z",
                "end": "2024-11-05T06:00:00Z",
                "layer": None,
            },
            {
                "rule": "primary",
                "person": "ann",
                "start": "2024-10-29T05:00:00Z",
                "end": "2024-11-05T06:00:00Z",
                "layer": None,
            },
        ],
        "gaps": [],
    }
    status, out, _ = run(
        capsys, "schedule", "--start", "2025-03-01T00:00Z", "--end", "2025-03-15T00:00Z",
        "--rule", "primary", "--json",
    )  # fmt: skip
    starts = [(i["person"], i["start"], i["end"]) for i in json.loads(out)["intervals"]]
    assert ("cat", "2025-03-04T06:00:00Z", "2025-03-11T05:00:00Z") in starts


def test_who_json_lists_rules_on_duty_and_routes_by_tag(
    chicago: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "who", "--at", "2024-10-30T12:00-05:00", "--json")
    assert status == 0
    assert json.loads(out) == {
        "at": "2024-10-30T17:00:00Z",
        "rules": [{"rule": "primary", "people": ["ann"]}, {"rule": "default", "people": ["ann"]}],
    }
    status, out, _ = run(capsys, "who", "--at", "2024-10-30T17:00Z", "--tag", "service:x", "--json")
    assert json.loads(out)["rules"] == [{"rule": "primary", "people": ["ann"]}]


def test_simulate_json_follows_the_ladder_and_stops_on_ack(
    chicago: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        capsys, "simulate", "--at", "2024-10-30T17:00Z", "--severity", "P1",
        "--ack-at", "2024-10-30T17:12Z", "--json",
    )  # fmt: skip
    assert status == 0
    notes = json.loads(out)["notifications"]
    assert [(n["at"][11:16], n["person"], n["level"], n["repeat"]) for n in notes] == [
        ("17:00", "ann", 0, 0),
        ("17:05", "ann", 0, 1),
        ("17:10", "ann", 0, 2),
    ]
    assert set(notes[0]) == {"at", "person", "channel", "level", "rule", "repeat", "handover"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["who", "--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["who", "--at", "2026-01-01T10:00"], "has no UTC offset"),
        (["schedule", "--start", "2026-01-01T00:00Z", "--end", "2026-01-02T00:00Z", "--rule", "nope"],
         "no rule 'nope'"),
        (["schedule", "--start", "2026-01-01T00:00Z", "--end", "2026-01-02T00:00Z", "--person", "zed"],
         "no person 'zed'"),
        (["schedule", "--start", "2026-01-02T00:00Z", "--end", "2026-01-01T00:00Z"], "must be after --start"),
        (["simulate", "--at", "2026-01-01T00:00Z", "--severity", "P9"], "is not one of P0"),
        (["simulate", "--at", "2026-01-01T00:00Z", "--severity", "P1", "--tag", "nocolon"], "key:value"),
        (["config", "validate", "/nonexistent/oncall.yaml"], "no such file"),
        (["frobnicate"], "invalid choice"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_status_2(
    chicago: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, _out, err = run(capsys, *args)
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_malformed_yaml_is_one_line_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\npeople: [\n")
    status, _, err = run(capsys, "config", "validate", str(bad))
    assert status == 2
    assert "line 3" in err
    assert len(err.strip().splitlines()) == 1


def test_the_installed_entry_point_runs(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "oncall_desktop.cli", "--db", db, "who", "--at", "2026-01-01T00:00Z"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "On call at 2026-01-01T00:00:00Z" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["who", "--at", "9999-12-31T23:59:59Z"],
        ["who", "--at", "0001-01-01T00:00Z"],
        ["schedule", "--start", "9999-01-01T00:00Z", "--end", "9999-12-31T00:00Z"],
        ["simulate", "--at", "9999-12-31T00:00Z", "--severity", "P1"],
    ],
)
def test_instants_at_the_ends_of_the_calendar_are_refused_not_crashed_on(
    chicago: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    status, _out, err = run(capsys, *args)
    assert status == 2
    assert "outside the years 1900–9000" in err
    assert len(err.strip().splitlines()) == 1


def test_an_unusable_database_url_is_one_line_also_for_the_window(capsys: pytest.CaptureFixture[str]) -> None:
    status, _out, err = run(capsys, "--db", "nonsense://x")
    assert status == 2
    assert err.startswith("oncall-desktop: error: cannot open the database nonsense://x")
    assert len(err.strip().splitlines()) == 1


def test_who_with_a_severity_lists_exactly_the_rules_the_incident_is_routed_to(
    chicago: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _status, out, _err = run(capsys, "who", "--at", "2024-10-30T17:00Z", "--severity", "P4", "--json")
    assert json.loads(out)["rules"] == [{"rule": "primary", "people": ["ann"]}]


def test_a_store_refusal_is_one_line_and_changes_nothing(
    chicago: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oncall_desktop.store import Store, StoreError

    before = run(capsys, "config", "dump")[1]

    def refuse(_store: Store, _config: object) -> None:
        raise StoreError("database is locked")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "replace_configuration", refuse)
        status, _out, err = run(capsys, "config", "apply", str(chicago))
    assert status == 2
    assert err.strip() == "oncall-desktop: error: database is locked"
    assert run(capsys, "config", "dump")[1] == before
