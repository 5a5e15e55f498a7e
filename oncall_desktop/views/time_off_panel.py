"""A person's time off in People & teams (SPEC §12): the list, a small month calendar to drag new time
off on, their public holidays, and the conflicts in the month shown with covers to offer.

The calendar marks, for each day in the person's own zone: time off (filled), on call (a bar in the
person's colour), a public holiday (a corner flag; its name in the tooltip), and a conflict — on call
while away — in caution-tape hatching, yellow and near-black, which reads on light and dark palettes.
Every change is an undoable command; a cover is an override (`AddOverride`).
"""

from __future__ import annotations

import calendar as month_names
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QUndoCommand
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, Override, Person, TimeOff
from oncall_desktop.planning import Conflict, cover_override, covers, holidays_between, person_zone
from oncall_desktop.planning import conflicts as find_conflicts
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from oncall_desktop.views.commands import AddOverride, OverrideIds
from oncall_desktop.views.planning_commands import AddTimeOff, DeleteTimeOff

TAPE_YELLOW = QColor("#f2c200")
TAPE_BLACK = QColor("#1f1f1f")
CELL = QSize(40, 30)
HEADER = 20


@dataclass
class DayMarks:
    time_off: bool = False
    on_call: bool = False
    conflict: bool = False
    holiday: str = ""


class MonthCalendar(QWidget):
    """A month grid (Monday first) with the day marks; drag across days to ask for time off.

    Signals:
        span_dragged(object, object): the first and last day (`date`) the user dragged across.
    """

    span_dragged = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.year, self.month = 2026, 1
        self.marks: dict[date, DayMarks] = {}
        self.colour = QColor("#4e79a7")
        self._anchor: date | None = None
        self._current: date | None = None
        self.setMouseTracking(False)
        self.setFixedSize(CELL.width() * 7 + 1, HEADER + CELL.height() * 6 + 1)
        self.setToolTip("Drag across days to add time off")

    def set_month(self, year: int, month: int) -> None:
        self.year, self.month = year, month
        self.update()

    def first_shown(self) -> date:
        first = date(self.year, self.month, 1)
        return first - timedelta(days=first.weekday())

    def day_at(self, pos: QPoint | QPointF) -> date | None:
        x, y = int(pos.x()), int(pos.y()) - HEADER
        if y < 0 or not 0 <= x < CELL.width() * 7:
            return None
        row, column = y // CELL.height(), x // CELL.width()
        if row >= 6:
            return None
        return self.first_shown() + timedelta(days=row * 7 + column)

    def cell(self, day: date) -> QRectF:
        offset = (day - self.first_shown()).days
        row, column = divmod(offset, 7)
        return QRectF(column * CELL.width(), HEADER + row * CELL.height(), CELL.width(), CELL.height())

    def dragged(self) -> tuple[date, date] | None:
        if self._anchor is None or self._current is None:
            return None
        return min(self._anchor, self._current), max(self._anchor, self._current)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._anchor = self._current = self.day_at(event.position())
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._anchor is not None:
            self._current = self.day_at(event.position()) or self._current
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        span = self.dragged()
        self._anchor = self._current = None
        self.update()
        if span is not None and event.button() == Qt.MouseButton.LeftButton:
            self.span_dragged.emit(*span)

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QHelpEvent):
            day = self.day_at(event.pos())
            marks = self.marks.get(day) if day else None
            if day is not None and marks is not None:
                lines = [day.strftime("%a %-d %b")]
                if marks.holiday:
                    lines.append(f"Public holiday: {marks.holiday}")
                if marks.time_off:
                    lines.append("Time off")
                if marks.conflict:
                    lines.append("Conflict: on call while away")
                elif marks.on_call:
                    lines.append("On call")
                QToolTip.showText(event.globalPos(), "\n".join(lines), self)
            else:
                QToolTip.showText(event.globalPos(), self.toolTip(), self)
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        faint = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        painter.setPen(faint)
        for column, name in enumerate(("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")):
            painter.drawText(
                QRectF(column * CELL.width(), 0, CELL.width(), HEADER), Qt.AlignmentFlag.AlignCenter, name
            )
        span = self.dragged()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        for offset in range(42):
            day = self.first_shown() + timedelta(days=offset)
            rect = self.cell(day).adjusted(1, 1, -1, -1)
            marks = self.marks.get(day, DayMarks())
            if marks.time_off:
                fill = QColor(highlight)
                fill.setAlpha(90)
                painter.fillRect(rect, fill)
            if marks.conflict:
                self._caution_tape(painter, rect)
            if span is not None and span[0] <= day <= span[1]:
                painter.setPen(QPen(highlight, 2))
                painter.drawRect(rect)
            if marks.on_call:
                painter.fillRect(QRectF(rect.left() + 3, rect.bottom() - 4, rect.width() - 6, 3), self.colour)
            if marks.holiday:
                corner = QRectF(rect.right() - 9, rect.top(), 9, 9)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#e15759"))
                painter.drawPolygon([corner.topLeft(), corner.topRight(), corner.bottomRight()])
            in_month = day.month == self.month
            label = QRectF(rect.center().x() - 11, rect.center().y() - 9, 22, 16)
            if marks.conflict:  # the number on a plate, readable over the tape
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(palette.color(QPalette.ColorRole.Base))
                painter.drawRoundedRect(label, 4, 4)
            painter.setPen(text if in_month else faint)
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, str(day.day))
        painter.end()

    @staticmethod
    def _caution_tape(painter: QPainter, rect: QRectF) -> None:
        painter.save()
        painter.setClipRect(rect)
        painter.fillRect(rect, TAPE_YELLOW)
        painter.setPen(QPen(TAPE_BLACK, 4))
        step = 10
        x = rect.left() - rect.height()
        while x < rect.right():
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x + rect.height(), rect.top()))
            x += step
        painter.restore()


class TimeOffDialog(QDialog):
    """First and last day away, and a note."""

    def __init__(self, first: date, last: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add time off")
        self.first = QDateEdit(QDate(first.year, first.month, first.day))
        self.last = QDateEdit(QDate(last.year, last.month, last.day))
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.note = QLineEdit()
        self.note.setPlaceholderText("e.g. Vacation")
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b")
        form = QFormLayout(self)
        form.addRow("First day away", self.first)
        form.addRow("Last day away", self.last)
        form.addRow("Note", self.note)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def days(self) -> tuple[date, date]:
        first, last = self.first.date().toPython(), self.last.date().toPython()
        assert isinstance(first, date)
        assert isinstance(last, date)
        return first, last

    def _accept(self) -> None:
        first, last = self.days()
        if last < first:
            self.problem.setText("The last day is before the first.")
            return
        self.accept()


class TimeOffPanel(QWidget):
    """The selected person's time off, holidays and conflicts."""

    def __init__(
        self,
        store: Store,
        override_ids: OverrideIds,
        push: Callable[[QUndoCommand], None],
        refresh: Callable[[], None],
        failed: Callable[[str], None],
        now: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.override_ids = override_ids
        self.push = push
        self.refresh_store = refresh
        self.failed = failed
        self.now = now
        self.config = Configuration()
        self.person: Person | None = None
        self.ask_days: Callable[[date, date], tuple[date, date, str] | None] = self._ask_days
        self.found: list[Conflict] = []

        self.title = QLabel()
        self.holidays = QLabel()
        self.holidays.setWordWrap(True)
        self.calendar = MonthCalendar()
        self.calendar.span_dragged.connect(self.add_days)
        self.month_label = QLabel()
        self.month_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        previous, following = QToolButton(), QToolButton()
        previous.setArrowType(Qt.ArrowType.LeftArrow)
        following.setArrowType(Qt.ArrowType.RightArrow)
        previous.clicked.connect(lambda: self.step_month(-1))
        following.clicked.connect(lambda: self.step_month(1))
        months = QHBoxLayout()
        months.addWidget(previous)
        months.addWidget(self.month_label, 1)
        months.addWidget(following)
        legend = QLabel(
            "<small>filled: time off · bar: on call · corner: public holiday · "
            "<span style='background:#f2c200;color:#1f1f1f'>&nbsp;tape&nbsp;</span>: conflict</small>"
        )
        legend.setWordWrap(True)
        left = QVBoxLayout()
        left.addLayout(months)
        left.addWidget(self.calendar)
        left.addWidget(legend)
        left.addStretch(1)
        legend.setMaximumWidth(self.calendar.width())

        self.entries = QListWidget()
        self.add_button = QPushButton("Add time off…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(lambda: self.add_days(*self._month_days()))
        self.remove_button.clicked.connect(self.remove_selected)
        entry_buttons = QHBoxLayout()
        entry_buttons.addWidget(self.add_button)
        entry_buttons.addWidget(self.remove_button)
        entry_buttons.addStretch(1)
        self.conflict_list = QListWidget()
        self.cover_button = QPushButton("Offer a cover…")
        self.cover_button.clicked.connect(self.offer_covers)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Time off</b>"))
        right.addWidget(self.entries, 1)
        right.addLayout(entry_buttons)

        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.holidays)
        layout.addLayout(body)
        layout.addWidget(QLabel("<b>Conflicts this month</b> (on call while away)"))
        layout.addWidget(self.conflict_list, 1)
        layout.addWidget(self.cover_button, 0, Qt.AlignmentFlag.AlignLeft)
        today = now().date()
        self.calendar.set_month(today.year, today.month)
        self._show()

    # -- what is shown ---------------------------------------------------------------------------

    def set_configuration(self, config: Configuration) -> None:
        self.config = config
        if self.person is not None:
            self.person = config.person(self.person.id)
        self._show()

    def set_person(self, person_id: str | None) -> None:
        self.person = self.config.person(person_id) if person_id else None
        self._show()

    def step_month(self, step: int) -> None:
        month = self.calendar.month - 1 + step
        self.calendar.set_month(self.calendar.year + month // 12, month % 12 + 1)
        self._show()

    def _month_days(self) -> tuple[date, date]:
        first = date(self.calendar.year, self.calendar.month, 1)
        today = self.now().date()
        start = today if today.year == first.year and today.month == first.month else first
        return start, start

    def _span(self) -> tuple[datetime, datetime]:
        """The six weeks the calendar shows, as instants in the person's zone."""
        tz = person_zone(self.person)
        first = self.calendar.first_shown()
        return (
            timeutil.resolve_wall(datetime.combine(first, datetime.min.time()), tz),
            timeutil.resolve_wall(datetime.combine(first + timedelta(days=42), datetime.min.time()), tz),
        )

    def _show(self) -> None:
        person = self.person
        self.month_label.setText(f"{month_names.month_name[self.calendar.month]} {self.calendar.year}")
        enabled = person is not None
        for widget in (self.calendar, self.add_button, self.remove_button, self.cover_button):
            widget.setEnabled(enabled)
        self.entries.clear()
        self.conflict_list.clear()
        self.found = []
        if person is None:
            self.title.setText("<b>Time off</b> — select a person above")
            self.holidays.setText("")
            self.calendar.marks = {}
            self.calendar.update()
            return
        tz = person_zone(person)
        self.title.setText(f"<b>{person.name}</b> — days read in {getattr(tz, 'key', str(tz))}")
        if person.colour:
            self.calendar.colour = QColor(person.colour)
        start, end = self._span()
        holidays = holidays_between(person, start, end)
        in_month = [h for h in holidays if timeutil.wall_clock(h.start, tz).month == self.calendar.month]
        if not person.holidays:
            self.holidays.setText("No public-holiday calendar (set one in Edit person…).")
        else:
            names = ", ".join(f"{h.note} ({timeutil.wall_clock(h.start, tz):%-d %b})" for h in in_month)
            self.holidays.setText(f"Public holidays ({person.holidays}) this month: {names or 'none'}")
        for entry in (t for t in self.config.time_off if t.person == person.id):
            item = QListWidgetItem(_describe(entry, tz))
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.entries.addItem(item)
        schedules = Schedules(self.config)
        intervals = [i for i in schedules.final_schedule(start, end).intervals if i.person == person.id]
        self.found = [
            c for c in find_conflicts(self.config, start, end, schedules=schedules) if c.person == person.id
        ]
        month_first = date(self.calendar.year, self.calendar.month, 1)
        month_after = (month_first + timedelta(days=31)).replace(day=1)
        for conflict in self.found:
            if not (
                timeutil.wall_clock(conflict.end - timedelta(microseconds=1), tz).date() >= month_first
                and timeutil.wall_clock(conflict.start, tz).date() < month_after
            ):
                continue
            rule = self.config.rule(conflict.rule)
            why = conflict.reason + (f" ({conflict.note})" if conflict.note else "")
            item = QListWidgetItem(
                f"{rule.name if rule else conflict.rule}: {_when(conflict.start, conflict.end, tz)} — {why}"
            )
            item.setData(Qt.ItemDataRole.UserRole, conflict)
            self.conflict_list.addItem(item)
        if self.conflict_list.count():
            self.conflict_list.setCurrentRow(0)
        self.cover_button.setEnabled(bool(self.conflict_list.count()))
        marks: dict[date, DayMarks] = {}
        first = self.calendar.first_shown()
        for offset in range(42):
            day = first + timedelta(days=offset)
            lo = timeutil.resolve_wall(datetime.combine(day, datetime.min.time()), tz)
            hi = timeutil.resolve_wall(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
            marks[day] = DayMarks(
                time_off=any(
                    t.person == person.id and t.start < hi and t.end > lo for t in self.config.time_off
                ),
                on_call=any(i.start < hi and i.end > lo for i in intervals),
                conflict=any(c.start < hi and c.end > lo for c in self.found),
                holiday=next((h.note for h in holidays if h.start < hi and h.end > lo), ""),
            )
        self.calendar.marks = marks
        self.calendar.update()

    # -- edits -------------------------------------------------------------------------------------

    def _ask_days(self, first: date, last: date) -> tuple[date, date, str] | None:
        dialog = TimeOffDialog(first, last, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        start, end = dialog.days()
        return start, end, dialog.note.text().strip()

    def add_days(self, first: date, last: date) -> None:
        """Time off from the first day's midnight to the midnight after the last, in the person's zone."""
        if self.person is None:
            return
        answer = self.ask_days(first, last)
        if answer is None:
            return
        first, last, note = answer
        tz = person_zone(self.person)
        entry = TimeOff(
            self.person.id,
            timeutil.resolve_wall(datetime.combine(first, datetime.min.time()), tz),
            timeutil.resolve_wall(datetime.combine(last + timedelta(days=1), datetime.min.time()), tz),
            note,
        )
        self.push(AddTimeOff(self.store, entry, self.refresh_store, self.failed))

    def remove_selected(self) -> None:
        if self.entries.currentRow() < 0:
            return
        entry = self.entries.currentItem().data(Qt.ItemDataRole.UserRole)
        self.push(DeleteTimeOff(self.store, entry, self.refresh_store, self.failed))

    def cover_menu(self) -> QMenu | None:
        """The covers for the selected conflict, fewest on-call hours first; None when there is none."""
        if self.conflict_list.currentRow() < 0:
            return None
        conflict: Conflict = self.conflict_list.currentItem().data(Qt.ItemDataRole.UserRole)
        start, end = self._span()
        menu = QMenu(self)
        offers = covers(self.config, conflict, start, end)
        for offer in offers:
            action = menu.addAction(
                f"{self.config.display_name(offer.person)} — {offer.hours:g} h on call these weeks"
            )
            action.triggered.connect(lambda _on=False, o=offer: self.apply_cover(cover_override(conflict, o)))
        if not offers:
            menu.addAction("Nobody on this rule is free then").setEnabled(False)
        return menu

    def offer_covers(self) -> None:
        menu = self.cover_menu()
        if menu is not None:
            menu.exec(self.cover_button.mapToGlobal(self.cover_button.rect().bottomLeft()))

    def apply_cover(self, override: Override) -> None:
        self.push(AddOverride(self.store, self.override_ids, override, self.refresh_store, self.failed))


def _describe(entry: TimeOff, tz: object) -> str:
    text = _when(entry.start, entry.end, tz)
    return f"{text} — {entry.note}" if entry.note else text


def _when(start: datetime, end: datetime, tz: object) -> str:
    lo = start.astimezone(tz)  # type: ignore[arg-type]
    hi = end.astimezone(tz)  # type: ignore[arg-type]
    if lo.time() == hi.time() == datetime.min.time():
        last = hi - timedelta(days=1)
        if last.date() == lo.date():
            return f"{lo:%a %-d %b %Y}"
        return f"{lo:%a %-d %b} – {last:%a %-d %b %Y}"
    return f"{lo:%a %-d %b %H:%M} – {hi:%a %-d %b %H:%M}"
