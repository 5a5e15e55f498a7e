"""The ladder editor's cards: one per escalation level, with its target chips and channel toggles.

Cards only call the editor's `LadderCommands`; `set_level` refreshes a card from the ladder and
`show_problems` puts each validator finding next to its field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import Channel, EscalationLevel, Severity, Status
from oncall_desktop.validation import Problem
from oncall_desktop.views.editor_widgets import (
    ERROR_COLOUR,
    WARNING_BORDER,
    chip_button,
    drag_begins,
    message_label,
    mime_text,
    repolish,
    roster_entries,
    show_messages,
    start_drag,
)
from oncall_desktop.views.ladder_model import (
    CHANNEL_LABELS,
    CHANNEL_ORDER,
    EDITABLE_STATUSES,
    LEVEL_MIME,
    TARGET_MIME,
    TARGET_SOURCE_MIME,
    Ladder,
    target_label,
)
from oncall_desktop.views.ladder_preview import CHANNEL_COLOURS

if TYPE_CHECKING:
    from oncall_desktop.views.ladder_editor import LadderEditor

# Wide enough that a value out of range is typed and then named by the validator (at most 360),
# not refused keystroke by keystroke.
SPIN_LIMIT = 99_999

CARD_STYLE = f"""
QFrame#levelCard {{ background: #ffffff; border: 1px solid #c9ced6; border-radius: 6px; }}
QFrame#levelCard[level0="true"] {{ background: #f5f8fc; }}
QFrame#levelCard[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
QFrame#levelCard[state="warning"] {{ border: 2px solid {WARNING_BORDER}; }}
QFrame#levelCard[dropping="true"] {{ border: 2px dashed #1565c0; background: #e8f0fb; }}
QFrame#targetChip {{ background: #eef1f5; border: 1px solid #d5dae1; border-radius: 4px; }}
QFrame#targetChip[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
QFrame#targetChip[state="warning"] {{ border: 1px solid {WARNING_BORDER}; background: #fff8e1; }}
QToolButton[chip="true"] {{ border: 1px solid #b8bfc9; border-radius: 9px; padding: 1px 7px;
    color: #6b7380; background: #ffffff; }}
QToolButton[chip="true"]:checked {{ background: #37474f; color: #ffffff; border-color: #37474f; }}
QToolButton[chip="true"]:disabled {{ color: #b0b6bf; border-color: #dde1e6; }}
QToolButton[chip="true"]:checked:disabled {{ background: #b0bec5; color: #ffffff; }}
QSpinBox[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
"""

_LADDER_PATH = re.compile(r"rules\[(\d+)\]\.escalation(?:\[(\d+)\](?:\.(.*))?)?\Z")
ADD_PATH = re.compile(r"add\[(\d+)\](?:\.(.*))?\Z")


@dataclass(frozen=True)
class LadderProblem:
    """A validation problem placed on the ladder: which card (None: the ladder) and which field."""

    problem: Problem
    level: int | None
    field: str

    @property
    def is_error(self) -> bool:
        return self.problem.level == "error"


def place_problems(problems: Sequence[Problem], rule_index: int) -> list[LadderProblem]:
    """The problems about the rule at `rule_index`, each placed on a card and field when it names one."""
    placed: list[LadderProblem] = []
    prefix = f"rules[{rule_index}]"
    for problem in problems:
        if problem.path != prefix and not problem.path.startswith((prefix + ".", prefix + "[")):
            continue
        match = _LADDER_PATH.match(problem.path)
        if match is None:
            placed.append(LadderProblem(problem, None, problem.path))
            continue
        level = int(match.group(2)) if match.group(2) is not None else None
        placed.append(LadderProblem(problem, level, match.group(3) or ""))
    return placed


def show_placed(label: QLabel, placed: Sequence[LadderProblem]) -> None:
    """The placed problems' reasons in `label` (hidden when there are none)."""
    show_messages(label, [p.problem for p in placed])


class ChannelToggles(QWidget):
    """SMS / Voice / Email toggle chips.

    Signals:
        channels_changed(tuple): the set of checked channels after a click.
    """

    channels_changed = Signal(tuple)

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        self.buttons: dict[Channel, QToolButton] = {}
        for channel in CHANNEL_ORDER:
            button = chip_button(CHANNEL_LABELS[channel], f"Notify {what} by {CHANNEL_LABELS[channel]}")
            colour = CHANNEL_COLOURS[channel]
            button.setStyleSheet(
                f"QToolButton:checked {{ background: {colour}; border-color: {colour}; color: white; }}"
            )
            button.toggled.connect(self._emit)
            layout.addWidget(button)
            self.buttons[channel] = button

    def channels(self) -> tuple[Channel, ...]:
        return tuple(c for c in CHANNEL_ORDER if self.buttons[c].isChecked())

    def set_channels(self, channels: Sequence[Channel]) -> None:
        for channel, button in self.buttons.items():
            button.blockSignals(True)
            button.setChecked(channel in channels)
            button.blockSignals(False)

    def _emit(self) -> None:
        self.channels_changed.emit(self.channels())


class TargetChip(QFrame):
    """A person or team added by a level: drag it to another level, toggle its channels."""

    def __init__(self, card: LevelCard, target: str, channels: Sequence[Channel]) -> None:
        super().__init__()
        self.card = card
        self.target = target
        self.setObjectName("targetChip")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._press: QPoint | None = None
        config = card.editor.model.config
        name = target_label(config, target)
        self.name = name
        handle = QLabel("⠿")
        handle.setToolTip("Drag to another level")
        handle.setStyleSheet("color: #8a8f98;")
        label = QLabel(name)
        label.setToolTip(target)
        self.toggles = ChannelToggles(name)
        self.toggles.set_channels(channels)
        self.toggles.channels_changed.connect(self._channels_changed)
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip(f"Remove {name} from this level")
        remove.clicked.connect(self.remove)
        self.message = message_label()
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 3, 4, 3)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(2)
        layout.addWidget(handle, 0, 0)
        layout.addWidget(label, 0, 1)
        layout.setColumnStretch(1, 1)
        layout.addWidget(self.toggles, 0, 2)
        layout.addWidget(remove, 0, 3)
        layout.addWidget(self.message, 1, 1, 1, 3)

    def _channels_changed(self, channels: tuple[Channel, ...]) -> None:
        self.card.editor.commands.set_target_channels(self.card.index, self.target, channels)

    def remove(self) -> None:
        self.card.editor.commands.remove_target(self.card.index, self.target)

    def show_problems(self, problems: Sequence[LadderProblem]) -> None:
        state = "error" if any(p.is_error for p in problems) else "warning" if problems else ""
        self.setProperty("state", state)
        repolish(self)
        show_placed(self.message, problems)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not drag_begins(self._press, event):
            return
        self._press = None
        start_drag(self, {TARGET_MIME: self.target, TARGET_SOURCE_MIME: str(self.card.index)}, self.grab())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu()
        menu.exec(event.globalPos())

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        move = menu.addMenu("Move to level")
        ladder = self.card.editor.model.ladder
        for index in range(1, len(ladder)):
            action = move.addAction(f"Level {index} (T+{ladder[index].wait})")
            if index == self.card.index or any(t.target == self.target for t in ladder[index].add):
                action.setEnabled(False)
            action.triggered.connect(
                lambda _checked=False, dest=index: self.card.editor.commands.move_target(
                    self.card.index, dest, self.target
                )
            )
        menu.addAction(f"Remove from level {self.card.index}", self.remove)
        return menu


class Level0Person(QWidget):
    """One on-call person on level 0: the channels for everyone, or their own."""

    def __init__(self, card: LevelCard, person_id: str) -> None:
        super().__init__()
        self.card = card
        self.person_id = person_id
        name = target_label(card.editor.model.config, person_id)
        self.own = QCheckBox(name)
        self.own.setToolTip(f"Give {name} their own level-0 channels instead of everyone's")
        self.toggles = ChannelToggles(name)
        self.message = message_label()
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(1)
        layout.addWidget(self.own, 0, 0)
        layout.setColumnStretch(0, 1)
        layout.addWidget(self.toggles, 0, 1)
        layout.addWidget(self.message, 1, 0, 1, 2)
        self.own.toggled.connect(self._own_toggled)
        self.toggles.channels_changed.connect(self._channels_changed)

    def set_level(self, level: EscalationLevel) -> None:
        own = self.person_id in level.channels
        self.own.blockSignals(True)
        self.own.setChecked(own)
        self.own.blockSignals(False)
        self.toggles.set_channels(level.channels_for(self.person_id))
        self.toggles.setEnabled(own)

    def _own_toggled(self, on: bool) -> None:
        level = self.card.editor.model.ladder[0]
        channels = level.channels_for("*") if on else None
        self.card.editor.commands.set_level0_channels(self.person_id, channels)

    def _channels_changed(self, channels: tuple[Channel, ...]) -> None:
        self.card.editor.commands.set_level0_channels(self.person_id, channels)


class LevelCard(QFrame):
    """One rung of the ladder. Accepts dropped targets (levels ≥ 1) and dropped level cards."""

    def __init__(self, editor: LadderEditor, index: int) -> None:
        super().__init__()
        self.editor = editor
        self.index = index
        self.setObjectName("levelCard")
        self.setProperty("level0", index == 0)
        self.setAcceptDrops(index > 0)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._press: QPoint | None = None
        commands = editor.commands

        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        self.handle = QLabel("⠿" if index else "")
        self.handle.setStyleSheet("color: #8a8f98; font-size: 13pt;")
        self.handle.setToolTip("Drag to reorder the level")
        self.wait = QSpinBox()
        self.wait.setRange(0, SPIN_LIMIT)
        self.wait.setPrefix("T+")
        self.wait.setSuffix(" min")
        self.wait.setToolTip("Minutes after the incident starts at which this level is due")
        self.wait.setAccessibleName(f"Wait of level {index}")
        self.wait.valueChanged.connect(lambda value: commands.set_wait(self.index, value))
        self.up = self._tool("▲", "Move level up", lambda: commands.move_level(self.index, self.index - 1))
        self.down = self._tool(
            "▼", "Move level down", lambda: commands.move_level(self.index, self.index + 1)
        )
        self.remove = self._tool("✕", "Remove level", lambda: commands.remove_level(self.index))
        header = QHBoxLayout()
        header.setSpacing(6)
        if index:
            header.addWidget(self.handle)
        header.addWidget(self.title)
        if index == 0:
            header.addWidget(QLabel("at T+0, the rule's on-call personnel"))
        else:
            header.addWidget(self.wait)
        header.addStretch(1)
        for button in (self.up, self.down, self.remove):
            button.setVisible(index > 0)
            header.addWidget(button)
        self.wait_message = message_label()
        self.card_message = message_label()

        self.severities: dict[Severity, QToolButton] = {}
        severity_row = QHBoxLayout()
        severity_row.setSpacing(3)
        for severity in Severity:
            chip = chip_button(str(severity), f"Level applies to {severity} incidents")
            chip.toggled.connect(lambda on, s=severity: commands.set_severity(self.index, s, on))
            severity_row.addWidget(chip)
            self.severities[severity] = chip
        severity_row.addSpacing(12)
        self.statuses: dict[Status, QToolButton] = {}
        for status in EDITABLE_STATUSES:
            chip = chip_button(str(status), f"Level applies while the incident is {status}")
            chip.toggled.connect(lambda on, s=status: commands.set_status(self.index, s, on))
            severity_row.addWidget(chip)
            self.statuses[status] = chip
        severity_row.addStretch(1)
        self.applies_message = message_label()

        self.repeat = QSpinBox()
        self.repeat.setRange(0, SPIN_LIMIT)
        self.repeat.setSpecialValueText("none")
        self.repeat.setSuffix(" min")
        self.repeat.setToolTip("Notify this level's recipients again every N minutes while it is active")
        self.repeat.setAccessibleName(f"Repeat interval of level {index}")
        self.repeat.valueChanged.connect(lambda value: commands.set_repeat(self.index, value or None))
        self.repeat_message = message_label()
        self.repeat.setMinimumWidth(100)
        self.repeat_message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        repeat_row = QHBoxLayout()
        repeat_row.addWidget(QLabel("Repeat every"))
        repeat_row.addWidget(self.repeat)
        repeat_row.addWidget(self.repeat_message, 1)
        repeat_row.addStretch(1)

        self.targets_box = QVBoxLayout()
        self.targets_box.setSpacing(3)
        self.targets_message = message_label()
        self.hint = QLabel()
        self.hint.setStyleSheet("color: #8a8f98;")
        self.everyone: ChannelToggles | None = None
        self.chips: list[TargetChip] = []
        self.people: list[Level0Person] = []
        if index == 0:
            self.everyone = ChannelToggles("everyone on call")
            self.everyone.channels_changed.connect(lambda c: commands.set_level0_channels("*", c))
            row = QHBoxLayout()
            row.addWidget(QLabel("Everyone on call"))
            row.addStretch(1)
            row.addWidget(self.everyone)
            self.targets_box.addLayout(row)
            for person_id in editor.model.level0_people():
                person = Level0Person(self, person_id)
                self.targets_box.addWidget(person)
                self.people.append(person)
            self.hint.setText("" if self.people else "The rule has no personnel yet.")
            self.hint.setVisible(not self.people)
            if self.people:
                own = QLabel("Tick a person to give them their own channels:")
                own.setStyleSheet("color: #6b7380;")
                self.targets_box.insertWidget(1, own)
        else:
            self.hint.setText("Drop people or teams here (or right-click → Add to this level)")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(5)
        layout.addLayout(header)
        layout.addWidget(self.wait_message)
        layout.addWidget(self.card_message)
        layout.addLayout(severity_row)
        layout.addWidget(self.applies_message)
        layout.addLayout(repeat_row)
        layout.addLayout(self.targets_box)
        layout.addWidget(self.hint)
        layout.addWidget(self.targets_message)

    def _tool(self, text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # -- showing the level -----------------------------------------------------------------------

    def set_level(self, index: int, ladder: Ladder) -> None:
        self.index = index
        level = ladder[index]
        self.title.setText(f"Level {index}")
        for widget, value in ((self.wait, level.wait), (self.repeat, level.repeat or 0)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        for severity, chip in self.severities.items():
            chip.blockSignals(True)
            chip.setChecked(severity in level.severities)
            chip.blockSignals(False)
        for status, chip in self.statuses.items():
            chip.blockSignals(True)
            chip.setChecked(status in level.statuses)
            chip.blockSignals(False)
        self.up.setEnabled(index > 1)
        self.down.setEnabled(0 < index < len(ladder) - 1)
        if self.everyone is not None:
            self.everyone.set_channels(level.channels_for("*"))
            for person in self.people:
                person.set_level(level)
        else:
            self._set_targets(level)

    def _set_targets(self, level: EscalationLevel) -> None:
        if [c.target for c in self.chips] == [t.target for t in level.add]:
            for chip, target in zip(self.chips, level.add, strict=True):
                chip.toggles.set_channels(target.channels)
            return
        for chip in self.chips:
            self.targets_box.removeWidget(chip)
            chip.hide()
            chip.deleteLater()
        self.chips = [TargetChip(self, t.target, t.channels) for t in level.add]
        for chip in self.chips:
            self.targets_box.addWidget(chip)
        self.hint.setVisible(not self.chips)

    def show_problems(self, problems: Sequence[LadderProblem]) -> None:
        """Mark the card and put each message next to its field."""
        fields: dict[str, list[LadderProblem]] = {
            "wait": [],
            "repeat": [],
            "applies": [],
            "targets": [],
            "card": [],
        }
        by_chip: dict[int, list[LadderProblem]] = {}
        by_person: dict[str, list[LadderProblem]] = {}
        for placed in problems:
            name = placed.field
            add = ADD_PATH.match(name)
            if name in ("wait", "repeat"):
                fields[name].append(placed)
            elif name in ("severities", "statuses"):
                fields["applies"].append(placed)
            elif add is not None and int(add.group(1)) < len(self.chips):
                by_chip.setdefault(int(add.group(1)), []).append(placed)
            elif name.startswith("channels.") and name[len("channels.") :] in {
                p.person_id for p in self.people
            }:
                by_person.setdefault(name[len("channels.") :], []).append(placed)
            elif name.startswith(("channels", "add")):
                fields["targets"].append(placed)
            else:
                fields["card"].append(placed)
        show_placed(self.wait_message, fields["wait"])
        show_placed(self.repeat_message, fields["repeat"])
        show_placed(self.applies_message, fields["applies"])
        show_placed(self.targets_message, fields["targets"])
        show_placed(self.card_message, fields["card"])
        for spin, key in ((self.wait, "wait"), (self.repeat, "repeat")):
            spin.setProperty("state", "error" if any(p.is_error for p in fields[key]) else "")
            repolish(spin)
        for i, chip in enumerate(self.chips):
            chip.show_problems(by_chip.get(i, []))
        for person in self.people:
            show_placed(person.message, by_person.get(person.person_id, []))
        state = "error" if any(p.is_error for p in problems) else "warning" if problems else ""
        self.setProperty("state", state)
        repolish(self)

    def message_texts(self) -> list[str]:
        """Every message shown on the card, plain (for tests and accessibility)."""
        labels = [
            self.wait_message,
            self.card_message,
            self.applies_message,
            self.repeat_message,
            self.targets_message,
        ]
        labels += [chip.message for chip in self.chips] + [p.message for p in self.people]
        return [
            re.sub(r"<[^>]+>", "", line).replace("&gt;", ">").replace("&lt;", "<")
            for label in labels
            if label.isVisibleTo(self)
            for line in label.text().split("<br>")
        ]

    # -- drag and drop ---------------------------------------------------------------------------

    def _accepts(self, mime: QMimeData) -> bool:
        if self.index == 0:
            return False
        if mime.hasFormat(LEVEL_MIME):
            return mime_text(mime, LEVEL_MIME) != str(self.index)
        return mime.hasFormat(TARGET_MIME)

    def _set_dropping(self, on: bool) -> None:
        self.setProperty("dropping", on)
        repolish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
            self._set_dropping(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_dropping(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_dropping(False)
        mime = event.mimeData()
        if not self._accepts(mime):
            event.ignore()
            return
        commands = self.editor.commands
        if mime.hasFormat(LEVEL_MIME):
            commands.move_level(int(mime_text(mime, LEVEL_MIME)), self.index)
        else:
            target = mime_text(mime, TARGET_MIME)
            if mime.hasFormat(TARGET_SOURCE_MIME):
                source = int(mime_text(mime, TARGET_SOURCE_MIME))
                commands.move_target(source, self.index, target)
            else:
                commands.add_target(self.index, target)
        event.acceptProposedAction()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        on_handle = self.handle.geometry().contains(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and self.index > 0 and on_handle:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not drag_begins(self._press, event):
            return
        self._press = None
        pixmap = self.grab().scaledToWidth(280, Qt.TransformationMode.SmoothTransformation)
        start_drag(self, {LEVEL_MIME: str(self.index)}, pixmap)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    # -- keyboard and context menu ---------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if self.index > 0 and control and event.key() == Qt.Key.Key_Up:
            self.editor.commands.move_level(self.index, self.index - 1)
        elif self.index > 0 and control and event.key() == Qt.Key.Key_Down:
            self.editor.commands.move_level(self.index, self.index + 1)
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.context_menu().exec(event.globalPos())

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        commands = self.editor.commands
        ladder = self.editor.model.ladder
        if self.index == 0:
            menu.addAction("Add level", commands.add_level)
            return menu
        add = menu.addMenu("Add to this level")
        present = {t.target for t in ladder[self.index].add}
        for target, name in roster_entries(self.editor.model.config):
            action = add.addAction(name)
            action.setEnabled(target not in present)
            action.triggered.connect(lambda _checked=False, t=target: commands.add_target(self.index, t))
        menu.addSeparator()
        up = menu.addAction("Move level up", lambda: commands.move_level(self.index, self.index - 1))
        up.setEnabled(self.index > 1)
        down = menu.addAction("Move level down", lambda: commands.move_level(self.index, self.index + 1))
        down.setEnabled(self.index < len(ladder) - 1)
        menu.addAction(f"Remove level {self.index}", lambda: commands.remove_level(self.index))
        return menu
