"""The rough edges a team lead found in the window (issue 13, part 3), each as the lead met it: colours
that moved, the go-to-date control, the zone picker's keyboard, the details panel squeezing the week,
lane headers, and what a drop on the calendar made."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from oncall_desktop.demo import demo_configuration
from oncall_desktop.domain import Person
from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow

pytestmark = [
    pytest.mark.qt,
    pytest.mark.filterwarnings("ignore:Function.*QDrag(Enter|Move)Event.*deprecated:DeprecationWarning"),
]

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    yield opened
    opened.close()


def open_window(qtbot: QtBot, store: Store, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store, now=lambda: NOW, settings=settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    return window


@pytest.fixture
def window(qtbot: QtBot, store: Store, tmp_path: Path) -> MainWindow:
    store.replace_configuration(demo_configuration(NOW))
    opened = open_window(qtbot, store, tmp_path)
    opened.set_zone("Europe/Berlin")
    opened.calendar_model.set_mode("week")
    opened.calendar_model.set_anchor(date(2026, 3, 25))
    return opened


# -- person colours ------------------------------------------------------------------------------


def test_adding_a_person_recolours_nobody_and_the_newcomer_gets_a_colour_of_their_own(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    # A team set up without colours, as a config file without `colour:` does.
    plain = demo_configuration(NOW)
    store.replace_configuration(replace(plain, people=tuple(replace(p, colour=None) for p in plain.people)))
    window = open_window(qtbot, store, tmp_path)
    before = {pid: colour.name() for pid, _name, colour in window.calendar_model.legend()}
    assert len(set(before.values())) == 8
    window.save_person(None, Person("alex", "Alex Kim"))
    after = {pid: colour.name() for pid, _name, colour in window.calendar_model.legend()}
    assert {pid: after[pid] for pid in before} == before
    assert after["alex"] not in before.values()
    stored = store.load_configuration().person("alex")
    assert stored is not None
    assert stored.colour == after["alex"]
