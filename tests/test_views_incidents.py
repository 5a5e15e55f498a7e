"""The Incidents page: model and proxy checked by qtmodeltester, filters and search, and the
Acknowledge / Resolve buttons acting on the stored incident and showing up in the timeline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Integration,
    Layer,
    OnCallRule,
    Person,
    Severity,
    Status,
    Target,
)
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.incident import Incident, IncomingAlert, IntakeResult, NewEvent
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from oncall_desktop.views.incidents_model import (
    ACKNOWLEDGED,
    AGE,
    PAGED,
    RULE,
    SEVERITY,
    STATUS,
    TITLE,
    IncidentFilterProxy,
    IncidentTableModel,
    SummaryLoader,
    load_summaries,
)
from oncall_desktop.views.incidents_view import IncidentsPage
from tests.helpers_station import FailingVoice, tick_at

pytestmark = pytest.mark.qt

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SMS, VOICE = Channel.SMS, Channel.VOICE


def station_configuration() -> Configuration:
    """Alice is on call by SMS every 5 minutes; Bob is called after 10 minutes if nobody acknowledged."""
    ladder = (
        EscalationLevel(wait=0, repeat=5, channels={"*": (SMS,)}),
        EscalationLevel(wait=10, add=(Target("bob", (VOICE,)),)),
    )
    return Configuration(
        people=(
            Person("alice", "Alice Chen", "alice@example.com", "+14155550101"),
            Person("bob", "Bob Müller", "bob@example.com", "+4915112345678"),
        ),
        rules=(
            OnCallRule(
                "default",
                "Default",
                "UTC",
                layers=(Layer(personnel=("alice",)),),
                escalation=ladder,
            ),
        ),
        integrations=(Integration("prod-am", "Prod Alertmanager", "alertmanager"),),
    )


def open_incident(
    store: Store, title: str, severity: Severity, at: datetime, tags: tuple[str, ...] = ()
) -> Incident:
    """Open an incident the way intake does."""
    result = IntakeResult(
        group_key=title,
        title=title,
        description=f"{title} (details)",
        severity=severity,
        tags=tags,
        alerts=(IncomingAlert(title, "firing", dict(t.split(":", 1) for t in tags)),),
    )
    outcome = store.incidents.ingest("prod-am", result, at)
    assert outcome.incident_id is not None
    return store.incidents.get(outcome.incident_id)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    opened.replace_configuration(station_configuration())
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def page(qtbot: QtBot, store: Store, clock: FakeClock, settings: QSettings) -> IncidentsPage:
    widget = IncidentsPage(store, clock, settings)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    return widget


def cell(page: IncidentsPage, row: int, column: int) -> str:
    return str(page.proxy.index(row, column).data())


def titles(page: IncidentsPage) -> list[str]:
    return [cell(page, row, TITLE) for row in range(page.proxy.rowCount())]


def timeline_texts(page: IncidentsPage) -> list[str]:
    table = page.details.timeline
    return [table.item(i, 2).text() for i in range(table.rowCount())]


def test_model_and_proxy_pass_the_model_tester_through_inserts_and_updates(
    qtmodeltester, store: Store, clock: FakeClock
) -> None:
    config = store.load_configuration()
    model = IncidentTableModel(T0)
    proxy = IncidentFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(AGE, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    first = open_incident(store, "Disk full", Severity.P2, T0)
    model.set_summaries(load_summaries(store, config))
    open_incident(store, "API down", Severity.P0, T0 + timedelta(minutes=3))
    model.set_summaries(load_summaries(store, config))  # inserted at the top
    store.incidents.acknowledge(first.id, T0 + timedelta(minutes=4), "alice")
    model.set_summaries(load_summaries(store, config))  # changed in place
    proxy.set_statuses({Status.OPEN})
    proxy.set_search("api")
    model.set_now(T0 + timedelta(minutes=5))
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    assert [model.index(r, TITLE).data() for r in range(model.rowCount())] == ["API down", "Disk full"]
    assert [proxy.index(r, TITLE).data() for r in range(proxy.rowCount())] == ["API down"]


def test_a_row_shows_severity_status_age_rule_who_was_paged_and_who_acknowledged(
    page: IncidentsPage, store: Store, clock: FakeClock
) -> None:
    incident = open_incident(store, "Checkout latency p99 above 2 s", Severity.P1, T0)
    engine_clock = FakeClock(T0)
    engine = EscalationEngine(store, [FailingVoice()], clock=engine_clock)
    for minutes in (0, 5, 10):
        tick_at(engine, engine_clock, T0 + timedelta(minutes=minutes))
    store.incidents.acknowledge(incident.id, T0 + timedelta(minutes=12), "alice")
    clock.set(T0 + timedelta(hours=2, minutes=3))
    page.refresh()
    assert page.proxy.rowCount() == 1
    assert cell(page, 0, SEVERITY) == "P1"
    assert cell(page, 0, STATUS) == "acknowledged"
    assert cell(page, 0, AGE) == "2 h 03 min"
    assert cell(page, 0, RULE) == "Default"
    assert cell(page, 0, TITLE) == "Checkout latency p99 above 2 s"
    # Bob's phone call failed: the row says so before the names.
    assert cell(page, 0, PAGED) == "⚠ 1 failed · Alice Chen, Bob Müller ⚠"
    assert cell(page, 0, ACKNOWLEDGED) == "Alice Chen"
    engine.release()


def test_status_and_severity_filters_and_the_search_narrow_the_list(
    page: IncidentsPage, store: Store
) -> None:
    open_incident(store, "Payments API 503", Severity.P0, T0, ("service:payments",))
    worked = open_incident(store, "Disk 85% full", Severity.P2, T0 + timedelta(minutes=1))
    done = open_incident(store, "Certificate expires", Severity.P3, T0 + timedelta(minutes=2))
    store.incidents.acknowledge(worked.id, T0 + timedelta(minutes=3), "bob")
    store.incidents.resolve(done.id, T0 + timedelta(minutes=4))
    page.refresh()
    # Resolved incidents are hidden at first; newest first.
    assert titles(page) == ["Disk 85% full", "Payments API 503"]
    page.status_boxes[Status.RESOLVED].setChecked(True)
    assert titles(page) == ["Certificate expires", "Disk 85% full", "Payments API 503"]
    page.status_boxes[Status.WORKING].setChecked(False)
    assert titles(page) == ["Certificate expires", "Payments API 503"]
    page.severity_boxes[Severity.P0].setChecked(False)
    assert titles(page) == ["Certificate expires"]
    page.severity_boxes[Severity.P0].setChecked(True)
    page.status_boxes[Status.WORKING].setChecked(True)
    page.search.setText("payments")  # a tag
    assert titles(page) == ["Payments API 503"]
    page.search.setText("bob müller")  # who acknowledged
    assert titles(page) == ["Disk 85% full"]
    page.search.setText(f"#{done.id}")
    assert titles(page) == ["Certificate expires"]
    page.search.clear()
    page.table.sortByColumn(SEVERITY, Qt.SortOrder.AscendingOrder)
    assert titles(page) == ["Payments API 503", "Disk 85% full", "Certificate expires"]


def test_acknowledge_asks_as_whom_offering_me_and_stores_and_shows_it(
    qtbot: QtBot, page: IncidentsPage, store: Store, clock: FakeClock, settings: QSettings
) -> None:
    incident = open_incident(store, "Payments API 503", Severity.P0, T0)
    engine_clock = FakeClock(T0)
    tick_at(EscalationEngine(store, clock=engine_clock), engine_clock, T0)
    settings.setValue("me", "bob")
    page.refresh()
    assert page.select_incident(incident.id)
    assert not page.details.resolve_button.isHidden()
    asked: list[tuple[list[tuple[str, str]], str | None]] = []

    def answer(_parent: object, people: list[tuple[str, str]], me: str | None) -> tuple[str | None, bool]:
        asked.append((people, me))
        return "bob", True

    page.ask_acknowledger = answer
    clock.set(T0 + timedelta(minutes=7))
    with qtbot.waitSignal(page.incident_acted):
        qtbot.mouseClick(page.details.acknowledge_button, Qt.MouseButton.LeftButton)
    assert asked == [([("alice", "Alice Chen"), ("bob", "Bob Müller")], "bob")]
    stored = store.incidents.get(incident.id)
    assert (stored.status, stored.acknowledged_by) == (Status.WORKING, "bob")
    assert stored.acknowledged_at == T0 + timedelta(minutes=7)
    assert cell(page, 0, STATUS) == "acknowledged"
    assert cell(page, 0, ACKNOWLEDGED) == "Bob Müller"
    texts = timeline_texts(page)
    assert texts[0] == "opened: Payments API 503"
    assert texts[1] == "notified Alice Chen by SMS (+14155550101) at 2026-03-02T09:00:00Z, level 0"
    assert texts[-1] == "acknowledged by bob"
    assert page.details.timeline.item(len(texts) - 1, 1).text() == "+7 min"
    assert not page.details.acknowledge_button.isEnabled()
    assert page.details.resolve_button.isEnabled()


def test_cancelling_the_question_acknowledges_nothing(page: IncidentsPage, store: Store) -> None:
    incident = open_incident(store, "Payments API 503", Severity.P0, T0)
    page.refresh()
    page.select_incident(incident.id)
    page.ask_acknowledger = lambda *_: (None, False)
    page.details.acknowledge_button.click()
    assert store.incidents.get(incident.id).status == Status.OPEN


def test_resolve_button_resolves_and_the_timeline_shows_it(
    page: IncidentsPage, store: Store, clock: FakeClock
) -> None:
    incident = open_incident(store, "Disk 85% full", Severity.P2, T0)
    page.refresh()
    page.select_incident(incident.id)
    clock.set(T0 + timedelta(minutes=30))
    page.details.resolve_button.click()
    stored = store.incidents.get(incident.id)
    assert (stored.status, stored.resolved_at) == (Status.RESOLVED, T0 + timedelta(minutes=30))
    # Resolved incidents are filtered out by default; the detail pane empties with the selection.
    assert titles(page) == []
    page.status_boxes[Status.RESOLVED].setChecked(True)
    page.select_incident(incident.id)
    assert timeline_texts(page)[-1] == "resolved by someone"
    assert not page.details.resolve_button.isEnabled()


def test_acknowledging_what_someone_else_just_acknowledged_says_so(page: IncidentsPage, store: Store) -> None:
    incident = open_incident(store, "Payments API 503", Severity.P0, T0)
    page.refresh()
    page.select_incident(incident.id)
    store.incidents.acknowledge(incident.id, T0 + timedelta(minutes=1), "alice")  # from the CLI
    page.ask_acknowledger = lambda *_: ("bob", True)
    page.details.acknowledge_button.click()
    assert store.incidents.get(incident.id).acknowledged_by == "alice"
    assert page.details.message.text() == f"incident {incident.id} is already acknowledged by alice"
    assert not page.details.message.isHidden()
    assert cell(page, 0, ACKNOWLEDGED) == "Alice Chen"


def test_a_failed_notification_shows_on_the_incident(page: IncidentsPage, store: Store) -> None:
    incident = open_incident(store, "Payments API 503", Severity.P0, T0)
    engine_clock = FakeClock(T0)
    engine = EscalationEngine(store, [FailingVoice()], clock=engine_clock)
    tick_at(engine, engine_clock, T0 + timedelta(minutes=10))
    engine.release()
    page.refresh()
    page.select_incident(incident.id)
    failed = [t for t in timeline_texts(page) if "carrier rejected" in t]
    assert failed == [
        "phone call to Bob Müller (+4915112345678) failed: carrier rejected the number; level 1, not sent"
    ]
    assert "Bob Müller: phone call <b style='color:#c62828'>⚠ failed</b>" in page.details.facts.text()


@pytest.mark.parametrize("bulk", [0, 50])
def test_the_reloading_loader_always_shows_what_a_fresh_load_shows(
    store: Store, bulk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SummaryLoader, "BULK", bulk)
    config = store.load_configuration()
    schedules = Schedules(config)
    loader = SummaryLoader(store)
    engine_clock = FakeClock(T0)
    engine = EscalationEngine(store, [FailingVoice()], clock=engine_clock)
    first = open_incident(store, "Disk 85% full", Severity.P2, T0)
    second = open_incident(store, "Payments API 503", Severity.P0, T0 + timedelta(minutes=1))
    steps = [
        lambda: tick_at(engine, engine_clock, T0 + timedelta(minutes=2)),
        lambda: store.incidents.resolve(first.id, T0 + timedelta(minutes=3)),
        lambda: tick_at(engine, engine_clock, T0 + timedelta(minutes=4)),
        lambda: tick_at(engine, engine_clock, T0 + timedelta(minutes=11)),  # Bob's call fails
        lambda: store.incidents.acknowledge(second.id, T0 + timedelta(minutes=12), "bob"),
        lambda: open_incident(store, "Certificate expires", Severity.P3, T0 + timedelta(minutes=13)),
    ]
    for step in steps:
        step()
        assert loader.load(config, schedules) == load_summaries(store, config, schedules)
    assert [s.paged_text() for s in loader.load(config, schedules)] == [
        "",
        "⚠ 1 failed · Alice Chen, Bob Müller ⚠",
        "Alice Chen",
    ]
    engine.release()


def test_notifications_of_some_incidents_reads_theirs_alone_each_in_order(store: Store) -> None:
    engine_clock = FakeClock(T0)
    engine = EscalationEngine(store, [FailingVoice()], clock=engine_clock)
    first = open_incident(store, "Disk 85% full", Severity.P2, T0)
    second = open_incident(store, "Payments API 503", Severity.P0, T0 + timedelta(minutes=1))
    quiet = open_incident(store, "Certificate expires", Severity.P3, T0 + timedelta(minutes=13))
    tick_at(engine, engine_clock, T0 + timedelta(minutes=11))
    engine.release()
    found = store.incidents.notifications_of([second.id, quiet.id])
    assert set(found) == {second.id, quiet.id}  # nothing of the first incident
    assert found[second.id] == store.incidents.notifications(second.id) != []
    assert found[quiet.id] == store.incidents.notifications(quiet.id)
    assert store.incidents.notifications(first.id) != []


@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
def test_a_long_timeline_line_wraps_instead_of_being_cut(page: IncidentsPage, store: Store) -> None:
    incident = open_incident(store, "Payments API 503", Severity.P0, T0)
    long = "notified Bob Müller by SMS (+4915112345678) at 10:00, level 0: " + "written to the timeline " * 12
    store.incidents.add_events([NewEvent(incident.id, T0 + timedelta(minutes=1), "notified", long.strip())])
    page.show()
    page.refresh()
    page.select_incident(incident.id)
    table = page.details.timeline
    short_row, long_row = 0, table.rowCount() - 1
    assert table.item(long_row, 2).text() == long.strip()  # the whole text, nothing elided
    assert table.rowHeight(long_row) >= 3 * table.rowHeight(short_row)  # on several lines, all shown
    assert table.columnViewportPosition(2) + table.columnWidth(2) <= table.viewport().width()
