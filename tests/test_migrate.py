"""`oncall-desktop migrate` against local fakes of the three sources' APIs (SPEC §11): the written
file validates and applies, its schedule is the source's own final schedule, `--verify` says so (and
names a difference when there is one), and a refused token, an unreachable API or an answer that is
not JSON is one line with nothing written."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from oncall_desktop import configfile
from oncall_desktop.cli import main
from oncall_desktop.domain import OnCallRule
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.server import create_app
from oncall_desktop.migration import grafana_oncall, http
from oncall_desktop.store import Store
from tests.fake_sources import (
    AM_TOKEN,
    ON_CALL,
    TOKENS,
    VERIFY_FROM,
    VERIFY_TO,
    WEBHOOK_TOKEN,
    FakeSource,
    runs,
    z,
)

SOURCES = ("grafana-oncall", "opsgenie", "pagerduty")
RATE_LIMITED = {"grafana-oncall": ("teams",), "opsgenie": ("escalations",), "pagerduty": ("services",)}
VERIFIED_RULE = {"grafana-oncall": "payments", "opsgenie": "ops", "pagerduty": "checkout"}
PEOPLE = {
    "grafana-oncall": {"U1ALICE": "alice", "U2BOB": "bob", "U3CAROL": "carol", "U4DAVE": "dave"},
    "opsgenie": {"u-alice": "alice", "u-bob": "bob", "u-carol": "carol", "u-dave": "dave"},
    "pagerduty": {"PALICE": "alice", "PBOB": "bob", "PCAROL": "carol", "PDAVE": "dave"},
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait for a rate limit, recorded instead of slept."""
    found: list[float] = []
    monkeypatch.setattr(http, "wait", found.append)
    return found


@pytest.fixture(params=SOURCES)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeSource]:
    server = FakeSource(request.param, RATE_LIMITED[request.param])
    yield server
    server.close()


def token_file(tmp_path: Path, source: str, token: str | None = None) -> str:
    path = tmp_path / "token"
    path.write_text((token or TOKENS[source]) + "\n")
    return str(path)


def migrate(
    capsys: pytest.CaptureFixture[str], fake: FakeSource, tmp_path: Path, *extra: str
) -> tuple[int, str, str, Path]:
    out = tmp_path / "migrated.yaml"
    status, stdout, stderr = run(
        capsys,
        "migrate",
        fake.source,
        "--api-url",
        fake.url,
        "--token-file",
        token_file(tmp_path, fake.source),
        "-o",
        str(out),
        "--verify-from",
        z(VERIFY_FROM),
        *extra,
    )
    return status, stdout, stderr, out


def spans(shifts: list[tuple[str, datetime, datetime]]) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per person, the union of their shifts: what "who is on call when" means on both sides."""
    found: dict[str, list[tuple[datetime, datetime]]] = {}
    for person, start, end in sorted(shifts, key=lambda s: s[1]):
        mine = found.setdefault(person, [])
        if mine and start <= mine[-1][1]:
            mine[-1] = (mine[-1][0], max(end, mine[-1][1]))
        else:
            mine.append((start, end))
    return found


def test_migrated_config_validates_applies_and_schedules_as_the_source_does(
    fake: FakeSource, tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    status, out, err, written = migrate(capsys, fake, tmp_path, "--verify")
    assert (status, err) == (0, "")
    assert "verify: 0 differences in" in out
    assert waits == [7.0], "the one 429 is waited out for its Retry-After"
    assert any("page=2" in r or "offset=2" in r for r in fake.requests), "pagination followed"

    assert "people: []" in run(capsys, "config", "dump")[1], "migrate itself stores nothing"
    status, out, err = run(capsys, "config", "validate", str(written))
    assert status == 0, err
    assert "error:" not in err
    assert run(capsys, "config", "apply", str(written))[0] == 0
    rule = VERIFIED_RULE[fake.source]
    status, out, _ = run(
        capsys, "schedule", "--json", "--start", z(VERIFY_FROM), "--end", z(VERIFY_TO), "--rule", rule
    )
    ours = [
        (i["person"], datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]))
        for i in json.loads(out)["intervals"]
    ]
    people = PEOPLE[fake.source]
    theirs = [(people[u], s, e) for u, s, e in runs(ON_CALL[fake.source])]
    assert spans(ours) == spans(theirs)


def test_grafana_oncall_ladder_routes_integrations_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    fake = FakeSource("grafana-oncall")
    try:
        status, out, _err, written = migrate(capsys, fake, tmp_path, "--json")
    finally:
        fake.close()
    assert status == 0
    report = json.loads(out)
    assert (
        report["people"],
        report["teams"],
        report["rules"],
        report["overrides"],
        report["integrations"],
    ) == (4, 1, 1, 1, 2)
    reasons = {(s["kind"], s["id"]): s["reason"] for s in report["skipped"]}
    assert "iCal" in reasons[("schedule", "Imported calendar")]
    assert "Slack" in reasons[("escalation", "Payments chain step 5")]
    assert "not a plain key/value test" in reasons[("route", "RODD")]
    assert "zabbix" in reasons[("integration", "Zabbix")]
    assert all("no phone numbers" in reasons[("person", p)] for p in ("alice", "bob", "carol", "dave"))

    doc = yaml.safe_load(written.read_text())
    payments = next(r for r in doc["rules"] if r["id"] == "payments")
    assert payments["match"]["conditions"] == ["service:payments"]
    assert [layer["name"] for layer in payments["layers"]] == [
        "Evening checks (wed)",
        "Evening checks (sat)",
        "Weekday days",
        "Backstop",
    ]
    ladder = payments["escalation"]
    assert [level["wait"] for level in ladder] == [0, 5, 20]
    assert ladder[1]["add"] == [{"target": "alice", "channels": ["voice", "sms"]}], "important → voice"
    assert ladder[2]["add"] == [{"target": "team:sre", "channels": ["sms", "email"]}]
    assert {i["name"]: i["token"] for i in doc["integrations"]} == {
        "Prod Alertmanager": AM_TOKEN,
        "Deploy hooks": WEBHOOK_TOKEN,
    }

    assert run(capsys, "config", "apply", str(written))[0] == 0
    status, out, _ = run(capsys, "integrations", "--json")
    urls = {i["id"]: i["url"] for i in json.loads(out)["integrations"]}
    assert urls["prod-alertmanager"].endswith(f"/integrations/v1/alertmanager/{AM_TOKEN}/")
    assert configfile.dump(configfile.load_file(written)[0]).count("token") == 0, "dump never prints tokens"


def test_a_migrated_formatted_webhook_keeps_receiving_on_its_grafana_oncall_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    fake = FakeSource("grafana-oncall")
    try:
        status, _out, _err, written = migrate(capsys, fake, tmp_path)
    finally:
        fake.close()
    assert status == 0
    assert run(capsys, "config", "apply", str(written))[0] == 0
    store = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    loop = asyncio.new_event_loop()
    client = TestClient(TestServer(create_app(store, FakeClock(VERIFY_FROM))), loop=loop)

    async def post(path: str, body: dict[str, Any] | None = None) -> int:
        hook = {"title": "Deploy failed", "message": "checkout", "alert_uid": "d-1", "state": "alerting"}
        response = await client.post(path, json=body or hook)
        return response.status

    group = {
        "version": "4", "groupKey": "g-1", "status": "firing", "commonLabels": {"alertname": "Down"},
        "alerts": [{"status": "firing", "labels": {"alertname": "Down"}, "fingerprint": "f-1"}],
    }  # fmt: skip

    try:
        loop.run_until_complete(client.start_server())
        old_path = f"/integrations/v1/formatted_webhook/{WEBHOOK_TOKEN}/"
        assert loop.run_until_complete(post(old_path)) == 201
        assert loop.run_until_complete(post(f"/integrations/v1/zabbix/{WEBHOOK_TOKEN}/")) == 404
        legacy = f"/integrations/v1/legacy_alertmanager/{AM_TOKEN}/"
        assert loop.run_until_complete(post(legacy, group)) == 201
        assert loop.run_until_complete(post(f"/integrations/v1/webhook/{AM_TOKEN}/")) == 400
        assert store.incidents.count() == 2
        assert store.incidents.get(1).title == "Deploy failed"
        assert store.incidents.get(2).title == "Down"
    finally:
        loop.run_until_complete(client.close())
        loop.close()
        store.close()


def test_opsgenie_and_pagerduty_people_ladders_and_approximations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    docs: dict[str, Any] = {}
    for source in ("opsgenie", "pagerduty"):
        fake = FakeSource(source)
        try:
            status, out, _err, written = migrate(
                capsys, fake, tmp_path / source if (tmp_path / source).mkdir() is None else tmp_path, "--json"
            )
        finally:
            fake.close()
        assert status == 0
        docs[source] = (json.loads(out), yaml.safe_load(written.read_text()))

    report, doc = docs["opsgenie"]
    people = {p["id"]: p for p in doc["people"]}
    assert people["alice"]["phone"] == "+4915111111111"
    assert people["carol"]["phone"] == "+14155550103"
    ops = next(r for r in doc["rules"] if r["id"] == "ops")
    assert ops["combine"] == "all"
    assert [(level["wait"], level.get("add")) for level in ops["escalation"][1:]] == [
        (10, [{"target": "alice", "channels": ["sms", "email"]}]),
        (30, [{"target": "team:ops", "channels": ["sms", "email"]}]),
    ]
    assert ops["escalation"][-1]["repeat"] == 10
    reasons = [s["reason"] for s in report["skipped"]]
    assert any("notifyType 'next'" in r for r in reasons)
    assert any("limited to some rotations" in r for r in reasons)

    report, doc = docs["pagerduty"]
    assert {r["id"]: r["match"]["conditions"] for r in doc["rules"] if r["id"] != "default"} == {
        "checkout": ["service:checkout"],
        "search": ["service:search"],
    }
    checkout = next(r for r in doc["rules"] if r["id"] == "checkout")
    assert [level["wait"] for level in checkout["escalation"]] == [0, 15]
    assert checkout["escalation"][-1]["repeat"] == 30
    assert any("num_loops 2" in s["reason"] for s in report["skipped"])
    assert any(s["id"] == "legacy" and "disabled" in s["reason"] for s in report["skipped"])
    assert {p["id"]: p["phone"] for p in doc["people"]}["alice"] == "+14155550101"


def test_verify_names_every_difference_from_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    fake = FakeSource("grafana-oncall")

    def bob_instead_of_carol_once(key: str, body: Any) -> Any:
        if key != "schedules/SPAY/final_shifts" or body["current_page_number"] != 1:
            return body
        first = dict(body["results"][0], user_pk="U2BOB")
        return dict(body, results=[first, *body["results"][1:]])

    fake.altered = bob_instead_of_carol_once
    try:
        status, out, _err, written = migrate(capsys, fake, tmp_path, "--verify")
    finally:
        fake.close()
    assert status == 1, "a difference is never hidden"
    lines = [line for line in out.splitlines() if line.startswith("schedule Payments")]
    span = "2027-03-15T00:00:00Z → 2027-03-15T08:00:00Z"
    assert lines == [
        f"schedule Payments: bob on call {span} only in Grafana OnCall",
        f"schedule Payments: carol on call {span} only in the migrated rule",
    ]
    assert "verify: 2 differences in" in out
    assert written.exists(), "the file is still written for the user to read"


@pytest.mark.parametrize("source", SOURCES)
def test_from_dir_reads_saved_answers_to_the_same_file(
    source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    fake = FakeSource(source)
    try:
        status, _out, _err, from_api = migrate(capsys, fake, tmp_path)
        saved = tmp_path / "saved"
        fake.save(saved)
    finally:
        fake.close()
    assert status == 0
    from_dir = tmp_path / "from-dir.yaml"
    status, out, err = run(
        capsys,
        "migrate",
        source,
        "--from-dir",
        str(saved),
        "-o",
        str(from_dir),
        "--verify",
        "--verify-from",
        z(VERIFY_FROM),
    )
    assert (status, err) == (0, "")
    assert "verify: 0 differences" in out
    assert from_dir.read_text() == from_api.read_text()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_refused_token_unreachable_api_and_bad_json_are_one_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    out = tmp_path / "never.yaml"
    fake = FakeSource("pagerduty")
    try:
        status, stdout, err = run(
            capsys,
            "migrate",
            "pagerduty",
            "--api-url",
            fake.url,
            "--token-file",
            token_file(tmp_path, "pagerduty", "wrong-token-000"),
            "-o",
            str(out),
        )
        assert (status, stdout) == (2, "")
        assert err.count("\n") == 1
        assert "the token was refused (HTTP 401)" in err

        fake.altered = lambda key, body: b"<html>gateway</html>" if key == "teams" else body
        status, _, err = run(
            capsys,
            "migrate",
            "pagerduty",
            "--api-url",
            fake.url,
            "--token-file",
            token_file(tmp_path, "pagerduty"),
            "-o",
            str(out),
        )
        assert status == 2
        assert err.count("\n") == 1
        assert "/teams: the answer is not JSON" in err
    finally:
        fake.close()
    status, _, err = run(
        capsys,
        "migrate",
        "opsgenie",
        "--api-url",
        f"http://127.0.0.1:{unused_port()}",
        "--token-file",
        token_file(tmp_path, "opsgenie"),
        "-o",
        str(out),
    )
    assert status == 2
    assert err.count("\n") == 1
    assert "cannot reach" in err
    fake = FakeSource("grafana-oncall", ("users",), retry_after="600")
    try:
        status, _, err = run(
            capsys, "migrate", "grafana-oncall", "--api-url", fake.url,
            "--token-file", token_file(tmp_path, "grafana-oncall"), "-o", str(out),
        )  # fmt: skip
    finally:
        fake.close()
    assert status == 2
    assert "rate-limited (HTTP 429) for 600 s, longer than this waits (120 s): try again later" in err
    assert waits == [], "a wait longer than it is worth is said, not cut short"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "users.json").write_text("{not json")
    status, _, err = run(capsys, "migrate", "pagerduty", "--from-dir", str(bad), "-o", str(out))
    assert status == 2
    assert err.count("\n") == 1
    assert "users.json: not JSON" in err
    assert not out.exists()


def test_a_config_file_may_keep_a_token_of_its_own_that_is_long_unique_and_url_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text(
        "version: 1\nintegrations:\n"
        "  - {id: am, name: AM, kind: alertmanager, token: short}\n"
        f"  - {{id: hook, name: Hook, kind: webhook, token: {WEBHOOK_TOKEN}}}\n"
        f"  - {{id: hook2, name: Hook 2, kind: webhook, token: {WEBHOOK_TOKEN}}}\n"
        '  - {id: hook3, name: Hook 3, kind: webhook, token: "a/path/is/not/a/token"}\n'
    )
    status, _, err = run(capsys, "config", "validate", str(path))
    assert status == 2
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: integrations[0].token: a token needs at least 16 characters",
        "error: integrations[2].token: the same token as integrations[1]",
        "error: integrations[3].token: a token is letters, digits, '-' and '_' (it is part of a URL)",
    ]


class Answers:
    """Saved answers in memory: a `Source` for the mappings without any HTTP."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def get(self, path: str, params: Any = None) -> Any:
        return self.answers[path.strip("/")]

    def pages(self, path: str, params: Any = None) -> list[Any]:
        return [{"results": self.answers.get(path.strip("/"), []), "next": None}]


def grafana_shift(**fields: Any) -> dict[str, Any]:
    shift = {
        "id": "O1", "name": "Rota", "type": "rolling_users", "time_zone": "UTC", "level": 0,
        "start": "2027-01-06T09:00:00", "rotation_start": "2027-01-06T09:00:00", "duration": 28800,
        "frequency": "weekly", "interval": 1, "week_start": "MO", "by_day": ["MO", "TU"],
        "rolling_users": [["U1"], ["U2"]], "start_rotation_from_user_index": 0,
    }  # fmt: skip
    return shift | fields


def grafana_rule(*shifts: dict[str, Any]) -> tuple[OnCallRule | None, list[str]]:
    answers = {
        "users": [{"id": "U1", "username": "ann"}, {"id": "U2", "username": "ben"}],
        "schedules": [
            {
                "id": "S",
                "name": "Rota",
                "type": "calendar",
                "time_zone": "UTC",
                "shifts": [s["id"] for s in shifts],
            }
        ],
        "on_call_shifts": list(shifts),
    }
    migration = grafana_oncall.migrate(Answers(answers))
    return migration.config.rule("rota"), [s.reason for s in migration.skipped if s.kind == "shift"]


def grafana_layers(shift: dict[str, Any]) -> tuple[list[Any], list[str]]:
    rule, reasons = grafana_rule(shift)
    return (list(rule.layers) if rule else []), reasons


def test_grafana_oncall_turns_start_on_the_first_listed_day_of_the_week() -> None:
    # A Wednesday start of a Monday/Tuesday rotation: the first turn is the next Monday's week.
    (layer,), _ = grafana_layers(grafana_shift())
    assert layer.rotation is not None
    assert (layer.rotation.anchor.isoformat(), layer.rotation.handoff.isoformat()) == (
        "2027-01-11",
        "09:00:00",
    )
    assert [(w.days, w.start.isoformat(), w.end.isoformat()) for w in layer.windows] == [
        ((0, 1), "09:00:00", "17:00:00")
    ]


def test_grafana_oncall_shifts_that_cannot_be_said_are_reported_not_guessed() -> None:
    layers, reasons = grafana_layers(grafana_shift(interval=2))
    assert layers == []
    assert reasons == ["repeats every 2 weekly periods with gaps between them"]
    layers, reasons = grafana_layers(grafana_shift(frequency="monthly"))
    assert reasons == ["frequency 'monthly': only hourly, daily and weekly repeat here"]
    two_a_turn = grafana_shift(rolling_users=[["U1", "U2"]], by_day=None, duration=604800, level=1)
    backstop = grafana_shift(id="O2", name="Backstop", by_day=None, duration=604800, level=0)
    rule, reasons = grafana_rule(two_a_turn, backstop)
    assert rule is not None
    assert [layer.name for layer in rule.layers] == ["Rota", "Backstop"]
    assert reasons == ["a turn of 2 people: only ann is on call in it here"]


def test_a_grafana_oncall_turn_of_several_people_is_a_layer_for_each_on_a_schedule_of_one_level() -> None:
    rule, reasons = grafana_rule(grafana_shift(rolling_users=[["U1", "U2"]], by_day=None, duration=604800))
    assert rule is not None
    assert reasons == []
    assert rule.combine == "all"
    assert [(layer.name, layer.personnel) for layer in rule.layers] == [
        ("Rota (1 of 2)", ("ann",)),
        ("Rota (2 of 2)", ("ben",)),
    ]


def test_a_handoff_off_the_minute_is_reported_not_rounded_silently() -> None:
    (layer,), reasons = grafana_layers(grafana_shift(start="2027-01-11T09:00:30", rotation_start=None))
    assert layer.rotation is not None
    assert layer.rotation.handoff.isoformat() == "09:00:00"
    assert reasons == ["starts at 09:00:30: turns start on a whole minute here (approximated)"]


def test_an_opsgenie_escalation_until_closed_goes_on_after_the_acknowledgement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    def until_closed(key: str, body: Any) -> Any:
        if key != "escalations":
            return body
        (escalation,) = body["data"]
        rules = [dict(r, condition="if-not-closed") for r in escalation["rules"]]
        return dict(body, data=[dict(escalation, rules=rules)])

    fake = FakeSource("opsgenie")
    fake.altered = until_closed
    try:
        status, _out, _err, written = migrate(capsys, fake, tmp_path)
    finally:
        fake.close()
    assert status == 0
    ops = next(r for r in yaml.safe_load(written.read_text())["rules"] if r["id"] == "ops")
    assert [level["statuses"] for level in ops["escalation"]] == [["open", "working"]] * 3


def test_grafana_oncall_repeat_escalation_becomes_a_repeat_of_the_last_level() -> None:
    answers = {
        "users": [{"id": "U1", "username": "ann"}, {"id": "U2", "username": "ben"}],
        "schedules": [{"id": "S", "name": "Rota", "type": "calendar", "time_zone": "UTC", "shifts": ["O1"]}],
        "on_call_shifts": [grafana_shift(by_day=None, duration=604800)],
        "escalation_chains": [{"id": "C", "name": "Chain"}],
        "escalation_policies": [
            {"escalation_chain_id": "C", "position": 0, "type": "notify_on_call_from_schedule",
             "notify_on_call_from_schedule": "S"},
            {"escalation_chain_id": "C", "position": 1, "type": "wait", "duration": 600},
            {"escalation_chain_id": "C", "position": 2, "type": "notify_persons",
             "persons_to_notify": ["U2"]},
            {"escalation_chain_id": "C", "position": 3, "type": "wait", "duration": 900},
            {"escalation_chain_id": "C", "position": 4, "type": "repeat_escalation"},
        ],
    }  # fmt: skip
    migration = grafana_oncall.migrate(Answers(answers))
    rule = migration.config.rule("rota")
    assert rule is not None
    assert [(level.wait, level.repeat) for level in rule.escalation] == [(0, None), (10, 15)]
    assert any("repeat_escalation starts the chain again" in s.reason for s in migration.skipped)


def test_grafana_oncall_shifts_the_api_does_not_link_are_taken_by_team_or_reported() -> None:
    answers = {
        "users": [{"id": "U1", "username": "ann"}, {"id": "U2", "username": "ben"}],
        "schedules": [
            {"id": "S", "name": "Rota", "type": "web", "team_id": "T1", "time_zone": "UTC", "shifts": []}
        ],
        "on_call_shifts": [
            grafana_shift(team_id="T1", by_day=None, duration=604800),
            grafana_shift(id="O2", name="Elsewhere", team_id="T2"),
        ],
    }
    migration = grafana_oncall.migrate(Answers(answers))
    rule = migration.config.rule("rota")
    assert rule is not None
    assert [layer.name for layer in rule.layers] == ["Rota"]
    reasons = {(s.kind, s.id): s.reason for s in migration.skipped}
    assert reasons[("schedule", "Rota")].startswith("the API lists no shifts for it; its team's unlisted")
    assert reasons[("shift", "Elsewhere")] == "belongs to no schedule the API lists"


@pytest.mark.parametrize(("kind", "zone"), [("calendar", "Europe/Berlin"), ("web", "UTC")])
def test_a_grafana_oncall_shift_without_a_zone_is_read_as_its_schedule_reads_it(kind: str, zone: str) -> None:
    answers = {
        "users": [{"id": "U1", "username": "ann"}, {"id": "U2", "username": "ben"}],
        "schedules": [
            {"id": "S", "name": "Rota", "type": kind, "time_zone": "Europe/Berlin", "shifts": ["O1"]}
        ],
        "on_call_shifts": [grafana_shift(time_zone=None, by_day=None, duration=604800)],
    }
    rule = grafana_oncall.migrate(Answers(answers)).config.rule("rota")
    assert rule is not None
    assert [layer.timezone for layer in rule.layers] == [zone]
