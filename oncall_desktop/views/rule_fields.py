"""Field widgets of the rule editor: match conditions as chips, weekly windows as rows of day toggles
and time pickers, an effective span, a rotation.

Each widget shows a value (`set_*`, which never emits) and reports the user's change by a signal;
the editor turns signals into undoable commands. Spin boxes are wider than any limit, so a value out
of range is typed in full and the validator names the limit next to the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import ROTATION_PERIODS, WEEKDAYS, Rotation, RotationPeriod, Window
from oncall_desktop.views.editor_widgets import FlowLayout, chip_button
from oncall_desktop.views.rule_model import WORKING_DAY, default_rotation

SPIN_LIMIT = 99_999
NO_ROTATION = "none: everyone together"
PERIOD_LABELS = {"hours": "hours", "daily": "days", "weekly": "weeks", "monthly": "months"}
FIELD_STYLE = """
QFrame#conditionChip { background: #e8eef7; border: 1px solid #b9c7dc; border-radius: 10px; }
QToolButton[chip="true"] { border: 1px solid #b8bfc9; border-radius: 9px; padding: 1px 6px;
    color: #6b7380; background: #ffffff; }
QToolButton[chip="true"]:checked { background: #37474f; color: #ffffff; border-color: #37474f; }
"""


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _qtime(value: time) -> QTime:
    return QTime(value.hour, value.minute)


def _time(value: QTime) -> time:
    return time(value.hour(), value.minute())


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class EntryLine(QLineEdit):
    """A line whose Enter confirms what was typed into it, instead of pressing the dialog's default
    button (QLineEdit lets Enter through to the dialog, which would save).

    Signals:
        entered(str): Enter was pressed with this text.
    """

    entered = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.text().strip():
            self.entered.emit(self.text())
            event.accept()
            return
        super().keyPressEvent(event)


class ConditionChips(QWidget):
    """`all`/`any` and the rule's conditions as removable chips, with a field to type the next one.

    Signals:
        added(str): a condition typed and confirmed with Enter (or "Add").
        removed(int): the condition at that position was removed.
        mode_changed(str): "all" or "any".
    """

    added = Signal(str)
    removed = Signal(int)
    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = QComboBox()
        self.mode.addItem("all of", "all")
        self.mode.addItem("any of", "any")
        self.mode.setToolTip("An incident matches when it has all (or any) of these tags")
        self.mode.currentIndexChanged.connect(lambda _i: self.mode_changed.emit(self.mode.currentData()))
        self.edit = EntryLine()
        self.edit.setPlaceholderText("key:value, then Enter (e.g. service:db*)")
        self.edit.setAccessibleName("New match condition")
        self.edit.entered.connect(lambda _text: self._add())
        self.chips: list[QFrame] = []
        self.flow = FlowLayout()
        self.empty = QLabel("no conditions: untagged incidents")
        self.empty.setStyleSheet("color: #6b7380;")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.mode)
        row.addWidget(self.edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addLayout(self.flow)
        layout.addWidget(self.empty)

    def _add(self) -> None:
        text = self.edit.text().strip()
        if text:
            self.added.emit(text)
            self.edit.clear()

    def set_conditions(self, mode: str, conditions: tuple[str, ...]) -> None:
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(1 if mode == "any" else 0)
        self.mode.blockSignals(False)
        if [chip.property("condition") for chip in self.chips] == list(conditions):
            return
        for chip in self.chips:
            self.flow.removeWidget(chip)
            chip.hide()  # at once: deletion waits for the event loop
            chip.deleteLater()
        self.chips = [self._chip(i, c) for i, c in enumerate(conditions)]
        for chip in self.chips:
            self.flow.addWidget(chip)
        self.empty.setVisible(not conditions)

    def _chip(self, position: int, condition: str) -> QFrame:
        chip = QFrame()
        chip.setObjectName("conditionChip")
        chip.setProperty("condition", condition)
        row = QHBoxLayout(chip)
        row.setContentsMargins(8, 1, 2, 1)
        row.setSpacing(2)
        row.addWidget(QLabel(condition))
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip(f"Remove {condition}")
        remove.setAccessibleName(f"Remove condition {condition}")
        remove.clicked.connect(lambda: self.removed.emit(position))
        row.addWidget(remove)
        return chip


class WindowRow(QWidget):
    """One weekly window: seven day toggles, a start and an end time, and a remove button."""

    changed = Signal()
    remove_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(3)
        self.days: list[QToolButton] = []
        for day, name in enumerate(WEEKDAYS):
            chip = chip_button(name.title()[:2], f"On {name.title()}")
            chip.setAccessibleName(f"{name.title()}")
            chip.toggled.connect(lambda _on: self.changed.emit())
            row.addWidget(chip)
            self.days.append(chip)
            if day == 4:
                row.addSpacing(4)
        row.addSpacing(8)
        self.start = QTimeEdit()
        self.end = QTimeEdit()
        for edit, what in ((self.start, "starts"), (self.end, "ends")):
            edit.setDisplayFormat("HH:mm")
            edit.setToolTip(
                f"When the window {what} (wall-clock time; an end before the start runs past midnight)"
            )
            edit.timeChanged.connect(lambda _t: self.changed.emit())
        row.addWidget(self.start)
        row.addWidget(QLabel("–"))
        row.addWidget(self.end)
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setAutoRaise(True)
        self.remove.setToolTip("Remove this window")
        self.remove.setAccessibleName("Remove window")
        self.remove.clicked.connect(self.remove_requested)
        row.addWidget(self.remove)
        row.addStretch(1)

    def value(self) -> Window:
        days = tuple(day for day, chip in enumerate(self.days) if chip.isChecked())
        return Window(days, _time(self.start.time()), _time(self.end.time()))

    def set_window(self, window: Window) -> None:
        for day, chip in enumerate(self.days):
            chip.blockSignals(True)
            chip.setChecked(day in window.days)
            chip.blockSignals(False)
        for edit, value in ((self.start, window.start), (self.end, window.end)):
            edit.blockSignals(True)
            edit.setTime(_qtime(value))
            edit.blockSignals(False)


class WindowRows(QWidget):
    """Weekly windows as rows (no rows: always), with "+ Add window".

    Signals:
        windows_changed(tuple, bool): the windows, and whether the edit was a time typed (merges).
    """

    windows_changed = Signal(tuple, bool)

    def __init__(self, always: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[WindowRow] = []
        self.box = QVBoxLayout()
        self.box.setSpacing(2)
        self.always = QLabel(always)
        self.always.setStyleSheet("color: #6b7380;")
        self.add = QPushButton("+ Add window")
        self.add.setToolTip("Add a weekly window (Monday–Friday 09:00–17:00 to start with)")
        self.add.clicked.connect(lambda: self.windows_changed.emit((*self.windows(), WORKING_DAY), False))
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.add)
        head.addWidget(self.always)
        head.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.box)
        layout.addLayout(head)

    def windows(self) -> tuple[Window, ...]:
        return tuple(row.value() for row in self.rows)

    def focus_chain(self) -> list[QWidget]:
        """The widgets Tab visits, in the order they are seen."""
        return [w for row in self.rows for w in (*row.days, row.start, row.end, row.remove)] + [self.add]

    def set_windows(self, windows: tuple[Window, ...]) -> None:
        while len(self.rows) > len(windows):
            row = self.rows.pop()
            self.box.removeWidget(row)
            row.hide()  # at once: deletion waits for the event loop
            row.deleteLater()
        while len(self.rows) < len(windows):
            row = WindowRow()
            index = len(self.rows)
            row.changed.connect(lambda: self.windows_changed.emit(self.windows(), True))
            row.remove_requested.connect(lambda i=index: self._remove(i))
            self.box.addWidget(row)
            self.rows.append(row)
        for row, window in zip(self.rows, windows, strict=True):
            row.set_window(window)
        self.always.setVisible(not windows)

    def _remove(self, index: int) -> None:
        windows = self.windows()
        self.windows_changed.emit(windows[:index] + windows[index + 1 :], False)


class SpanRow(QWidget):
    """An optional start and end (wall-clock; a bound written with an offset keeps its offset).

    Signals:
        span_changed(object, object): the start and end (None: open).
    """

    span_changed = Signal(object, object)

    def __init__(self, what: str, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._now = now
        self._offsets: tuple[object, object] = (None, None)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.start_check, self.start_edit = self._moment("from", f"{what} starts")
        self.end_check, self.end_edit = self._moment("until", f"{what} ends")
        for widget in (self.start_check, self.start_edit, self.end_check, self.end_edit):
            row.addWidget(widget)
        row.addStretch(1)

    def focus_chain(self) -> list[QWidget]:
        return [self.start_check, self.start_edit, self.end_check, self.end_edit]

    def _moment(self, label: str, tip: str) -> tuple[QCheckBox, QDateTimeEdit]:
        check = QCheckBox(label)
        check.setToolTip(f"Whether {tip} at a set time")
        edit = QDateTimeEdit()
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setCalendarPopup(True)
        edit.setEnabled(False)
        check.toggled.connect(edit.setEnabled)
        check.toggled.connect(lambda _on: self._emit())
        edit.dateTimeChanged.connect(lambda _v: self._emit())
        return check, edit

    def _value(self, check: QCheckBox, edit: QDateTimeEdit, offset: object) -> datetime | None:
        if not check.isChecked():
            return None
        d, t = edit.date(), edit.time()
        wall = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())
        return wall.replace(tzinfo=offset) if offset is not None else wall  # type: ignore[arg-type]

    def _emit(self) -> None:
        start = self._value(self.start_check, self.start_edit, self._offsets[0])
        end = self._value(self.end_check, self.end_edit, self._offsets[1])
        self.span_changed.emit(start, end)

    def set_span(self, start: datetime | None, end: datetime | None) -> None:
        self._offsets = (start.tzinfo if start else None, end.tzinfo if end else None)
        now = self._now().astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
        for check, edit, value in (
            (self.start_check, self.start_edit, start),
            (self.end_check, self.end_edit, end),
        ):
            shown = value.replace(tzinfo=None) if value else now
            for widget in (check, edit):
                widget.blockSignals(True)
            check.setChecked(value is not None)
            edit.setEnabled(value is not None)
            edit.setDateTime(QDateTime(_qdate(shown.date()), _qtime(shown.time())))
            for widget in (check, edit):
                widget.blockSignals(False)


class RotationRow(QWidget):
    """Period (or none: everyone together), every N, handoff time and anchor date.

    Signals:
        rotation_changed(object, bool): the rotation (None: everyone together), and whether the
            edit was a number or time typed (consecutive ones merge into one undo step).
    """

    rotation_changed = Signal(object, bool)

    def __init__(self, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._now = now
        self.period = QComboBox()
        self.period.addItem(NO_ROTATION, None)
        for period in ROTATION_PERIODS:
            self.period.addItem(f"rotate {period}", period)
        self.period.setAccessibleName("Rotation period")
        self.every = QSpinBox()
        self.every.setRange(0, SPIN_LIMIT)
        self.every.setAccessibleName("Rotate every")
        self.every.setToolTip("Hand off every N hours, days, weeks or months")
        self.unit = QLabel("weeks")
        self.handoff = QTimeEdit()
        self.handoff.setDisplayFormat("HH:mm")
        self.handoff.setToolTip("Wall-clock time of each handoff in the layer's zone")
        self.anchor = QDateEdit()
        self.anchor.setCalendarPopup(True)
        self.anchor.setDisplayFormat("yyyy-MM-dd")
        self.anchor.setToolTip("The first handoff: the first person's shift starts here")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.details = [
            QLabel("every"),
            self.every,
            self.unit,
            QLabel("at"),
            self.handoff,
            QLabel("from"),
            self.anchor,
        ]
        row.addWidget(self.period)
        for widget in self.details:
            row.addWidget(widget)
        row.addStretch(1)
        self.period.currentIndexChanged.connect(lambda _i: self._emit(False))
        self.every.valueChanged.connect(lambda _v: self._emit(True))
        self.handoff.timeChanged.connect(lambda _t: self._emit(True))
        self.anchor.dateChanged.connect(lambda _d: self._emit(False))

    def focus_chain(self) -> list[QWidget]:
        return [self.period, self.every, self.handoff, self.anchor]

    def rotation(self) -> Rotation | None:
        period: RotationPeriod | None = self.period.currentData()
        if period is None:
            return None
        return Rotation(period, self.every.value(), _time(self.handoff.time()), _date(self.anchor.date()))

    def _emit(self, typed: bool) -> None:
        # Without a rotation the fields show the defaults (weekly from this Monday at 09:00), so
        # choosing a period starts from those.
        self.rotation_changed.emit(self.rotation(), typed)

    def set_rotation(self, rotation: Rotation | None) -> None:
        shown = rotation or default_rotation(self._now().astimezone(UTC).date())
        widgets = (self.period, self.every, self.handoff, self.anchor)
        for widget in widgets:
            widget.blockSignals(True)
        self.period.setCurrentIndex(0 if rotation is None else 1 + ROTATION_PERIODS.index(rotation.period))
        self.every.setValue(shown.every)
        self.unit.setText(PERIOD_LABELS[shown.period])
        self.handoff.setTime(_qtime(shown.handoff))
        self.anchor.setDate(_qdate(shown.anchor))
        for widget in widgets:
            widget.blockSignals(False)
        for detail in self.details:
            detail.setEnabled(rotation is not None)
