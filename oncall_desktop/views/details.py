"""The panel that opens when a calendar block is clicked.

It floats over the calendar (`float_over`) instead of taking width from it, on the side away from the
clicked block, so the week keeps its lanes readable and the block stays in sight. Escape or Close
closes it.

Signals:
    delete_requested(object): the "Delete override" button was pressed for this `Override`.
    closed(): the user closed the panel (Close, or Escape in it).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import OnCallRule
from oncall_desktop.summaries import ladder_lines, match_summary, rotation_summary
from oncall_desktop.timeutil import zone
from oncall_desktop.views.calendar_model import Block, CalendarModel


def _staffing(rule: OnCallRule | None, block: Block) -> str:
    """What put the person there: the layer (when the rule has several) and its rotation."""
    if rule is None:
        return "Rotation (?)"
    layer = next((la for la in rule.layers if block.layer and la.name == block.layer), None)
    if layer is None and len(rule.layers) == 1:
        layer = rule.layers[0]
    if layer is None:
        return "Layers taking turns"
    rotation = f"Rotation ({rotation_summary(layer.rotation)})"
    return f"Layer {layer.name} · {rotation}" if layer.name else rotation


def _span(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    a, b = start.astimezone(tz), end.astimezone(tz)
    same_day = a.date() == b.date()
    tail = f"{b:%H:%M}" if same_day else f"{b:%a %-d %b %Y %H:%M}"
    return f"{a:%a %-d %b %Y %H:%M} – {tail} <span style='color:#666'>{a:%Z} · {tz.key}</span>"


PANEL_WIDTH = 340
MARGIN = 8


class DetailsPanel(QFrame):
    delete_requested = Signal(object)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Raised)
        self.setAutoFillBackground(True)
        self.setMinimumWidth(280)
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(18)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(0, 0, 0, 90))
        self.setGraphicsEffect(shadow)
        self.block: Block | None = None
        self.side: Literal["left", "right"] = "right"
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.delete_button = QPushButton("Delete override")
        self.delete_button.clicked.connect(self._delete)
        self.close_button = QPushButton("Close (Esc)")
        self.close_button.clicked.connect(self.close_panel)
        scroll = QScrollArea()
        scroll.setWidget(self.text)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = self.column = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.delete_button)
        layout.addWidget(self.close_button)

    def float_over(self, host: QWidget) -> None:
        """Show over `host` (the calendar) from now on, keeping clear of its layout."""
        self.setParent(host)
        host.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_panel()
            return
        super().keyPressEvent(event)

    def close_panel(self) -> None:
        self.hide()
        self.closed.emit()

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        width = min(PANEL_WIDTH, max(self.minimumWidth(), host.width() // 3))
        room = host.height() - 2 * MARGIN
        # As tall as the text needs (the label wraps at the panel's width), at most the calendar's.
        margins = self.column.contentsMargins()
        inner = width - margins.left() - margins.right() - 2 * self.frameWidth() - 4
        buttons = sum(
            b.sizeHint().height() + self.column.spacing()
            for b in (self.delete_button, self.close_button)
            if not b.isHidden()
        )
        wanted = self.text.heightForWidth(inner) + buttons + margins.top() + margins.bottom() + 12
        height = min(room, max(160, wanted))
        x = MARGIN if self.side == "left" else host.width() - width - MARGIN
        self.setGeometry(x, MARGIN, width, height)

    def show_block(self, block: Block | None, model: CalendarModel, beside: QRectF | None = None) -> None:
        """Show `block` (None: hide), on the side of the host away from `beside` (where the block is)."""
        self.block = block
        if block is None:
            self.hide()
            return
        host = self.parentWidget()
        if beside is not None and host is not None:
            self.side = "left" if beside.center().x() > host.width() / 2 else "right"
        config = model.config
        rule = config.rule(block.rule)
        rule_tz = zone(rule.timezone) if rule else model.tz
        start, end = model.real_span(block)
        rows = []
        if block.person is None:
            who = "<b style='color:#b05a00'>Nobody on call — a gap</b> (the rule is on duty)"
            kind = ""
        else:
            person = config.person(block.person)
            who = f"<b>{html.escape(config.display_name(block.person))}</b>"
            if person and person.timezone:
                rows.append(("Their zone", _span(start, end, zone(person.timezone))))
            if block.override is not None:
                kind = "Override"
                if (block.override.start, block.override.end) != (start, end):
                    rows.insert(0, ("Override", _span(block.override.start, block.override.end, model.tz)))
            else:
                kind = _staffing(rule, block)
        rows = [
            ("Shown zone", _span(start, end, model.tz)),
            ("Rule's zone", _span(start, end, rule_tz)),
            *rows,
        ]
        body = [
            f"<h3 style='margin:0'>{html.escape(rule.name if rule else block.rule)}</h3>",
            f"<p>{who}<br><i>{kind}</i></p>",
            "<table cellspacing='0' cellpadding='2'>",
            *(f"<tr><td style='color:#444'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows),
            "</table>",
        ]
        if rule:
            levels = ladder_lines(rule, config)
            body.append("<p><b>Escalation ladder</b></p><ul style='margin-left:-20px'>")
            body.extend(f"<li>{html.escape(level)}</li>" for level in levels)
            body.append("</ul>")
            body.append(f"<p><b>Match</b>: {html.escape(match_summary(rule))}</p>")
        self.text.setText("".join(body))
        self.delete_button.setVisible(block.override is not None)
        self._place()
        self.show()
        self.raise_()

    def _delete(self) -> None:
        if self.block is not None and self.block.override is not None:
            self.delete_requested.emit(self.block.override)
