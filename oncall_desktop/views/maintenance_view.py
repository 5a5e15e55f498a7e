"""The Maintenance page (SPEC §13): planned quiet times, each with its start and end, the incidents
it matches, and how many incidents it holds right now.

Add, edit and delete are undoable commands on the window's stack: each puts back exactly the window
it changed, at its place in the list. The editor runs the core's checks on the configuration as it
would be and shows each finding under its field. The count of held incidents is refreshed every few
seconds while the page is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
    QTimer,
)
from PySide6.QtGui import QHideEvent, QShowEvent, QUndoCommand
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import maintenance
from oncall_desktop.domain import Configuration, MaintenanceWindow, MatchConditions, Status
from oncall_desktop.store import Store
from oncall_desktop.views.commands import Failed, Refresh, StoreCommand

_Index = QModelIndex | QPersistentModelIndex
COUNT_REFRESH_MS = 5_000
ERROR_STYLE = "color: #c62828;"
SHOWN = "%a %Y-%m-%d %H:%M"


def describe_match(match: MatchConditions) -> str:
    if not match.conditions:
        return "every incident"
    joiner = " and " if match.mode == "all" else " or "
    return joiner.join(match.conditions)


class MaintenanceModel(QAbstractTableModel):
    """The windows in their order: name, start, end (in the station's zone), what they match, and
    how many incidents each holds now."""

    COLUMNS = ("Name", "Start", "End", "Matches", "Holding")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.windows: list[MaintenanceWindow] = []
        self.held: list[int] = []
        self.now = datetime.now(UTC)

    def set_windows(self, windows: Sequence[MaintenanceWindow], held: Sequence[int], now: datetime) -> None:
        self.beginResetModel()
        self.windows, self.held, self.now = list(windows), list(held), now
        self.endResetModel()

    def set_held(self, held: Sequence[int], now: datetime) -> None:
        self.held, self.now = list(held), now
        if self.windows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.windows) - 1, len(self.COLUMNS) - 1))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.windows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.windows):
            return None
        window = self.windows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            start, end = maintenance.span(window)
            zone = maintenance.station_zone()
            held = self.held[index.row()] if index.row() < len(self.held) else 0
            state = "running" if start <= self.now < end else "ended" if end <= self.now else "planned"
            return (
                window.name,
                start.astimezone(zone).strftime(SHOWN),
                end.astimezone(zone).strftime(SHOWN),
                describe_match(window.match),
                f"{held} incident{'s' if held != 1 else ''} ({state})",
            )[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return window.name
        return None


class MaintenanceDialog(QDialog):
    """Name, start, end and match conditions of one window; OK stays disabled while the core's
    checks find an error, shown under its field."""

    def __init__(
        self,
        config: Configuration,
        window: MaintenanceWindow | None,
        index: int,
        now: datetime,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New maintenance window" if window is None else f"Edit {window.name}")
        self.config = config
        self.index = index
        zone = maintenance.station_zone()
        if window is None:
            start_at = now.astimezone(zone).replace(second=0, microsecond=0) + timedelta(hours=1)
            window = MaintenanceWindow(
                "", start_at.replace(tzinfo=None), (start_at + timedelta(hours=2)).replace(tzinfo=None)
            )
        self.name = QLineEdit(window.name)
        self.name.setPlaceholderText("Database upgrade")
        start, end = maintenance.span(window)
        self.start = self._picker(start)
        self.end = self._picker(end)
        self.mode = QComboBox()
        self.mode.addItem("all of them", "all")
        self.mode.addItem("any of them", "any")
        self.mode.setCurrentIndex(1 if window.match.mode == "any" else 0)
        self.conditions = QLineEdit(", ".join(window.match.conditions))
        self.conditions.setPlaceholderText("service:db*, env:prod — empty: every incident")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow(f"Start ({zone}):", self.start)
        form.addRow(f"End ({zone}):", self.end)
        form.addRow("Match conditions:", self.conditions)
        form.addRow("Incidents matching:", self.mode)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        hint = QLabel(
            "Incidents opened inside the window that match are stored and shown, page nobody, and "
            "start escalating at its end if still open."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        for edit in (self.name, self.conditions):
            edit.textChanged.connect(self.revalidate)
        for picker in (self.start, self.end):
            picker.dateTimeChanged.connect(self.revalidate)
        self.mode.currentIndexChanged.connect(self.revalidate)
        self.resize(520, self.sizeHint().height())
        self.revalidate()

    @staticmethod
    def _picker(instant: datetime) -> QDateTimeEdit:
        wall = instant.astimezone(maintenance.station_zone())
        picker = QDateTimeEdit(
            QDateTime(QDate(wall.year, wall.month, wall.day), QTime(wall.hour, wall.minute))
        )
        picker.setDisplayFormat("yyyy-MM-dd HH:mm")
        picker.setCalendarPopup(True)
        return picker

    @staticmethod
    def _wall(picker: QDateTimeEdit) -> datetime:
        value = picker.dateTime()
        day, clock = value.date(), value.time()
        return datetime(day.year(), day.month(), day.day(), clock.hour(), clock.minute())

    def edited(self) -> MaintenanceWindow:
        conditions = tuple(c.strip() for c in self.conditions.text().split(",") if c.strip())
        match = MatchConditions("any" if self.mode.currentData() == "any" else "all", conditions)
        return MaintenanceWindow(
            self.name.text().strip(), self._wall(self.start), self._wall(self.end), match
        )

    def problems(self) -> list[str]:
        from oncall_desktop.validation import validate_configuration  # with the dialog, not the window

        windows = list(self.config.maintenance)
        if self.index < len(windows):
            windows[self.index] = self.edited()
        else:
            windows.append(self.edited())
        prefix = f"maintenance[{self.index}]"
        config = replace(self.config, maintenance=tuple(windows))
        labels = {"name": "Name", "start": "Start", "end": "End", "match": "Match conditions"}
        found = []
        for problem in validate_configuration(config):
            if problem.level != "error" or not problem.path.startswith(prefix + "."):
                continue
            field = problem.path[len(prefix) + 1 :].split(".")[0].split("[")[0]
            found.append(f"{labels.get(field, field)}: {problem.reason}")
        return found

    def revalidate(self) -> None:
        found = self.problems() if self.name.text().strip() else ["Name: give the window a name"]
        self.message.setText("\n".join(found))
        self.message.setVisible(bool(found) and bool(self.name.text().strip()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)


class _WindowsCommand(StoreCommand):
    def __init__(self, text: str, store: Store, refresh: Refresh, failed: Failed | None) -> None:
        super().__init__(text, store, refresh, failed)

    def _windows(self) -> list[MaintenanceWindow]:
        return list(self.store.load_configuration().maintenance)


class AddMaintenance(_WindowsCommand):
    def __init__(
        self, store: Store, window: MaintenanceWindow, refresh: Refresh, failed: Failed | None
    ) -> None:
        super().__init__(f"Add maintenance {window.name}", store, refresh, failed)
        self.window = window

    def apply(self) -> None:
        self.store.save_maintenance([*self._windows(), self.window])

    def revert(self) -> None:
        windows = self._windows()
        if self.window in windows:
            windows.reverse()
            windows.remove(self.window)  # the last one: the one this command added
            windows.reverse()
        self.store.save_maintenance(windows)


class EditMaintenance(_WindowsCommand):
    def __init__(
        self,
        store: Store,
        index: int,
        before: MaintenanceWindow,
        after: MaintenanceWindow,
        refresh: Refresh,
        failed: Failed | None,
    ) -> None:
        super().__init__(f"Edit maintenance {after.name}", store, refresh, failed)
        self.index, self.before, self.after = index, before, after

    def _put(self, window: MaintenanceWindow) -> None:
        windows = self._windows()
        if 0 <= self.index < len(windows):
            windows[self.index] = window
        self.store.save_maintenance(windows)

    def apply(self) -> None:
        self._put(self.after)

    def revert(self) -> None:
        self._put(self.before)


class DeleteMaintenance(_WindowsCommand):
    def __init__(
        self, store: Store, index: int, window: MaintenanceWindow, refresh: Refresh, failed: Failed | None
    ) -> None:
        super().__init__(f"Delete maintenance {window.name}", store, refresh, failed)
        self.index, self.window = index, window

    def apply(self) -> None:
        windows = self._windows()
        if 0 <= self.index < len(windows) and windows[self.index] == self.window:
            del windows[self.index]
        self.store.save_maintenance(windows)

    def revert(self) -> None:
        windows = self._windows()
        windows.insert(min(self.index, len(windows)), self.window)
        self.store.save_maintenance(windows)


def held_counts(store: Store, windows: Sequence[MaintenanceWindow], now: datetime) -> list[int]:
    """How many unresolved incidents each window holds at `now`."""
    held = [
        (i.maintenance, i.held_until, i.status)
        for i in store.incidents.newest(Status.OPEN) + store.incidents.newest(Status.WORKING)
        if i.held_until is not None
    ]
    return [maintenance.held_count(w, held, now) for w in windows]


class MaintenancePage(QWidget):
    """Every maintenance window, the incidents each holds, and add / edit / delete."""

    def __init__(
        self,
        store: Store,
        push: Callable[[QUndoCommand], None],
        refresh: Callable[[], None],
        failed: Callable[[str], None],
        now: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.push = push
        self.refresh = refresh
        self.failed = failed
        self.now = now or (lambda: datetime.now(UTC))
        self.config = Configuration()
        self.confirm: Callable[[str, str], bool] = self._confirm
        self.ask_window: Callable[[MaintenanceWindow | None, int], MaintenanceWindow | None] = self._ask

        self.model = MaintenanceModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in range(len(MaintenanceModel.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_window())

        self.add_button = QPushButton("Add window…")
        self.add_button.clicked.connect(self.add_window)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit_window)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete_window)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        intro = QLabel(
            "<b>Maintenance</b> — planned quiet times. An incident opened inside a window that matches "
            "it is stored and shown as <i>in maintenance</i>, pages nobody, and starts escalating at "
            "the window's end if it is still open. Times are in the station's zone "
            f"({maintenance.station_zone()})."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.counts = QTimer(self)
        self.counts.setInterval(COUNT_REFRESH_MS)
        self.counts.timeout.connect(self.refresh_counts)
        self._selection_changed()

    def set_configuration(self, config: Configuration) -> None:
        self.config = config
        now = self.now()
        # Counting asks the incidents; a hidden page counts when it is shown (`showEvent`), so the
        # window's first paint reads nothing but the configuration.
        counts = held_counts(self.store, config.maintenance, now) if self.isVisible() else []
        self.model.set_windows(config.maintenance, counts, now)
        self._selection_changed()

    def refresh_counts(self) -> None:
        now = self.now()
        self.model.set_held(held_counts(self.store, self.model.windows, now), now)

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh_counts()
        self.counts.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.counts.stop()
        super().hideEvent(event)

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.model.windows):
            return None
        return rows[0].row()

    def _selection_changed(self, *_args: object) -> None:
        chosen = self.selected_row() is not None
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _ask(self, window: MaintenanceWindow | None, index: int) -> MaintenanceWindow | None:
        dialog = MaintenanceDialog(self.config, window, index, self.now(), self)
        return dialog.edited() if dialog.exec() else None

    def add_window(self) -> None:
        window = self.ask_window(None, len(self.config.maintenance))
        if window is not None:
            self.push(AddMaintenance(self.store, window, self.refresh, self.failed))

    def edit_window(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        before = self.model.windows[row]
        after = self.ask_window(before, row)
        if after is not None and after != before:
            self.push(EditMaintenance(self.store, row, before, after, self.refresh, self.failed))
            self.table.selectRow(row)

    def delete_window(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        window = self.model.windows[row]
        if self.confirm(
            "Delete maintenance window",
            f"Delete {window.name}? Incidents it holds now stay held until its end. "
            "(Edit ▸ Undo brings it back.)",
        ):
            self.push(DeleteMaintenance(self.store, row, window, self.refresh, self.failed))

    def _confirm(self, title: str, question: str) -> bool:
        return QMessageBox.question(self, title, question) == QMessageBox.StandardButton.Yes
