"""The escalation ladder editor: level cards, a roster to drag from, and the live preview.

Widgets only push commands (`LadderCommands`); the `LadderModel` changes, and every card, the
preview and the checklist refresh from it. Every drag has a keyboard and context-menu twin:
roster "Add to level ▸", target "Move to level ▸", card "Move level up/down".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPixmap,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import (
    TEAM_PREFIX,
    Channel,
    Configuration,
    EscalationLevel,
    OnCallRule,
    Severity,
    Status,
)
from oncall_desktop.store import Store, StoreError
from oncall_desktop.validation import MAX_WAIT_MINUTES, Problem, validate_configuration
from oncall_desktop.views.commands import Failed, StoreCommand
from oncall_desktop.views.ladder_model import (
    CHANNEL_LABELS,
    CHANNEL_ORDER,
    EDITABLE_STATUSES,
    LEVEL_MIME,
    TARGET_MIME,
    TARGET_SOURCE_MIME,
    Ladder,
    LadderCommands,
    LadderModel,
    target_label,
)
from oncall_desktop.views.ladder_preview import CHANNEL_COLOURS, DEBOUNCE_MS, LadderPreview, person_colour

ERROR_COLOUR = "#c62828"
WARNING_COLOUR = "#9a6700"
_WARNING_BORDER = "#e0a800"
MAX_REPEAT_MINUTES = 1440

_CARD_STYLE = f"""
QFrame#levelCard {{ background: #ffffff; border: 1px solid #c9ced6; border-radius: 6px; }}
QFrame#levelCard[level0="true"] {{ background: #f5f8fc; }}
QFrame#levelCard[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
QFrame#levelCard[state="warning"] {{ border: 2px solid {_WARNING_BORDER}; }}
QFrame#levelCard[dropping="true"] {{ border: 2px dashed #1565c0; background: #e8f0fb; }}
QFrame#targetChip {{ background: #eef1f5; border: 1px solid #d5dae1; border-radius: 4px; }}
QFrame#targetChip[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
QFrame#targetChip[state="warning"] {{ border: 1px solid {_WARNING_BORDER}; background: #fff8e1; }}
QToolButton[chip="true"] {{ border: 1px solid #b8bfc9; border-radius: 9px; padding: 1px 7px;
    color: #6b7380; background: #ffffff; }}
QToolButton[chip="true"]:checked {{ background: #37474f; color: #ffffff; border-color: #37474f; }}
QToolButton[chip="true"]:disabled {{ color: #b0b6bf; border-color: #dde1e6; }}
QToolButton[chip="true"]:checked:disabled {{ background: #b0bec5; color: #ffffff; }}
QSpinBox[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
"""

_LADDER_PATH = re.compile(r"rules\[(\d+)\]\.escalation(?:\[(\d+)\](?:\.(.*))?)?\Z")
_ADD_PATH = re.compile(r"add\[(\d+)\](?:\.(.*))?\Z")


def _drag_begins(press: QPoint | None, event: QMouseEvent) -> bool:
    """Whether the left button, pressed at `press`, has now moved far enough to start a drag."""
    if press is None or not event.buttons() & Qt.MouseButton.LeftButton:
        return False
    return (event.position().toPoint() - press).manhattanLength() >= QApplication.startDragDistance()


def _drag(source: QWidget, formats: dict[str, str], pixmap: QPixmap) -> None:
    """Drag `formats` (MIME type → text) from `source`, showing `pixmap`, as a move."""
    mime = QMimeData()
    for kind, text in formats.items():
        mime.setData(kind, text.encode())
    drag = QDrag(source)
    drag.setMimeData(mime)
    drag.setPixmap(pixmap)
    drag.exec(Qt.DropAction.MoveAction)


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


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def _chip(text: str, tooltip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setProperty("chip", True)
    button.setToolTip(tooltip)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


def _message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.hide()
    return label


def _show_messages(label: QLabel, problems: Sequence[LadderProblem]) -> None:
    if not problems:
        label.clear()
        label.hide()
        return
    lines = []
    for placed in problems:
        colour = ERROR_COLOUR if placed.is_error else WARNING_COLOUR
        mark = "✖" if placed.is_error else "⚠"
        lines.append(f'<span style="color:{colour}">{mark} {placed.problem.reason}</span>')
    label.setText("<br>".join(lines))
    label.show()


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
            button = _chip(CHANNEL_LABELS[channel], f"Notify {what} by {CHANNEL_LABELS[channel]}")
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
        self.message = _message_label()
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
        _repolish(self)
        _show_messages(self.message, problems)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not _drag_begins(self._press, event):
            return
        self._press = None
        _drag(self, {TARGET_MIME: self.target, TARGET_SOURCE_MIME: str(self.card.index)}, self.grab())

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
        self.message = _message_label()
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
        self.wait.setRange(1, MAX_WAIT_MINUTES)
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
        self.wait_message = _message_label()
        self.card_message = _message_label()

        self.severities: dict[Severity, QToolButton] = {}
        severity_row = QHBoxLayout()
        severity_row.setSpacing(3)
        for severity in Severity:
            chip = _chip(str(severity), f"Level applies to {severity} incidents")
            chip.toggled.connect(lambda on, s=severity: commands.set_severity(self.index, s, on))
            severity_row.addWidget(chip)
            self.severities[severity] = chip
        severity_row.addSpacing(12)
        self.statuses: dict[Status, QToolButton] = {}
        for status in EDITABLE_STATUSES:
            chip = _chip(str(status), f"Level applies while the incident is {status}")
            chip.toggled.connect(lambda on, s=status: commands.set_status(self.index, s, on))
            severity_row.addWidget(chip)
            self.statuses[status] = chip
        severity_row.addStretch(1)
        self.applies_message = _message_label()

        self.repeat = QSpinBox()
        self.repeat.setRange(0, MAX_REPEAT_MINUTES)
        self.repeat.setSpecialValueText("none")
        self.repeat.setSuffix(" min")
        self.repeat.setToolTip("Notify this level's recipients again every N minutes while it is active")
        self.repeat.setAccessibleName(f"Repeat interval of level {index}")
        self.repeat.valueChanged.connect(lambda value: commands.set_repeat(self.index, value or None))
        self.repeat_message = _message_label()
        self.repeat.setMinimumWidth(100)
        self.repeat_message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        repeat_row = QHBoxLayout()
        repeat_row.addWidget(QLabel("Repeat every"))
        repeat_row.addWidget(self.repeat)
        repeat_row.addWidget(self.repeat_message, 1)
        repeat_row.addStretch(1)

        self.targets_box = QVBoxLayout()
        self.targets_box.setSpacing(3)
        self.targets_message = _message_label()
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
            add = _ADD_PATH.match(name)
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
        _show_messages(self.wait_message, fields["wait"])
        _show_messages(self.repeat_message, fields["repeat"])
        _show_messages(self.applies_message, fields["applies"])
        _show_messages(self.targets_message, fields["targets"])
        _show_messages(self.card_message, fields["card"])
        for spin, key in ((self.wait, "wait"), (self.repeat, "repeat")):
            spin.setProperty("state", "error" if any(p.is_error for p in fields[key]) else "")
            _repolish(spin)
        for i, chip in enumerate(self.chips):
            chip.show_problems(by_chip.get(i, []))
        for person in self.people:
            _show_messages(person.message, by_person.get(person.person_id, []))
        state = "error" if any(p.is_error for p in problems) else "warning" if problems else ""
        self.setProperty("state", state)
        _repolish(self)

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
            return bytes(mime.data(LEVEL_MIME).data()).decode() != str(self.index)
        return mime.hasFormat(TARGET_MIME)

    def _set_dropping(self, on: bool) -> None:
        self.setProperty("dropping", on)
        _repolish(self)

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
            commands.move_level(int(bytes(mime.data(LEVEL_MIME).data()).decode()), self.index)
        else:
            target = bytes(mime.data(TARGET_MIME).data()).decode()
            if mime.hasFormat(TARGET_SOURCE_MIME):
                source = int(bytes(mime.data(TARGET_SOURCE_MIME).data()).decode())
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
        if not _drag_begins(self._press, event):
            return
        self._press = None
        pixmap = self.grab().scaledToWidth(280, Qt.TransformationMode.SmoothTransformation)
        _drag(self, {LEVEL_MIME: str(self.index)}, pixmap)

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
        for target, name in self.editor.roster_entries():
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


class Roster(QListWidget):
    """People and teams to drag onto a level (or Enter / right-click → Add to level)."""

    def __init__(self, editor: LadderEditor) -> None:
        super().__init__()
        self.editor = editor
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for target, name in editor.roster_entries():
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, target)
            item.setToolTip(f"{target} — drag onto a level, or press Enter")
            if target.startswith(TEAM_PREFIX):
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            else:
                pixmap = QPixmap(10, 10)
                pixmap.fill(person_colour(editor.model.config, target))
                item.setIcon(pixmap)
            self.addItem(item)

    def mimeTypes(self) -> list[str]:
        return [TARGET_MIME]

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        mime = QMimeData()
        if items:
            mime.setData(TARGET_MIME, str(items[0].data(Qt.ItemDataRole.UserRole)).encode())
        return mime

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        if item is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            rect = self.visualItemRect(item)
            self.context_menu(item).exec(self.viewport().mapToGlobal(rect.bottomLeft()))
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self.itemAt(self.viewport().mapFromGlobal(event.globalPos())) or self.currentItem()
        if item is not None:
            self.context_menu(item).exec(event.globalPos())

    def context_menu(self, item: QListWidgetItem) -> QMenu:
        target = str(item.data(Qt.ItemDataRole.UserRole))
        menu = QMenu(self)
        add = menu.addMenu("Add to level")
        ladder = self.editor.model.ladder
        for index in range(1, len(ladder)):
            action = add.addAction(f"Level {index} (T+{ladder[index].wait})")
            action.setEnabled(all(t.target != target for t in ladder[index].add))
            action.triggered.connect(
                lambda _checked=False, i=index: self.editor.commands.add_target(i, target)
            )
        if len(ladder) < 2:
            add.setEnabled(False)
        return menu


class LadderEditor(QWidget):
    """Roster, ladder of level cards and live preview for one rule.

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
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(_CARD_STYLE)
        self.config = config
        self.rule_index = next(i for i, r in enumerate(config.rules) if r.id == rule.id)
        self.model = LadderModel(config, rule, self)
        self.stack = stack if stack is not None else QUndoStack(self)
        self.commands = LadderCommands(self.model, self.stack)
        self.problems: list[LadderProblem] = []
        self.cards: list[LevelCard] = []
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(DEBOUNCE_MS)
        self._validate_timer.timeout.connect(self.validate)

        self.roster = Roster(self)
        roster_box = QVBoxLayout()
        roster_box.addWidget(QLabel("<b>People and teams</b>"))
        roster_hint = QLabel("Drag onto a level, or select and press Enter.")
        roster_hint.setWordWrap(True)
        roster_hint.setStyleSheet("color: #6b7380;")
        roster_box.addWidget(roster_hint)
        roster_box.addWidget(self.roster, 1)
        roster_panel = QWidget()
        roster_panel.setLayout(roster_box)

        self.ladder_message = _message_label()
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
        ladder_box = QVBoxLayout()
        ladder_box.addWidget(QLabel(f"<b>Escalation ladder of {rule.name}</b>"))
        ladder_box.addWidget(self.scroll_area, 1)
        ladder_box.addWidget(QLabel("Configuration checklist"))
        ladder_box.addWidget(self.checklist)
        ladder_panel = QWidget()
        ladder_panel.setLayout(ladder_box)

        self.preview = LadderPreview(config, self.model.edited_rule())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(roster_panel)
        splitter.addWidget(ladder_panel)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 3)
        splitter.setSizes([190, 600, 600])
        splitter.setChildrenCollapsible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.model.changed.connect(self._ladder_changed)
        self._sync_cards()
        self.validate()
        self.preview.refresh()

    def roster_entries(self) -> list[tuple[str, str]]:
        """(target, display name) for every person, then every team."""
        config = self.model.config
        people = [(p.id, p.name) for p in config.people]
        teams = [(f"{TEAM_PREFIX}{t.id}", f"Team {t.name}") for t in config.teams]
        return people + teams

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
        self._validate_timer.start()

    def _sync_cards(self) -> None:
        ladder = self.model.ladder
        if len(self.cards) != len(ladder):
            for card in self.cards:
                self.cards_box.removeWidget(card)
                card.deleteLater()
            self.cards = [LevelCard(self, i) for i in range(len(ladder))]
            for card in self.cards:
                self.cards_box.addWidget(card)
        for index, card in enumerate(self.cards):
            card.set_level(index, ladder)

    def validate(self) -> list[LadderProblem]:
        """Run the core validator on the configuration with the edited rule; show what it finds."""
        self._validate_timer.stop()
        found = validate_configuration(self.edited_configuration())
        self.problems = place_problems(found, self.rule_index)
        for index, card in enumerate(self.cards):
            card.show_problems([p for p in self.problems if p.level == index])
        over = [p for p in self.problems if p.level is None and p.field == ""]
        _show_messages(self.ladder_message, over)
        if over:
            # The level limit names the ladder; the levels beyond it carry the message too.
            for card in self.cards[11:]:
                card.show_problems([replace(p, level=card.index, field="card") for p in over])
        self.checklist.clear()
        for placed in self.problems:
            item = QListWidgetItem(self._describe(placed))
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
        return self.problems

    def _describe(self, placed: LadderProblem) -> str:
        mark = "✖ error" if placed.is_error else "⚠ warning"
        where = f"Level {placed.level}" if placed.level is not None else "Ladder"
        field = self._field_name(placed)
        return f"{mark}: {where}{' · ' + field if field else ''}: {placed.problem.reason}"

    def _field_name(self, placed: LadderProblem) -> str:
        """The field in the user's words: a target's name rather than `add[0].target`."""
        config = self.model.config
        add = _ADD_PATH.match(placed.field)
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
