"""The app's parts of SPEC §13: the Integrations page shows each integration's heartbeat timeout and
its copyable heartbeat URL, and when it last beat; the person editor keeps chat URLs in the keyring
with a "Send test" button, as one undoable edit."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from oncall_desktop import configfile, secrets
from oncall_desktop.domain import MaintenanceWindow, MatchConditions
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.intake import parse
from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from oncall_desktop.views.editors import PersonEditorDialog
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.maintenance_band import band_rects
from oncall_desktop.views.maintenance_view import MaintenanceDialog
from tests.fake_twilio import ServerThread
from tests.helpers_station import configured_store, integration
from tests.test_chat import TOKEN, Receiver
from tests.test_chat import real_keyring as real_keyring  # the fixtures
from tests.test_chat import receiver as receiver

pytestmark = pytest.mark.qt

NOW = utc(2026, 3, 20, 12)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = configured_store(os.environ["ONCALL_DESKTOP_DB"])
    config = opened.load_configuration()
    integrations = tuple(
        replace(i, heartbeat_timeout=600 if i.id == "prod-am" else None) for i in config.integrations
    )
    opened.replace_configuration(replace(config, integrations=integrations))
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, store: Store, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(store, now=lambda: NOW, settings=settings)
    qtbot.addWidget(main)
    main.resize(1400, 900)
    return main


def test_integrations_page_shows_the_heartbeat_timeout_and_a_copyable_heartbeat_url(
    window: MainWindow, store: Store
) -> None:
    page = window.integrations_page
    window.tabs.setCurrentWidget(page)
    model = page.model
    assert [model.index(r, 3).data() for r in range(model.rowCount())] == ["every 10m", "off", "off"]
    page.table.selectRow(0)
    token = store.integrations()[0].token
    assert page.heartbeat_url.text() == (
        f"http://127.0.0.1:8080/integrations/v1/alertmanager/{token}/heartbeat/"
    )
    assert "at least every <b>10m</b>" in page.heartbeat.text()
    assert "no beat yet" in page.heartbeat.text()
    page.copy_heartbeat_button.click()
    assert QGuiApplication.clipboard().text() == page.heartbeat_url.text()
    store.heartbeats.beat("prod-am", NOW)
    page.table.selectRow(1)
    assert "No heartbeat is expected" in page.heartbeat.text()
    page.table.selectRow(0)
    assert "last beat 2026-03-20T12:00:00Z" in page.heartbeat.text()


def test_person_editor_keeps_chat_urls_in_the_keyring_sends_a_test_and_undo_restores_them(
    qtbot: QtBot,
    window: MainWindow,
    store: Store,
    real_keyring: None,
    receiver: tuple[Receiver, ServerThread],
) -> None:
    got, server = receiver
    url = f"json://127.0.0.1:{server.port}/chat/{TOKEN}"
    before = store.load_configuration().person("alice")
    assert before is not None
    assert not before.chat
    dialog = PersonEditorDialog(window.config, before, window)
    qtbot.addWidget(dialog)
    assert dialog.chat.edit.toPlainText() == ""
    dialog.chat.edit.setPlainText(f"{url}\n\n")
    with qtbot.waitSignal(dialog.chat.test_finished, timeout=15000) as sent:
        dialog.chat.test_button.click()
    assert sent.args == ["Sent to 1 of 1.", True]
    assert got.got[0][1]["title"] == "Test from oncall-desktop"
    window.save_person(before, dialog.person(), dialog.chat_urls())
    assert secrets.get_secret("chat.alice") == url
    saved = store.load_configuration().person("alice")
    assert saved is not None
    assert saved.chat
    dumped = configfile.dump(store.load_configuration())
    assert TOKEN not in dumped
    window.undo_stack.undo()
    assert secrets.get_secret("chat.alice") is None
    restored = store.load_configuration().person("alice")
    assert restored is not None
    assert not restored.chat
    window.undo_stack.redo()
    assert secrets.get_secret("chat.alice") == url
    again = PersonEditorDialog(window.config, store.load_configuration().person("alice"), window)
    qtbot.addWidget(again)
    assert again.chat.edit.toPlainText() == url
    assert again.chat_urls() is None


def test_maintenance_page_adds_edits_and_deletes_undoably_and_counts_the_incidents_held(
    qtbot: QtBot, window: MainWindow, store: Store, qtmodeltester: ModelTester
) -> None:
    page = window.maintenance_page
    assert window.tabs.tabText(window.tabs.indexOf(page.parentWidget())) == "Maintenance"
    match = MatchConditions("all", ("service:db*",))
    upgrade = MaintenanceWindow(
        "db upgrade", datetime(2026, 3, 20, 11, 0), datetime(2026, 3, 20, 13, 0), match
    )
    page.ask_window = lambda _before, _index: upgrade
    page.add_button.click()
    assert store.load_configuration().maintenance == (upgrade,)
    model = page.model
    qtmodeltester.check(model)
    assert [model.index(0, c).data() for c in range(4)] == [
        "db upgrade",
        "Fri 2026-03-20 11:00",
        "Fri 2026-03-20 13:00",
        "service:db*",
    ]
    assert model.index(0, 4).data() == "0 incidents (running)"
    hook = integration(store, "hook")
    body = {"title": "Replica lag", "severity": "P1", "alert_uid": "lag", "tags": {"service": "db-replica"}}
    held = store.incidents.ingest(hook.id, parse(hook, json.dumps(body).encode()), NOW).incident_id
    engine = EscalationEngine(store, holder="gui-test", clock=FakeClock(NOW))
    engine.tick(NOW)
    engine.release(5)
    page.refresh_counts()
    assert model.index(0, 4).data() == "1 incident (running)"
    assert held is not None
    page.table.selectRow(0)
    renamed = replace(upgrade, name="db upgrade (extended)", end=datetime(2026, 3, 20, 14, 0))
    page.ask_window = lambda before, index: renamed if (before, index) == (upgrade, 0) else None
    page.edit_button.click()
    assert store.load_configuration().maintenance == (renamed,)
    window.undo_stack.undo()
    assert store.load_configuration().maintenance == (upgrade,)
    page.table.selectRow(0)
    page.confirm = lambda _title, _question: True
    page.delete_button.click()
    assert store.load_configuration().maintenance == ()
    assert model.rowCount() == 0
    window.undo_stack.undo()
    assert store.load_configuration().maintenance == (upgrade,)
    window.undo_stack.undo()  # the add
    assert store.load_configuration().maintenance == ()


def test_maintenance_dialog_shows_the_cores_findings_and_disables_ok(window: MainWindow) -> None:
    dialog = MaintenanceDialog(window.config, None, 0, NOW, window)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no name yet
    dialog.name.setText("deploy")
    assert ok.isEnabled()
    dialog.end.setDateTime(dialog.start.dateTime().addSecs(-60))
    assert not ok.isEnabled()
    assert dialog.message.text() == "End: must be after the start"
    dialog.end.setDateTime(dialog.start.dateTime().addSecs(3600))
    dialog.conditions.setText("service:db*, nocolon")
    assert dialog.message.text() == "Match conditions: 'nocolon' is not key:value"
    dialog.conditions.setText("service:db*")
    assert ok.isEnabled()
    assert dialog.edited().match == MatchConditions("all", ("service:db*",))


def test_the_calendar_shows_a_band_for_each_maintenance_window(window: MainWindow, store: Store) -> None:
    upgrade = MaintenanceWindow("db upgrade", datetime(2026, 3, 20, 11, 0), datetime(2026, 3, 21, 2, 0))
    store.save_maintenance([upgrade])
    window.reload()
    window.tabs.setCurrentIndex(0)
    model = window.calendar_model
    model.set_zone("UTC")
    model.set_anchor(NOW.date())
    model.set_mode("week")
    calendar = window.calendar
    image = calendar.grab().toImage()  # laid out at its size first
    layout = calendar.layout_for()
    rects = band_rects(layout, upgrade)
    assert len(rects) == 2  # Friday 11:00 to midnight, Saturday to 02:00
    friday, saturday = rects
    assert friday.height() == pytest.approx(13 * layout.hour_h, abs=1)
    assert saturday.height() == pytest.approx(2 * layout.hour_h, abs=1)
    assert saturday.left() > friday.left()
    row = int(friday.center().y())
    edge = image.pixelColor(int(friday.left()) + 2, row)
    assert (edge.red(), edge.green(), edge.blue()) == (38, 50, 56)
    model.set_mode("month")
    stripes = band_rects(calendar.layout_for(), upgrade)
    assert len(stripes) == 2
    assert all(r.height() == 4 for r in stripes)
