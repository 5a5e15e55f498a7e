"""Small widgets and helpers the rule and ladder editors share: chips, messages, drags, the roster.

`show_messages` puts the validator's findings next to a field (errors red, warnings amber); `Roster`
lists people and teams to drag onto a layer or a level (`TARGET_MIME`), with Enter or right-click
opening the same choices as a menu.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QMimeData, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QContextMenuEvent, QDrag, QKeyEvent, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLayout,
    QLayoutItem,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetItem,
)

from oncall_desktop.domain import TEAM_PREFIX, Configuration
from oncall_desktop.validation import Problem
from oncall_desktop.views.ladder_model import TARGET_MIME
from oncall_desktop.views.ladder_preview import person_colour

ERROR_COLOUR = "#c62828"
WARNING_COLOUR = "#9a6700"
WARNING_BORDER = "#e0a800"


def drag_begins(press: QPoint | None, event: QMouseEvent) -> bool:
    """Whether the left button, pressed at `press`, has now moved far enough to start a drag."""
    if press is None or not event.buttons() & Qt.MouseButton.LeftButton:
        return False
    return (event.position().toPoint() - press).manhattanLength() >= QApplication.startDragDistance()


def start_drag(source: QWidget, formats: dict[str, str], pixmap: QPixmap) -> None:
    """Drag `formats` (MIME type → text) from `source`, showing `pixmap`, as a move."""
    mime = QMimeData()
    for kind, text in formats.items():
        mime.setData(kind, text.encode())
    drag = QDrag(source)
    drag.setMimeData(mime)
    drag.setPixmap(pixmap)
    drag.exec(Qt.DropAction.MoveAction)


def mime_text(mime: QMimeData, kind: str) -> str:
    return bytes(mime.data(kind).data()).decode()


def repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def chip_button(text: str, tooltip: str) -> QToolButton:
    """A checkable rounded toggle (styled by the editors' `QToolButton[chip="true"]` rules)."""
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setProperty("chip", True)
    button.setToolTip(tooltip)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


def message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.hide()
    return label


def show_messages(label: QLabel, problems: Sequence[Problem]) -> None:
    """The problems' reasons in `label` (hidden when there are none)."""
    if not problems:
        label.clear()
        label.hide()
        return
    lines = []
    for problem in problems:
        error = problem.level == "error"
        colour = ERROR_COLOUR if error else WARNING_COLOUR
        mark = "✖" if error else "⚠"
        lines.append(f'<span style="color:{colour}">{mark} {problem.reason}</span>')
    label.setText("<br>".join(lines))
    label.show()


def roster_entries(config: Configuration) -> list[tuple[str, str]]:
    """(target, display name) for every person, then every team."""
    people = [(p.id, p.name) for p in config.people]
    teams = [(f"{TEAM_PREFIX}{t.id}", _team_label(t.name)) for t in config.teams]
    return people + teams


def _team_label(name: str) -> str:
    return name if name.lower().startswith("team") else f"Team {name}"


class Roster(QListWidget):
    """People and teams to drag onto a layer or a level; Enter or right-click opens `menu(target)`."""

    def __init__(self, config: Configuration, hint: str, menu: Callable[[str], QMenu]) -> None:
        super().__init__()
        self.menu = menu
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for target, name in roster_entries(config):
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, target)
            item.setToolTip(f"{target} — {hint}")
            if target.startswith(TEAM_PREFIX):
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            else:
                pixmap = QPixmap(10, 10)
                pixmap.fill(person_colour(config, target))
                item.setIcon(pixmap)
            self.addItem(item)

    def item_of(self, target: str) -> QListWidgetItem | None:
        return next(
            (
                self.item(i)
                for i in range(self.count())
                if self.item(i).data(Qt.ItemDataRole.UserRole) == target
            ),
            None,
        )

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
        return self.menu(str(item.data(Qt.ItemDataRole.UserRole)))


class FlowLayout(QLayout):
    """Lays its widgets out left to right, wrapping onto the next line (chips of people, conditions)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def insertWidget(self, index: int, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self._items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line = area.x(), area.y(), 0
        parent = self.parentWidget()
        for item in self._items:
            widget = item.widget()
            if widget is not None and parent is not None and not widget.isVisibleTo(parent):
                continue
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line > 0:
                x, y, line = area.x(), y + line + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + margins.bottom()
