"""Planning around people in the window: the Reports tab (its figures are the report's, its pickers
change them, its exports write what `report` prints) and time off in People & teams."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    OnCallRule,
    Person,
    Rotation,
    Severity,
    TimeOff,
)
from oncall_desktop.incident import IncomingAlert, IntakeResult
from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow

pytestmark = [
    pytest.mark.qt,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),  # offscreen, on show
]

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
LADDER = (EscalationLevel(channels={"*": (Channel.EMAIL,)}, repeat=5),)


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def configuration() -> Configuration:
    people = (
        Person("ann", "Ann Ames", "ann@example.com", timezone="UTC", holidays="GB"),
        Person("ben", "Ben Bell", "ben@example.com", timezone="UTC"),
        Person("cat", "Cat Cole", "cat@example.com", timezone="UTC"),
    )
    weekly = OnCallRule(
        "primary",
        "Primary",
        "UTC",
        layers=(
            Layer(personnel=("ann", "ben", "cat"), rotation=Rotation("weekly", 1, time(9), date(2026, 3, 2))),
        ),
        escalation=LADDER,
    )
    day = OnCallRule("db", "Database", "UTC", layers=(Layer(personnel=("cat",)),), escalation=LADDER)
    return Configuration(
        people=people,
        rules=(weekly, day),
        time_off=(TimeOff("ann", utc(2026, 3, 31), utc(2026, 4, 2), "Trip"),),
    )


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    opened.replace_configuration(configuration())
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, store: Store, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    shown = MainWindow(store, now=lambda: NOW, settings=settings)
    qtbot.addWidget(shown)
    shown.resize(1400, 900)
    shown.show()
    return shown


def test_reports_tab_shows_the_reports_figures_and_exports_them(
    window: MainWindow, store: Store, qtbot: QtBot, tmp_path: Path
) -> None:
    created = utc(2026, 3, 10, 12)
    result = IntakeResult("g", "Disk full", "", Severity.P1, (), (IncomingAlert("f", "firing", {}),))
    outcome = store.incidents.ingest("", result, created)
    assert outcome.incident_id is not None
    store.incidents.acknowledge(outcome.incident_id, created + timedelta(minutes=4), by="cat")
    window.tabs.setCurrentWidget(window.reports_page)
    view = window.reports_page.ensure_view()
    qtbot.waitUntil(lambda: view.isVisible())
    view.set_span(date(2026, 3, 2), date(2026, 3, 22))  # three weeks: ann, ben, cat in turn
    people = view.people_model
    rows = {
        people.data(people.index(r, 0)): [people.data(people.index(r, c)) for c in range(9)]
        for r in range(people.rowCount())
    }
    # 168 h each on primary from 9:00 on 2 March (to 9:00 on the 23rd, clipped at midnight before).
    assert rows["Ann Ames"][1] == "168.0"
    assert rows["Ben Bell"][1] == "168.0"
    # Cat: all three weeks on the database rule (504 h), her primary week is inside them.
    assert rows["Cat Cole"][1] == "504.0"
    assert rows["Cat Cole"][7] == 1  # the acknowledgement
    assert rows["Cat Cole"][8] == "4.0 min"
    rules = view.rules_model
    assert [rules.data(rules.index(r, 0)) for r in range(rules.rowCount())] == [
        "Primary",
        "Database",
        "Default",
    ]
    # The chart's bars are the day/night/weekend/holiday segments of each person's hours.
    (series,) = view.hours_chart.series()
    sets = {s.label(): [s.at(i) for i in range(s.count())] for s in series.barSets()}
    assert set(sets) == {"Day", "Night", "Weekend", "Holiday"}
    assert sum(sets[name][-1] for name in sets) == pytest.approx(168.0)  # the first person (Ann) is on top

    # Leaving a rule out changes the figures: without the database rule Cat has her primary week only.
    view.set_rule_shown("db", False)
    assert view.rules_button.text() == "Rules: 2 of 3"
    rows = {
        people.data(people.index(r, 0)): people.data(people.index(r, 1)) for r in range(people.rowCount())
    }
    assert rows["Cat Cole"] == "168.0"

    png = tmp_path / "report.png"
    assert view.export_png(png)
    assert not QImage(str(png)).isNull()
    table = tmp_path / "report.csv"
    view.export_csv(table)
    lines = list(csv.reader(table.read_text().splitlines()))
    assert lines[0][:3] == ["person", "hours", "night_hours"]
    assert ["primary", "1", "240.0", ""] in lines


def test_reports_tab_says_why_a_backwards_span_shows_nothing(window: MainWindow, qtbot: QtBot) -> None:
    window.tabs.setCurrentWidget(window.reports_page)
    view = window.reports_page.ensure_view()
    view.set_span(date(2026, 3, 20), date(2026, 3, 1))
    assert view.message.isVisible()
    assert "ends before it starts" in view.message.text()


def test_models_pass_the_model_tester(window: MainWindow, qtmodeltester: object) -> None:
    view = window.reports_page.ensure_view()
    view.set_span(date(2026, 3, 2), date(2026, 3, 22))
    qtmodeltester.check(view.people_model)  # type: ignore[attr-defined]
    qtmodeltester.check(view.rules_model)  # type: ignore[attr-defined]
