"""The rule editor: a layered rule built by drag and drop, checked by the CLI across every DST change
of 2027; validation next to each field, nothing clamped, undo inside the dialog and one undoable save."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from oncall_desktop import cli
from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Gap,
    Layer,
    OnCallRule,
    Person,
    Team,
    Window,
)
from oncall_desktop.store import Store
from oncall_desktop.timeutil import wall_clock, zone
from oncall_desktop.views.ladder_model import TARGET_MIME
from oncall_desktop.views.layer_cards import LayerCard
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.rule_editor import RuleEditorDialog
from oncall_desktop.views.rule_model import LAYER_MIME, PERSON_SOURCE_MIME

pytestmark = [
    pytest.mark.qt,
    # The offscreen platform's notes on showing the dialog and the zone picker's completer popup.
    pytest.mark.qt_log_ignore(
        r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
    ),
]

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
ZONES = {"olivia": "Australia/Sydney", "priya": "Europe/London", "maria": "America/New_York"}
NINE_TO_FIVE = (Window((0, 1, 2, 3, 4), time(9), time(17)),)


def team() -> Configuration:
    people = (
        Person("olivia", "Olivia Brown", "olivia@example.com", "+61291234567", timezone="Australia/Sydney"),
        Person("priya", "Priya Raman", "priya@example.com", "+442079460321", timezone="Europe/London"),
        Person("maria", "María González", "maria@example.com", "+12125550143", timezone="America/New_York"),
        Person("sam", "Sam Okafor", "sam@example.com", "+14155550188", timezone="America/Chicago"),
    )
    default = OnCallRule(
        "default",
        "Default",
        "UTC",
        layers=(Layer(personnel=("sam",)),),
        escalation=(EscalationLevel(channels={"*": (Channel.EMAIL,)}, repeat=10),),
    )
    return Configuration(people=people, teams=(Team("dba", "DBAs", ("olivia", "priya")),), rules=(default,))


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    store = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    store.replace_configuration(team())
    shown = MainWindow(store, now=lambda: NOW)
    qtbot.addWidget(shown)
    yield shown
    shown.close()
    store.close()


@pytest.fixture
def dialog(window: MainWindow, qtbot: QtBot) -> RuleEditorDialog:
    opened = window.edit_rule(None)
    qtbot.addWidget(opened)
    return opened


def drop(widget: QWidget, mime: QMimeData, pos: QPointF | None = None) -> bool:
    """Drag `mime` into `widget` and drop it at `pos`, as Qt delivers a real drag; True if accepted."""
    at = pos or QPointF(8, 8)
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(widget, QDragMoveEvent(at.toPoint(), actions, mime, buttons, modifiers))
    dropped = QDropEvent(at, actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, dropped)
    return dropped.isAccepted()


def from_roster(dialog: RuleEditorDialog, target: str) -> QMimeData:
    item = dialog.roster.item_of(target)
    assert item is not None
    return dialog.roster.mimeData([item])


def after_the_chips(card: LayerCard) -> QPointF:
    """A point right of the layer's last chip, on its line: a drop there goes last."""
    last = card.people.chips[-1].geometry()
    return QPointF(last.right() + 3, last.center().y())


def type_into(edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    QTest.keyClicks(edit, text)


def build_follow_the_sun(dialog: RuleEditorDialog) -> None:
    """SPEC §8's follow-the-sun rule, people placed by drag and drop only."""
    type_into(dialog.name_edit, "Database")
    line = dialog.zone_picker.lineEdit()
    assert line is not None
    type_into(line, "UTC")
    for _ in range(3):
        dialog.add_layer_button.click()
    layers = (("Sydney", "Australia/Sydney", "olivia"), ("London", "Europe/London", "priya"))
    layers += (("New York", "America/New_York", "maria"), ("Backstop", "", "sam"))
    for card, (name, tz, person) in zip(dialog.cards, layers, strict=True):
        type_into(card.name, name)
        if tz:
            zone_line = card.zone.lineEdit()
            assert zone_line is not None
            type_into(zone_line, tz)
            card.windows.add.click()  # Monday–Friday 09:00–17:00 to start with
        assert drop(card.people, from_roster(dialog, person))


def schedule_json(capsys: pytest.CaptureFixture[str], start: datetime, end: datetime) -> dict[str, Any]:
    capsys.readouterr()
    args = [
        "schedule",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--rule",
        "database",
        "--json",
    ]
    assert cli.main(args) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def transitions_2027(tz_name: str) -> list[datetime]:
    tz, found = zone(tz_name), []
    t = datetime(2027, 1, 1, tzinfo=UTC)
    while t.year == 2027:
        if t.astimezone(tz).utcoffset() != (t + timedelta(hours=1)).astimezone(tz).utcoffset():
            found.append(t + timedelta(hours=1))
        t += timedelta(hours=1)
    return found


def expected_at(t: datetime) -> str:
    """Who SPEC §8's example has on call: the first member within 09:00–17:00 of a weekday at home."""
    for person, tz_name in ZONES.items():
        local = wall_clock(t, zone(tz_name))
        if local.weekday() < 5 and time(9) <= local.time() < time(17):
            return person
    return "sam"


def test_a_follow_the_sun_rule_built_by_drag_and_drop_is_on_call_in_each_members_own_hours_all_2027(
    window: MainWindow, dialog: RuleEditorDialog, capsys: pytest.CaptureFixture[str]
) -> None:
    build_follow_the_sun(dialog)
    assert dialog.errors() == []
    assert dialog.id_edit.text() == "database"
    dialog.save_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    # The whole edit is one command on the window's stack.
    assert window.undo_stack.count() == 1
    assert window.undo_stack.undoText() == "Add rule Database"
    stored = window.store.load_configuration().rule("database")
    assert stored is not None
    assert [(la.name, la.timezone, la.personnel, la.windows) for la in stored.layers] == [
        ("Sydney", "Australia/Sydney", ("olivia",), NINE_TO_FIVE),
        ("London", "Europe/London", ("priya",), NINE_TO_FIVE),
        ("New York", "America/New_York", ("maria",), NINE_TO_FIVE),
        ("Backstop", None, ("sam",), ()),
    ]
    changes = sorted(t for tz_name in ZONES.values() for t in transitions_2027(tz_name))
    assert len(changes) == 6  # both DST changes of each zone
    for change in changes:
        start, end = change - timedelta(days=4), change + timedelta(days=4)
        result = schedule_json(capsys, start, end)
        assert result["gaps"] == []
        intervals = [
            (i["person"], datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]), i["layer"])
            for i in result["intervals"]
        ]
        for person, begins, ends, layer in intervals:
            if person == "sam":
                assert layer == "Backstop"
                continue
            assert layer == {"olivia": "Sydney", "priya": "London", "maria": "New York"}[person]
            local_start, local_end = (
                wall_clock(begins, zone(ZONES[person])),
                wall_clock(ends, zone(ZONES[person])),
            )
            assert local_start.weekday() < 5, (person, begins)
            assert local_start.date() == local_end.date()
            assert time(9) <= local_start.time(), (person, begins)
            assert local_end.time() <= time(17), (person, ends)
        t = start
        while t < end:
            holders = [p for p, b, e, _ in intervals if b <= t < e]
            assert holders == [expected_at(t)], t
            t += timedelta(minutes=15)
    window.undo_stack.undo()
    assert window.store.load_configuration().rule("database") is None


def test_typing_400_in_a_wait_shows_its_limit_and_the_rule_is_not_saved(dialog: RuleEditorDialog) -> None:
    build_follow_the_sun(dialog)
    dialog.tabs.setCurrentIndex(1)
    dialog.ladder.add_level_button.click()
    card = dialog.ladder.cards[1]
    card.wait.lineEdit().selectAll()
    QTest.keyClicks(card.wait, "400")
    assert card.wait.value() == 400
    assert "✖ must be at most 360 minutes" in card.message_texts()
    assert dialog.tabs.tabText(1).startswith("Escalation (1 error")
    assert not dialog.save()
    assert dialog.status.text().startswith("Not saved: 1 error")
    assert any("must be at most 360 minutes" in line for line in dialog.errors())


def test_each_problem_sits_next_to_its_layer_field(dialog: RuleEditorDialog) -> None:
    build_follow_the_sun(dialog)
    london = dialog.cards[1]
    type_into(london.name, "Sydney")
    assert "✖ duplicate layer name 'Sydney' (also rules[0].layers[0])" in london.message_texts()
    assert london.messages["name"].isVisibleTo(london)
    type_into(london.name, "London")
    period = london.rotation.period
    period.setCurrentIndex(period.findData("weekly"))
    london.rotation.every.lineEdit().selectAll()
    QTest.keyClicks(london.rotation.every, "0")
    assert "✖ must be at least 1" in london.message_texts()
    assert london.messages["rotation"].isVisibleTo(london)
    assert london.property("state") == "error"
    QTest.keyClicks(london.rotation.every, "5000")
    assert london.rotation.every.value() == 5000
    assert "✖ must be at most 52 for a weekly rotation (a shift of at most a year)" in london.message_texts()
    zone_line = london.zone.lineEdit()
    assert zone_line is not None
    type_into(zone_line, "Mars/Olympus")
    assert any("unknown time zone 'Mars/Olympus'" in text for text in london.message_texts())


def test_layers_reorder_by_drag_and_by_keyboard_and_undo_steps_back(dialog: RuleEditorDialog) -> None:
    build_follow_the_sun(dialog)
    names = lambda: [layer.name for layer in dialog.draft.rule.layers]  # noqa: E731
    assert drop(dialog.cards[0], layer_mime(3))
    assert names() == ["Backstop", "Sydney", "London", "New York"]
    card: LayerCard = dialog.cards[0]
    card.setFocus()
    QTest.keyClick(card, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert names() == ["Sydney", "Backstop", "London", "New York"]
    QTest.keyClick(dialog, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert names() == ["Backstop", "Sydney", "London", "New York"]
    dialog.stack.undo()
    assert names() == ["Sydney", "London", "New York", "Backstop"]


def test_people_in_a_layer_are_ordered_chips_moved_by_drag_keyboard_or_menu(dialog: RuleEditorDialog) -> None:
    build_follow_the_sun(dialog)
    sydney = dialog.cards[0]
    people = sydney.people
    # A team is one chip; dropped before Olivia it takes the first slot of the rotation.
    assert drop(
        people, from_roster(dialog, "team:dba"), QPointF(people.chips[0].geometry().topLeft()) + QPointF(1, 4)
    )
    assert dialog.draft.rule.layers[0].personnel == ("team:dba", "olivia")
    assert [chip.name for chip in people.chips] == ["Team DBAs", "Olivia Brown"]
    # Dragging Olivia's chip from Sydney to London moves her.
    mime = QMimeData()
    mime.setData(TARGET_MIME, b"olivia")
    mime.setData(PERSON_SOURCE_MIME, b"0:1")
    assert drop(dialog.cards[1].people, mime, after_the_chips(dialog.cards[1]))
    assert dialog.draft.rule.layers[0].personnel == ("team:dba",)
    assert dialog.draft.rule.layers[1].personnel == ("priya", "olivia")
    london = dialog.cards[1].people
    london.chips[1].setFocus()
    QTest.keyClick(london.chips[1], Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert dialog.draft.rule.layers[1].personnel == ("olivia", "priya")
    QTest.keyClick(dialog.cards[1].people.chips[0], Qt.Key.Key_Delete)
    assert dialog.draft.rule.layers[1].personnel == ("priya",)
    menu = dialog.roster_menu("maria")
    add = next(a.menu() for a in menu.actions() if a.text() == "Add to layer")
    next(a for a in add.actions() if a.text() == "2. London").trigger()
    assert dialog.draft.rule.layers[1].personnel == ("priya", "maria")


def layer_mime(index: int) -> QMimeData:
    mime = QMimeData()
    mime.setData(LAYER_MIME, str(index).encode())
    return mime


def test_the_preview_shows_two_weeks_in_the_rules_and_each_persons_zone_with_gaps_hatched(
    dialog: RuleEditorDialog,
) -> None:
    build_follow_the_sun(dialog)
    dialog.cards[3].remove.click()  # no backstop: the hours nobody works are gaps
    dialog.preview.refresh()
    rows = dialog.preview.rows
    assert [(r.label, r.zone) for r in rows] == [
        ("All · UTC", "UTC"),
        ("Olivia Brown · Australia/Sydney", "Australia/Sydney"),
        ("Priya Raman · Europe/London", "Europe/London"),
        ("María González · America/New_York", "America/New_York"),
    ]
    assert dialog.preview.start == datetime(2027, 1, 4, tzinfo=UTC)
    assert dialog.preview.end - dialog.preview.start == timedelta(days=14)
    assert rows[0].gaps  # nights and weekends
    assert any(isinstance(item, Gap) for _rect, item in dialog.preview.blocks(0))
    # Priya's row holds only her shifts, each within her own working day.
    for interval in rows[2].intervals:
        assert interval.person == "priya"
        local = wall_clock(interval.start, zone("Europe/London"))
        assert local.weekday() < 5
        assert local.time() >= time(9)
    dialog.stack.undo()  # the backstop back: no gaps
    dialog.preview.refresh()
    assert dialog.preview.rows[0].gaps == ()


def test_cancel_asks_before_discarding_and_the_default_rule_keeps_its_fixed_fields(
    window: MainWindow, qtbot: QtBot
) -> None:
    dialog = window.edit_rule("default")
    qtbot.addWidget(dialog)
    assert not dialog.name_edit.isEnabled()
    assert not dialog.zone_picker.isEnabled()
    assert not dialog.windows.isEnabled()
    assert dialog.cards[0].isEnabled()
    assert drop(dialog.cards[0].people, from_roster(dialog, "priya"), after_the_chips(dialog.cards[0]))
    dialog.reject()
    assert dialog.discard_question is not None
    qtbot.waitUntil(lambda: dialog.discard_question is not None and dialog.discard_question.isVisible())
    dialog.discard_question.button(QMessageBox.StandardButton.Cancel).click()
    assert dialog.isVisible()
    dialog.save_button.click()
    assert window.store.load_configuration().rules[-1].layers[0].personnel == ("sam", "priya")
    assert window.undo_stack.undoText() == "Edit rule Default"


def test_enter_in_the_condition_field_adds_a_chip_and_does_not_save(dialog: RuleEditorDialog) -> None:
    build_follow_the_sun(dialog)
    dialog.match.edit.setFocus()
    QTest.keyClicks(dialog.match.edit, "service:db*")
    QTest.keyClick(dialog.match.edit, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.draft.rule.match.conditions == ("service:db*",)
    assert [chip.property("condition") for chip in dialog.match.chips] == ["service:db*"]
    dialog.match.chips[0].findChild(QToolButton).click()
    assert dialog.draft.rule.match.conditions == ()
