"""Planning around people in the window: the Reports tab (its figures are the report's, its pickers
change them, its exports write what `report` prints) and time off in People & teams."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    OnCallRule,
    Override,
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
        Person("ann", "Ann Ames", "ann@example.com", timezone="UTC", holidays="GB-ENG"),
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
        time_off=(TimeOff("ann", utc(2026, 3, 24), utc(2026, 3, 26), "Trip"),),
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
    window.show_tab("Reports")
    view = window.reports_page
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
    window.show_tab("Reports")
    view = window.reports_page
    view.set_span(date(2026, 3, 20), date(2026, 3, 1))
    assert view.message.isVisible()
    assert "ends before it starts" in view.message.text()


def test_models_pass_the_model_tester(window: MainWindow, qtmodeltester: object) -> None:
    view = window.reports_page
    view.set_span(date(2026, 3, 2), date(2026, 3, 22))
    qtmodeltester.check(view.people_model)  # type: ignore[attr-defined]
    qtmodeltester.check(view.rules_model)  # type: ignore[attr-defined]


def _panel_for(window: MainWindow, person_id: str) -> object:
    window.tabs.setCurrentIndex(1)
    row = [p.id for p in window.config.people].index(person_id)
    window.people_table.selectRow(row)
    panel = window.time_off_panel
    assert panel.person is not None
    assert panel.person.id == person_id
    return panel


def test_dragging_across_days_adds_time_off_undoably(window: MainWindow, store: Store, qtbot: QtBot) -> None:
    panel = window.time_off_panel
    _panel_for(window, "ben")
    panel.ask_days = lambda first, last: (first, last, "Conference")
    calendar = panel.calendar
    assert (calendar.year, calendar.month) == (2026, 3)
    start, end = calendar.cell(date(2026, 3, 10)).center(), calendar.cell(date(2026, 3, 12)).center()
    qtbot.mousePress(calendar, Qt.MouseButton.LeftButton, pos=start.toPoint())
    qtbot.mouseMove(calendar, end.toPoint())
    qtbot.mouseRelease(calendar, Qt.MouseButton.LeftButton, pos=end.toPoint())
    (added,) = [t for t in store.load_configuration().time_off if t.person == "ben"]
    assert (added.start, added.end, added.note) == (utc(2026, 3, 10), utc(2026, 3, 13), "Conference")
    assert panel.entries.count() == 1
    assert "Conference" in panel.entries.item(0).text()
    # Ben is on primary from 9:00 on the 9th: the three days are conflicts, hatched on the calendar.
    assert [calendar.marks[date(2026, 3, d)].conflict for d in (9, 10, 11, 12, 13)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    window.undo_stack.undo()
    assert [t for t in store.load_configuration().time_off if t.person == "ben"] == []
    assert panel.entries.count() == 0
    window.undo_stack.redo()
    assert len([t for t in store.load_configuration().time_off if t.person == "ben"]) == 1


def test_a_cover_for_a_conflict_is_one_undoable_override(window: MainWindow, store: Store) -> None:
    panel = _panel_for(window, "ann")
    # Ann's trip (24–25 March) falls in her week on primary.
    conflicts = [panel.conflict_list.item(i).text() for i in range(panel.conflict_list.count())]
    assert conflicts == ["Primary: Tue 24 Mar – Wed 25 Mar 2026 — time off (Trip)"]
    menu = panel.cover_menu()
    assert menu is not None
    offers = [a.text() for a in menu.actions()]
    # Ben and Cat are free; Ben has fewer hours on call in these six weeks (Cat also has the database rule).
    assert offers[0].startswith("Ben Bell — ")
    assert offers[1].startswith("Cat Cole — ")
    menu.actions()[0].trigger()
    (override,) = store.load_configuration().overrides
    assert (override.rule, override.person, override.start, override.end) == (
        "primary",
        "ben",
        utc(2026, 3, 24),
        utc(2026, 3, 26),
    )
    assert panel.conflict_list.count() == 0
    window.undo_stack.undo()
    assert store.load_configuration().overrides == ()
    assert panel.conflict_list.count() == 1


def test_holidays_show_in_the_persons_details(window: MainWindow, store: Store) -> None:
    panel = _panel_for(window, "ann")
    panel.step_month(1)  # April 2026 in England: Good Friday, Easter Monday
    assert (
        panel.holidays.text()
        == "Public holidays (GB-ENG) this month: Good Friday (3 Apr), Easter Monday (6 Apr)"
    )
    assert panel.calendar.marks[date(2026, 4, 3)].holiday == "Good Friday"
    panel = _panel_for(window, "ben")
    assert panel.holidays.text().startswith("No public-holiday calendar")


def test_conflicts_are_caution_tape_on_the_main_calendar(
    window: MainWindow, store: Store, qtbot: QtBot
) -> None:
    window.tabs.setCurrentIndex(0)
    window.calendar_model.set_mode("week")
    window.go_to_date(date(2026, 3, 23))
    stamps = window.calendar_model.conflict_stamps()
    assert stamps == [("primary", utc(2026, 3, 24).timestamp(), utc(2026, 3, 26).timestamp())]

    def tape_pixels() -> int:
        image = window.calendar.grab().toImage()
        return sum(
            1
            for x in range(0, image.width(), 3)
            for y in range(0, image.height(), 3)
            if image.pixelColor(x, y).name() == "#f2c200"
        )

    with_tape = tape_pixels()
    assert with_tape > 50
    # Cover it (the override takes the span): the tape is gone.
    window.time_off_panel.apply_cover(Override("primary", "ben", utc(2026, 3, 24), utc(2026, 3, 26)))
    assert window.calendar_model.conflict_stamps() == []
    assert tape_pixels() < with_tape // 10
