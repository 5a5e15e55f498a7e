"""The panel that opens when a calendar block is clicked.

Signals:
    delete_requested(object): the "Delete override" button was pressed for this `Override`.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

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


class DetailsPanel(QFrame):
    delete_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(280)
        self.block: Block | None = None
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.delete_button = QPushButton("Delete override")
        self.delete_button.clicked.connect(self._delete)
        close = QPushButton("Close")
        close.clicked.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.delete_button)
        layout.addWidget(close)

    def show_block(self, block: Block | None, model: CalendarModel) -> None:
        self.block = block
        if block is None:
            self.hide()
            return
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
        self.show()

    def _delete(self) -> None:
        if self.block is not None and self.block.override is not None:
            self.delete_requested.emit(self.block.override)
