"""The Integrations page (issue 13, rough edges): add one (kind chosen by its label), see and copy its
full intake URL, rotate its token, delete it — each undoable — and send a test alert to the station's
own intake, running or not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from oncall_desktop import cli
from oncall_desktop.domain import Integration, StationSettings
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.station import BackgroundIntake
from oncall_desktop.integrations import SendOutcome
from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from oncall_desktop.views.integrations_view import IntegrationsPage, NewIntegrationDialog
from oncall_desktop.views.main_window import MainWindow
from tests.helpers_station import configured_store, free_port

pytestmark = pytest.mark.qt

NOW = utc(2026, 3, 20, 12)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = configured_store(os.environ["ONCALL_DESKTOP_DB"])
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, store: Store, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(store, now=lambda: NOW, settings=settings)
    qtbot.addWidget(main)
    main.resize(1400, 900)
    main.show_tab("Integrations")
    return main


def page_of(window: MainWindow) -> IntegrationsPage:
    page = window.integrations_page
    page.confirm = lambda _title, _question: True
    return page


def rows(page: IntegrationsPage) -> list[tuple[str, str, str]]:
    model = page.model
    return [tuple(model.index(r, c).data() for c in range(3)) for r in range(model.rowCount())]  # type: ignore[misc]


def cli_urls(capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert cli.main(["integrations"]) == 0
    return [line.split()[-1] for line in capsys.readouterr().out.splitlines()]


def test_the_page_lists_each_integration_with_its_kind_label_and_the_clis_full_url(
    window: MainWindow, capsys: pytest.CaptureFixture[str]
) -> None:
    page = page_of(window)
    assert window.tabs.tabText(window.tabs.indexOf(page.parentWidget())) == "Integrations"
    assert [(name, kind) for name, kind, _url in rows(page)] == [
        ("Prod Alertmanager", "Prometheus Alertmanager"),
        ("Grafana", "Grafana Alerting"),
        ("Generic", "Generic webhook (JSON)"),
    ]
    assert [url for *_rest, url in rows(page)] == cli_urls(capsys)
    page.table.selectRow(2)
    token = window.store.integrations()[2].token
    assert page.url.text() == f"http://127.0.0.1:8080/integrations/v1/webhook/{token}/"
    page.copy_button.click()
    assert QGuiApplication.clipboard().text() == page.url.text()
    assert "Copied" in page.status.text()


def test_the_new_integration_dialog_offers_the_three_kinds_and_checks_the_id(window: MainWindow) -> None:
    dialog = NewIntegrationDialog(window.config, window)
    labels = [dialog.kind.itemText(i) for i in range(dialog.kind.count())]
    assert labels == ["Prometheus Alertmanager", "Grafana Alerting", "Generic webhook (JSON)"]
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.name.setText("Hook")
    assert dialog.ident.text() == "hook-2"  # the id follows the name, past the ids taken
    assert ok.isEnabled()
    dialog.ident.setText("prod-am")
    dialog.ident.textEdited.emit("prod-am")
    assert not ok.isEnabled()
    assert "ID:" in dialog.message.text()
    dialog.kind.setCurrentIndex(1)
    dialog.ident.setText("eu-grafana")
    dialog.ident.textEdited.emit("eu-grafana")
    assert dialog.integration() == Integration("eu-grafana", "Hook", "grafana_alerting")


def test_adding_rotating_and_deleting_are_each_one_undoable_step(
    window: MainWindow, capsys: pytest.CaptureFixture[str]
) -> None:
    page = page_of(window)
    store = window.store
    page.new_integration = lambda: Integration("eu", "EU Grafana", "grafana_alerting")
    page.add_button.click()
    assert rows(page)[-1][:2] == ("EU Grafana", "Grafana Alerting")
    assert page.selected() is not None
    assert page.selected().id == "eu"  # type: ignore[union-attr]
    added_url = page.url.text()
    assert added_url in cli_urls(capsys)
    window.undo_action.trigger()
    assert [i.id for i in store.integrations()] == ["prod-am", "grafana", "hook"]
    window.redo_action.trigger()
    assert cli_urls(capsys)[-1] == added_url  # redo brings back the same token

    page.table.selectRow(0)
    before = store.integrations()[0]
    page.rotate_button.click()
    rotated = store.integrations()[0]
    assert rotated.token != before.token
    assert page.url.text().endswith(f"/{rotated.token}/")
    window.undo_action.trigger()
    assert store.integrations()[0] == before
    window.redo_action.trigger()
    assert store.integrations()[0] == rotated

    page.table.selectRow(1)
    grafana = store.integrations()[1]
    page.delete_button.click()
    assert [i.id for i in store.integrations()] == ["prod-am", "hook", "eu"]
    window.undo_action.trigger()
    assert store.integrations()[1] == grafana  # back at its place, with its token


def test_nothing_changes_when_a_confirmation_is_declined(window: MainWindow) -> None:
    page = page_of(window)
    page.confirm = lambda _title, _question: False
    before = window.store.integrations()
    page.table.selectRow(0)
    page.rotate_button.click()
    page.delete_button.click()
    assert window.store.integrations() == before
    assert window.undo_stack.count() == 0


def test_a_test_alert_from_the_page_opens_an_incident_at_the_running_station(
    qtbot: QtBot, window: MainWindow
) -> None:
    store = window.store
    intake = BackgroundIntake(store, f"127.0.0.1:{free_port()}", FakeClock(NOW))
    intake.start()
    try:
        settings = store.load_configuration().settings
        store.save_settings(replace(settings, station=StationSettings(listen=f"127.0.0.1:{intake.port}")))
        window.reload()
        page = page_of(window)
        page.table.selectRow(0)
        with qtbot.waitSignal(page.test_alert_finished, timeout=10_000) as finished:
            page.test_button.click()
            assert not page.test_button.isEnabled()  # one at a time
    finally:
        intake.stop()
    outcome: SendOutcome = finished.args[0]
    assert outcome.ok
    (opened,) = store.incidents.newest()
    assert f"opened incident #{opened.id}" in page.status.text()
    assert opened.integration == "prod-am"
    assert page.test_button.isEnabled()


def test_a_test_alert_says_clearly_when_no_station_is_running(qtbot: QtBot, window: MainWindow) -> None:
    store = window.store
    settings = store.load_configuration().settings
    port = free_port()
    store.save_settings(replace(settings, station=StationSettings(listen=f"127.0.0.1:{port}")))
    window.reload()
    page = page_of(window)
    page.table.selectRow(2)
    with qtbot.waitSignal(page.test_alert_finished, timeout=10_000):
        page.test_button.click()
    assert f"nothing listens on 127.0.0.1:{port}, so the station is not running there" in page.status.text()
    assert "c62828" in page.status.styleSheet()
    assert store.incidents.newest() == []


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note on showing a window
def test_the_page_is_built_when_its_tab_is_first_opened_and_shows_edits_made_before(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(store, now=lambda: NOW, settings=settings)
    qtbot.addWidget(main)
    main.show()
    assert main._integrations.built is None  # the calendar's first paint builds no Integrations page
    store.save_integration(Integration("added", "Added later", "webhook"))
    main.reload()  # as the revision poll does
    main.show_tab("Integrations")
    page = main._integrations.built
    assert isinstance(page, IntegrationsPage)
    qtbot.waitUntil(page.isVisible)
    assert "Added later" in [name for name, _kind, _url in rows(page)]
