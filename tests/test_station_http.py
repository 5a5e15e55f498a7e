"""The intake server in process (aiohttp's test client): accepted, grouped, deduplicated, resolved;
bad requests refused with the right status and reason, and a fuzz that never gets a 5xx and never
changes stored data when a request is refused."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from oncall_desktop.domain import Status
from oncall_desktop.engine import server
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.intake import parse
from oncall_desktop.engine.server import create_app
from oncall_desktop.store import Store
from oncall_desktop.store.models import IncidentAlertRow, IncidentEventRow, IncidentRow
from tests.helpers_station import configured_store, integration

FIXTURES = Path("/work/shared/fixtures/alertmanager")
T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Intake:
    """A running intake app and a client, driven from synchronous tests."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.loop = asyncio.new_event_loop()
        self.client = TestClient(TestServer(create_app(store, FakeClock(T))), loop=self.loop)
        self.loop.run_until_complete(self.client.start_server())

    def post(self, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, Any]:
        async def go() -> tuple[int, Any]:
            response = await self.client.post(path, data=body, headers={"Content-Type": content_type})
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text

        return self.loop.run_until_complete(go())

    def url(self, integration_id: str, slash: bool = True) -> str:
        found = integration(self.store, integration_id)
        return f"/integrations/v1/{found.kind}/{found.token}{'/' if slash else ''}"

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    store = configured_store(f"sqlite:///{tmp_path_factory.mktemp('http') / 'intake.db'}")
    running = Intake(store)
    yield running
    running.close()
    store.close()


def stored(store: Store) -> tuple[object, ...]:
    """Counts of incidents, alerts and timeline events, and the latest alert update."""
    with store.session() as session:
        counts = [
            session.scalar(select(func.count()).select_from(model))
            for model in (IncidentRow, IncidentAlertRow, IncidentEventRow)
        ]
        latest = session.scalar(select(func.max(IncidentAlertRow.updated_at)))
        statuses = tuple(session.scalars(select(IncidentRow.status).order_by(IncidentRow.id)))
        return (*counts, latest, statuses)


def test_alertmanager_groups_by_group_key_and_resolves_when_all_alerts_resolved(intake: Intake) -> None:
    url = intake.url("prod-am")
    firing = json.loads((FIXTURES / "firing-0.25.json").read_text())
    firing["groupKey"] = "grouping-test"
    status, body = intake.post(url, json.dumps(firing).encode())
    assert (status, body["opened"]) == (201, True)
    incident_id = body["incident"]
    second = dict(
        firing["alerts"][0], fingerprint="second", labels={"alertname": "DiskFull", "instance": "db-2"}
    )
    firing["alerts"].append(second)
    assert intake.post(url, json.dumps(firing).encode())[1] == {
        "incident": incident_id,
        "opened": False,
        "resolved": False,
    }
    firing["alerts"][0]["status"] = "resolved"
    assert intake.post(url, json.dumps(firing).encode())[1]["resolved"] is False
    firing["alerts"][1]["status"] = "resolved"
    firing["status"] = "resolved"
    assert intake.post(url, json.dumps(firing).encode())[1]["resolved"] is True
    incident = intake.store.incidents.get(incident_id)
    assert incident.status == Status.RESOLVED
    assert incident.title == "Disk full on db-1"
    kinds = [e.kind for e in intake.store.incidents.timeline(incident_id)]
    assert kinds == ["created", "alert", "alert", "alert", "resolved"]


def test_generic_webhook_deduplicates_by_alert_uid_and_state_ok_resolves(intake: Intake) -> None:
    url = intake.url("hook", slash=False)
    alert = {"title": "Queue backlog", "severity": "P3", "alert_uid": "backlog-1", "tags": ["service:queue"]}
    first = intake.post(url, json.dumps(alert).encode())[1]
    again = intake.post(url, json.dumps(alert).encode())[1]
    assert first["opened"]
    assert not again["opened"]
    assert again["incident"] == first["incident"]
    assert intake.post(url, json.dumps({**alert, "state": "ok"}).encode())[1]["resolved"]
    reopened = intake.post(url, json.dumps(alert).encode())[1]
    assert reopened["opened"]
    assert reopened["incident"] != first["incident"]
    incident = intake.store.incidents.get(reopened["incident"])
    assert (incident.tags, incident.severity.value, incident.dedup_key) == (
        ("service:queue",),
        "P3",
        "backlog-1",
    )


def test_a_resolve_for_an_unknown_group_opens_nothing(intake: Intake) -> None:
    before = stored(intake.store)
    body = json.dumps({"title": "x", "alert_uid": "never-fired", "state": "resolved"}).encode()
    assert intake.post(intake.url("hook"), body) == (
        200,
        {"incident": None, "opened": False, "resolved": False},
    )
    assert stored(intake.store) == before


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/integrations/v1/webhook/not-a-token/", b'{"title": "x"}', 403, "unknown integration token"),
        ("/integrations/v1/webhook//", b'{"title": "x"}', 404, None),
        ("/integrations/v1/pagerduty/TOKEN:hook/", b'{"title": "x"}', 404, "no integration kind 'pagerduty'"),
        (
            "/integrations/v1/alertmanager/TOKEN:hook/",
            b"{}",
            400,
            "this token belongs to a webhook integration",
        ),
        ("/integrations/v1/webhook/TOKEN:hook/", b"{not json", 400, "body: not JSON"),
        (
            "/integrations/v1/webhook/TOKEN:hook/",
            b'{"message": 5, "title": []}',
            400,
            "title: expected a string",
        ),
        ("/integrations/v1/alertmanager/TOKEN:prod-am/", b'{"groupKey": "g"}', 400, "alerts: missing"),
        (
            "/integrations/v1/webhook/TOKEN:hook/",
            b"x" * (1024 * 1024 + 1),
            413,
            "body: larger than 1048576 bytes",
        ),
        ("/integrations/v1/webhook/not-a-token/", b"x" * (1024 * 1024 + 1), 413, None),
    ],
)
def test_bad_requests_are_refused_with_a_reason_and_store_nothing(
    intake: Intake, path: str, body: bytes, status: int, reason: str | None
) -> None:
    for integration_id in ("hook", "prod-am"):
        path = path.replace(f"TOKEN:{integration_id}", intake.url(integration_id).split("/")[-2])
    before = stored(intake.store)
    got_status, got = intake.post(path, body)
    assert got_status == status
    if reason is not None:
        assert got["error"].startswith(reason)
    assert stored(intake.store) == before


def test_a_body_that_stops_arriving_gets_408_and_stores_nothing(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "BODY_TIMEOUT", 0.3)
    before = stored(intake.store)
    request = (
        f"POST {intake.url('hook')} HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )

    async def half_a_body() -> tuple[bytes, bytes]:
        assert intake.client.server.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", intake.client.server.port)
        writer.write(request.encode() + b'{"title": "never fini')
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = next(
            int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")
        )
        body = await reader.readexactly(length)
        writer.close()
        return head.split()[1], body

    status, body = intake.loop.run_until_complete(half_a_body())
    assert status == b"408"
    assert json.loads(body) == {"error": "body: not received within 0.3 s"}
    assert stored(intake.store) == before


class HeldWriter:
    """Wraps a store's `ingest_batch` so the intake's writer holds its next batch until released."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.writing = threading.Event()
        self.release = threading.Event()
        self.ingest_batch = store.incidents.ingest_batch
        monkeypatch.setattr(store.incidents, "ingest_batch", self.held)

    def held(self, items: Any, now: datetime) -> Any:
        self.writing.set()
        assert self.release.wait(10)
        return self.ingest_batch(items, now)


def uids(store: Store) -> set[str | None]:
    return {incident.dedup_key for incident in store.incidents.newest()}


def test_a_full_queue_answers_503_with_retry_after_and_the_queued_alerts_are_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "MAX_QUEUE", 2)
    store = configured_store(f"sqlite:///{tmp_path / 'full.db'}")
    writer = HeldWriter(store, monkeypatch)
    intake = Intake(store)
    url = intake.url("hook")

    async def post(uid: str) -> tuple[int, str | None]:
        response = await intake.client.post(url, data=json.dumps({"title": uid, "alert_uid": uid}))
        await response.read()
        return response.status, response.headers.get("Retry-After")

    async def flood() -> tuple[list[tuple[int, str | None]], list[tuple[int, str | None]]]:
        first = asyncio.ensure_future(post("q0"))
        assert await asyncio.to_thread(writer.writing.wait, 10)  # the writer holds q0
        rest = [asyncio.ensure_future(post(uid)) for uid in ("q1", "q2", "q3")]
        done, waiting = await asyncio.wait(rest, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        refused = [task.result() for task in done]
        writer.release.set()
        return refused, [await task for task in (first, *waiting)]

    try:
        refused, accepted = intake.loop.run_until_complete(flood())
    finally:
        writer.release.set()
        intake.close()
    assert refused == [(503, "5")]
    assert accepted == [(201, None)] * 3
    assert len(uids(store) & {"q1", "q2", "q3"}) == 2
    assert "q0" in uids(store)
    store.close()


def test_alerts_queued_when_the_station_stops_are_still_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = configured_store(f"sqlite:///{tmp_path / 'stop.db'}")
    writer = HeldWriter(store, monkeypatch)
    hook = integration(store, "hook")
    intake = server.IntakeServer(store, FakeClock(T))
    app = web.Application()

    async def stop_with_a_backlog() -> None:
        await intake.start(app)

        def send(uid: str) -> asyncio.Future[object]:
            body = json.dumps({"title": uid, "alert_uid": uid}).encode()
            return asyncio.ensure_future(intake.store_alert(hook, parse(hook, body)))

        waiting = [send("s0")]
        assert await asyncio.to_thread(writer.writing.wait, 10)  # s0 is being written
        waiting += [send("s1"), send("s2")]
        await asyncio.sleep(0)  # s1 and s2 are queued behind it
        for task in waiting:  # their requests go away: the server is shutting down
            task.cancel()
        stopping = asyncio.ensure_future(intake.stop(app))
        writer.release.set()
        await stopping

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(stop_with_a_backlog())
    finally:
        writer.release.set()
        loop.close()
    assert uids(store) >= {"s0", "s1", "s2"}
    store.close()


def test_deeply_nested_json_is_refused_not_a_server_error(intake: Intake) -> None:
    status, body = intake.post(intake.url("hook"), b'{"title": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
    assert (status, body["error"]) == (400, "body: JSON nested too deeply")


def test_an_alert_with_a_nul_is_refused_and_the_others_sent_with_it_are_stored(intake: Intake) -> None:
    url = intake.url("prod-am")
    firing = json.loads((FIXTURES / "firing-0.25.json").read_text())

    def alert(group: str, instance: str) -> bytes:
        labels = dict(firing["alerts"][0]["labels"], instance=instance)
        alerts = [dict(firing["alerts"][0], fingerprint=group, labels=labels)]
        return json.dumps(dict(firing, groupKey=group, alerts=alerts, commonLabels=labels)).encode()

    async def together() -> list[tuple[int, str]]:
        bodies = [alert("nul-a", "db-1"), alert("nul-b", "db\x002"), alert("nul-c", "db-3")]
        responses = await asyncio.gather(*(intake.client.post(url, data=body) for body in bodies))
        return [(r.status, await r.text()) for r in responses]

    (a, _), (b, refusal), (c, _) = intake.loop.run_until_complete(together())
    assert (a, b, c) == (201, 400, 201)
    assert json.loads(refusal)["error"] == "alerts[0].labels.instance: contains a NUL character (\\u0000)"
    with intake.store.session() as session:
        rows = select(IncidentAlertRow.group_key).where(IncidentAlertRow.group_key.like("nul-%"))
        groups = set(session.scalars(rows))
    assert groups == {"nul-a", "nul-c"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
FIELDS = [
    "title",
    "message",
    "severity",
    "tags",
    "alert_uid",
    "dedup_key",
    "state",
    "groupKey",
    "alerts",
    "labels",
    "status",
    "fingerprint",
    "commonLabels",
    "groupLabels",
    "commonAnnotations",
]
documents = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    documents.map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["alertmanager", "grafana_alerting", "webhook", "x", "ALERTMANAGER"]),
    token=st.sampled_from(["hook", "prod-am", "grafana", "bogus"]) | st.text(min_size=1, max_size=40),
    body=bodies,
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "",
            "multipart/form-data",
            "application/x-www-form-urlencoded; charset=utf-8",
        ]
    ),
)
def test_fuzz_never_a_server_error_and_refusals_change_nothing(
    intake: Intake, kind: str, token: str, body: bytes, content_type: str
) -> None:
    if token in ("hook", "prod-am", "grafana"):
        token = intake.url(token).split("/")[-2]
    path = f"/integrations/v1/{kind}/{quote(token, safe='')}/"
    before = stored(intake.store)
    status, _ = intake.post(path, body, content_type)
    assert status < 500
    if status >= 400:
        assert stored(intake.store) == before
