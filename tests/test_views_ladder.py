"""The escalation ladder editor: drag and drop, undo, validation on save, and the live preview."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    MatchConditions,
    OnCallRule,
    Person,
    Rotation,
    Severity,
    Target,
    Team,
)
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from oncall_desktop.views.ladder_editor import LadderEditorDialog, LevelCard
from oncall_desktop.views.ladder_model import LEVEL_MIME, TARGET_MIME, TARGET_SOURCE_MIME
from oncall_desktop.views.ladder_preview import PreviewModel

pytestmark = pytest.mark.qt

SMS, VOICE, EMAIL = Channel.SMS, Channel.VOICE, Channel.EMAIL
# Monday 2026-03-16 09:00 Europe/Berlin (UTC+1): Alice's weekly shift takes over from Bob's.
HANDOFF = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 3, 11, 13, 0, tzinfo=UTC)

SEED_LADDER = (
    EscalationLevel(channels={"*": (SMS, EMAIL)}),
    EscalationLevel(wait=5, add=(Target("bob", (VOICE,)),)),
    EscalationLevel(wait=15, add=(Target("carol", (SMS,)),)),
    EscalationLevel(wait=30, repeat=10, add=(Target("dave", (EMAIL,)),)),
)


def seed_configuration() -> Configuration:
    """The SPEC's seed ladder (A / +B at T+5 / +C at T+15 / +D at T+30 repeating every 10)."""
    people = (
        Person("alice", "Alice Chen", "alice@example.com", "+14155550101"),
        Person("bob", "Bob Müller", "bob@example.com", "+4915112345678"),
        Person("carol", "Carol Diaz", "carol@example.com", "+14155550103"),
        Person("dave", "Dave Okafor", "dave@example.com"),
        Person("erin", "Erin Sato", "erin@example.com", "+81312345678"),
    )
    payments = OnCallRule(
        "payments",
        "Payments primary",
        "Europe/Berlin",
        match=MatchConditions("all", ("service:payments",)),
        layers=(
            Layer(personnel=("alice", "bob"), rotation=Rotation("weekly", 1, time(9, 0), date(2026, 1, 5))),
        ),
        escalation=SEED_LADDER,
    )
    default = OnCallRule(
        "default",
        "Default",
        "UTC",
        layers=(Layer(personnel=("erin",)),),
        escalation=(EscalationLevel(channels={"*": (EMAIL,)}),),
    )
    teams = (Team("leads", "Leads", ("erin", "carol")),)
    return Configuration(people=people, teams=teams, rules=(payments, default))


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    opened.replace_configuration(seed_configuration())
    yield opened
    opened.close()


@pytest.fixture
def dialog(qtbot: QtBot, store: Store) -> LadderEditorDialog:
    shown = LadderEditorDialog(store, "payments")
    qtbot.addWidget(shown)
    shown.editor.preview.set_start(WEDNESDAY)
    return shown


def ladder(dialog: LadderEditorDialog) -> tuple[EscalationLevel, ...]:
    return dialog.editor.model.ladder


def card(dialog: LadderEditorDialog, index: int) -> LevelCard:
    return dialog.editor.cards[index]


def drop(widget: LevelCard, mime: QMimeData) -> bool:
    """Drag `mime` into `widget` and drop it there, as Qt delivers a real drag; True if accepted."""
    pos = QPointF(20, 20)
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(pos.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, move)
    dropped = QDropEvent(pos, actions, mime, buttons, modifiers)
    QApplication.sendEvent(widget, dropped)
    return dropped.isAccepted()


def roster_mime(dialog: LadderEditorDialog, target: str) -> QMimeData:
    roster = dialog.editor.roster
    item = next(
        roster.item(i)
        for i in range(roster.count())
        if roster.item(i).data(Qt.ItemDataRole.UserRole) == target
    )
    return roster.mimeData([item])


def chip_mime(target: str, source: int) -> QMimeData:
    mime = QMimeData()
    mime.setData(TARGET_MIME, target.encode())
    mime.setData(TARGET_SOURCE_MIME, str(source).encode())
    return mime


def level_mime(index: int) -> QMimeData:
    mime = QMimeData()
    mime.setData(LEVEL_MIME, str(index).encode())
    return mime


def targets(dialog: LadderEditorDialog, index: int) -> list[str]:
    return [t.target for t in ladder(dialog)[index].add]


def action(menu: QMenu, *path: str) -> None:
    """Trigger the menu entry at `path` (submenu titles, then the entry's text prefix)."""
    for step in path[:-1]:
        sub = next(a.menu() for a in menu.actions() if a.text() == step)
        assert isinstance(sub, QMenu)
        menu = sub
    found = next(a for a in menu.actions() if a.text().startswith(path[-1]))
    assert found.isEnabled()
    found.trigger()


# -- drag and drop -------------------------------------------------------------------------------


def test_dropping_roster_people_and_teams_on_a_level_adds_them(dialog: LadderEditorDialog) -> None:
    assert drop(card(dialog, 2), roster_mime(dialog, "erin"))
    assert drop(card(dialog, 3), roster_mime(dialog, "team:leads"))

    assert ladder(dialog)[2].add == (Target("carol", (SMS,)), Target("erin", (SMS, EMAIL)))
    assert targets(dialog, 3) == ["dave", "team:leads"]
    assert [chip.name for chip in card(dialog, 3).chips] == ["Dave Okafor", "Team Leads"]


def test_level_zero_takes_no_drops_and_a_target_is_not_added_twice(dialog: LadderEditorDialog) -> None:
    assert not drop(card(dialog, 0), roster_mime(dialog, "erin"))
    drop(card(dialog, 1), roster_mime(dialog, "bob"))

    assert ladder(dialog) == SEED_LADDER
    assert dialog.editor.stack.count() == 0


def test_dragging_a_target_to_another_level_moves_it_with_its_channels(dialog: LadderEditorDialog) -> None:
    assert drop(card(dialog, 3), chip_mime("bob", 1))

    assert targets(dialog, 1) == []
    assert ladder(dialog)[3].add == (Target("dave", (EMAIL,)), Target("bob", (VOICE,)))
    assert card(dialog, 1).hint.isVisibleTo(dialog)


def test_dragging_a_level_card_reorders_and_the_waits_are_checked_again(
    qtbot: QtBot, dialog: LadderEditorDialog
) -> None:
    assert drop(card(dialog, 1), level_mime(3))

    assert ladder(dialog) == (SEED_LADDER[0], SEED_LADDER[3], SEED_LADDER[1], SEED_LADDER[2])
    qtbot.waitUntil(lambda: bool(card(dialog, 2).message_texts()))
    assert (
        "✖ must be greater than 30, the wait of level 1 (waits increase)" in card(dialog, 2).message_texts()
    )
    assert card(dialog, 2).property("state") == "error"


# -- keyboard and context menus ------------------------------------------------------------------


def test_every_drag_has_a_context_menu_or_keyboard_twin(dialog: LadderEditorDialog) -> None:
    roster = dialog.editor.roster
    erin = next(roster.item(i) for i in range(roster.count()) if roster.item(i).text() == "Erin Sato")
    action(roster.context_menu(erin), "Add to level", "Level 2 (T+15)")
    assert targets(dialog, 2) == ["carol", "erin"]

    action(card(dialog, 2).chips[0].context_menu(), "Move to level", "Level 1 (T+5)")
    assert targets(dialog, 1) == ["bob", "carol"]
    assert targets(dialog, 2) == ["erin"]

    action(card(dialog, 3).context_menu(), "Add to this level", "Team Leads")
    assert targets(dialog, 3) == ["dave", "team:leads"]

    card(dialog, 3).setFocus()
    QTest.keyClick(card(dialog, 3), Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert [level.wait for level in ladder(dialog)] == [0, 5, 30, 15]
    action(card(dialog, 2).context_menu(), "Move level down")
    assert [level.wait for level in ladder(dialog)] == [0, 5, 15, 30]

    chip = card(dialog, 3).chips[1]
    chip.setFocus()
    QTest.keyClick(chip, Qt.Key.Key_Delete)
    assert targets(dialog, 3) == ["dave"]


# -- undo ----------------------------------------------------------------------------------------


def test_undo_and_redo_restore_the_exact_ladder_after_every_kind_of_edit(dialog: LadderEditorDialog) -> None:
    stack = dialog.editor.stack
    states = [ladder(dialog)]
    edits = [
        lambda: drop(card(dialog, 2), roster_mime(dialog, "team:leads")),
        lambda: drop(card(dialog, 3), chip_mime("bob", 1)),
        lambda: card(dialog, 3).severities[Severity.P4].click(),
        lambda: card(dialog, 3).chips[0].toggles.buttons[VOICE].click(),
        lambda: card(dialog, 0).everyone.buttons[VOICE].click() if card(dialog, 0).everyone else None,
        lambda: card(dialog, 0).people[1].own.click(),
        lambda: card(dialog, 2).repeat.setValue(7),
        lambda: dialog.editor.add_level_button.click(),
        lambda: drop(card(dialog, 1), level_mime(2)),
        lambda: card(dialog, 1).remove.click(),
    ]
    for edit in edits:
        edit()
        assert ladder(dialog) != states[-1]
        states.append(ladder(dialog))
    assert stack.count() == len(edits)

    for expected in reversed(states[:-1]):
        stack.undo()
        assert ladder(dialog) == expected
    assert ladder(dialog) == SEED_LADDER
    for expected in states[1:]:
        stack.redo()
        assert ladder(dialog) == expected


def test_consecutive_spin_box_edits_merge_into_one_undo_step(dialog: LadderEditorDialog) -> None:
    wait = card(dialog, 2).wait
    for value in (16, 17, 18, 19, 20):
        wait.setValue(value)
    card(dialog, 2).repeat.setValue(3)
    card(dialog, 2).repeat.setValue(4)

    stack = dialog.editor.stack
    assert stack.count() == 2
    assert stack.text(0) == "Set level 2 to T+20"
    stack.undo()
    assert ladder(dialog)[2].repeat is None
    stack.undo()
    assert ladder(dialog) == SEED_LADDER
    assert card(dialog, 2).wait.value() == 15


# -- validation and saving -----------------------------------------------------------------------


def saved_ladder(store: Store) -> tuple[EscalationLevel, ...]:
    rule = store.load_configuration().rule("payments")
    assert rule is not None
    return rule.escalation


def test_a_repeat_not_shorter_than_the_gap_to_the_next_level_is_shown_on_its_card_and_not_saved(
    dialog: LadderEditorDialog, store: Store
) -> None:
    card(dialog, 1).repeat.setValue(10)

    assert not dialog.save()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert card(dialog, 1).message_texts() == ["✖ must be less than 10, the wait to level 2"]
    assert card(dialog, 1).repeat.property("state") == "error"
    assert card(dialog, 1).repeat_message.isVisibleTo(dialog)
    assert card(dialog, 2).message_texts() == []
    assert "Not saved" in dialog.status.text()
    assert dialog.editor.preview.caution.isVisibleTo(dialog)
    assert saved_ladder(store) == SEED_LADDER


def test_a_wait_that_does_not_increase_is_shown_on_its_card_and_not_saved(
    dialog: LadderEditorDialog, store: Store
) -> None:
    card(dialog, 2).wait.setValue(5)

    assert not dialog.save()
    assert card(dialog, 2).message_texts() == [
        "✖ must be greater than 5, the wait of level 1 (waits increase)"
    ]
    assert card(dialog, 2).wait.property("state") == "error"
    assert card(dialog, 1).message_texts() == []
    assert saved_ladder(store) == SEED_LADDER


def test_more_than_ten_levels_is_refused_on_the_level_beyond_the_limit(
    dialog: LadderEditorDialog, store: Store
) -> None:
    for _ in range(8):
        dialog.editor.add_level_button.click()

    assert len(ladder(dialog)) == 12
    assert not dialog.save()
    message = "✖ at most 10 levels after level 0 (found 11)"
    assert card(dialog, 11).message_texts() == [message]
    assert card(dialog, 10).message_texts() == []
    assert saved_ladder(store) == SEED_LADDER

    card(dialog, 11).remove.click()
    assert dialog.save()
    assert len(saved_ladder(store)) == 11


def test_warnings_are_listed_as_the_checklist_and_do_not_block_saving(
    qtbot: QtBot, dialog: LadderEditorDialog, store: Store
) -> None:
    card(dialog, 3).chips[0].toggles.buttons[SMS].click()
    card(dialog, 3).repeat.setValue(0)
    qtbot.waitUntil(lambda: dialog.editor.checklist.count() == 2)

    lines = [dialog.editor.checklist.item(i).text() for i in range(2)]
    assert lines == [
        "⚠ warning: Level 3 · Dave Okafor: dave has no phone or oncall_phone for sms",
        "⚠ warning: Level 3 · repeat: the last level has no repeat: nobody is notified again after it",
    ]
    assert card(dialog, 3).property("state") == "warning"
    assert dialog.save()
    assert saved_ladder(store)[3] == replace(SEED_LADDER[3], repeat=None, add=(Target("dave", (SMS, EMAIL)),))


def test_a_saved_ladder_is_one_undoable_step_on_the_main_window_stack(qtbot: QtBot, store: Store) -> None:
    main_stack = QUndoStack()
    editing = LadderEditorDialog(store, "payments", undo_stack=main_stack)
    qtbot.addWidget(editing)
    drop(editing.editor.cards[1], roster_mime(editing, "erin"))
    editing.editor.cards[3].repeat.setValue(12)
    assert editing.save()
    edited = editing.editor.model.ladder

    assert main_stack.count() == 1
    assert main_stack.text(0) == "Edit escalation ladder of Payments primary"
    assert saved_ladder(store) == edited
    main_stack.undo()
    assert saved_ladder(store) == SEED_LADDER
    main_stack.redo()
    assert saved_ladder(store) == edited


def test_saving_a_ladder_whose_rule_was_deleted_meanwhile_says_so(qtbot: QtBot, store: Store) -> None:
    main_stack = QUndoStack()
    editing = LadderEditorDialog(store, "payments", undo_stack=main_stack)
    qtbot.addWidget(editing)
    editing.editor.cards[3].repeat.setValue(12)
    store.delete_rule("payments")

    assert not editing.save()
    assert editing.status.text() == "Not saved: the rule 'payments' no longer exists"
    assert main_stack.count() == 0


def test_undoing_a_ladder_whose_rule_was_deleted_meanwhile_reports_it(qtbot: QtBot, store: Store) -> None:
    main_stack = QUndoStack()
    reasons: list[str] = []
    editing = LadderEditorDialog(store, "payments", undo_stack=main_stack, failed=reasons.append)
    qtbot.addWidget(editing)
    editing.editor.cards[3].repeat.setValue(12)
    assert editing.save()
    store.delete_rule("payments")

    main_stack.undo()
    assert reasons == ["the rule 'payments' no longer exists"]
    main_stack.redo()
    assert reasons == ["the rule 'payments' no longer exists"] * 2
    assert store.load_configuration().rule("payments") is None


# -- the live preview ----------------------------------------------------------------------------


def shown_rows(dialog: LadderEditorDialog) -> list[tuple[object, ...]]:
    model = dialog.editor.preview.model
    return [
        (n.at, n.person, n.channel, n.level, n.rule, n.repeat, n.handover)
        for row in model.rows
        for n in row.notifications()
    ]


def simulated(
    config: Configuration, start: datetime, severity: Severity, hours: int
) -> list[tuple[object, ...]]:
    """What `simulate` computes for an incident tagged for the payments rule."""
    facts = IncidentFacts(start, severity, ("service:payments",))
    notes = plan(Schedules(config), facts, until=start + timedelta(hours=hours))
    return [(n.at, n.person, n.channel, n.level, n.rule, n.repeat, n.handover) for n in notes]


def test_the_preview_equals_the_planner_and_follows_every_edit(
    qtbot: QtBot, dialog: LadderEditorDialog
) -> None:
    preview = dialog.editor.preview
    with qtbot.waitSignal(preview.refreshed):
        preview.set_severity(Severity.P1)
    expected = simulated(seed_configuration(), WEDNESDAY, Severity.P1, 2)
    assert shown_rows(dialog) == expected
    # Bob is on call this week: SMS + email at T+0; +Bob's voice at T+5; ...; T+30, 40, ..., 110.
    assert sorted({row[0] - WEDNESDAY for row in expected}) == [
        timedelta(minutes=m) for m in (0, 5, 15, 30, 40, 50, 60, 70, 80, 90, 100, 110)
    ]
    model = preview.model
    assert model.data(model.index(0, 0)) == "T+0"
    assert model.data(model.index(0, 2)) == "Bob Müller"
    assert model.data(model.index(0, 3)) == "SMS + Email"

    with qtbot.waitSignal(preview.refreshed):
        drop(card(dialog, 1), roster_mime(dialog, "erin"))
    edited = dialog.editor.edited_configuration()
    assert shown_rows(dialog) == simulated(edited, WEDNESDAY, Severity.P1, 2)
    assert (WEDNESDAY + timedelta(minutes=5), "erin", EMAIL, 1, "payments", 0, False) in shown_rows(dialog)


def test_the_preview_shows_the_handover_when_the_start_is_near_a_shift_change(
    qtbot: QtBot, dialog: LadderEditorDialog
) -> None:
    preview = dialog.editor.preview
    preview.set_start(HANDOFF - timedelta(hours=2))
    with qtbot.waitSignal(preview.refreshed):
        preview.near_handover.click()

    start = HANDOFF - timedelta(minutes=10)
    assert preview.start() == start
    assert shown_rows(dialog) == simulated(seed_configuration(), start, Severity.P0, 2)
    handovers = [row for row in preview.model.rows if row.handover]
    assert [(r.at, r.person, r.channels) for r in handovers] == [(HANDOFF, "alice", (EMAIL, SMS))]
    assert "Shift change at T+10: Alice Chen takes over." in preview.summary.text()


def test_the_default_rules_preview_equals_the_planner_for_an_untagged_incident(
    qtbot: QtBot, store: Store
) -> None:
    editing = LadderEditorDialog(store, "default")
    qtbot.addWidget(editing)
    preview = editing.editor.preview
    preview.set_start(WEDNESDAY)
    preview.refresh()

    facts = IncidentFacts(WEDNESDAY, Severity.P0)
    notes = plan(Schedules(seed_configuration()), facts, until=WEDNESDAY + timedelta(hours=2))
    assert shown_rows(editing) == [
        (n.at, n.person, n.channel, n.level, n.rule, n.repeat, n.handover) for n in notes
    ]
    assert [(n.person, n.channel) for n in notes] == [("erin", EMAIL)]


def test_the_start_is_a_wall_time_in_the_chosen_zone(qtbot: QtBot, dialog: LadderEditorDialog) -> None:
    preview = dialog.editor.preview
    preview.set_start(HANDOFF)
    assert preview.start_edit.time().hour() == 9
    # As a user typing a zone and leaving the field (typing would open the completer's popup).
    preview.zone.lineEdit().setText("America/New_York")
    preview.zone.lineEdit().editingFinished.emit()
    assert preview.start() == HANDOFF
    assert preview.start_edit.time().hour() == 4


def test_the_preview_model_is_a_well_behaved_table(qtmodeltester: object, dialog: LadderEditorDialog) -> None:
    dialog.editor.preview.refresh()
    model: PreviewModel = dialog.editor.preview.model
    assert model.rowCount() > 0
    qtmodeltester.check(model)  # type: ignore[attr-defined]


# Showing the question box on the offscreen platform logs this harmless warning.
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_cancel_asks_before_discarding_edits_and_closing_stops_the_timers(
    qtbot: QtBot, dialog: LadderEditorDialog, store: Store
) -> None:
    card(dialog, 2).repeat.setValue(3)
    assert dialog.editor.preview._timer.isActive()

    with qtbot.assertNotEmitted(dialog.finished):
        dialog.reject()
        question = dialog.discard_question
        assert question is not None
        assert "Discard your changes" in question.text()
        question.button(QMessageBox.StandardButton.Cancel).click()
    assert ladder(dialog)[2].repeat == 3

    with qtbot.waitSignal(dialog.rejected):
        dialog.reject()
        dialog.discard_question.button(QMessageBox.StandardButton.Discard).click()
    assert not dialog.editor.preview._timer.isActive()
    assert not dialog.editor._validate_timer.isActive()
    assert saved_ladder(store) == SEED_LADDER


def test_the_checklist_warns_when_level_0_leaves_severities_or_a_level_reaches_nobody(
    qtbot: QtBot, dialog: LadderEditorDialog, store: Store
) -> None:
    """SPEC §9 (issue 13): such a ladder used to say "No problems" while it paged nobody."""
    for index in (3, 2, 1, 0):  # top down, so each level stays a subset of the one below
        for severity in (Severity.P2, Severity.P3, Severity.P4):
            card(dialog, index).severities[severity].click()
    dave = card(dialog, 3).chips[0].toggles.buttons
    dave[SMS].click()
    dave[EMAIL].click()  # Dave has no phone: by SMS alone level 3 reaches nobody new
    dialog.editor.validate()
    lines = [dialog.editor.checklist.item(i).text() for i in range(dialog.editor.checklist.count())]
    assert "⚠ warning: Level 0 · severities: P2, P3, P4 incidents routed here notify nobody" in lines
    assert any(
        "Level 3" in line and "adds nobody who can be notified: dave has no address for sms" in line
        for line in lines
    ), lines
    assert not any("No problems" in line for line in lines)
    assert not dialog.editor.errors()
