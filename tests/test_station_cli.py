"""`incidents`, `ack`, `resolve`, `integrations`, `serve` as a user drives them (SPEC §5), and group
commits that store exactly what one-by-one intake would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from oncall_desktop.cli import main
from oncall_desktop.domain import Severity, Status
from oncall_desktop.engine.intake import IncomingAlert, IntakeResult, parse
from oncall_desktop.incident import IntakeOutcome
from oncall_desktop.station_address import parse_listen
from oncall_desktop.store import Store, StoreError
from oncall_desktop.validation import listen_problem
from tests.helpers_station import configured_store, integration

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ONCALL_DESKTOP_DB", url)
    store = configured_store(url)
    yield store  # type: ignore[misc]
    store.close()


def open_incident(store: Store, key: str, tags: list[str] | None = None) -> int:
    hook = integration(store, "hook")
    body = json.dumps({"title": f"Incident {key}", "severity": "P1", "alert_uid": key, "tags": tags or []})
    outcome = store.incidents.ingest(hook.id, parse(hook, body.encode()), T)
    assert outcome.incident_id is not None
    return outcome.incident_id


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_incidents_json_ack_and_resolve(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    first = open_incident(store, "a", ["service:payments"])
    second = open_incident(store, "b")
    assert run(capsys, "ack", str(first), "--by", "bob")[0] == 0
    status, out, _ = run(capsys, "resolve", f"#{second}")
    assert (status, out) == (0, f"incident #{second} resolved: Incident b\n")
    status, out, _ = run(capsys, "incidents", "--json")
    listed = json.loads(out)["incidents"]
    assert status == 0
    assert listed[1] == {
        "id": first,
        "title": "Incident a",
        "severity": "P1",
        "status": "working",
        "tags": ["service:payments"],
        "integration": "hook",
        "created_at": "2026-03-02T10:00:00Z",
        "acknowledged_by": "bob",
        "resolved_at": None,
        "paged": None,  # no engine has planned it yet
    }
    assert listed[0]["status"] == "resolved"
    assert listed[0]["resolved_at"].endswith("Z")
    status, out, _ = run(capsys, "incidents", "--status", "working", "--json")
    assert [i["id"] for i in json.loads(out)["incidents"]] == [first]
    assert store.incidents.get(first).status == Status.WORKING


def test_integrations_print_full_intake_urls_with_tokens(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "integrations", "--json")
    found = json.loads(out)["integrations"]
    am = integration(store, "prod-am")
    assert status == 0
    assert found[0] == {
        "id": "prod-am",
        "kind": "alertmanager",
        "url": f"http://127.0.0.1:8080/integrations/v1/alertmanager/{am.token}/",
    }
    assert [i["kind"] for i in found] == ["alertmanager", "grafana_alerting", "webhook"]
    assert len(am.token or "") * 6 >= 128  # URL-safe base64: 6 bits a character


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ack", "x1"], "ID: 'x1' is not an incident number"),
        (["ack", "999"], "no incident 999"),
        (["ack", "1", "--by", "nobody"], "--by: no person 'nobody'"),
        (["resolve", "999"], "no incident 999"),
        (["serve", "--listen", "localhost"], "--listen: 'localhost' is not HOST:PORT"),
        (["serve", "--listen", "127.0.0.1:99999"], "--listen: '127.0.0.1:99999': the port must be"),
        (["serve", "--listen", "127.0.0.1:0"], "--listen: '127.0.0.1:0': the port must be a number from 1"),
        (["serve", "--clock", "yesterday"], "--clock: expected START,SPEED[,ANCHOR]"),
        (["incidents", "--status", "closed"], "argument --status: invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(
    store: Store, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    open_incident(store, "a")
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("listen", "usable"),
    [
        ("127.0.0.1:8080", True),
        ("[::1]:9090", True),
        ("::1:9090", True),
        ("0.0.0.0:0", False),
        ("host:65536", False),
        ("localhost", False),
        (":80", False),
        ("h:8o", False),
    ],
)
def test_serve_and_the_settings_check_agree_on_listen_addresses(listen: str, usable: bool) -> None:
    if usable:
        parse_listen(listen)
        assert listen_problem(listen) is None
    else:
        with pytest.raises(ValueError, match=r"HOST:PORT|the port must be") as refused:
            parse_listen(listen)
        assert listen_problem(listen) == str(refused.value)


def test_acking_twice_or_resolving_twice_is_refused(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    incident_id = open_incident(store, "a")
    assert run(capsys, "ack", str(incident_id))[0] == 0
    assert "already acknowledged" in run(capsys, "ack", str(incident_id))[2]
    assert run(capsys, "resolve", str(incident_id))[0] == 0
    assert "already resolved" in run(capsys, "resolve", str(incident_id))[2]


alerts = st.builds(
    lambda group, fingerprint, state: (
        group,
        IncomingAlert(f"f{fingerprint}", state, {"n": str(fingerprint)}),
    ),
    st.integers(0, 2),
    st.integers(0, 3),
    st.sampled_from(["firing", "resolved"]),
)


def payload(group: int, alert: IncomingAlert) -> IntakeResult:
    return IntakeResult(f"g{group}", f"group {group}", "", Severity.P2, (), (alert,))


@settings(max_examples=25, deadline=None)
@given(st.lists(alerts, min_size=1, max_size=12))
def test_a_group_commit_stores_what_one_by_one_intake_stores(
    tmp_path_factory: pytest.TempPathFactory, sequence: list[tuple[int, IncomingAlert]]
) -> None:
    directory = tmp_path_factory.mktemp("batch")
    items = [("prod-am", payload(group, alert)) for group, alert in sequence]
    with (
        Store.open(f"sqlite:///{directory / 'one.db'}") as one,
        Store.open(f"sqlite:///{directory / 'all.db'}") as batch,
    ):
        singly = [one.incidents.ingest(i, r, T) for i, r in items]
        together = batch.incidents.ingest_batch(items, T)
        assert together == singly
        shape = [(i.id, i.status, i.dedup_key) for i in one.incidents.newest()]
        assert [(i.id, i.status, i.dedup_key) for i in batch.incidents.newest()] == shape
        for incident_id, *_ in shape:
            assert [(e.kind, e.message) for e in batch.incidents.timeline(incident_id)] == [
                (e.kind, e.message) for e in one.incidents.timeline(incident_id)
            ]


def test_a_payload_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_stored(
    store: Store,
) -> None:
    unstorable = IntakeResult(
        "g-bad", "bad \ud800 title", "", Severity.P2, (), (IncomingAlert("x", "firing", {}),)
    )
    items = [
        ("prod-am", payload(0, IncomingAlert("a", "firing", {}))),
        ("prod-am", unstorable),
        ("prod-am", payload(1, IncomingAlert("b", "firing", {}))),
    ]
    first, refused, last = store.incidents.ingest_batch(items, T)
    assert isinstance(refused, StoreError)
    assert isinstance(first, IntakeOutcome)
    assert first.opened
    assert isinstance(last, IntakeOutcome)
    assert last.opened
    assert sorted((i.dedup_key, i.title) for i in store.incidents.newest()) == [
        ("g0", "group 0"),
        ("g1", "group 1"),
    ]


@pytest.mark.postgres
def test_a_group_commit_joins_the_incident_another_station_opened(postgres_database_url: str) -> None:
    """Two stations on one PostgreSQL database: right after this station's batch looked up the open
    groups, the other one opens the group and commits. The batch attaches to that incident (the
    unique index refused a second one), knows the alerts the other station stored, and is still
    one transaction (not the item-by-item fallback of a failed batch)."""
    here, there = configured_store(postgres_database_url), Store.open(postgres_database_url)
    other = [("prod-am", payload(0, IncomingAlert("fb", "firing", {})))]
    meanwhile: list[object] = []
    transactions: list[str] = []

    def other_station_opens(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not meanwhile and statement.startswith("SELECT incidents.id, incidents.dedup_key"):
            meanwhile.extend(there.incidents.ingest_batch(other, T))

    event.listen(here.db.engine, "after_cursor_execute", other_station_opens)
    event.listen(here.db.engine, "commit", lambda _conn: transactions.append("commit"))
    event.listen(here.db.engine, "rollback", lambda _conn: transactions.append("rollback"))
    try:
        ours = here.incidents.ingest_batch(
            [
                ("prod-am", payload(0, IncomingAlert("fa", "firing", {}))),
                ("prod-am", payload(0, IncomingAlert("fb", "resolved", {}))),
                ("prod-am", payload(0, IncomingAlert("fa", "resolved", {}))),
            ],
            T,
        )
    finally:
        event.remove(here.db.engine, "after_cursor_execute", other_station_opens)
        there.close()
    assert transactions[-1:] == ["commit"]
    assert "rollback" not in transactions
    (theirs,) = meanwhile
    assert isinstance(theirs, IntakeOutcome)
    assert theirs.opened
    incident = theirs.incident_id
    assert ours == [IntakeOutcome(incident), IntakeOutcome(incident), IntakeOutcome(incident, resolved=True)]
    assert [(i.id, i.status) for i in here.incidents.newest()] == [(incident, Status.RESOLVED)]
    assert [e.message for e in here.incidents.timeline(incident)] == [
        "opened: group 0",
        "alert firing: fa",
        "alert resolved: fb",
        "alert resolved: fa",
        "resolved by prod-am",
    ]
    here.close()
