"""The rule editor's layer cards: one per layer, highest priority first, like the ladder's levels.

A card holds the layer's name and zone, its people as ordered chips (dragged in from the roster,
dragged to reorder or to another layer, or picked from "+ Add"), its rotation, its weekly windows
and its effective span. Cards only call the editor's `RuleCommands`; `set_layer` refreshes a card
from the draft and `show_problems` puts each validator finding next to its field. Every drag has a
keyboard and menu twin: chips move with Ctrl+Left/Right or "Move to layer ▸", cards with ▲/▼.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
)

from oncall_desktop.domain import TEAM_PREFIX, Layer
from oncall_desktop.validation import Problem
from oncall_desktop.views.editor_widgets import (
    ERROR_COLOUR,
    WARNING_BORDER,
    FlowLayout,
    drag_begins,
    message_label,
    mime_text,
    repolish,
    roster_entries,
    show_messages,
    start_drag,
)
from oncall_desktop.views.ladder_model import TARGET_MIME, target_label
from oncall_desktop.views.ladder_preview import person_colour
from oncall_desktop.views.rule_fields import RotationRow, SpanRow, WindowRows
from oncall_desktop.views.rule_model import LAYER_MIME, PERSON_SOURCE_MIME
from oncall_desktop.views.zone_picker import ZonePicker

if TYPE_CHECKING:
    from oncall_desktop.views.rule_editor import RuleEditorDialog

CARD_STYLE = f"""
QFrame#layerCard {{ background: #ffffff; border: 1px solid #c9ced6; border-radius: 6px; }}
QFrame#layerCard[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
QFrame#layerCard[state="warning"] {{ border: 2px solid {WARNING_BORDER}; }}
QFrame#layerCard[dropping="true"] {{ border: 2px dashed #1565c0; background: #e8f0fb; }}
QFrame#personChip {{ background: #eef1f5; border: 1px solid #d5dae1; border-radius: 10px; }}
QFrame#personChip:focus {{ border: 2px solid #1565c0; }}
QFrame#personChip[state="error"] {{ border: 2px solid {ERROR_COLOUR}; }}
QFrame#peopleChips[dropping="true"] {{ background: #e8f0fb; }}
"""
# The fields of a card, in the words validation paths use (after `layers[j].`).
FIELDS = ("name", "timezone", "personnel", "rotation", "windows", "effective")


class PersonChip(QFrame):
    """One entry of a layer's personnel: a person or a team, in rotation order."""

    def __init__(self, card: LayerCard, position: int, target: str) -> None:
        super().__init__()
        self.card = card
        self.position = position
        self.target = target
        self.setObjectName("personChip")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._press: QPoint | None = None
        config = card.editor.config
        self.name = target_label(config, target)
        self.setToolTip(f"{target} — drag to reorder or to another layer; Delete removes, Ctrl+←/→ moves")
        self.setAccessibleName(f"{self.name}, place {position + 1} in {card.title_text()}")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 1, 2, 1)
        row.setSpacing(4)
        swatch = QLabel()
        if not target.startswith(TEAM_PREFIX):
            pixmap = QPixmap(9, 9)
            pixmap.fill(person_colour(config, target))
            swatch.setPixmap(pixmap)
            row.addWidget(swatch)
        label = QLabel(f"<i>{self.name}</i>" if target.startswith(TEAM_PREFIX) else self.name)
        row.addWidget(label)
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip(f"Remove {self.name} from this layer")
        remove.setAccessibleName(f"Remove {self.name}")
        remove.clicked.connect(self.remove)
        row.addWidget(remove)

    def remove(self) -> None:
        self.card.editor.commands.remove_person(self.card.index, self.position)

    def move_by(self, step: int) -> None:
        count = len(self.card.layer.personnel)
        dest = self.position + step
        if 0 <= dest < count:
            self.card.editor.commands.move_person(
                self.card.index, self.position, self.card.index, dest + (step > 0)
            )
            self.card.focus_chip(dest)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not drag_begins(self._press, event):
            return
        self._press = None
        source = f"{self.card.index}:{self.position}"
        start_drag(self, {TARGET_MIME: self.target, PERSON_SOURCE_MIME: source}, self.grab())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove()
        elif control and event.key() == Qt.Key.Key_Left:
            self.move_by(-1)
        elif control and event.key() == Qt.Key.Key_Right:
            self.move_by(1)
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.context_menu().exec(event.globalPos())

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        count = len(self.card.layer.personnel)
        left = menu.addAction("Move left (earlier in the rotation)", lambda: self.move_by(-1))
        left.setEnabled(self.position > 0)
        right = menu.addAction("Move right", lambda: self.move_by(1))
        right.setEnabled(self.position < count - 1)
        move = menu.addMenu("Move to layer")
        commands = self.card.editor.commands
        for index, layer in enumerate(self.card.editor.draft.rule.layers):
            action = move.addAction(f"{index + 1}. {layer.name or 'the rule’s layer'}")
            action.setEnabled(index != self.card.index)
            action.triggered.connect(
                lambda _checked=False, dest=index: commands.move_person(self.card.index, self.position, dest)
            )
        menu.addAction(f"Remove from {self.card.title_text()}", self.remove)
        return menu


class PeopleChips(QFrame):
    """A layer's people as chips in rotation order; people and teams dropped here go where they land."""

    def __init__(self, card: LayerCard) -> None:
        super().__init__()
        self.card = card
        self.setObjectName("peopleChips")
        self.setAcceptDrops(True)
        self.chips: list[PersonChip] = []
        self.flow = FlowLayout(self)
        self.add = QToolButton()
        self.add.setText("+ Add")
        self.add.setToolTip("Pick a person or team to add (or drag one here from the list on the left)")
        self.add.setAccessibleName(f"Add a person to {card.title_text()}")
        self.add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add.setMenu(QMenu(self.add))
        self.add.menu().aboutToShow.connect(self._fill_menu)
        self.hint = QLabel("Drop people or teams here")
        self.hint.setStyleSheet("color: #8a8f98;")
        self.flow.addWidget(self.hint)
        self.flow.addWidget(self.add)

    def _fill_menu(self) -> None:
        menu = self.add.menu()
        menu.clear()
        for target, name in roster_entries(self.card.editor.config):
            action = menu.addAction(name)
            action.triggered.connect(lambda _checked=False, t=target: self._add(t))

    def _add(self, target: str) -> None:
        self.card.editor.commands.add_person(self.card.index, target)

    def set_personnel(self, personnel: Sequence[str]) -> None:
        if [c.target for c in self.chips] == list(personnel) and all(
            c.position == i for i, c in enumerate(self.chips)
        ):
            return
        for chip in self.chips:
            self.flow.removeWidget(chip)
            chip.hide()
            chip.deleteLater()
        self.chips = [PersonChip(self.card, i, target) for i, target in enumerate(personnel)]
        for i, chip in enumerate(self.chips):
            self.flow.insertWidget(i, chip)
        self.hint.setVisible(not self.chips)

    def drop_position(self, pos: QPoint) -> int:
        """Where a drop at `pos` inserts: before the first chip it lands on or before, else last."""
        for i, chip in enumerate(self.chips):
            rect = chip.geometry()
            if pos.y() < rect.top() or (pos.y() <= rect.bottom() and pos.x() < rect.center().x()):
                return i
        return len(self.chips)

    def _accepts(self, mime: QMimeData) -> bool:
        return mime.hasFormat(TARGET_MIME)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
            self.setProperty("dropping", True)
            repolish(self)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.setProperty("dropping", False)
        repolish(self)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.setProperty("dropping", False)
        repolish(self)
        mime = event.mimeData()
        if not self._accepts(mime):
            event.ignore()
            return
        self.card.take_drop(mime, self.drop_position(event.position().toPoint()))
        event.acceptProposedAction()


class LayerCard(QFrame):
    """One layer of the rule; accepts dropped people and teams and dropped layer cards."""

    def __init__(self, editor: RuleEditorDialog, index: int) -> None:
        super().__init__()
        self.editor = editor
        self.index = index
        self.layer = editor.draft.rule.layers[index]
        self.setObjectName("layerCard")
        self.setAcceptDrops(True)
        self._press: QPoint | None = None
        commands = editor.commands

        self.handle = QLabel("⠿")
        self.handle.setStyleSheet("color: #8a8f98; font-size: 13pt;")
        self.handle.setToolTip("Drag to change the layer's priority")
        self.rank = QLabel()
        self.rank.setStyleSheet("font-weight: bold; font-size: 11pt;")
        self.name = QLineEdit()
        self.name.setPlaceholderText("Layer name (e.g. Sydney, Weekdays, Backstop)")
        self.name.setAccessibleName(f"Name of layer {index + 1}")
        self.name.textEdited.connect(lambda text: commands.set_layer_name(self.index, text))
        self.zone = ZonePicker(include_local=False)
        self.zone.setAccessibleName(f"Time zone of layer {index + 1}")
        self.zone.setToolTip("The layer's rotation and windows are wall-clock times in this zone")
        self.zone.currentTextChanged.connect(self._zone_typed)
        self.up = self._tool("▲", "Higher priority", lambda: commands.move_layer(self.index, self.index - 1))
        self.down = self._tool("▼", "Lower priority", lambda: commands.move_layer(self.index, self.index + 1))
        self.remove = self._tool("✕", "Remove this layer", lambda: commands.remove_layer(self.index))
        header = QHBoxLayout()
        header.setSpacing(6)
        header.addWidget(self.handle)
        header.addWidget(self.rank)
        header.addWidget(self.name, 2)
        header.addWidget(QLabel("in"))
        header.addWidget(self.zone, 2)
        for button in (self.up, self.down, self.remove):
            header.addWidget(button)

        self.people = PeopleChips(self)
        self.rotation = RotationRow(editor.now)
        self.rotation.rotation_changed.connect(lambda r, typed: commands.set_rotation(self.index, r, typed))
        self.windows = WindowRows("on call all day, every day (add windows to restrict the layer)")
        self.windows.windows_changed.connect(lambda w, typed: commands.set_windows(self.index, w, typed))
        self.effective = SpanRow("the layer", editor.now)
        self.effective.span_changed.connect(lambda s, e: commands.set_effective(self.index, s, e))
        self.messages = {key: message_label() for key in (*FIELDS, "card")}

        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        grid.addLayout(header, 0, 0, 1, 2)
        grid.addWidget(self.messages["card"], 1, 0, 1, 2)
        grid.addWidget(self.messages["name"], 2, 0, 1, 2)
        grid.addWidget(self.messages["timezone"], 3, 0, 1, 2)
        rows = (
            ("People", self.people, "personnel"),
            ("Rotation", self.rotation, "rotation"),
            ("Hours", self.windows, "windows"),
            ("Effective", self.effective, "effective"),
        )
        for n, (label, widget, key) in enumerate(rows):
            caption = QLabel(label)
            caption.setStyleSheet("color: #444;")
            grid.addWidget(caption, 4 + 2 * n, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(widget, 4 + 2 * n, 1)
            grid.addWidget(self.messages[key], 5 + 2 * n, 1)
        grid.setColumnStretch(1, 1)
        self.set_layer(index, self.layer)

    def _tool(self, text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def focus_chain(self) -> list[QWidget]:
        """The card's widgets Tab visits, in the order they are seen."""
        people: list[QWidget] = [*self.people.chips, self.people.add]
        return [
            self.name,
            self.zone,
            self.up,
            self.down,
            self.remove,
            *people,
            *self.rotation.focus_chain(),
            *self.windows.focus_chain(),
            *self.effective.focus_chain(),
        ]

    def title_text(self) -> str:
        return f"layer {self.index + 1}" + (f" ({self.layer.name})" if self.layer.name else "")

    def _zone_typed(self, text: str) -> None:
        self.editor.commands.set_layer_zone(self.index, text.strip() or None)

    def set_layer(self, index: int, layer: Layer) -> None:
        self.index = index
        self.layer = layer
        count = len(self.editor.draft.rule.layers)
        self.rank.setText(f"{index + 1}.")
        self.rank.setToolTip("Priority: with `first`, the first layer with someone on call wins")
        if self.name.text() != layer.name:
            self.name.setText(layer.name)
        if self.zone.current_zone() != (layer.timezone or ""):
            self.zone.set_zone(layer.timezone or "")
        line_edit = self.zone.lineEdit()
        if line_edit is not None:
            line_edit.setPlaceholderText(f"the rule's zone ({self.editor.draft.rule.timezone})")
        self.people.set_personnel(layer.personnel)
        self.rotation.set_rotation(layer.rotation)
        self.windows.set_windows(layer.windows)
        self.effective.set_span(layer.effective_start, layer.effective_end)
        self.up.setEnabled(index > 0)
        self.down.setEnabled(index < count - 1)
        self.remove.setEnabled(count > 1)
        self.handle.setVisible(count > 1)

    def focus_chip(self, position: int) -> None:
        chips = self.editor.card_of(self.index).people.chips
        if 0 <= position < len(chips):
            chips[position].setFocus(Qt.FocusReason.OtherFocusReason)

    def show_problems(self, problems: dict[str, list[Problem]]) -> None:
        """Each field's findings next to it; the card marked by the worst of them."""
        for key, label in self.messages.items():
            show_messages(label, problems.get(key, []))
        found = [p for ps in problems.values() for p in ps]
        state = "error" if any(p.level == "error" for p in found) else "warning" if found else ""
        self.setProperty("state", state)
        repolish(self)

    def message_texts(self) -> list[str]:
        """Every message shown on the card, plain (for tests and accessibility)."""
        return [
            re.sub(r"<[^>]+>", "", line)
            for label in self.messages.values()
            if label.isVisibleTo(self)
            for line in label.text().split("<br>")
        ]

    # -- drag and drop ---------------------------------------------------------------------------

    def take_drop(self, mime: QMimeData, position: int | None) -> None:
        """A person or team dropped on this layer (from the roster, or moved from a layer)."""
        commands = self.editor.commands
        target = mime_text(mime, TARGET_MIME)
        if mime.hasFormat(PERSON_SOURCE_MIME):
            layer, at = (int(part) for part in mime_text(mime, PERSON_SOURCE_MIME).split(":"))
            commands.move_person(layer, at, self.index, position)
        else:
            commands.add_person(self.index, target, position)

    def _accepts(self, mime: QMimeData) -> bool:
        if mime.hasFormat(LAYER_MIME):
            return mime_text(mime, LAYER_MIME) != str(self.index)
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
        if mime.hasFormat(LAYER_MIME):
            self.editor.commands.move_layer(int(mime_text(mime, LAYER_MIME)), self.index)
        else:
            self.take_drop(mime, None)
        event.acceptProposedAction()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        on_handle = self.handle.geometry().contains(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and on_handle and self.handle.isVisible():
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not drag_begins(self._press, event):
            return
        self._press = None
        pixmap = self.grab().scaledToWidth(320, Qt.TransformationMode.SmoothTransformation)
        start_drag(self, {LAYER_MIME: str(self.index)}, pixmap)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if control and event.key() == Qt.Key.Key_Up:
            self.editor.commands.move_layer(self.index, self.index - 1)
        elif control and event.key() == Qt.Key.Key_Down:
            self.editor.commands.move_layer(self.index, self.index + 1)
        else:
            super().keyPressEvent(event)
