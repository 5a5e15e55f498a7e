"""The rule editor: one dialog for a whole rule, its layers and its escalation ladder (issue 13).

Left, the people and teams to drag onto a layer or a level. The "Schedule" tab holds the rule's own
fields (name, zone, effective span, weekly windows, match conditions as chips) and its layers as
cards, highest priority first; the "Escalation" tab embeds the ladder editor. Below both, a live
preview of the next two weeks and one checklist of everything the core validator finds; each
finding also sits next to its field. Edits are undoable within the dialog (Ctrl+Z); Save gives
`rule()`, which the window stores as one undoable command.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import DEFAULT_RULE_ID, Configuration, Layer, OnCallRule
from oncall_desktop.timeutil import system_zone_name
from oncall_desktop.validation import Problem, validate_configuration
from oncall_desktop.views.editor_widgets import (
    ERROR_COLOUR,
    WARNING_COLOUR,
    Roster,
    message_label,
    show_messages,
)
from oncall_desktop.views.ladder_cards import place_problems
from oncall_desktop.views.ladder_editor import LadderEditor
from oncall_desktop.views.layer_cards import CARD_STYLE, LayerCard
from oncall_desktop.views.rule_fields import FIELD_STYLE, ConditionChips, SpanRow, WindowRows
from oncall_desktop.views.rule_model import RuleCommands, RuleDraft
from oncall_desktop.views.schedule_strip import SchedulePreview
from oncall_desktop.views.zone_picker import ZonePicker

RULE_FIELDS = ("id", "name", "timezone", "effective", "windows", "match", "combine", "layers")
_LAYER_PATH = re.compile(r"layers\[(\d+)\](?:\.([a-z_]+))?")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class PlacedProblem:
    """A finding about the edited rule and where it shows: a rule field, a layer's field, or the ladder."""

    problem: Problem
    layer: int | None
    field: str

    @property
    def is_error(self) -> bool:
        return self.problem.level == "error"


def place(problems: list[Problem], rule_index: int) -> list[PlacedProblem]:
    """The findings about `rules[rule_index]` outside its ladder, each on its field.

    A rule written in v1's short form names its one layer's fields at the rule (`rules[i].personnel`,
    `rules[i].rotation.every`); those go to the first layer's card.
    """
    prefix = f"rules[{rule_index}]"
    placed = []
    for problem in problems:
        if problem.path != prefix and not problem.path.startswith((prefix + ".", prefix + "[")):
            continue
        rest = problem.path[len(prefix) :].lstrip(".")
        if rest.startswith("escalation"):
            continue
        layer = _LAYER_PATH.match(rest)
        head = re.split(r"[.\[]", rest)[0]
        if layer is not None:
            placed.append(PlacedProblem(problem, int(layer.group(1)), layer.group(2) or "card"))
        elif head in ("personnel", "rotation"):
            placed.append(PlacedProblem(problem, 0, head))
        else:
            placed.append(PlacedProblem(problem, None, head if head in RULE_FIELDS else "rule"))
    return placed


def slug(name: str) -> str:
    """An id from a name: `Database (EU)` → `database-eu`."""
    return _SLUG.sub("-", name.lower()).strip("-")


class RuleEditorDialog(QDialog):
    """The whole rule in one dialog; `rule()` is the rule as edited.

    `config` is the stored configuration; `rule` None starts a new rule.
    """

    def __init__(
        self,
        config: Configuration,
        rule: OnCallRule | None,
        parent: QWidget | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.original = rule
        self.now = now or (lambda: datetime.now(UTC))
        self.discard_question: QMessageBox | None = None
        self.setWindowTitle("New rule" if rule is None else f"Edit rule — {rule.name}")
        self.setStyleSheet(CARD_STYLE + FIELD_STYLE)
        base = rule or OnCallRule(id="", name="", timezone=system_zone_name(), layers=(Layer(),))
        self._id_follows_name = rule is None
        self._save_tried = False
        self.stack = QUndoStack(self)
        self.draft = RuleDraft(base, self)
        self.commands = RuleCommands(self.draft, self.stack, config)
        self.problems: list[PlacedProblem] = []
        self.cards: list[LayerCard] = []
        edited, index = self._edited(base)
        self.ladder = LadderEditor(edited, base, self.stack, standalone=False, rule_index=index)
        self.ladder_note = QLabel()
        self.ladder_note.setWordWrap(True)
        self.ladder_note.setStyleSheet(f"color: {WARNING_COLOUR};")

        self.roster = Roster(config, "drag onto a layer or a level, or press Enter", self.roster_menu)
        roster_panel = QWidget()
        roster_box = QVBoxLayout(roster_panel)
        roster_box.setContentsMargins(0, 0, 0, 0)
        roster_box.addWidget(QLabel("<b>People and teams</b>"))
        hint = QLabel("Drag onto a layer or a level, or select and press Enter.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #6b7380;")
        roster_box.addWidget(hint)
        roster_box.addWidget(self.roster, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._schedule_tab(base), "Schedule")
        escalation = QWidget()
        escalation_box = QVBoxLayout(escalation)
        escalation_box.addWidget(self.ladder_note)
        escalation_box.addWidget(self.ladder, 1)
        self.tabs.addTab(escalation, "Escalation")

        self.preview = SchedulePreview(self.now)
        preview_area = QScrollArea()
        preview_area.setWidgetResizable(True)
        preview_area.setWidget(self.preview)
        preview_area.setFrameShape(QFrame.Shape.StyledPanel)
        preview_area.setMinimumHeight(3 * 26 + 24)
        self.checklist = QListWidget()
        self.checklist.setWordWrap(True)
        self.checklist.setMinimumHeight(44)
        self.checklist.itemActivated.connect(self._reveal)
        self.checklist.setAccessibleName("Checklist of the rule's problems")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(roster_panel)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([200, 1180])
        splitter.setChildrenCollapsible(False)

        undo, redo = QPushButton("Undo"), QPushButton("Redo")
        undo.clicked.connect(self.stack.undo)
        redo.clicked.connect(self.stack.redo)
        self.stack.canUndoChanged.connect(undo.setEnabled)
        self.stack.canRedoChanged.connect(redo.setEnabled)
        undo.setEnabled(False)
        redo.setEnabled(False)
        self.stack.undoTextChanged.connect(lambda text: undo.setToolTip(f"Undo {text}"))
        self.stack.redoTextChanged.connect(lambda text: redo.setToolTip(f"Redo {text}"))
        for sequence, slot in (
            (QKeySequence.StandardKey.Undo, self.stack.undo),
            (QKeySequence.StandardKey.Redo, self.stack.redo),
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

        below = QWidget()
        below_box = QVBoxLayout(below)
        below_box.setContentsMargins(0, 0, 0, 0)
        below_box.addWidget(
            QLabel(
                "<b>Preview</b> — the final schedule of this rule as drafted "
                "(shaded: night in the row's zone; hatched: nobody on call)"
            )
        )
        below_box.addWidget(preview_area, 3)
        below_box.addWidget(QLabel("<b>Checklist</b>"))
        below_box.addWidget(self.checklist, 1)
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(splitter)
        vertical.addWidget(below)
        vertical.setStretchFactor(0, 1)
        vertical.setSizes([560, 300])
        vertical.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(vertical, 1)
        layout.addLayout(buttons)
        self.resize(1400, 900)

        self.draft.changed.connect(self._draft_changed)
        self.ladder.model.changed.connect(self._revalidate)
        self._draft_changed()
        self._initial = self.rule()
        (self.name_edit if not base.is_default else self.cards[0].name).setFocus(
            Qt.FocusReason.OtherFocusReason
        )

    # -- building ----------------------------------------------------------------------------------

    def _schedule_tab(self, base: OnCallRule) -> QWidget:
        commands = self.commands
        self.messages = {key: message_label() for key in (*RULE_FIELDS, "rule")}
        self.name_edit = QLineEdit(base.name)
        self.name_edit.setPlaceholderText("What the team calls it (e.g. Database)")
        self.name_edit.textEdited.connect(self._name_typed)
        self.id_edit = QLineEdit(base.id)
        self.id_edit.setReadOnly(self.original is not None)
        self.id_edit.setPlaceholderText("made from the name")
        self.id_edit.setToolTip(
            "The rule's id in config files and on the command line; it cannot change later"
        )
        self.id_edit.textEdited.connect(self._id_typed)
        self.zone_picker = ZonePicker(include_local=False)
        self.zone_picker.set_zone(base.timezone)
        self.zone_picker.setToolTip("The rule's windows and effective span are wall-clock times in this zone")
        self.zone_picker.currentTextChanged.connect(lambda text: commands.set_zone(text.strip()))
        self.effective = SpanRow("the rule", self.now)
        self.effective.span_changed.connect(lambda s, e: commands.set_effective(None, s, e))
        self.windows = WindowRows("on duty all day, every day")
        self.windows.windows_changed.connect(lambda w, typed: commands.set_windows(None, w, typed))
        self.match = ConditionChips()
        self.match.added.connect(commands.add_condition)
        self.match.removed.connect(commands.remove_condition)
        self.match.mode_changed.connect(commands.set_match_mode)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        name_row = QHBoxLayout()
        name_row.setSpacing(6)
        name_row.addWidget(self.name_edit, 3)
        name_row.addSpacing(8)
        name_row.addWidget(QLabel("Id"))
        name_row.addWidget(self.id_edit, 2)
        name_row.addSpacing(8)
        name_row.addWidget(QLabel("Time zone"))
        name_row.addWidget(self.zone_picker, 3)
        form.addRow("Name", self._with_messages(name_row, "name", "id", "timezone"))
        form.addRow("Effective", self._with_messages(self.effective, "effective"))
        form.addRow("On duty", self._with_messages(self.windows, "windows"))
        form.addRow("Match", self._with_messages(self.match, "match"))
        self.fixed: tuple[QWidget, ...] = (
            self.name_edit,
            self.id_edit,
            self.zone_picker,
            self.effective,
            self.windows,
            self.match,
        )
        if base.is_default:
            for widget in self.fixed:
                widget.setEnabled(False)
            form.addRow(
                "",
                QLabel(
                    "The default rule catches what no other rule takes: only its layers and ladder change."
                ),
            )

        self.first = QRadioButton("the first layer with someone on call (priority, top first)")
        self.union = QRadioButton("everyone any layer has on call, together")
        self.combine_group = QButtonGroup(self)
        for button in (self.first, self.union):
            self.combine_group.addButton(button)
        self.first.clicked.connect(lambda: commands.set_combine("first"))
        self.union.clicked.connect(lambda: commands.set_combine("all"))
        self.combine_row = QWidget()
        combine = QHBoxLayout(self.combine_row)
        combine.setContentsMargins(0, 0, 0, 0)
        combine.addWidget(QLabel("On call:"))
        combine.addWidget(self.first)
        combine.addWidget(self.union)
        combine.addStretch(1)
        self.cards_box = QVBoxLayout()
        self.cards_box.setSpacing(8)
        self.add_layer_button = QPushButton("+ Add layer")
        self.add_layer_button.setToolTip(
            "Add a layer below the others (lowest priority): a weekend, a region, a backstop"
        )
        self.add_layer_button.clicked.connect(commands.add_layer)

        content = QWidget()
        column = QVBoxLayout(content)
        column.addLayout(form)
        column.addWidget(self.messages["rule"])
        title = QLabel("<b>Layers</b> — where the people on call come from; each in its own zone")
        column.addWidget(title)
        column.addWidget(self.combine_row)
        column.addWidget(self.messages["combine"])
        column.addWidget(self.messages["layers"])
        column.addLayout(self.cards_box)
        column.addWidget(self.add_layer_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(content)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        return self.scroll_area

    def _with_messages(self, field: QWidget | QHBoxLayout, *keys: str) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        if isinstance(field, QHBoxLayout):
            column.addLayout(field)
        else:
            column.addWidget(field)
        for key in keys:
            column.addWidget(self.messages[key])
        return box

    def roster_menu(self, target: str) -> QMenu:
        menu = QMenu(self)
        add = menu.addMenu("Add to layer")
        for index, layer in enumerate(self.draft.rule.layers):
            action = add.addAction(f"{index + 1}. {layer.name or 'the rule’s people'}")
            action.triggered.connect(lambda _checked=False, i=index: self.commands.add_person(i, target))
        self.ladder.add_to_level_menu(menu, target)
        return menu

    # -- the draft ---------------------------------------------------------------------------------

    def _name_typed(self, text: str) -> None:
        if self._id_follows_name:
            self.commands.set_name_and_id(text, slug(text))
        else:
            self.commands.set_name(text)

    def _id_typed(self, text: str) -> None:
        self._id_follows_name = False
        self.commands.set_id(text.strip())

    def _edited(self, rule: OnCallRule) -> tuple[Configuration, int]:
        """The configuration as it would be with `rule` saved, and the rule's index in it."""
        rules = list(self.config.rules)
        if self.original is not None:
            index = next(i for i, r in enumerate(rules) if r.id == self.original.id)
            rules[index] = rule
        else:
            index = len(rules) - 1 if rules and rules[-1].is_default else len(rules)
            rules.insert(index, rule)
        return replace(self.config, rules=tuple(rules)), index

    def rule(self) -> OnCallRule:
        """The rule as edited: the draft with the ladder (none while nobody is in a layer)."""
        draft = self.draft.rule
        return replace(draft, escalation=self.ladder.model.ladder if draft.has_personnel else ())

    def card_of(self, index: int) -> LayerCard:
        return self.cards[index]

    def _draft_changed(self) -> None:
        rule = self.draft.rule
        self._set_fields(rule)
        self._sync_cards(rule)
        edited, index = self._edited(rule)
        self.ladder.set_rule(edited, rule, index)
        self._order_focus()
        self._revalidate()

    def _order_focus(self) -> None:
        """Tab goes through the fields as they are seen (cards and rows are made as they are needed)."""
        chain: list[QWidget] = [self.name_edit, self.id_edit, self.zone_picker, *self.effective.focus_chain()]
        chain += [*self.windows.focus_chain(), self.match.mode, self.match.edit, self.first, self.union]
        for card in self.cards:
            chain += card.focus_chain()
        chain.append(self.add_layer_button)
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _set_fields(self, rule: OnCallRule) -> None:
        if self.name_edit.text() != rule.name:
            self.name_edit.setText(rule.name)
        if self.id_edit.text() != rule.id:
            self.id_edit.setText(rule.id)
        if self.zone_picker.current_zone() != rule.timezone:
            self.zone_picker.set_zone(rule.timezone)
        self.effective.set_span(rule.effective_start, rule.effective_end)
        self.windows.set_windows(rule.windows)
        self.match.set_conditions(rule.match.mode, rule.match.conditions)
        for button, on in ((self.first, rule.combine == "first"), (self.union, rule.combine == "all")):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        self.combine_row.setVisible(len(rule.layers) > 1 or rule.combine != "first")
        if rule.has_personnel:
            self.ladder_note.hide()
        else:
            self.ladder_note.setText(
                "Nobody is in a layer yet: a rule without people has no ladder. "
                "Add people on the Schedule tab first."
            )
            self.ladder_note.show()
        self.ladder.setEnabled(rule.has_personnel)

    def _sync_cards(self, rule: OnCallRule) -> None:
        if len(self.cards) != len(rule.layers):
            for card in self.cards:
                self.cards_box.removeWidget(card)
                card.hide()
                card.deleteLater()
            self.cards = [LayerCard(self, i) for i in range(len(rule.layers))]
            for card in self.cards:
                self.cards_box.addWidget(card)
        for index, card in enumerate(self.cards):
            card.set_layer(index, rule.layers[index])

    # -- validation --------------------------------------------------------------------------------

    def _revalidate(self) -> None:
        rule = self.rule()
        edited, index = self._edited(rule)
        found = validate_configuration(edited)
        if self.original is None and rule.id == DEFAULT_RULE_ID:
            # A new rule goes before the default one, so the validator marks a duplicate "default"
            # on the default rule's id rather than on this one.
            found.append(Problem("error", f"rules[{index}].id", "the default rule exists"))
        self.problems = place(found, index)
        if self._untouched():
            # A new rule before its first edit: say where to start rather than list what is missing.
            self._show_problems([], index)
            self.checklist.clear()
            self.checklist.addItem("Name the rule and drag its people onto a layer to begin.")
        else:
            self._show_problems(found, index)
        self.preview.set_rule(edited, rule)

    def _untouched(self) -> bool:
        return self.original is None and self.stack.count() == 0 and not self._save_tried

    def _show_problems(self, found: list[Problem], index: int) -> None:
        """Each finding next to its field (none: clear them all), and the checklist."""
        shown = place(found, index)
        # The ladder's own: on a level, or about the ladder as a whole (`rules[i].escalation`).
        self.ladder.show_problems(
            [p for p in place_problems(found, index) if p.level is not None or p.field == ""]
        )
        for key, label in self.messages.items():
            show_messages(label, [p.problem for p in shown if p.layer is None and p.field == key])
        for card in self.cards:
            fields: dict[str, list[Problem]] = {}
            for placed in shown:
                if placed.layer == card.index:
                    fields.setdefault(placed.field if placed.field in card.messages else "card", []).append(
                        placed.problem
                    )
            card.show_problems(fields)
        self._fill_checklist()
        errors = sum(p.is_error for p in shown)
        ladder_errors = sum(p.is_error for p in self.ladder.problems)
        self.tabs.setTabText(0, f"Schedule ({errors} error{'s' * (errors != 1)})" if errors else "Schedule")
        self.tabs.setTabText(
            1,
            f"Escalation ({ladder_errors} error{'s' * (ladder_errors != 1)})"
            if ladder_errors
            else "Escalation",
        )
        if not errors and not ladder_errors:
            self.status.clear()

    def describe(self, placed: PlacedProblem) -> str:
        mark = "✖ error" if placed.is_error else "⚠ warning"
        if placed.layer is not None and placed.layer < len(self.draft.rule.layers):
            layer = self.draft.rule.layers[placed.layer]
            where = f"Layer {placed.layer + 1}" + (f" ({layer.name})" if layer.name else "")
            if placed.field != "card":
                where += f" · {'people' if placed.field == 'personnel' else placed.field}"
        else:
            where = "Rule" if placed.field == "rule" else placed.field.capitalize()
        return f"{mark}: {where}: {placed.problem.reason}"

    def _fill_checklist(self) -> None:
        self.checklist.clear()
        for placed in self.problems:
            item = QListWidgetItem(self.describe(placed))
            item.setForeground(QColor(ERROR_COLOUR if placed.is_error else WARNING_COLOUR))
            item.setData(Qt.ItemDataRole.UserRole, ("schedule", placed.layer, placed.field))
            self.checklist.addItem(item)
        for ladder_placed in self.ladder.problems:
            item = QListWidgetItem(self.ladder.describe(ladder_placed))
            item.setForeground(QColor(ERROR_COLOUR if ladder_placed.is_error else WARNING_COLOUR))
            item.setData(Qt.ItemDataRole.UserRole, ("ladder", ladder_placed.level, ladder_placed.field))
            self.checklist.addItem(item)
        if not self.checklist.count():
            self.checklist.addItem("✔ No problems: the rule can be saved.")

    def errors(self) -> list[str]:
        """Every error's text as the checklist shows it."""
        return [self.describe(p) for p in self.problems if p.is_error] + [
            self.ladder.describe(p) for p in self.ladder.problems if p.is_error
        ]

    def _reveal(self, item: QListWidgetItem) -> None:
        where = item.data(Qt.ItemDataRole.UserRole)
        if not isinstance(where, tuple):
            return
        tab, index, field = where
        if tab == "ladder":
            self.tabs.setCurrentIndex(1)
            if isinstance(index, int) and 0 <= index < len(self.ladder.cards):
                self.ladder.reveal_card(index)
            return
        self.tabs.setCurrentIndex(0)
        if isinstance(index, int) and 0 <= index < len(self.cards):
            card = self.cards[index]
            self.scroll_area.ensureWidgetVisible(card)
            focus = {"name": card.name, "timezone": card.zone, "rotation": card.rotation.every}.get(
                field, card.name
            )
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        focus_of = {
            "name": self.name_edit,
            "id": self.id_edit,
            "timezone": self.zone_picker,
            "match": self.match.edit,
        }
        focus_of.get(field, self.name_edit).setFocus(Qt.FocusReason.OtherFocusReason)

    # -- saving and closing ------------------------------------------------------------------------

    def save(self) -> bool:
        """Accept when the core finds no error; else say how many and show the first."""
        self._save_tried = True
        self._revalidate()
        errors = self.errors()
        if errors:
            count = len(errors)
            self.status.setText(f"Not saved: {count} error{'s' if count > 1 else ''} to fix (listed below).")
            first = next(
                i for i in range(self.checklist.count()) if self.checklist.item(i).text().startswith("✖")
            )
            self.checklist.setCurrentRow(first)
            self._reveal(self.checklist.item(first))
            return False
        self.accept()
        return True

    def changed(self) -> bool:
        return self.rule() != self._initial

    def reject(self) -> None:
        """Cancel; with unsaved edits, first ask whether to discard them."""
        if not self.changed() or self.result() == QDialog.DialogCode.Accepted:
            super().reject()
            return
        ask = QMessageBox(
            QMessageBox.Icon.Question,
            "Discard changes?",
            "Discard your changes to this rule?" if self.original else "Discard this new rule?",
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
        self.preview.stop()
        self.ladder.stop()
        super().done(result)
