"""The rule editor's live preview: the next two weeks of the rule's final schedule, as it is drafted.

The first row is the rule in its own zone: everyone on call (side by side where several are), gaps
hatched. Below it one row per person the rule can put on call, on the days and nights of their own
zone (night, 22:00–07:00 local, shaded), so a follow-the-sun layer shows each shift inside its
owner's working day. All rows share one time axis; each has its own midnights and day labels.
The schedule is the core's (`Schedules`), with the rule's overrides, recomputed shortly after an edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QHelpEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from oncall_desktop.domain import Configuration, Gap, Interval, OnCallRule
from oncall_desktop.schedule import Schedules
from oncall_desktop.timeutil import is_zone, resolve_wall, wall_clock, zone
from oncall_desktop.views.colours import GAP_COLOUR, text_colour
from oncall_desktop.views.ladder_preview import DEBOUNCE_MS, person_colour, preview_configuration

DAYS = 14
LABEL_WIDTH = 190
ROW_HEIGHT = 26
HEADER_HEIGHT = 18
_NIGHT = QColor("#e9ecf1")
_GRID = QColor("#c9ced6")


@dataclass(frozen=True, slots=True)
class StripRow:
    """One row of the strip: whose intervals (None: the rule's all) on which zone's days."""

    label: str
    zone: str
    person: str | None
    intervals: tuple[Interval, ...]
    gaps: tuple[Gap, ...] = ()


class SchedulePreview(QWidget):
    """Two weeks of the drafted rule's final schedule, in the rule's zone and in each person's own."""

    def __init__(self, now: Callable[[], datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._now = now or (lambda: datetime.now(UTC))
        self.config = Configuration()
        self.rule: OnCallRule | None = None
        self.rows: list[StripRow] = []
        self.start = self.end = self._now()
        self.message = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rule(self, config: Configuration, rule: OnCallRule) -> None:
        self.config, self.rule = config, rule
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        """Recompute the rows now (the timer does it shortly after an edit)."""
        self._timer.stop()
        self.rows = []
        rule = self.rule
        if rule is None:
            return
        if not is_zone(rule.timezone) or any(
            la.timezone is not None and not is_zone(la.timezone) for la in rule.layers
        ):
            self.message = "Choose a known time zone to see the schedule."
        else:
            self.message = ""
            self._compute(rule)
        self.setFixedHeight(HEADER_HEIGHT + max(1, len(self.rows)) * ROW_HEIGHT + 4)
        self.update()

    def _compute(self, rule: OnCallRule) -> None:
        tz = zone(rule.timezone)
        today = wall_clock(self._now(), tz).date()
        self.start = resolve_wall(datetime.combine(today, time()), tz)
        self.end = resolve_wall(datetime.combine(today + timedelta(days=DAYS), time()), tz)
        try:
            schedule = Schedules(preview_configuration(self.config, rule)).final_schedule(
                self.start, self.end, rules=[rule.id]
            )
        except (ArithmeticError, ValueError):  # a zone or rotation the validator is marking
            self.message = "No preview until the rule's marked zone or rotation is fixed."
            return
        self.rows = [
            StripRow(f"All · {rule.timezone}", rule.timezone, None, schedule.intervals, schedule.gaps)
        ]
        for person_id in self.config.rule_people(rule):
            person = self.config.person(person_id)
            own = (
                person.timezone if person and person.timezone and is_zone(person.timezone) else rule.timezone
            )
            mine = tuple(i for i in schedule.intervals if i.person == person_id)
            name = person.name if person else person_id
            self.rows.append(StripRow(f"{name} · {own}", own, person_id, mine))

    # -- geometry ----------------------------------------------------------------------------------

    def _x(self, t: datetime) -> float:
        width = max(1, self.width() - LABEL_WIDTH - 4)
        span = (self.end - self.start).total_seconds() or 1
        return LABEL_WIDTH + width * (t - self.start).total_seconds() / span

    def _row_rect(self, index: int) -> QRectF:
        top = HEADER_HEIGHT + index * ROW_HEIGHT
        return QRectF(LABEL_WIDTH, top + 2, self.width() - LABEL_WIDTH - 4, ROW_HEIGHT - 4)

    def blocks(self, index: int) -> list[tuple[QRectF, Interval | Gap]]:
        """Where each interval (and, on the rule's row, each gap) of row `index` is drawn."""
        row = self.rows[index]
        area = self._row_rect(index)
        found: list[tuple[QRectF, Interval | Gap]] = []
        lanes = self._lanes(row)
        lane_h = area.height() / max(1, len(lanes))
        for interval in row.intervals:
            lane = lanes.index(interval.person) if interval.person in lanes else 0
            x0, x1 = self._x(max(interval.start, self.start)), self._x(min(interval.end, self.end))
            found.append((QRectF(x0, area.top() + lane * lane_h, max(1.0, x1 - x0), lane_h), interval))
        for gap in row.gaps:
            x0, x1 = self._x(max(gap.start, self.start)), self._x(min(gap.end, self.end))
            found.append((QRectF(x0, area.top(), max(1.0, x1 - x0), area.height()), gap))
        return found

    def _lanes(self, row: StripRow) -> list[str]:
        """On the rule's row, one lane per person when several are ever on call at once."""
        if row.person is not None:
            return [""]
        reach: datetime | None = None
        for interval in sorted(row.intervals, key=lambda i: i.start):
            if reach is not None and interval.start < reach:
                return list(dict.fromkeys(i.person for i in row.intervals))
            reach = interval.end if reach is None else max(reach, interval.end)
        return [""]

    def sizeHint(self) -> QSize:
        return QSize(900, HEADER_HEIGHT + max(1, len(self.rows)) * ROW_HEIGHT + 4)

    # -- painting --------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if self.message or not self.rows:
            painter.drawText(self.rect().adjusted(8, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, self.message)
            return
        font = painter.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        for index, row in enumerate(self.rows):
            self._paint_row(painter, index, row)
        painter.setPen(QColor("#444"))
        painter.drawText(
            QRectF(4, 0, LABEL_WIDTH - 8, HEADER_HEIGHT),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "Next two weeks",
        )
        now = self._now()
        if self.start <= now < self.end:
            x = self._x(now)
            painter.setPen(QPen(QColor("#e00000"), 1.5))
            painter.drawLine(int(x), HEADER_HEIGHT, int(x), HEADER_HEIGHT + len(self.rows) * ROW_HEIGHT)

    def _paint_row(self, painter: QPainter, index: int, row: StripRow) -> None:
        area = self._row_rect(index)
        tz = zone(row.zone)
        painter.setPen(QColor("#222"))
        label = QRectF(4, area.top(), LABEL_WIDTH - 10, area.height())
        painter.drawText(label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, row.label)
        painter.fillRect(area, QColor("#fbfcfd"))
        self._paint_days(painter, area, tz, label_days=index == 0)
        for rect, item in self.blocks(index):
            if isinstance(item, Gap):
                painter.fillRect(rect, QColor(255, 236, 200))
                painter.fillRect(rect, QBrush(GAP_COLOUR, Qt.BrushStyle.BDiagPattern))
                continue
            colour = person_colour(self.config, item.person)
            painter.fillRect(rect.adjusted(0, 1, 0, -1), colour)
            if rect.width() > 40 and row.person is None:
                name = self.config.display_name(item.person).split(" ")[0]
                painter.setPen(text_colour(colour))
                painter.drawText(rect.adjusted(2, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, name)
        painter.setPen(_GRID)
        painter.drawRect(area)

    def _paint_days(self, painter: QPainter, area: QRectF, tz: ZoneInfo, *, label_days: bool) -> None:
        """Nights shaded and midnights drawn in the row's own zone; day names above the first row."""
        day = wall_clock(self.start, tz).date() - timedelta(days=1)
        last = wall_clock(self.end, tz).date()
        while day <= last:
            night_end = resolve_wall(datetime.combine(day, time(7)), tz)
            night_start = resolve_wall(datetime.combine(day, time(22)), tz)
            midnight = resolve_wall(datetime.combine(day, time()), tz)
            for lo, hi in ((midnight, night_end), (night_start, midnight + timedelta(days=1, hours=1))):
                x0, x1 = self._x(max(lo, self.start)), self._x(min(hi, self.end))
                if x1 > x0:
                    painter.fillRect(QRectF(x0, area.top(), x1 - x0, area.height()), _NIGHT)
            if self.start <= midnight < self.end:
                x = self._x(midnight)
                painter.setPen(_GRID)
                painter.drawLine(int(x), int(area.top()), int(x), int(area.bottom()))
                if label_days:
                    painter.setPen(QColor("#555"))
                    width = self._x(midnight + timedelta(days=1)) - x
                    text = f"{day:%a %-d}" if width > 44 else f"{day:%-d}"
                    painter.drawText(
                        QRectF(x + 2, 0, width, HEADER_HEIGHT), Qt.AlignmentFlag.AlignVCenter, text
                    )
            day += timedelta(days=1)

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def tooltip_at(self, pos: QPoint) -> str:
        for index, row in enumerate(self.rows):
            for rect, item in self.blocks(index):
                if rect.contains(pos.x(), pos.y()):
                    tz = zone(row.zone)
                    begins, ends = item.start.astimezone(tz), item.end.astimezone(tz)
                    span = f"{begins:%a %-d %b %H:%M} – {ends:%a %-d %b %H:%M} ({row.zone})"
                    if isinstance(item, Gap):
                        return f"Nobody on call (a gap)\n{span}"
                    layer = f"\nLayer {item.layer}" if item.layer else "\nOverride" if item.override else ""
                    return f"{self.config.display_name(item.person)}\n{span}{layer}"
        return ""
