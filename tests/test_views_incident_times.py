"""Incident timeline times (issue 13): in the calendar's zone with their UTC offset, so the hour a
fall-back day repeats reads twice, told apart."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import Severity
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.store import Store
from oncall_desktop.timeutil import zone
from oncall_desktop.views.incidents_view import IncidentsPage
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.station_install import install_station
from tests.test_views_incidents import open_incident, station_configuration

pytestmark = [
    pytest.mark.qt,
    pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)\(\)"),
]

# Sunday 25 October 2026: Berlin falls back from 03:00 CEST to 02:00 CET at 01:00 UTC.
CREATED = datetime(2026, 10, 25, 0, 10, tzinfo=UTC)  # 02:10 CEST, the first 02:10
ACKED = datetime(2026, 10, 25, 1, 20, tzinfo=UTC)  # 02:20 CET, in the repeated hour


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    opened.replace_configuration(station_configuration())
    yield opened
    opened.close()


def whens(page: IncidentsPage) -> list[str]:
    table = page.details.timeline
    return [table.item(i, 0).text() for i in range(table.rowCount())]


def test_timeline_times_carry_their_offset_and_the_repeated_hour_reads_twice(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    opened = open_incident(store, "Disk full", Severity.P2, CREATED)
    store.incidents.acknowledge(opened.id, ACKED, "alice")
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    page = IncidentsPage(store, FakeClock(ACKED), settings, tz=zone("UTC"))
    qtbot.addWidget(page)
    assert page.select_incident(opened.id)
    assert whens(page)[0] == "00:10:00 +00:00"
    page.set_zone(zone("Europe/Berlin"))
    times = whens(page)
    assert times[0] == "02:10:00 +02:00"
    assert times[-1] == "02:20:00 +01:00"
    assert "Sun 25 Oct 2026 02:10:00 CEST (UTC+02:00)" in page.details.facts.text()
    assert "02:20:00 CET (UTC+01:00)" in page.details.facts.text()


def test_the_incidents_page_follows_the_calendars_zone(qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store, now=lambda: ACKED, settings=settings)
    qtbot.addWidget(window)
    window.set_zone("Europe/Berlin")
    presence = install_station(window, store, clock=FakeClock(ACKED), start_engine=False)
    try:
        page = presence.page
        assert isinstance(page, IncidentsPage)
        assert page.tz.key == "Europe/Berlin"  # type: ignore[attr-defined]
        window.set_zone("Asia/Tokyo")
        assert page.tz.key == "Asia/Tokyo"  # type: ignore[attr-defined]
        assert page.details.tz.key == "Asia/Tokyo"  # type: ignore[attr-defined]
    finally:
        presence.shutdown()
