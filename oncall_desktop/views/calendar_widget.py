"""The custom-painted on-call calendar: month, week and day views of a `CalendarModel`.

Week and day views have one column per day and one row per real hour of the chosen zone, so a
spring-forward day is 23 rows tall and a fall-back day 25; each visible rule gets a lane in every
column. The month view shows one thin timeline per rule through each week row, each day cell
holding its local day.

A view shown for the first time is laid out from plain numbers and drawn straight onto the widget.
In idle time, everything but the now-line, the selection and a drag in progress is then drawn into
a pixmap that is kept (with the view's layout) for the most recent views, and the neighbouring
months/weeks/days and the recently used zones are prepared, so switching zone or month usually
costs one `drawPixmap`. Layouts beyond those kept are freed in idle time too.

The widget only draws (with `calendar_paint.CalendarPainter`) and reports what the user did; the
main window turns the reports into undoable edits.

Signals:
    block_selected(object): a `Block` was clicked (None: the selection was cleared).
    override_requested(str, str, object, object): (rule, person, start, end) — a person was dropped
        on a slot, or a span was drag-selected (person "" — the receiver asks who).
    override_changed(object, object, object): (override, new start, new end) — moved or resized.
    override_delete_requested(object): Delete was pressed on a selected override.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QToolTip, QWidget

from oncall_desktop.domain import Override
from oncall_desktop.timeutil import resolve_wall, wall_clock
from oncall_desktop.views.calendar_layout import LANE_H, MONTH_GUTTER_W, CalendarLayout, PaintedBlock
from oncall_desktop.views.calendar_model import Block, CalendarModel, DayColumn, View
from oncall_desktop.views.calendar_paint import CalendarPainter

PERSON_MIME = "application/x-oncall-person"
SNAP = timedelta(minutes=15)
SELECT_SNAP = timedelta(minutes=30)
EDGE_PX = 6.0
LAYOUTS_KEPT = 12
LAYOUTS_SPARE = 4  # kept beyond LAYOUTS_KEPT until idle time comes to free them
PREFETCH_MS = 15

_SELECTION = QColor("#0057d9")


@dataclass(slots=True)
class _Drag:
    kind: Literal["select", "move", "resize-start", "resize-end"]
    rule: str
    origin: datetime
    current: datetime
    override: Override | None = None


class CalendarWidget(QWidget):
    """Draws the model; reports clicks, drops, drags and Delete as signals."""

    block_selected = Signal(object)
    override_requested = Signal(str, str, object, object)
    override_changed = Signal(object, object, object)
    override_delete_requested = Signal(object)

    def __init__(self, model: CalendarModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.selected: Block | None = None
        self.clicked_at: QPointF | None = None
        """Where the last click that selected a block landed (None: selected otherwise)."""
        self.recent_zones: list[str] = []
        self._layouts: OrderedDict[tuple[object, ...], CalendarLayout] = OrderedDict()
        self._prefetch_queue: list[View] = []
        self._retired: list[CalendarLayout] = []
        self._drag: _Drag | None = None
        self._press: QPointF | None = None
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(640, 420)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        model.changed.connect(self._model_changed)
        self.painter = CalendarPainter(model, self.font())

        self._now_timer = QTimer(self)
        self._now_timer.setInterval(60_000)
        self._now_timer.timeout.connect(self.update)
        self._now_timer.start()
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(PREFETCH_MS)
        self._prefetch_timer.timeout.connect(self._prefetch_one)

    # -- layout ----------------------------------------------------------------------------------

    def _model_changed(self) -> None:
        if self.selected is not None and self.selected not in self.model.blocks():
            self.selected = None
            self.block_selected.emit(None)
        self.update()

    def layout_for(self, view: View | None = None) -> CalendarLayout:
        """The layout of `view` (the model's current one by default) at the widget's size."""
        view = view or self.model.view()
        today = self.model.now().astimezone(view.tz).date()
        key = (self.model.revision, view, self.width(), self.height(), today)
        layout = self._layouts.get(key)
        if layout is not None:
            self._layouts.move_to_end(key)
            return layout
        layout = CalendarLayout(
            view,
            self.width(),
            self.height(),
            today,
            view.columns(),
            [r.id for r in self.model.visible_rules(view)],
        )
        names = {p.id: p.name for p in self.model.config.people}
        shown = self.model.stamped_blocks(view)
        layout.place(shown.blocks, shown.stamps, names, shown.tracks)

        layout.place_conflicts(self.model.conflict_stamps(view))
        self._layouts[key] = layout
        if len(self._layouts) > LAYOUTS_KEPT + LAYOUTS_SPARE:
            # No idle time for a while: retire the oldest now, free it when idle time comes.
            self._retired.append(self._layouts.popitem(last=False)[1])
            self._prefetch_timer.start()
        return layout

    def _trim_layouts(self) -> None:
        """Free the least recently shown layouts beyond `LAYOUTS_KEPT`, in idle time."""
        while len(self._layouts) > LAYOUTS_KEPT:
            self._layouts.popitem(last=False)
        self._retired.clear()

    def rows(self) -> int:
        return self.layout_for().rows

    def lane_rect(self, index: int, lane: int) -> QRectF:
        return self.layout_for().lane_rect(index, lane)

    def span_rects(self, rule: str, start: datetime, end: datetime) -> list[QRectF]:
        return self.layout_for().span_rects(rule, start, end)

    def hour_labels(self, index: int) -> list[tuple[float, str]]:
        return self.layout_for().hour_labels(index)

    def painted_blocks(self) -> list[PaintedBlock]:
        return list(self.layout_for().painted)

    def block_at(self, pos: QPointF) -> Block | None:
        for painted in reversed(self.layout_for().painted):
            if painted.rect.contains(pos):
                return painted.block
        return None

    def slot_at(self, pos: QPointF) -> tuple[str, datetime, DayColumn] | None:
        """(rule, instant, day) under a point, or None outside the days."""
        layout = self.layout_for()
        for index, col in enumerate(layout.columns):
            if not layout.col_rect(index).contains(pos):
                continue
            for lane, rule in enumerate(layout.rules):
                box = layout.lane_rect(index, lane)
                if layout.month:
                    if not box.contains(pos):
                        continue
                    fraction = (pos.x() - box.left()) / box.width()
                else:
                    if not box.left() <= pos.x() < box.right():
                        continue
                    fraction = (pos.y() - box.top()) / layout.hour_h / col.hours
                fraction = min(max(fraction, 0.0), 1.0)
                instant = col.start + (col.end - col.start) * fraction
                return rule, min(instant, col.end - timedelta(seconds=1)), col
        return None

    def hour_slot(self, pos: QPointF) -> tuple[str, datetime, datetime] | None:
        """The slot a drop at `pos` means: its real hour (week/day) or its whole day (month)."""
        slot = self.slot_at(pos)
        if slot is None:
            return None
        rule, instant, col = slot
        if self.model.mode == "month":
            return rule, col.start, col.end
        hours = int((instant - col.start).total_seconds() // 3600)
        start = col.start + timedelta(hours=hours)
        return rule, start, min(start + timedelta(hours=1), col.end)

    # -- prefetching -----------------------------------------------------------------------------

    def _queue_prefetch(self) -> None:
        view = self.model.view()
        wanted = [view, view.stepped(1), view.stepped(-1)]  # the view shown: if drawn without a pixmap
        wanted += [replace(view, zone=z) for z in self.recent_zones if z != view.zone]
        self._prefetch_queue = wanted
        self._prefetch_timer.start()

    def prefetch_pending(self) -> bool:
        """Whether views are still waiting to be prepared in idle time."""
        return bool(self._prefetch_queue) or self._prefetch_timer.isActive()

    def _prefetch_one(self) -> None:
        """Prepare one likely next view while the event loop is idle."""
        while self._prefetch_queue:
            layout = self.layout_for(self._prefetch_queue.pop(0))
            if layout.pixmap is None:
                self._render(layout)
                break
        self._trim_layouts()
        if self._prefetch_queue:
            self._prefetch_timer.start()

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        layout = self.layout_for()
        painter = QPainter(self)
        if layout.pixmap is not None and layout.pixmap.devicePixelRatio() == self.devicePixelRatioF():
            painter.drawPixmap(0, 0, layout.pixmap)
        else:
            # A view shown for the first time is drawn straight onto the widget (a pixmap would
            # be one more copy, four times larger on a high-density screen); its pixmap, for the
            # repaints that follow, is drawn in idle time.
            layout.pixmap = None
            painter.fillRect(self.rect(), Qt.GlobalColor.white)
            self.painter.paint_still(painter, layout, self.devicePixelRatioF())
        if self.selected is not None:
            painter.setPen(QPen(_SELECTION, 3))
            selected = self.selected
            for rect in layout.block_rects(selected):
                painter.drawRect(rect.adjusted(1, 1, -1, -1))
        self._paint_drag(painter, layout)
        self.painter.paint_now(painter, layout)
        painter.end()
        self._queue_prefetch()

    def _render(self, layout: CalendarLayout) -> None:
        """Draw everything that does not move by itself into the layout's pixmap."""
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(layout.width * ratio), round(layout.height * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.white)
        painter = QPainter(pixmap)
        self.painter.paint_still(painter, layout, self.devicePixelRatioF())
        painter.end()
        layout.pixmap = pixmap

    def _paint_drag(self, painter: QPainter, layout: CalendarLayout) -> None:
        preview = self.drag_preview()
        if preview is None:
            return
        rule, start, end = preview
        painter.setPen(QPen(_SELECTION, 2, Qt.PenStyle.DashLine))
        for rect in layout.span_rects(rule, start, end):
            painter.fillRect(rect, QColor(0, 87, 217, 60))
            painter.drawRect(rect)

    def lane_header_at(self, pos: QPointF) -> str | None:
        """The rule whose lane header (week/day) or row label (month) is under `pos`."""
        layout = self.layout_for()
        if layout.month:
            if pos.x() >= MONTH_GUTTER_W:
                return None
            for week in range(6):
                for lane, rule_id in enumerate(layout.rules):
                    box = layout.lane_rect(week * 7, lane)
                    if box.top() <= pos.y() < box.bottom():
                        return rule_id
            return None
        if not layout.area.top() - LANE_H <= pos.y() < layout.area.top():
            return None
        for index in range(len(layout.columns)):
            for lane, rule_id in enumerate(layout.rules):
                box = layout.lane_rect(index, lane)
                if box.left() <= pos.x() < box.right():
                    return rule_id
        return None

    def lane_header_tooltip(self, rule_id: str) -> str:
        rule = self.model.config.rule(rule_id)
        zone = f" · {rule.timezone}" if rule else ""
        return f"{self.model.rule_label(rule_id)}: {self.model.rule_name(rule_id)}{zone}"

    # -- interaction ---------------------------------------------------------------------------

    def drag_preview(self) -> tuple[str, datetime, datetime] | None:
        """(rule, start, end) of the span being selected, moved or resized, if any."""
        drag = self._drag
        if drag is None:
            return None
        if drag.kind == "select":
            lo, hi = sorted((drag.origin, drag.current))
            if self.model.mode == "month":
                first = self._day_of(lo)
                last = self._day_of(hi)
                return drag.rule, first.start, last.end
            return drag.rule, _floor(lo, SELECT_SNAP), _floor(hi, SELECT_SNAP) + SELECT_SNAP
        assert drag.override is not None
        delta = _round(drag.current - drag.origin, SNAP)
        start, end = drag.override.start, drag.override.end
        if drag.kind == "move" and self.model.mode == "month":
            # Whole days on the wall clock: the shift keeps its local times across a DST change.
            tz = self.model.tz
            days = timedelta(
                days=(drag.current.astimezone(tz).date() - drag.origin.astimezone(tz).date()).days
            )
            return (
                drag.rule,
                resolve_wall(wall_clock(start, tz) + days, tz),
                resolve_wall(wall_clock(end, tz) + days, tz),
            )
        if drag.kind == "move":
            return drag.rule, start + delta, end + delta
        if drag.kind == "resize-start":
            return drag.rule, min(start + delta, end - SNAP), end
        return drag.rule, start, max(end + delta, start + SNAP)

    def _day_of(self, instant: datetime) -> DayColumn:
        return self.layout_for().column_at(instant)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        pos = event.position()
        self._press = pos
        slot = self.slot_at(pos)
        block = self.block_at(pos)
        self._drag = None
        if slot is None:
            return
        rule, instant, _col = slot
        if block is not None and block.override is not None:
            self._drag = _Drag(self._grip(block, pos), block.rule, instant, instant, block.override)
        else:
            self._drag = _Drag("select", rule, instant, instant)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag is None or self._press is None:
            self._update_cursor(pos)
            return
        slot = self.slot_at(pos)
        if slot is not None:
            self._drag.current = slot[1]
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        moved = self._press is not None and (pos - self._press).manhattanLength() >= 4
        preview = self.drag_preview() if moved else None
        drag = self._drag
        self._drag = None
        self._press = None
        if drag is not None and preview is not None:
            rule, start, end = preview
            if drag.kind == "select":
                self.override_requested.emit(rule, "", start, end)
            elif drag.override is not None and (start, end) != (drag.override.start, drag.override.end):
                self.override_changed.emit(drag.override, start, end)
            self.update()
            return
        self.clicked_at = pos
        self.select(self.block_at(pos))
        self.clicked_at = None

    def select(self, block: Block | None) -> None:
        self.selected = block
        self.block_selected.emit(block)
        self.setFocus()
        self.update()

    def _grip(self, block: Block, pos: QPointF) -> Literal["move", "resize-start", "resize-end"]:
        """Which part of an override block a press at `pos` takes: its start edge, end edge or body."""
        assert block.override is not None
        rects = self.layout_for().block_rects(block)
        if not rects:
            return "move"

        first, last = rects[0], rects[-1]
        if self.model.mode == "month":  # timelines run left to right
            near_start = first.top() <= pos.y() <= first.bottom() and abs(pos.x() - first.left()) <= EDGE_PX
            near_end = last.top() <= pos.y() <= last.bottom() and abs(pos.x() - last.right()) <= EDGE_PX
        else:
            near_start = first.left() <= pos.x() <= first.right() and abs(pos.y() - first.top()) <= EDGE_PX
            near_end = last.left() <= pos.x() <= last.right() and abs(pos.y() - last.bottom()) <= EDGE_PX
        if near_start and block.start == block.override.start:
            return "resize-start"
        if near_end and block.end == block.override.end:
            return "resize-end"
        return "move"

    def _update_cursor(self, pos: QPointF) -> None:
        block = self.block_at(pos)
        shape = Qt.CursorShape.ArrowCursor
        if block is not None and block.override is not None:
            grip = self._grip(block, pos)
            resize = (
                Qt.CursorShape.SizeHorCursor if self.model.mode == "month" else Qt.CursorShape.SizeVerCursor
            )
            shape = Qt.CursorShape.OpenHandCursor if grip == "move" else resize
        self.setCursor(shape)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._drag is not None:
            self._drag = None
            self._press = None
            self.update()
            return
        if event.key() == Qt.Key.Key_Escape and self.selected is not None:
            self.select(None)  # and the details panel closes with it
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected is not None:
            if self.selected.override is not None:
                self.override_delete_requested.emit(self.selected.override)
            return
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if plain and event.key() in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.model.step(-1 if event.key() == Qt.Key.Key_PageUp else 1)
            return
        if plain and event.key() == Qt.Key.Key_Home:
            self.model.go_today()
            return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            block = self.block_at(QPointF(event.pos()))
            header = self.lane_header_at(QPointF(event.pos()))
            if block is not None:
                QToolTip.showText(event.globalPos(), self.tooltip_text(block), self)
            elif header is not None:
                QToolTip.showText(event.globalPos(), self.lane_header_tooltip(header), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def tooltip_text(self, block: Block) -> str:
        rule = self.model.config.rule(block.rule)
        tz = self.model.tz
        start, end = self.model.real_span(block)
        who = "Nobody on call (gap)" if block.person is None else self.model.person_name(block.person)
        kind = "" if block.person is None else (" — override" if block.override else " — rotation")
        span = f"{start.astimezone(tz):%a %-d %b %H:%M} – {end.astimezone(tz):%a %-d %b %H:%M}"
        return f"{rule.name if rule else block.rule}\n{who}{kind}\n{span} ({tz.key})"

    # -- drops from the roster -----------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(PERSON_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(PERSON_MIME) and self.hour_slot(event.position()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        slot = self.hour_slot(event.position())
        if not mime.hasFormat(PERSON_MIME) or slot is None:
            event.ignore()
            return
        person = bytes(mime.data(PERSON_MIME).data()).decode()
        event.acceptProposedAction()
        rule, start, end = slot
        self.override_requested.emit(rule, person, start, end)


def _floor(value: datetime, step: timedelta) -> datetime:
    seconds = int(value.timestamp())
    unit = int(step.total_seconds())
    return datetime.fromtimestamp(seconds - seconds % unit, value.tzinfo)


def _round(value: timedelta, step: timedelta) -> timedelta:
    return step * round(value / step)
