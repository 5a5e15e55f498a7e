"""The live preview beside the ladder editor: who is notified when, on which channel.

The rows are exactly `planner.plan` for an incident routed to the edited rule, so they equal what
`oncall-desktop simulate` prints for such an incident. To route the incident to this rule and no
other, the preview plans on a configuration holding only the edited rule (made untagged, so an
incident without tags reaches it whenever it covers) and a default rule without personnel (so
nothing is sent while the rule is off duty, as for a routed incident whose rule does not cover).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
    QTimer,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import timeutil
from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    Channel,
    Configuration,
    MatchConditions,
    OnCallRule,
    PlannedNotification,
    Severity,
)
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.views.colours import fallback_colour, person_colours
from oncall_desktop.views.ladder_model import CHANNEL_LABELS, ordered_channels
from oncall_desktop.views.zone_picker import ZonePicker

DEBOUNCE_MS = 100
HORIZONS_HOURS = (1, 2, 6, 24)
DEFAULT_HORIZON_HOURS = 2
HANDOVER_LEAD = timedelta(minutes=10)

CHANNEL_COLOURS = {
    Channel.SMS: "#2e7d32",
    Channel.VOICE: "#c62828",
    Channel.EMAIL: "#1565c0",
    Channel.CHAT: "#6a1b9a",
}
_HANDOVER_BACKGROUND = "#fff3cd"
_GROUP_BACKGROUND = "#f1f4f8"


def preview_configuration(config: Configuration, rule: OnCallRule) -> Configuration:
    """A configuration in which an incident without tags is routed to `rule` (see module doc)."""
    if rule.is_default:
        rules: tuple[OnCallRule, ...] = (rule,)
    else:
        empty_default = OnCallRule(DEFAULT_RULE_ID, "Default", rule.timezone)
        rules = (replace(rule, match=MatchConditions()), empty_default)
    return replace(config, rules=rules, overrides=config.overrides_for(rule.id))


def preview_plan(
    config: Configuration, rule: OnCallRule, start: datetime, severity: Severity, hours: int
) -> list[PlannedNotification]:
    """The planner's notifications for an incident on `rule` from `start` for `hours` hours."""
    schedules = Schedules(preview_configuration(config, rule))
    return plan(schedules, IncidentFacts(start, severity), until=start + timedelta(hours=hours))


def next_shift_change(config: Configuration, rule: OnCallRule, after: datetime) -> datetime | None:
    """The first instant after `after` at which the rule's on-call set changes (within ~5 weeks)."""
    schedule = Schedules(preview_configuration(config, rule)).rules[rule.id]
    end = after + timedelta(days=36)
    intervals, gaps = schedule.intervals(after, end)
    bounds = sorted({i.end for i in intervals} | {g.end for g in gaps} | {i.start for i in intervals})
    return next((b for b in bounds if after < b < end), None)


def person_colour(config: Configuration, person_id: str) -> QColor:
    """The person's colour as the calendar shows it."""
    return person_colours(config.people).get(person_id) or fallback_colour(person_id)


def _swatch(colour: QColor, size: int = 12) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(colour)
    return pixmap


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """The notifications of one person at one instant for one reason, their channels together."""

    at: datetime
    person: str
    channels: tuple[Channel, ...]
    level: int
    rule: str
    repeat: int
    handover: bool

    def notifications(self) -> list[PlannedNotification]:
        return [
            PlannedNotification(self.at, self.person, c, self.level, self.rule, self.repeat, self.handover)
            for c in self.channels
        ]


def preview_rows(notifications: list[PlannedNotification]) -> list[PreviewRow]:
    """Group the planner's output (sorted by instant, person, channel) into one row per person and reason."""
    rows: list[PreviewRow] = []
    for note in notifications:
        row = PreviewRow(
            note.at, note.person, (note.channel,), note.level, note.rule, note.repeat, note.handover
        )
        if rows and replace(rows[-1], channels=row.channels) == row:
            rows[-1] = replace(rows[-1], channels=(*rows[-1].channels, note.channel))
        else:
            rows.append(row)
    return rows


def _channel_swatches(channels: tuple[Channel, ...], size: int = 12) -> QPixmap:
    pixmap = QPixmap(len(channels) * (size + 3), size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    for i, channel in enumerate(channels):
        painter.fillRect(i * (size + 3), 0, size, size, QColor(CHANNEL_COLOURS[channel]))
    painter.end()
    return pixmap


def elapsed_label(start: datetime, at: datetime) -> str:
    """Minutes since the incident started, as the ladder's waits are written: T+45, T+1h05."""
    minutes = int((at - start) // timedelta(minutes=1))
    if minutes < 60:
        return f"T+{minutes}"
    return f"T+{minutes // 60}h{minutes % 60:02d}"


class PreviewModel(QAbstractTableModel):
    """The planned notifications, one row each, in the planner's order."""

    COLUMNS = ("After", "When", "Who", "Channels", "Why")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = Configuration()
        self.rows: list[PreviewRow] = []
        self.start = datetime.now().astimezone()
        self.tz = timeutil.zone("UTC")
        self.tz_name = "UTC"
        self._group: list[int] = []

    def set_rows(
        self,
        config: Configuration,
        notifications: list[PlannedNotification],
        start: datetime,
        tz_name: str,
    ) -> None:
        self.beginResetModel()
        self.config = config
        self.rows = preview_rows(notifications)
        self.start = start
        self.tz = timeutil.zone(tz_name)
        self.tz_name = tz_name
        self._group = []
        group, previous = -1, None
        for note in self.rows:
            if note.at != previous:
                group, previous = group + 1, note.at
            self._group.append(group)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if section == 1:
                return f"When ({self.tz_name.rsplit('/', 1)[-1].replace('_', ' ')})"
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        note = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(note, column)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == 2:
                return _swatch(person_colour(self.config, note.person))
            if column == 3:
                return _channel_swatches(ordered_channels(note.channels))
        if role == Qt.ItemDataRole.BackgroundRole:
            if note.handover:
                return QColor(_HANDOVER_BACKGROUND)
            if self._group[index.row()] % 2:
                return QColor(_GROUP_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole and column in (0, 1):
            same_instant = index.row() > 0 and self.rows[index.row() - 1].at == note.at
            if same_instant:
                return QColor("#8a8f98")
        if role == Qt.ItemDataRole.ToolTipRole:
            return timeutil.format_in_zone(note.at, self.tz)
        return None

    def _text(self, note: PreviewRow, column: int) -> str:
        if column == 0:
            return elapsed_label(self.start, note.at)
        if column == 1:
            return note.at.astimezone(self.tz).strftime("%a %d %b %H:%M")
        if column == 2:
            return self.config.display_name(note.person)
        if column == 3:
            return " + ".join(CHANNEL_LABELS[c] for c in ordered_channels(note.channels))
        if note.handover:
            return f"handover · level {note.level}"
        if note.repeat:
            return f"level {note.level} · repeat {note.repeat}"
        return f"level {note.level}"


class LadderPreview(QWidget):
    """Severity, start time and zone controls over the planned notification timeline.

    Signals:
        refreshed: the rows were recomputed.
    """

    refreshed = Signal()

    def __init__(self, config: Configuration, rule: OnCallRule, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.rule = rule
        self.notifications: list[PlannedNotification] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)

        self.severity = QComboBox()
        for severity in Severity:
            self.severity.addItem(str(severity), severity)
        self.severity.setToolTip("Severity of the imagined incident")
        self.zone = ZonePicker(include_local=False)
        self.zone.set_zone(rule.timezone)
        self.zone.setToolTip("Time zone of the incident's start time and of the times listed")
        self._zone_name = rule.timezone
        self.start_edit = QDateTimeEdit()
        self.start_edit.setDisplayFormat("ddd yyyy-MM-dd HH:mm")
        self.start_edit.setCalendarPopup(True)
        self.horizon = QComboBox()
        for hours in HORIZONS_HOURS:
            self.horizon.addItem(f"{hours} h", hours)
        self.horizon.setCurrentIndex(HORIZONS_HOURS.index(DEFAULT_HORIZON_HOURS))
        self.near_handover = QPushButton("Start near next shift change")
        self.near_handover.setToolTip(
            f"Start the incident {int(HANDOVER_LEAD.total_seconds() // 60)} minutes before the next "
            "time the on-call person changes, to see the handover"
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.caution = QLabel()
        self.caution.setWordWrap(True)
        self.caution.setStyleSheet("color: #c62828;")
        self.caution.hide()

        self.model = PreviewModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setStyleSheet("QTableView::item { padding: 0 8px 0 2px; }")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        form = QFormLayout()
        form.addRow("Severity", self.severity)
        when = QHBoxLayout()
        when.addWidget(self.start_edit, 1)
        when.addWidget(self.zone, 1)
        form.addRow("Incident starts", when)
        span = QHBoxLayout()
        span.addWidget(self.horizon)
        span.addWidget(self.near_handover)
        span.addStretch(1)
        form.addRow("Show", span)
        title = QLabel("<b>Who gets paged when</b>")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.caution)
        layout.addWidget(self.table, 1)

        self.set_start(datetime.now().astimezone().replace(second=0, microsecond=0))
        self.severity.currentIndexChanged.connect(self.schedule_refresh)
        self.start_edit.dateTimeChanged.connect(self.schedule_refresh)
        self.horizon.currentIndexChanged.connect(self.schedule_refresh)
        self.zone.zone_chosen.connect(self._zone_changed)
        self.near_handover.clicked.connect(self.start_near_shift_change)

    # -- inputs ----------------------------------------------------------------------------------

    def zone_name(self) -> str:
        return self._zone_name

    def start(self) -> datetime:
        """The chosen start as a UTC instant (a wall time in the chosen zone, resolved per SPEC)."""
        qdate, qtime = self.start_edit.date(), self.start_edit.time()
        wall = datetime(qdate.year(), qdate.month(), qdate.day(), qtime.hour(), qtime.minute())
        return timeutil.resolve_wall(wall, timeutil.zone(self._zone_name))

    def set_start(self, instant: datetime) -> None:
        local = instant.astimezone(timeutil.zone(self._zone_name))
        self.start_edit.setDateTime(
            QDateTime(
                QDate(local.year, local.month, local.day),
                QTime(local.hour, local.minute),
                QTimeZone(QTimeZone.Initialization.UTC),
            )
        )

    def set_severity(self, severity: Severity) -> None:
        self.severity.setCurrentIndex(list(Severity).index(severity))

    def set_horizon(self, hours: int) -> None:
        self.horizon.setCurrentIndex(HORIZONS_HOURS.index(hours))

    def _zone_changed(self, name: str) -> None:
        if not timeutil.is_zone(name) or name == self._zone_name:
            return
        instant = self.start()
        self._zone_name = name
        self.set_start(instant)
        self.schedule_refresh()

    def start_near_shift_change(self) -> None:
        change = next_shift_change(self.config, self.rule, self.start())
        if change is None:
            self.summary.setText("No shift change in the next five weeks.")
            return
        self.set_start(change - HANDOVER_LEAD)

    # -- output ----------------------------------------------------------------------------------

    def set_rule(self, config: Configuration, rule: OnCallRule) -> None:
        self.config = config
        self.rule = rule
        self.schedule_refresh()

    def set_caution(self, text: str) -> None:
        """A warning above the rows, e.g. that the ladder shown cannot be saved as it is."""
        self.caution.setText(text)
        self.caution.setVisible(bool(text))

    def schedule_refresh(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        self._timer.stop()
        start = self.start()
        severity = Severity(self.severity.currentData())
        hours = int(self.horizon.currentData())
        try:
            self.notifications = preview_plan(self.config, self.rule, start, severity, hours)
            summary = self._summary(start)
        except (ArithmeticError, ValueError):
            # A rule drafted in the rule editor with a zone or rotation the validator is marking.
            self.notifications = []
            summary = "No preview until the rule's marked zone or rotation is fixed."
        self.model.set_rows(self.config, self.notifications, start, self._zone_name)
        self.summary.setText(summary)
        self.refreshed.emit()

    def _summary(self, start: datetime) -> str:
        schedule = Schedules(preview_configuration(self.config, self.rule)).rules[self.rule.id]
        on_call = schedule.on_call(start)
        names = ", ".join(self.config.display_name(pid) for pid in on_call) or "nobody (the rule is off duty)"
        text = f"On call at the start: {names}."
        handovers = sorted({n.at for n in self.notifications if n.handover})
        if handovers:
            first = handovers[0]
            arriving = dict.fromkeys(n.person for n in self.notifications if n.at == first and n.handover)
            newcomers = ", ".join(self.config.display_name(person) for person in arriving)
            text += f" Shift change at {elapsed_label(start, first)}: {newcomers} takes over."
        if not self.notifications:
            text += " Nobody is notified."
        return text
