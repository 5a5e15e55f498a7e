"""The app's parts of SPEC §13: the Integrations page shows each integration's heartbeat timeout and
its copyable heartbeat URL, and when it last beat."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow
from tests.helpers_station import configured_store

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
