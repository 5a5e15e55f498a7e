"""The escalation ladder editor: level cards, a roster to drag from, and the live preview.

Widgets only push commands (`LadderCommands`); the `LadderModel` changes, and every card, the
preview and the checklist refresh from it. Every drag has a keyboard and context-menu twin:
roster "Add to level ▸", target "Move to level ▸", card "Move level up/down". The cards live in
`ladder_cards`; the rule editor embeds `LadderEditor` without its roster and checklist.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import Configuration, OnCallRule
from oncall_desktop.store import Store, StoreError
from oncall_desktop.validation import validate_configuration
from oncall_desktop.views.commands import Failed, StoreCommand
from oncall_desktop.views.editor_widgets import ERROR_COLOUR, WARNING_COLOUR, Roster
from oncall_desktop.views.ladder_cards import (
    ADD_PATH,
    CARD_STYLE,
    LadderProblem,
    LevelCard,
    place_problems,
    show_placed,
)
from oncall_desktop.views.ladder_model import Ladder, LadderCommands, LadderModel, target_label
from oncall_desktop.views.ladder_preview import DEBOUNCE_MS, LadderPreview


class LadderEditor(QWidget):
    """Ladder of level cards and live preview for one rule; standing alone, a roster to drag from
    and the configuration checklist too.

    `config` holds the rule being edited (the rule editor passes the configuration as it would be
    with its draft). Standing alone the editor validates itself; embedded, the rule editor calls
    `show_problems` with what it found for the whole rule.

    Signals:
        validated: the checklist was recomputed.
    """

    validated = Signal()

    def __init__(
        self,
        config: Configuration,
        rule: OnCallRule,
        stack: QUndoStack | None = None,
        parent: QWidget | None = None,
        *,
        standalone: bool = True,
        rule_index: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(CARD_STYLE)
        self.standalone = standalone
        self.config = config
        self.rule_index = _index_of(config, rule, rule_index)
        self.model = LadderModel(config, rule, self)
        self.stack = stack if stack is not None else QUndoStack(self)
        self.commands = LadderCommands(self.model, self.stack)
        self.problems: list[LadderProblem] = []
        self.cards: list[LevelCard] = []
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(DEBOUNCE_MS)
        self._validate_timer.timeout.connect(self.validate)

        self.ladder_message = QLabel()
        self.ladder_message.setWordWrap(True)
        self.ladder_message.hide()
        self.cards_box = QVBoxLayout()
        self.cards_box.setSpacing(8)
        self.add_level_button = QPushButton("+ Add level")
        self.add_level_button.clicked.connect(self.commands.add_level)
        cards_panel = QWidget()
        cards_layout = QVBoxLayout(cards_panel)
        cards_layout.addWidget(self.ladder_message)
        cards_layout.addLayout(self.cards_box)
        cards_layout.addWidget(self.add_level_button, 0, Qt.AlignmentFlag.AlignLeft)
        cards_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(cards_panel)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)

        self.checklist = QListWidget()
        self.checklist.setWordWrap(True)
        self.checklist.setMaximumHeight(130)
        self.checklist.itemActivated.connect(self._reveal)
        self.title = QLabel(f"<b>Escalation ladder of {rule.name}</b>")
        ladder_box = QVBoxLayout()
        ladder_box.addWidget(self.title)
        ladder_box.addWidget(self.scroll_area, 1)
        if standalone:
            ladder_box.addWidget(QLabel("Configuration checklist"))
            ladder_box.addWidget(self.checklist)
        ladder_panel = QWidget()
        ladder_panel.setLayout(ladder_box)

        self.preview = LadderPreview(config, self.model.edited_rule())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.roster: Roster | None = None
        if standalone:
            self.roster = Roster(config, "drag onto a level, or press Enter", self.roster_menu)
            roster_box = QVBoxLayout()
            roster_box.addWidget(QLabel("<b>People and teams</b>"))
            roster_hint = QLabel("Drag onto a level, or select and press Enter.")
            roster_hint.setWordWrap(True)
            roster_hint.setStyleSheet("color: #6b7380;")
            roster_box.addWidget(roster_hint)
            roster_box.addWidget(self.roster, 1)
            roster_panel = QWidget()
            roster_panel.setLayout(roster_box)
            splitter.addWidget(roster_panel)
        splitter.addWidget(ladder_panel)
        splitter.addWidget(self.preview)
        for index, stretch in enumerate((0, 3, 3) if standalone else (3, 3)):
            splitter.setStretchFactor(index, stretch)
        splitter.setSizes([190, 600, 600] if standalone else [560, 560])
        splitter.setChildrenCollapsible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.model.changed.connect(self._ladder_changed)
        self._sync_cards()
        if standalone:
            self.validate()
        self.preview.refresh()

    def roster_menu(self, target: str) -> QMenu:
        menu = QMenu(self)
        self.add_to_level_menu(menu, target)
        return menu

    def add_to_level_menu(self, menu: QMenu, target: str) -> None:
        """An "Add to level ▸" submenu for `target` (a person id or `team:<id>`) in `menu`."""
        add = menu.addMenu("Add to level")
        ladder = self.model.ladder
        for index in range(1, len(ladder)):
            action = add.addAction(f"Level {index} (T+{ladder[index].wait})")
            action.setEnabled(all(t.target != target for t in ladder[index].add))
            action.triggered.connect(lambda _checked=False, i=index: self.commands.add_target(i, target))
        if len(ladder) < 2:
            add.setEnabled(False)

    def set_rule(self, config: Configuration, rule: OnCallRule, rule_index: int | None = None) -> None:
        """The rule around the ladder changed (the rule editor): names, personnel, zone."""
        self.config = config
        self.rule_index = _index_of(config, rule, rule_index)
        people_before = self.model.level0_people()
        self.model.config = config
        self.model.rule = rule
        self.title.setText(f"<b>Escalation ladder of {rule.name or 'the new rule'}</b>")
        if self.model.level0_people() != people_before:
            self._sync_cards(rebuild=True)
        self.preview.set_rule(config, self.edited_rule())

    def edited_rule(self) -> OnCallRule:
        return self.model.edited_rule()

    def edited_configuration(self) -> Configuration:
        rules = list(self.config.rules)
        rules[self.rule_index] = self.edited_rule()
        return replace(self.config, rules=tuple(rules))

    def errors(self) -> list[LadderProblem]:
        return [p for p in self.problems if p.is_error]

    def stop(self) -> None:
        """Stop pending refreshes (the dialog is closing)."""
        self._validate_timer.stop()
        self.preview.stop()

    def _ladder_changed(self) -> None:
        self._sync_cards()
        self.preview.set_rule(self.config, self.edited_rule())
        if self.standalone:
            self._validate_timer.start()

    def _sync_cards(self, *, rebuild: bool = False) -> None:
        ladder = self.model.ladder
        if rebuild or len(self.cards) != len(ladder):
            for card in self.cards:
                self.cards_box.removeWidget(card)
                card.hide()
                card.deleteLater()
            self.cards = [LevelCard(self, i) for i in range(len(ladder))]
            for card in self.cards:
                self.cards_box.addWidget(card)
            if self.problems:
                self.show_problems(self.problems)
        for index, card in enumerate(self.cards):
            card.set_level(index, ladder)

    def validate(self) -> list[LadderProblem]:
        """Run the core validator on the configuration with the edited rule; show what it finds."""
        self._validate_timer.stop()
        found = validate_configuration(self.edited_configuration())
        self.show_problems(place_problems(found, self.rule_index))
        return self.problems

    def show_problems(self, problems: list[LadderProblem]) -> None:
        """Put each problem on its card and field (and, standing alone, in the checklist)."""
        self.problems = problems
        for index, card in enumerate(self.cards):
            card.show_problems([p for p in self.problems if p.level == index])
        over = [p for p in self.problems if p.level is None and p.field == ""]
        show_placed(self.ladder_message, over)
        if over:
            # The level limit names the ladder; the levels beyond it carry the message too.
            for card in self.cards[11:]:
                card.show_problems([replace(p, level=card.index, field="card") for p in over])
        if self.standalone:
            self.checklist.clear()
            for placed in self.problems:
                item = QListWidgetItem(self.describe(placed))
                item.setForeground(QColor(ERROR_COLOUR if placed.is_error else WARNING_COLOUR))
                item.setData(Qt.ItemDataRole.UserRole, placed.level)
                self.checklist.addItem(item)
            if not self.problems:
                self.checklist.addItem("✔ No problems: the ladder can be saved.")
        self.preview.set_caution(
            "The ladder has errors: this is what it would do, but it cannot be saved yet."
            if self.errors()
            else ""
        )
        self.validated.emit()

    def describe(self, placed: LadderProblem) -> str:
        mark = "✖ error" if placed.is_error else "⚠ warning"
        where = f"Level {placed.level}" if placed.level is not None else "Ladder"
        field = self._field_name(placed)
        return f"{mark}: {where}{' · ' + field if field else ''}: {placed.problem.reason}"

    def _field_name(self, placed: LadderProblem) -> str:
        """The field in the user's words: a target's name rather than `add[0].target`."""
        config = self.model.config
        add = ADD_PATH.match(placed.field)
        ladder = self.model.ladder
        if add is not None and placed.level is not None and placed.level < len(ladder):
            targets = ladder[placed.level].add
            position = int(add.group(1))
            if position < len(targets):
                return target_label(config, targets[position].target)
        if placed.field.startswith("channels."):
            return f"channels of {target_label(config, placed.field[len('channels.') :])}"
        return placed.field

    def _reveal(self, item: QListWidgetItem) -> None:
        level = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(level, int) and 0 <= level < len(self.cards):
            self.reveal_card(level)

    def reveal_card(self, index: int) -> None:
        card = self.cards[index]
        self.scroll_area.ensureWidgetVisible(card)
        field = next((p.field for p in self.errors() if p.level == index), "")
        focus: QWidget = card
        if field == "repeat":
            focus = card.repeat
        elif field == "wait":
            focus = card.wait
        focus.setFocus(Qt.FocusReason.OtherFocusReason)


def _index_of(config: Configuration, rule: OnCallRule, index: int | None) -> int:
    """Where `rule` is in `config` (given, or found by its id)."""
    if index is not None:
        return index
    return next(i for i, r in enumerate(config.rules) if r.id == rule.id)


class SaveLadder(StoreCommand):
    """A saved ladder, undoable from the main window: only the rule's escalation changes.

    The main window reloads whenever its undo stack moves, so the command itself refreshes nothing.
    """

    def __init__(
        self, store: Store, rule: OnCallRule, before: Ladder, after: Ladder, failed: Failed | None
    ) -> None:
        super().__init__(f"Edit escalation ladder of {rule.name}", store, lambda: None, failed)
        self.rule_id = rule.id
        self.before = before
        self.after = after

    def apply(self) -> None:
        self._save(self.after)

    def revert(self) -> None:
        self._save(self.before)

    def _save(self, ladder: Ladder) -> None:
        rule = self.store.load_configuration().rule(self.rule_id)
        if rule is None:
            raise StoreError(f"the rule {self.rule_id!r} no longer exists")
        self.store.save_rule(replace(rule, escalation=ladder))


class LadderEditorDialog(QDialog):
    """Edit one rule's ladder; Save validates with the core and stores the rule."""

    def __init__(
        self,
        store: Store,
        rule_id: str,
        undo_stack: QUndoStack | None = None,
        parent: QWidget | None = None,
        failed: Failed | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.main_stack = undo_stack
        self.failed = failed
        config = store.load_configuration()
        rule = config.rule(rule_id)
        if rule is None:
            raise ValueError(f"unknown rule {rule_id!r}")
        self.rule = rule
        self.discard_question: QMessageBox | None = None
        self.setWindowTitle(f"Escalation ladder — {rule.name}")
        self.editor = LadderEditor(config, rule, parent=self)
        stack = self.editor.stack
        undo = QPushButton("Undo")
        redo = QPushButton("Redo")
        undo.clicked.connect(stack.undo)
        redo.clicked.connect(stack.redo)
        stack.canUndoChanged.connect(undo.setEnabled)
        stack.canRedoChanged.connect(redo.setEnabled)
        undo.setEnabled(False)
        redo.setEnabled(False)
        stack.undoTextChanged.connect(lambda text: undo.setToolTip(f"Undo {text}"))
        stack.redoTextChanged.connect(lambda text: redo.setToolTip(f"Redo {text}"))
        for sequence, slot in (
            (QKeySequence.StandardKey.Undo, stack.undo),
            (QKeySequence.StandardKey.Redo, stack.redo),
        ):
            action = QAction(self)
            action.setShortcut(sequence)
            action.triggered.connect(slot)
            self.addAction(action)
        self.status = QLabel()
        self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(undo)
        buttons.addWidget(redo)
        buttons.addSpacing(12)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.resize(1400, 900)

    def save(self) -> bool:
        """Validate and store; refused (and the errors shown on their cards) while any error remains."""
        errors = [p for p in self.editor.validate() if p.is_error]
        if errors:
            count = len(errors)
            self.status.setText(f"Not saved: {count} error{'s' if count > 1 else ''} to fix (marked in red).")
            first = next((p.level for p in errors if p.level is not None), None)
            if first is not None and first < len(self.editor.cards):
                self.editor.reveal_card(first)
            return False
        after = self.editor.model.ladder
        if after != self.rule.escalation:
            refused: list[str] = []
            command = SaveLadder(self.store, self.rule, self.rule.escalation, after, refused.append)
            if self.main_stack is not None:
                self.main_stack.push(command)
            else:
                command.redo()
            if refused:
                self.status.setText(f"Not saved: {refused[0]}")
                return False
            # Undone or redone later from the main window: its failures are the window's to report.
            command.failed = self.failed
        self.accept()
        return True

    def reject(self) -> None:
        """Cancel; with unsaved edits, first ask whether to discard them."""
        if self.editor.model.ladder == self.rule.escalation or self.result() == QDialog.DialogCode.Accepted:
            super().reject()
            return
        ask = QMessageBox(
            QMessageBox.Icon.Question,
            "Discard changes?",
            f"Discard your changes to the escalation ladder of {self.rule.name}?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        ask.setDefaultButton(QMessageBox.StandardButton.Cancel)
        ask.button(QMessageBox.StandardButton.Cancel).setText("Keep editing")
        ask.finished.connect(
            lambda answer: (
                self.done(QDialog.DialogCode.Rejected)
                if answer == QMessageBox.StandardButton.Discard
                else None
            )
        )
        self.discard_question = ask
        ask.open()

    def done(self, result: int) -> None:
        self.editor.stop()
        super().done(result)
