"""Maintenance windows on the calendar (SPEC §13): a hatched slate band over the hours a window
covers in the week and day views, with the window's name at its start, and a slate stripe along the
top of the day in the month view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from oncall_desktop import maintenance
from oncall_desktop.domain import MaintenanceWindow

BAND_COLOUR = QColor(38, 50, 56)
"""Dark slate: apart from every person's colour, so the band reads over any block."""
_FILL = QColor(38, 50, 56, 40)
_HATCH = QBrush(QColor(38, 50, 56, 120), Qt.BrushStyle.BDiagPattern)
STRIPE_H = 4.0
EDGE_W = 4.0


class _Column(Protocol):
    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


class CalendarLayout(Protocol):
    """What the band needs of the calendar widget's layout of one view."""

    month: bool

    @property
    def columns(self) -> Sequence[_Column]: ...

    def col_rect(self, index: int) -> QRectF: ...

    def lane_rect(self, index: int, lane: int) -> QRectF: ...

    def position(self, index: int, lane_rect: QRectF, t: datetime) -> float: ...


def band_rects(layout: CalendarLayout, window: MaintenanceWindow) -> list[QRectF]:
    """Where `window` shows: per day column it touches, the part of the day it covers."""
    start, end = maintenance.span(window)
    rects = []
    for index, column in enumerate(layout.columns):
        a, b = max(start, column.start), min(end, column.end)
        if a >= b:
            continue
        cell = layout.col_rect(index)
        if layout.month:
            lane = layout.lane_rect(index, 0)
            x0, x1 = layout.position(index, lane, a), layout.position(index, lane, b)
            rects.append(QRectF(x0, lane.top() - STRIPE_H - 1, max(2.0, x1 - x0), STRIPE_H))
        else:
            y0, y1 = layout.position(index, cell, a), layout.position(index, cell, b)
            rects.append(QRectF(cell.left() + 1, y0, cell.width() - 2, max(2.0, y1 - y0)))
    return rects


def paint_maintenance(
    painter: QPainter, layout: CalendarLayout, windows: Sequence[MaintenanceWindow], font: QFont
) -> None:
    """Draw every window's band over the blocks (translucent, so the blocks show through)."""
    if not windows:
        return
    painter.save()
    painter.setFont(font)
    for window in windows:
        rects = band_rects(layout, window)
        for n, rect in enumerate(rects):
            if layout.month:
                painter.fillRect(rect, BAND_COLOUR)
                continue
            painter.fillRect(rect, _FILL)
            painter.fillRect(rect, _HATCH)
            painter.fillRect(QRectF(rect.left(), rect.top(), EDGE_W, rect.height()), BAND_COLOUR)
            if n == 0 and rect.height() >= painter.fontMetrics().height() + 2:
                label = painter.fontMetrics().elidedText(
                    f"Maintenance: {window.name}", Qt.TextElideMode.ElideRight, int(rect.width() - EDGE_W - 6)
                )
                text_rect = QRectF(rect.left() + EDGE_W + 3, rect.top() + 1, rect.width() - EDGE_W - 6, 16)
                painter.setPen(QPen(QColor("#ffffff")))
                width = painter.fontMetrics().horizontalAdvance(label) + 6
                painter.fillRect(QRectF(text_rect.left() - 2, text_rect.top(), width, 15), BAND_COLOUR)
                painter.drawText(text_rect.topLeft() + QPointF(1, 12), label)
    painter.restore()
