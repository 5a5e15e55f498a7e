"""Drawing a laid-out calendar view (`CalendarLayout`) of a `CalendarModel`: the month or time
grid, the blocks a colour at a time, their labels, the now-line and the legend.

Fonts, text laid out once (`QStaticText`) and the legend's pixmap are prepared once and kept: a
first paint of 50 rules draws thousands of rectangles and hundreds of labels within a frame.
"""

from __future__ import annotations

import itertools
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QStaticText,
)

from oncall_desktop.views.calendar_layout import (
    CELL_TITLE_H,
    DST_GUTTER_W,
    GUTTER_W,
    HEADER_H,
    LANE_H,
    LEGEND_H,
    MONTH_GUTTER_W,
    MONTH_HEADER_H,
    CalendarLayout,
    PaintedBlock,
)
from oncall_desktop.views.calendar_model import CalendarModel
from oncall_desktop.views.colours import GAP_COLOUR, NOW_COLOUR, text_colour
from oncall_desktop.views.maintenance_band import paint_maintenance

LEGEND_LINE_H = 19.0

_GAP_FILL = QColor("#fff1cc")
_GAP_INK = QColor("#8a4b00")
_GRID = QColor("#d9d9d9")
_TEXT = QColor("#202020")
_MUTED = QColor("#6b6b6b")
_DST = QColor("#b05a00")
_WEEKEND = QColor("#f6f6f6")
_TODAY = QColor("#eaf2ff")
_OUTLINE = QColor("#111111")
_STRIPES = QBrush(QColor(255, 255, 255, 110), Qt.BrushStyle.FDiagPattern)
_HATCH = QBrush(GAP_COLOUR, Qt.BrushStyle.BDiagPattern)
# Conflicts (on call while away): caution tape, yellow and near-black, readable on any palette.
CONFLICT_COLOUR = QColor(242, 194, 0)
_TAPE_BRUSH: list[QBrush] = []


def _tape() -> QBrush:
    """A texture of broad yellow and near-black diagonal bands (made once a QApplication exists)."""
    if not _TAPE_BRUSH:
        tile = QPixmap(12, 12)
        tile.fill(CONFLICT_COLOUR)
        painter = QPainter(tile)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#1f1f1f"), 4))
        for offset in (-12, 0, 12):
            painter.drawLine(QPointF(offset, 12), QPointF(offset + 12, 0))
        painter.end()
        _TAPE_BRUSH.append(QBrush(tile))
    return _TAPE_BRUSH[0]


def _initials(name: str) -> str:
    words = [w for w in name.replace("(", " ").replace("-", " ").split() if w]
    return "".join(w[0].upper() for w in words[:3]) or name[:2]


class CalendarPainter:
    """Draws a calendar's views in its widget's font (small, bold and tiny variants of it)."""

    def __init__(self, model: CalendarModel, font: QFont) -> None:
        self.model = model
        self._font = QFont(font)
        self.small = QFont(font)
        self.small.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        self.bold = QFont(font)
        self.bold.setBold(True)
        self._small_metrics = QFontMetrics(self.small)
        self._bold_metrics = QFontMetrics(self.bold)
        self.tiny = QFont(self.small)
        self.tiny.setPointSizeF(max(6.0, self.small.pointSizeF() - 1.5))
        self.tiny.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 92)
        self._tiny_metrics = QFontMetrics(self.tiny)
        self._lane_headers: dict[tuple[int, str, int], tuple[bool, str]] = {}
        self._small_widths: dict[str, int] = {}
        self._statics: dict[tuple[str, str], QStaticText] = {}
        self._legends: dict[tuple[object, ...], QPixmap] = {}

    def paint_still(self, painter: QPainter, layout: CalendarLayout, ratio: float) -> None:
        """Everything of a view that does not move by itself, on a white ground."""
        if layout.month:
            self._paint_month_grid(painter, layout)
        else:
            self._paint_time_grid(painter, layout)
        self._paint_blocks(painter, layout)
        paint_maintenance(painter, layout, self.model.config.maintenance, self.small)
        if layout.month:  # the day lines across the week rows' timelines, under the labels
            painter.setPen(_GRID)
            painter.drawRects([layout.col_rect(i) for i in range(len(layout.columns))])
        for painted in layout.labelled:
            self._paint_label(painter, painted, layout)
        self._paint_legend(painter, layout, ratio)

    def _paint_month_grid(self, painter: QPainter, layout: CalendarLayout) -> None:
        area = layout.area
        painter.setFont(self.bold)
        painter.setPen(_MUTED)
        w = area.width() / 7
        top = (MONTH_HEADER_H - self._bold_metrics.height()) / 2
        for i, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
            static = self._static(name, "bold")
            left = area.left() + i * w + (w - static.size().width()) / 2
            painter.drawStaticText(QPointF(round(left), round(top)), static)
        metrics = self._small_metrics
        painter.setFont(self.small)
        painter.setPen(_MUTED)
        for week in range(6):
            for lane, rule_id in enumerate(layout.rules):
                box = layout.lane_rect(week * 7, lane)
                if box.height() < metrics.height() - 4:
                    break
                painter.drawText(
                    QRectF(2, box.top(), MONTH_GUTTER_W - 6, box.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    metrics.elidedText(
                        self.model.rule_label(rule_id), Qt.TextElideMode.ElideRight, int(MONTH_GUTTER_W) - 6
                    ),
                )
        for index, col in enumerate(layout.columns):
            cell = layout.col_rect(index)
            if col.day == layout.today:
                painter.fillRect(cell, _TODAY)
            elif col.day.weekday() >= 5:
                painter.fillRect(cell, _WEEKEND)
            in_month = col.day.month == layout.view.anchor.month
            painter.setPen(_TEXT if in_month else _MUTED)
            text = f"{col.day.day}" if col.day.day != 1 else col.day.strftime("%-d %b")
            if round(col.hours) != 24:
                text += f"  ({round(col.hours)} h)"
            title = cell.adjusted(4, 1, -4, 0).toRect()
            font: Literal["small", "bold"] = "bold" if col.day == layout.today else "small"
            painter.setFont(self.bold if font == "bold" else self.small)
            painter.drawStaticText(title.topLeft(), self._static(text, font))

    def _paint_time_grid(self, painter: QPainter, layout: CalendarLayout) -> None:
        area = layout.area
        hour_h = layout.hour_h
        week = layout.view.mode == "week"
        reference = next((i for i, c in enumerate(layout.columns) if round(c.hours) == 24), 0)
        painter.setFont(self.small)
        painter.setPen(_MUTED)
        for y, text in layout.hour_labels(reference if week else 0):
            painter.drawText(QRectF(2, y - 1, GUTTER_W - 6, hour_h), Qt.AlignmentFlag.AlignRight, text)
        for index, col in enumerate(layout.columns):
            cell = layout.col_rect(index)
            day_rect = QRectF(cell.left(), cell.top(), cell.width(), col.hours * hour_h)
            if col.day == layout.today:
                painter.fillRect(day_rect, _TODAY)
            elif col.day.weekday() >= 5:
                painter.fillRect(day_rect, _WEEKEND)
            painter.setPen(_GRID)
            for k in range(round(col.hours) + 1):
                y = cell.top() + k * hour_h
                painter.drawLine(QPointF(cell.left(), y), QPointF(cell.right(), y))
            painter.drawLine(QPointF(cell.left(), area.top() - LANE_H), QPointF(cell.left(), area.bottom()))
            header = QRectF(cell.left(), 0, cell.width(), HEADER_H)
            painter.setFont(self.bold if col.day == layout.today else self._font)
            painter.setPen(_TEXT)
            painter.drawText(
                header.adjusted(0, 2, 0, -HEADER_H / 2),
                Qt.AlignmentFlag.AlignCenter,
                col.day.strftime("%a %-d %b"),
            )
            painter.setFont(self.small)
            if round(col.hours) != 24:
                painter.setPen(_DST)
                note = f"{round(col.hours)}-hour day (DST)"
                if self._small_width(note) > header.width() - 4:
                    note = f"{round(col.hours)} h (DST)"
                painter.drawText(header.adjusted(0, HEADER_H / 2, 0, 0), Qt.AlignmentFlag.AlignCenter, note)
                if week:
                    # The gutter shows an ordinary day's hours; a DST day labels its own real hours.
                    for y, text in layout.hour_labels(index):
                        painter.drawText(
                            QRectF(cell.left() + 1, y, DST_GUTTER_W - 2, hour_h),
                            Qt.AlignmentFlag.AlignLeft,
                            text.split(" ")[0],
                        )
            painter.setPen(_MUTED)
            for lane, rule_id in enumerate(layout.rules):
                box = layout.lane_rect(index, lane)
                if box.width() < 8:
                    continue
                label = QRectF(box.left(), area.top() - LANE_H, box.width(), LANE_H)
                tiny, text = self.lane_header(rule_id, int(label.width()))
                if tiny:
                    painter.setFont(self.tiny)
                    painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
                    painter.setFont(self.small)
                else:
                    painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
        painter.setPen(_GRID)
        painter.drawLine(
            QPointF(area.left(), area.top() - LANE_H), QPointF(area.right(), area.top() - LANE_H)
        )

    def _paint_blocks(self, painter: QPainter, layout: CalendarLayout) -> None:
        """Fill blocks a colour at a time (one call per colour), then stripes and outlines."""
        painter.setPen(Qt.PenStyle.NoPen)
        for person, rects in layout.fills.items():
            if layout.month:
                # A week row's timelines are a pixel or two high: filled as a path, which takes
                # the rectangles as plain numbers, with no Qt rectangle made for each. (Filling a
                # path costs more per scan line: the week's tall columns are drawn as rectangles.)
                path = QPainterPath()
                path.setFillRule(Qt.FillRule.WindingFill)
                # (addRect returns None: `any` only runs it over every rectangle, in C.)
                any(itertools.starmap(path.addRect, rects))
                painter.fillPath(path, self.model.colour(person))

            else:
                painter.setBrush(self.model.colour(person))
                painter.drawRects([QRectF(*r) for r in rects])
        if layout.gaps:
            gaps = [QRectF(*r) for r in layout.gaps]
            painter.setBrush(_GAP_FILL)
            painter.drawRects(gaps)
            painter.setBrush(_HATCH)
            painter.drawRects(gaps)
            painter.setPen(GAP_COLOUR)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRects(gaps)
        if layout.overrides:
            # Stripes where they can be seen: a pattern brush costs a lot per scan line, and on a
            # sliver a pixel or two wide (50 rules side by side) only the outline shows anyway.
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_STRIPES)
            painter.drawRects([QRectF(x, y, w, h) for x, y, w, h in layout.overrides if w >= 4 and h >= 4])
            painter.setPen(QPen(_OUTLINE, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRects([QRectF(x + 1, y + 1, w - 2, h - 2) for x, y, w, h in layout.overrides])
        if layout.conflicts:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_tape())
            painter.drawRects([QRectF(*r) for r in layout.conflicts])
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def lane_header(self, rule_id: str, width: int) -> tuple[bool, str]:
        """(in the tiny font?, text) of a rule's lane header `width` pixels wide: its name where that
        fits, else its short name — in a smaller font where a narrow lane (a DST day's column) needs
        it, since cutting "FTS" to "F…" would make two rules look alike again. Worked out once each."""
        key = (self.model.revision, rule_id, width)
        found = self._lane_headers.get(key)
        if found is not None:
            return found
        name = self.model.rule_name(rule_id)
        if self._small_width(name) + 4 > width:
            name = self.model.rule_label(rule_id)  # the legend below says which rule it is
        # (Qt elides by the text's exact width, which `_small_width` rounds: asked of Qt itself.)
        small = self._small_metrics.elidedText(name, Qt.TextElideMode.ElideRight, width - 2)
        if small == name:
            found = False, small
        else:
            found = True, self._tiny_metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)
        if len(self._lane_headers) > 4096:
            self._lane_headers.clear()
        self._lane_headers[key] = found
        return found

    def _static(self, text: str, font: Literal["small", "bold"] = "small") -> QStaticText:
        """`text` laid out once in the small or bold font (labels, day numbers and names repeat a
        lot); U+2028 breaks a line. Drawn with its top left at the point given, in the painter's font
        (which must be the same font for the prepared layout to be used)."""
        key = (text, font)
        found = self._statics.get(key)
        if found is None:
            if len(self._statics) > 2048:
                self._statics.clear()
            found = self._statics[key] = QStaticText(text)
            found.setTextFormat(Qt.TextFormat.PlainText)
            found.prepare(font=self.small if font == "small" else self.bold)
        return found

    def _small_width(self, text: str) -> int:
        """The width of `text` in the small font (labels repeat a lot: asked of Qt once each)."""
        width = self._small_widths.get(text)
        if width is None:
            width = self._small_widths[text] = self._small_metrics.horizontalAdvance(text)
        return width

    def _paint_label(self, painter: QPainter, painted: PaintedBlock, layout: CalendarLayout) -> None:
        block, rect = painted.block, painted.rect
        month = layout.month
        ink = _GAP_INK if block.person is None else text_colour(self.model.colour(block.person))
        metrics = self._small_metrics
        width = rect.width() - 4
        label = painted.label
        for candidate in (label, label.split(" ")[0], _initials(label)):
            if self._small_width(candidate) <= width:
                label = candidate
                break
        else:
            return
        painter.setPen(ink)
        painter.setFont(self.small)
        if month:
            painter.drawText(
                rect.adjusted(2, 0, -1, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label
            )
            return
        lines = [label]
        if block.override is not None:
            lines.append("override" if self._small_width("override") <= width else "ovr")
        span = layout.portion_text(block, rect)
        if self._small_width(span) <= width:
            lines.append(span)
        room = max(1, int((rect.height() - 2) // metrics.height()))
        # Every line fits the block (widths checked, lines cut to its height): drawn as prepared
        # text, which the same names and times on many blocks share.
        painter.drawStaticText(
            QPointF(rect.left() + 2, rect.top() + 1), self._static("\u2028".join(lines[:room]))
        )

    def paint_now(self, painter: QPainter, layout: CalendarLayout) -> None:
        now = self.model.now()
        col = layout.column_at(now)
        if not col.start <= now < col.end:
            return
        index = layout.columns.index(col)
        cell = layout.col_rect(index)
        painter.setPen(QPen(NOW_COLOUR, 2))
        if layout.month:
            x = layout.position(index, layout.lane_rect(index, 0), now)
            painter.drawLine(QPointF(x, cell.top() + CELL_TITLE_H - 2), QPointF(x, cell.bottom() - 1))
            return
        y = layout.position(index, cell, now)
        painter.drawLine(QPointF(cell.left(), y), QPointF(cell.right(), y))
        painter.setBrush(NOW_COLOUR)
        painter.drawEllipse(QPointF(cell.left() + 1, y), 3.5, 3.5)

    def _paint_legend(self, painter: QPainter, layout: CalendarLayout, ratio: float) -> None:
        """The legend under the days: drawn once for each width, set of rules shown and conflicts
        or none, and kept (every month and zone shows the same one)."""
        key = (self.model.revision, layout.width, tuple(layout.rules), bool(layout.conflicts), ratio)
        legend = self._legends.get(key)
        if legend is None:
            legend = QPixmap(round(layout.width * ratio), round(LEGEND_H * ratio))
            legend.setDevicePixelRatio(ratio)
            legend.fill(Qt.GlobalColor.transparent)
            legend_painter = QPainter(legend)
            legend_painter.translate(0, LEGEND_H - layout.height)
            self._draw_legend(legend_painter, layout)
            legend_painter.end()
            if len(self._legends) > 8:
                self._legends.clear()
            self._legends[key] = legend
        painter.drawPixmap(QPointF(0, layout.height - LEGEND_H), legend)

    def _draw_legend(self, painter: QPainter, layout: CalendarLayout) -> None:
        self._paint_rule_legend(painter, layout, layout.height - LEGEND_H + 3)
        top = layout.height - LEGEND_H + 3 + LEGEND_LINE_H
        x = 8.0
        painter.setFont(self.small)
        small_ascent = self._small_metrics.ascent()
        people = self.model.legend()
        entries: list[tuple[str, QColor | None]] = [(name, colour) for _pid, name, colour in people]
        entries += [("override", None)]
        if layout.conflicts:
            entries.append(("conflict (on call while away)", CONFLICT_COLOUR))
        entries.append(("gap (nobody on call)", GAP_COLOUR))
        if sum(32 + self._small_width(name) for name, _c in entries) > layout.width - 16:
            entries = [(name.split(" ")[0], colour) for name, colour in entries[:-1]] + [("gap", GAP_COLOUR)]
        for name, colour in entries:
            swatch = QRectF(x, top + 2, 14, 12)
            if name == "override":
                painter.fillRect(swatch, QColor("#7f7f7f"))
                painter.fillRect(swatch, _STRIPES)
                painter.setPen(QPen(_OUTLINE, 2))
                painter.drawRect(swatch.adjusted(1, 1, -1, -1))
            elif colour is CONFLICT_COLOUR:
                painter.fillRect(swatch, _tape())
            elif colour is GAP_COLOUR:
                painter.fillRect(swatch, _GAP_FILL)
                painter.fillRect(swatch, _HATCH)
            elif colour is not None:
                painter.fillRect(swatch, colour)
            painter.setPen(_TEXT)
            painter.drawStaticText(QPointF(x + 18, top + 12 - small_ascent), self._static(name))
            x += 18 + self._small_width(name) + 14
            if x > layout.width - 60:
                break

    def _paint_rule_legend(self, painter: QPainter, layout: CalendarLayout, top: float) -> None:
        """One line naming each shown rule by its short name, as the lane headers show it."""
        x = 8.0
        bold_ascent, small_ascent = self._bold_metrics.ascent(), self._small_metrics.ascent()
        for rule_id in layout.rules:
            label, name = self.model.rule_label(rule_id), self.model.rule_name(rule_id)
            width = self._bold_metrics.horizontalAdvance(label) + 4 + self._small_width(name)
            if x + width > layout.width - 12:
                painter.setPen(_MUTED)
                painter.drawText(QPointF(x, top + 12), "…")
                break
            painter.setFont(self.bold)
            painter.setPen(_TEXT)
            painter.drawStaticText(QPointF(x, top + 12 - bold_ascent), self._static(label, "bold"))
            x += self._bold_metrics.horizontalAdvance(label) + 4
            painter.setFont(self.small)
            painter.setPen(_MUTED)
            painter.drawStaticText(QPointF(x, top + 12 - small_ascent), self._static(name))
            x += self._small_width(name) + 16
