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
from PySide6.QtCore import QDate, QPointF, QSettings, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableView, QWidget
from pytestqt.qtbot import QtBot

from oncall_desktop.demo import demo_configuration
from oncall_desktop.domain import Person
from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow
from tests.test_views_main import drop_person, y_of

pytestmark = [
    pytest.mark.qt,
    # The offscreen platform cannot raise the completer's popup or grab the keyboard for it.
    pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise|grabbing)"),
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


# -- the zone picker ---------------------------------------------------------------------------


def _type_in_zone_picker(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.show()
    qtbot.waitExposed(window)
    line_edit = window.zone_picker.lineEdit()
    assert line_edit is not None
    line_edit.setFocus()
    line_edit.selectAll()
    QTest.keyClicks(line_edit, text)


def _key(widget: QWidget, key: Qt.Key) -> None:
    QTest.keyClick(widget, key)


def test_down_and_enter_on_a_suggestion_picks_it_not_local(qtbot: QtBot, window: MainWindow) -> None:
    window.set_zone("Local")
    _type_in_zone_picker(qtbot, window, "tok")
    popup = window.zone_picker.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    first = window.zone_picker.completer().currentCompletion()
    chosen: list[str] = []
    window.zone_picker.zone_chosen.connect(chosen.append)
    _key(popup, Qt.Key.Key_Down)
    _key(popup, Qt.Key.Key_Return)
    assert chosen == [first]
    assert window.calendar_model.zone_choice == first != "Local"
    assert window.zone_picker.currentText() == first


def test_a_unique_partial_name_and_enter_picks_that_zone(qtbot: QtBot, window: MainWindow) -> None:
    window.set_zone("Local")
    _type_in_zone_picker(qtbot, window, "Tokyo")
    popup = window.zone_picker.completer().popup()
    target = popup if popup.isVisible() else window.zone_picker.lineEdit()
    assert target is not None
    _key(target, Qt.Key.Key_Return)
    assert window.calendar_model.zone_choice == "Asia/Tokyo"
    assert window.calendar_model.tz.key == "Asia/Tokyo"
    assert window.zone_picker.currentText() == "Asia/Tokyo"


def test_an_ambiguous_name_and_enter_changes_nothing(qtbot: QtBot, window: MainWindow) -> None:
    _type_in_zone_picker(qtbot, window, "Ber")  # Europe/Berlin, Atlantic/Bermuda, …
    popup = window.zone_picker.completer().popup()
    target = popup if popup.isVisible() else window.zone_picker.lineEdit()
    assert target is not None
    _key(target, Qt.Key.Key_Return)
    assert window.calendar_model.zone_choice == "Europe/Berlin"


# -- go to date ----------------------------------------------------------------------------------


def test_the_title_opens_a_calendar_popup_and_picking_a_day_shows_its_week(window: MainWindow) -> None:
    button = window.title_button
    assert button.menu() is button.popup
    assert button.text().startswith("23 Mar – 29 Mar 2026")
    popup = button.popup_calendar
    assert popup.selectedDate() == QDate(2026, 3, 25)
    popup.setSelectedDate(QDate(2026, 7, 14))
    grid = popup.findChild(QTableView)
    assert grid is not None
    _key(grid, Qt.Key.Key_Return)  # Enter in the popup, as the keyboard does it
    assert window.calendar_model.anchor == date(2026, 7, 14)
    assert button.text().startswith("13 Jul – 19 Jul 2026")
    assert window.go_to_date_action.shortcut().toString() == "Ctrl+G"


def test_page_up_page_down_and_home_move_the_calendar(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    calendar = window.calendar
    calendar.setFocus()
    _key(calendar, Qt.Key.Key_PageDown)
    assert window.calendar_model.view().anchor == date(2026, 3, 30)
    _key(calendar, Qt.Key.Key_PageUp)
    _key(calendar, Qt.Key.Key_PageUp)
    assert window.calendar_model.view().anchor == date(2026, 3, 16)
    window.calendar_model.set_mode("month")
    _key(calendar, Qt.Key.Key_PageDown)
    assert window.calendar_model.title() == "April 2026"
    _key(calendar, Qt.Key.Key_Home)
    assert window.calendar_model.anchor == NOW.astimezone(window.calendar_model.tz).date()
    assert window.calendar_model.title() == "March 2026"


# -- the details panel and the lane headers -------------------------------------------------------


def _select_block(window: MainWindow, rule: str, column: int) -> None:
    calendar = window.calendar
    block = next(
        p.block
        for p in calendar.painted_blocks()
        if p.block.rule == rule and calendar.layout_for().col_rect(column).contains(p.rect.center())
    )
    calendar.select(block)


def test_the_details_panel_floats_over_the_week_and_the_lanes_keep_their_width(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.show()
    qtbot.waitExposed(window)
    calendar = window.calendar
    width, lane = calendar.width(), calendar.lane_rect(0, 0).width()
    label_width = QFontMetrics(calendar.painter.small).horizontalAdvance(
        window.calendar_model.rule_label("primary")
    )
    assert label_width + 4 <= lane  # readable before …
    _select_block(window, "primary", 1)  # Tuesday: the panel opens on the right
    assert window.details.isVisible()
    assert window.details.parentWidget() is calendar
    assert calendar.width() == width
    assert calendar.lane_rect(0, 0).width() == lane  # … and after
    assert window.details.geometry().left() > calendar.width() / 2
    _select_block(window, "primary", 5)  # Saturday: the panel moves to the left, clear of the block
    assert window.details.geometry().right() < calendar.width() / 2


def test_escape_closes_the_details_panel_from_the_calendar_or_the_panel(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.show()
    qtbot.waitExposed(window)
    _select_block(window, "secondary", 2)
    assert window.details.isVisible()
    _key(window.calendar, Qt.Key.Key_Escape)
    assert not window.details.isVisible()
    assert window.calendar.selected is None
    _select_block(window, "secondary", 2)
    _key(window.details, Qt.Key.Key_Escape)
    assert not window.details.isVisible()
    assert window.calendar.selected is None


def test_each_lane_header_has_its_own_short_name_a_tooltip_and_a_legend(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    demo = demo_configuration(NOW)
    rules = tuple(replace(r, name="Payments primary") if r.id == "secondary" else r for r in demo.rules)
    store.replace_configuration(replace(demo, rules=rules))
    window = open_window(qtbot, store, tmp_path)
    window.set_zone("Europe/Berlin")
    window.calendar_model.set_mode("week")
    window.calendar_model.set_anchor(date(2026, 3, 25))
    window.show()
    qtbot.waitExposed(window)
    model = window.calendar_model
    labels = {rule.id: model.rule_label(rule.id) for rule in model.config.rules}
    assert labels["primary"] == "PlP"  # "Platform primary" and "Payments primary" were both "PP"
    assert labels["secondary"] == "PaP"
    assert len(set(labels.values())) == len(labels)
    calendar = window.calendar
    box = calendar.lane_rect(3, 1)
    header = QPointF(box.center().x(), box.top() - 4)
    assert calendar.lane_header_at(header) == "secondary"
    assert calendar.lane_header_tooltip("secondary") == "PaP: Payments primary · Europe/Berlin"
    assert calendar.lane_header_at(QPointF(box.center().x(), box.top() + 40)) is None  # a block, not a header
    model.set_mode("month")
    row = calendar.lane_rect(0, 1)
    assert calendar.lane_header_at(QPointF(10, row.center().y())) == "secondary"


def test_a_lane_header_shows_the_whole_short_name_wherever_it_fits(window: MainWindow) -> None:
    """A lane wide enough for a rule's short name in the small or the tiny font shows all of it:
    "FTS" in a lane 20 px wide was cut to "F…" (Qt's exact width of it is 18.02 px; the check
    before eliding had rounded it to 18)."""
    painter = window.calendar.painter
    model = window.calendar_model
    tiny = QFontMetrics(painter.tiny)
    for rule in model.config.rules:
        label = model.rule_label(rule.id)
        for width in range(tiny.horizontalAdvance(label) + 2, 80):
            _in_tiny_font, text = painter.lane_header(rule.id, width)
            assert text in (label, rule.name), (rule.id, width, text)


# -- what a drop made --------------------------------------------------------------------------


def _on_call(window: MainWindow, rule: str, at: datetime) -> str:
    return next(
        b.person
        for b in window.calendar_model.blocks()
        if b.rule == rule and b.person is not None and b.start <= at < b.end
    )


def test_a_drop_says_what_it_made_and_warns_when_that_is_night_for_the_person(window: MainWindow) -> None:
    window.set_zone("Europe/London")
    calendar = window.calendar
    lane = calendar.lane_rect(5, 0)  # Saturday 28 March, Platform primary
    drop_person(calendar, "wei", QPointF(lane.center().x(), y_of(calendar, 5, 2.5)))
    assert window.statusBar().currentMessage() == "Override: Wei Lim, Sat 28 Mar 02:00–03:00 Europe/London"
    # 16:00–17:00 in London is midnight in Singapore, where Wei lives.
    drop_person(calendar, "wei", QPointF(lane.center().x(), y_of(calendar, 5, 16.5)))
    assert window.statusBar().currentMessage() == (
        "Override: Wei Lim, Sat 28 Mar 16:00–17:00 Europe/London"
        " · ⚠ night for Wei Lim: Sun 29 Mar 00:00–01:00 in Asia/Singapore"
    )
    assert "Times shown in Europe/London" in window.zone_status.text()


def test_an_override_for_the_person_already_on_call_stays_visible_and_selectable(window: MainWindow) -> None:
    calendar = window.calendar
    at = datetime(2026, 3, 25, 13, 30, tzinfo=UTC)  # Wednesday 14:30 in Berlin
    person = _on_call(window, "primary", at)
    lane = calendar.lane_rect(2, 0)
    drop_person(calendar, person, QPointF(lane.center().x(), y_of(calendar, 2, 14.5)))
    made = [o for o in window.store.load_configuration().overrides if o.person == person and o.start <= at]
    assert made
    shown = [
        p
        for p in calendar.painted_blocks()
        if p.block.override is not None and p.block.override.id == made[-1].id
    ]
    assert shown, "the override must be drawn as an override"
    assert (shown[0].block.start, shown[0].block.end) == (made[-1].start, made[-1].end)
    assert calendar.block_at(shown[0].rect.center()) == shown[0].block
    calendar.select(shown[0].block)
    assert window.details.isVisibleTo(window)
    assert not window.details.delete_button.isHidden()
    window.details.delete_button.click()
    assert all(o.id != made[-1].id for o in window.store.load_configuration().overrides)
