"""File → Export, File → Import and Calendar feeds: shifts to and from people's own calendars.

The dialogs call the Qt-free core (`oncall_desktop.ical`, `oncall_desktop.ical_feeds`) and the store;
the import dialog shows what an import would do — matched, unmatched, conflicts — and changes
nothing until Apply, which stores every override in one atomic configuration write.

Signals:
    ImportDialog.overrides_imported(int): overrides were stored (how many); the window refreshes.
    FeedsDialog.feeds_changed(): a feed was created or revoked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QKeyEvent, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import ical, ical_feeds
from oncall_desktop.domain import Configuration, Override
from oncall_desktop.store import Store
from oncall_desktop.timeutil import resolve_wall, system_zone_name, zone
from oncall_desktop.views.commands import ImportOverrides, OverrideIds

_Index = QModelIndex | QPersistentModelIndex
ICS_FILTER = "iCalendar files (*.ics);;All files (*)"


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _day_start(day: date, tz: tzinfo) -> datetime:
    return resolve_wall(datetime.combine(day, time(0, 0)), tz)


def _when(value: datetime, tz: tzinfo) -> str:
    local = value.astimezone(tz)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


class _SpanEdit(QWidget):
    """Two dates (whole local days in `tz`): the span [first day 00:00, day after the last 00:00)."""

    def __init__(self, start: date, last: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start = QDateEdit(_qdate(start))
        self.last = QDateEdit(_qdate(last))
        for edit in (self.start, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("ddd d MMM yyyy")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.start)
        layout.addWidget(QLabel("to"))
        layout.addWidget(self.last)
        layout.addStretch(1)

    def span(self, tz: tzinfo) -> tuple[datetime, datetime] | None:
        first, last = _pydate(self.start.date()), _pydate(self.last.date())
        if last < first:
            return None
        return _day_start(first, tz), _day_start(last + timedelta(days=1), tz)


# -- File → Export ---------------------------------------------------------------------------------


class ExportDialog(QDialog):
    """Export shifts — everyone's, one person's or one rule's — for a span, to an .ics file."""

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        person: str | None = None,
        now: datetime | None = None,
        zone_name: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export shifts to a calendar file")
        self.store = store
        self.config = store.load_configuration()
        self.tz = zone(zone_name or system_zone_name())
        self.now = now or datetime.now(UTC)
        start, end = ical.default_span(self.now)

        self.everything = QRadioButton("Everyone")
        self.by_person = QRadioButton("One person (all their rules)")
        self.by_rule = QRadioButton("One rule")
        self.scope = QButtonGroup(self)
        for button in (self.everything, self.by_person, self.by_rule):
            self.scope.addButton(button)
        self.person = QComboBox()
        for p in self.config.people:
            self.person.addItem(p.name, p.id)
        self.rule = QComboBox()
        for r in self.config.rules:
            self.rule.addItem(r.name, r.id)
        scope = QGridLayout()
        scope.addWidget(self.everything, 0, 0)
        scope.addWidget(self.by_person, 1, 0)
        scope.addWidget(self.person, 1, 1)
        scope.addWidget(self.by_rule, 2, 0)
        scope.addWidget(self.rule, 2, 1)
        scope.setColumnStretch(1, 1)
        if person is not None and self.person.findData(person) >= 0:
            self.by_person.setChecked(True)
            self.person.setCurrentIndex(self.person.findData(person))
        else:
            self.everything.setChecked(True)
        self.scope.buttonToggled.connect(self._scope_changed)
        self._scope_changed()

        self.span = _SpanEdit(start.astimezone(self.tz).date(), end.astimezone(self.tz).date())
        self.path = QLineEdit()
        self.path.setPlaceholderText("where to write the .ics file")
        self.path.setText(str(Path.home() / self._suggested_name()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)

        form = QFormLayout()
        form.addRow("Shifts of", scope)
        form.addRow(f"Days ({self.tz.key if hasattr(self.tz, 'key') else self.tz})", self.span)
        form.addRow("File", file_row)
        self.status = QLabel(
            "Each shift becomes one event with its real start and end, in its rule's time zone. "
            "Exporting again updates the same events in calendar apps."
        )
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(620, self.sizeHint().height())

    def _scope_changed(self, *_args: object) -> None:
        self.person.setEnabled(self.by_person.isChecked())
        self.rule.setEnabled(self.by_rule.isChecked())

    def _suggested_name(self) -> str:
        person, rule = self.choice()
        return f"oncall-{person or rule or 'everyone'}.ics"

    def choice(self) -> tuple[str | None, str | None]:
        """(person, rule) the export is limited to."""
        if self.by_person.isChecked():
            return self.person.currentData(), None
        if self.by_rule.isChecked():
            return None, self.rule.currentData()
        return None, None

    def _browse(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), ICS_FILTER)
        if path:
            self.path.setText(path)

    def export(self) -> bool:
        """Write the file; the status line says what happened."""
        span = self.span.span(self.tz)
        if span is None:
            return self._fail("The last day is before the first.")
        path = self.path.text().strip()
        if not path:
            return self._fail("Choose a file to write.")
        person, rule = self.choice()
        data = ical.export_calendar(self.config, *span, person=person, rule=rule, now=self.now)
        try:
            Path(path).write_bytes(data)
        except OSError as error:
            return self._fail(f"Cannot write {path}: {error.strerror or error}")
        count = data.count(b"BEGIN:VEVENT")
        self.status.setText(f"Wrote {count} shift{'s' if count != 1 else ''} to {path}.")
        self.status.setStyleSheet("")
        return True

    def _fail(self, message: str) -> bool:
        self.status.setText(message)
        self.status.setStyleSheet("color: #c62828;")
        return False


# -- File → Import ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewRow:
    kind: str  # "matched", "present", "conflict", "unmatched"
    person: str
    start: datetime
    end: datetime
    summary: str
    note: str


KIND_WORDS = {"matched": "Add", "conflict": "Add (overlaps)", "present": "Already there", "unmatched": "Skip"}
KIND_COLOURS = {
    "matched": QColor("#2e7d32"),
    "conflict": QColor("#a05a00"),
    "present": QColor("#607d8b"),
    "unmatched": QColor("#c62828"),
}


def preview_rows(preview: ical.ImportPreview, config: Configuration) -> list[PreviewRow]:
    """The preview as table rows: matched (by start), then unmatched."""
    present = set(preview.already_present)
    overlapping: dict[ical.ImportedEvent, list[str]] = {}
    for first, second in preview.conflicts:
        overlapping.setdefault(first, []).append(_describe(second, config))
        if isinstance(second, ical.ImportedEvent):
            overlapping.setdefault(second, []).append(_describe(first, config))
    rows = []
    for event in preview.matched:
        name = config.display_name(event.person or "")
        if event in present:
            kind, note = "present", "an equal override exists"
        elif event in overlapping:
            kind, note = "conflict", "overlaps " + "; ".join(overlapping[event])
        else:
            kind, note = "matched", f"matched by {event.matched_by}"
        rows.append(PreviewRow(kind, name, event.start, event.end, event.summary, note))
    rows.extend(
        PreviewRow("unmatched", "—", e.start, e.end, e.summary or "(no summary)", e.reason)
        for e in preview.unmatched
    )
    return rows


def _describe(item: ical.ImportedEvent | Override, config: Configuration) -> str:
    name = config.display_name(item.person or "")
    source = "imported" if isinstance(item, ical.ImportedEvent) else "existing override of"
    return f"{source} {name}"


class PreviewModel(QAbstractTableModel):
    """What an import would do, one row per event."""

    COLUMNS = ("Action", "Person", "Start", "End", "Event", "Why")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PreviewRow] = []
        self.tz: tzinfo = UTC

    def set_rows(self, rows: Sequence[PreviewRow], tz: tzinfo) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.tz = tz
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                KIND_WORDS[row.kind],
                row.person,
                _when(row.start, self.tz),
                _when(row.end, self.tz),
                row.summary,
                row.note,
            )
            return values[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QBrush(KIND_COLOURS[row.kind])
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.summary}\n{row.note}"
        return None


CHOOSE_NOTE = (
    "Choose the rule the events become overrides on, and a file. You see what it would import "
    "first; nothing changes until Apply."
)


class ImportDialog(QDialog):
    """Import a calendar's events as overrides on one rule, after a preview.

    The rule is chosen here, explicitly (the dialog opens with none). Enter in the path field shows
    the preview; only the Apply button stores it, as one command on `undo_stack` (the window's),
    which Edit ▸ Undo takes back whole.
    """

    overrides_imported = Signal(int)

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        path: str | None = None,
        rule: str | None = None,
        now: datetime | None = None,
        undo_stack: QUndoStack | None = None,
        override_ids: OverrideIds | None = None,
        refresh: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import shifts from a calendar file")
        self.store = store
        self.config = store.load_configuration()
        self.preview: ical.ImportPreview | None = None
        self.error_box: QMessageBox | None = None
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.override_ids = override_ids if override_ids is not None else OverrideIds()
        self.refresh = refresh or (lambda: None)
        self.failure: str | None = None
        today = (now or datetime.now(UTC)).date()

        self.path = QLineEdit(path or "")
        self.path.setPlaceholderText("an .ics file from Google Calendar, Outlook, Grafana OnCall, …")
        self.path.returnPressed.connect(self.refresh_preview)
        self.path.textEdited.connect(self._forget_preview)
        browse = QPushButton("Browse…")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setAutoDefault(False)
        self.preview_button.clicked.connect(self.refresh_preview)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        file_row.addWidget(self.preview_button)
        self.rule = QComboBox()
        self.rule.setPlaceholderText("Choose the rule…")
        for r in self.config.rules:
            self.rule.addItem(f"{r.name} ({r.timezone})", r.id)
        self.rule.setCurrentIndex(self.rule.findData(rule) if rule is not None else -1)
        self.rule.currentIndexChanged.connect(self.refresh_preview)
        self.limit = QCheckBox("Only events on these days")
        self.span = _SpanEdit(today, today + timedelta(days=90))
        self.span.setEnabled(False)
        self.limit.toggled.connect(self.span.setEnabled)
        self.limit.toggled.connect(self.refresh_preview)
        self.span.start.dateChanged.connect(self.refresh_preview)
        self.span.last.dateChanged.connect(self.refresh_preview)
        span_row = QHBoxLayout()
        span_row.addWidget(self.limit)
        span_row.addWidget(self.span, 1)

        form = QFormLayout()
        form.addRow("File", file_row)
        form.addRow("As overrides on", self.rule)
        form.addRow("", span_row)

        self.model = PreviewModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.summary = QLabel(CHOOSE_NOTE)
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        # Apply is never the default button: Enter anywhere in the dialog previews, it never imports.
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.ActionRole)
        self.apply_button.setAutoDefault(False)
        self.apply_button.setDefault(False)
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        for button in self.buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(980, 520)
        if path:
            self.refresh_preview()

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Import from", self.path.text(), ICS_FILTER)
        if path:
            self.path.setText(path)
            self.refresh_preview()

    def rule_id(self) -> str | None:
        data = self.rule.currentData()
        return str(data) if data is not None else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.refresh_preview()  # never Apply, never close
            return
        super().keyPressEvent(event)

    def _forget_preview(self, *_args: object) -> None:
        """The path changed: what was previewed is not what Apply would read any more."""
        self.preview = None
        self.apply_button.setEnabled(False)
        self.model.set_rows([], UTC)
        self.summary.setStyleSheet("")
        self.summary.setText("Press Enter or Preview to see what this file would import.")

    def refresh_preview(self, *_args: object) -> None:
        """Read the file again and show what Apply would store."""
        self.preview = None
        self.apply_button.setEnabled(False)
        path = self.path.text().strip()
        rule_id = self.rule_id()
        rule = self.config.rule(rule_id) if rule_id else None
        if not path or rule is None:
            self.model.set_rows([], UTC)
            self.summary.setStyleSheet("")
            self.summary.setText(
                CHOOSE_NOTE if rule is None else "Choose a file to see what it would import."
            )
            return
        tz = zone(rule.timezone)
        span = self.span.span(tz) if self.limit.isChecked() else None
        if self.limit.isChecked() and span is None:
            self._show_error("The last day is before the first.")
            return
        try:
            data = Path(path).read_bytes()
            preview = ical.preview_import(data, self.config, rule.id, *(span or (None, None)))
        except OSError as error:
            self._show_error(f"Cannot read {path}: {error.strerror or error}")
            return
        except ical.IcalError as error:
            self._show_error(f"{Path(path).name} cannot be imported: {error}")
            return
        self.preview = preview
        self.model.set_rows(preview_rows(preview, self.config), tz)
        adds = len(preview.overrides)
        self.summary.setStyleSheet("")
        self.summary.setText(
            f"Apply adds {adds} override{'s' if adds != 1 else ''} to {rule.name} "
            f"({len(preview.matched)} matched, {len(preview.unmatched)} unmatched, "
            f"{len(preview.conflicts)} conflicts, {len(preview.already_present)} already there). "
            f"Times in {rule.timezone}; where events overlap, the later one wins."
        )
        self.apply_button.setEnabled(adds > 0)

    def _show_error(self, message: str) -> None:
        self.model.set_rows([], UTC)
        self.summary.setText(message)
        self.summary.setStyleSheet("color: #c62828;")
        self.error_box = QMessageBox(QMessageBox.Icon.Critical, "Cannot import", message, parent=self)
        self.error_box.open()

    def apply(self) -> None:
        """Store every previewed override as one undoable command, then close."""
        if self.preview is None or not self.preview.overrides:
            return
        rule = self.config.rule(self.preview.rule)
        self.failure = None
        command = ImportOverrides(
            self.store,
            self.override_ids,
            self.preview.overrides,
            rule.name if rule else self.preview.rule,
            self.refresh,
            self._failed,
        )
        self.undo_stack.push(command)
        if command.isObsolete():
            self._show_error(f"Nothing was imported: {self.failure}")
            return
        self.overrides_imported.emit(len(self.preview.overrides))
        self.accept()

    def _failed(self, reason: str) -> None:
        self.failure = reason


# -- Calendar feeds --------------------------------------------------------------------------------


class FeedsDialog(QDialog):
    """Create, copy and revoke the secret feed URLs calendar apps subscribe to."""

    feeds_changed = Signal()
    COLUMNS = ("For", "Name", "Created", "Feed URL")

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        confirm: Callable[[str], bool] | None = None,
        zone_name: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calendar feeds")
        self.store = store
        self.config = store.load_configuration()
        self.tz = zone(zone_name or system_zone_name())
        self.confirm = confirm or self._ask
        self.feeds: list[ical_feeds.CalendarFeed] = []

        self.target = QComboBox()
        for p in self.config.people:
            self.target.addItem(f"Person: {p.name}", f"person:{p.id}")
        for r in self.config.rules:
            self.target.addItem(f"Rule: {r.name}", f"rule:{r.id}")
        create = QPushButton("Create feed")
        create.clicked.connect(self.create_feed)
        top = QHBoxLayout()
        top.addWidget(QLabel("New feed for"))
        top.addWidget(self.target, 1)
        top.addWidget(create)

        self.table = QTableView()
        self.model = _FeedsModel(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.copy_button = QPushButton("Copy URL")
        self.copy_button.clicked.connect(self.copy_url)
        self.revoke_button = QPushButton("Revoke…")
        self.revoke_button.clicked.connect(self.revoke_selected)
        hint = (
            "Anyone with a feed URL can read its shifts: share it only with its person. Revoking "
            "stops the feed for good; create a new one to hand out a new URL."
        )
        if not self.config.settings.station.public_url:
            hint += (
                f" No public URL is set for the station, so these URLs only work where "
                f"{self.config.settings.station.listen} reaches it."
            )
        self.status = QLabel(hint)
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.revoke_button)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.reload()
        self.resize(900, 380)

    def reload(self) -> None:
        self.feeds = self.store.feeds.listed()
        rows = [self._row(feed) for feed in self.feeds]
        self.model.set_rows(rows)
        self._selection_changed()

    def _row(self, feed: ical_feeds.CalendarFeed) -> tuple[str, str, str, str]:
        if feed.person is not None:
            person = self.config.person(feed.person)
            kind, name = "Person", person.name if person else f"{feed.person} (removed)"
        else:
            rule = self.config.rule(feed.rule or "")
            kind, name = "Rule", rule.name if rule else f"{feed.rule} (removed)"
        url = ical_feeds.feed_url(self.config.settings, feed.token)
        return kind, name, _when(feed.created_at, self.tz), url

    def selected(self) -> ical_feeds.CalendarFeed | None:
        rows = self.table.selectionModel().selectedRows()
        return self.feeds[rows[0].row()] if rows else None

    def _selection_changed(self, *_args: object) -> None:
        chosen = self.selected() is not None
        self.copy_button.setEnabled(chosen)
        self.revoke_button.setEnabled(chosen)

    def create_feed(self) -> ical_feeds.CalendarFeed:
        kind, _sep, target = str(self.target.currentData()).partition(":")
        feed = self.store.feeds.create(
            datetime.now(UTC),
            person=target if kind == "person" else None,
            rule=target if kind == "rule" else None,
        )
        self.reload()
        self.table.selectRow(len(self.feeds) - 1)
        self.copy_url()
        self.feeds_changed.emit()
        return feed

    def copy_url(self) -> None:
        feed = self.selected()
        if feed is None:
            return
        url = ical_feeds.feed_url(self.config.settings, feed.token)
        QGuiApplication.clipboard().setText(url)
        self.status.setText(f"Copied {url}: paste it into the calendar app's “subscribe by URL”.")

    def revoke_selected(self) -> None:
        feed = self.selected()
        if feed is None:
            return
        name = self._row(feed)[1]
        if not self.confirm(f"Revoke the calendar feed of {name}? Calendars subscribed to it stop updating."):
            return
        self.store.feeds.revoke(feed.id, datetime.now(UTC))
        self.reload()
        self.status.setText(f"Revoked the feed of {name}.")
        self.feeds_changed.emit()

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Revoke feed", question)
        return answer == QMessageBox.StandardButton.Yes


class _FeedsModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, str, str]] = []

    def set_rows(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FeedsDialog.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return FeedsDialog.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        return None
