"""The Incidents page: a filter bar, the incident table and a detail pane with the timeline.

Acknowledge and Resolve call the engine's incident actions (the same ones the CLI's `ack` and
`resolve` use); the page then reloads from the store. Acknowledging asks as whom, offering "me"
(the main window's "Who am I…" setting) first.

Signals:
    incidents_loaded(object): a tuple of `Incident`, after every reload (the tray counts them).
    incident_acted(int): an incident was acknowledged or resolved from this page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import timedelta, tzinfo

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QHideEvent, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, Severity, Status
from oncall_desktop.engine.clock import Clock, SystemClock
from oncall_desktop.incident import Incident, TimelineEvent
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store, StoreError
from oncall_desktop.views.colours import STATUS_COLOURS
from oncall_desktop.views.incidents_model import (
    ACKNOWLEDGED,
    AGE,
    COLUMNS,
    PAGED,
    RULE,
    SEVERITY,
    SEVERITY_COLOURS,
    STATUS,
    STATUS_WORDS,
    TITLE,
    IncidentFilterProxy,
    IncidentSummary,
    IncidentTableModel,
    SummaryLoader,
)
from oncall_desktop.views.time_text import clock_time, full_time

ME_KEY = "me"  # the main window's "Who am I…" setting
REFRESH_MS = 15_000
EVENT_COLOURS = {
    "created": QColor("#1e3a8a"),
    "notified": QColor("#333333"),
    "notification_failed": QColor("#c62828"),
    "acknowledged": QColor("#a05a00"),
    "resolved": QColor("#2e7d32"),
    "maintenance": QColor("#263238"),
}

AskPerson = Callable[[QWidget, list[tuple[str, str]], str | None], tuple[str | None, bool]]


def ask_acknowledger(
    parent: QWidget, people: list[tuple[str, str]], me: str | None
) -> tuple[str | None, bool]:
    """Ask as whom to acknowledge: (person id, accepted). `people` are (id, name), `me` is preselected."""
    labels = [f"{name} ({pid})" for pid, name in people]
    current = next((i for i, (pid, _) in enumerate(people) if pid == me), 0)
    text, ok = QInputDialog.getItem(parent, "Acknowledge incident", "Acknowledge as:", labels, current, False)
    if not ok:
        return None, False
    return people[labels.index(text)][0] if text in labels else None, True


def elapsed(delta: timedelta) -> str:
    """Time since the incident was received, as the ladder counts it: '+0', '+5 min', '+1 h 05'."""
    minutes = max(0, int(delta.total_seconds())) // 60
    if minutes == 0:
        return "+0"
    if minutes < 60:
        return f"+{minutes} min"
    return f"+{minutes // 60} h {minutes % 60:02d}"


class SeverityBadge(QStyledItemDelegate):
    """Paints the severity cell in its colour even on a selected row, so P0s stay red."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        severity = index.data(Qt.ItemDataRole.DisplayRole)
        colour = SEVERITY_COLOURS.get(severity)  # StrEnum keys: the display text finds them
        if colour is None:
            super().paint(painter, option, index)
            return
        painter.save()
        rect = option.rect.adjusted(3, 3, -3, -3)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(colour)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QColor("#ffffff"))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, severity)
        painter.restore()


class IncidentDetails(QFrame):
    """One incident: its facts, its timeline, and the Acknowledge and Resolve buttons."""

    def __init__(self, tz: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tz = tz
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.summary: IncidentSummary | None = None
        self.events: list[TimelineEvent] = []
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.facts.setOpenExternalLinks(True)
        # A table, not a tree: its rows grow to fit a long line wrapped at the column's width (a
        # tree's rows keep one height, cutting "written to the incident timeline only (…)" short).
        self.timeline = QTableWidget(0, 3)
        self.timeline.setHorizontalHeaderLabels(["When", "T+", "What"])
        self.timeline.verticalHeader().hide()
        self.timeline.setShowGrid(False)
        self.timeline.setWordWrap(True)
        self.timeline.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.timeline.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.timeline.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.timeline.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.timeline.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.acknowledge_button = QPushButton("&Acknowledge…")
        self.resolve_button = QPushButton("&Resolve")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828")
        self.message.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.acknowledge_button)
        buttons.addWidget(self.resolve_button)
        buttons.addStretch(1)
        about = QVBoxLayout()
        about.addWidget(self.heading)
        about.addWidget(self.facts)
        about.addLayout(buttons)
        about.addWidget(self.message)
        about.addStretch(1)
        about_widget = QWidget()
        about_widget.setLayout(about)
        about_scroll = QScrollArea()
        about_scroll.setWidget(about_widget)
        about_scroll.setWidgetResizable(True)
        about_scroll.setFrameShape(QFrame.Shape.NoFrame)
        about_scroll.setMinimumWidth(440)
        about_scroll.setMaximumWidth(580)
        history = QVBoxLayout()
        history.setContentsMargins(0, 0, 0, 0)
        history.addWidget(QLabel("<b>Timeline</b>"))
        history.addWidget(self.timeline, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(about_scroll)
        layout.addLayout(history, 1)
        self.show_incident(None, [])

    def set_zone(self, tz: tzinfo) -> None:
        """Write times in `tz` (the calendar's zone) from now on."""
        self.tz = tz
        summary, events = self.summary, self.events
        self.summary = None
        self.show_incident(summary, events)

    def show_incident(self, summary: IncidentSummary | None, events: list[TimelineEvent]) -> None:
        if summary is not None and summary == self.summary and events == self.events:
            return  # keep the timeline's scroll position through the station's reloads
        changed = summary is None or self.summary is None or summary.id != self.summary.id
        self.summary = summary
        self.events = events
        if changed:
            self.show_message("")
        if summary is None:
            self.heading.setText("<span style='color:#666'>Select an incident to see its timeline.</span>")
            self.facts.clear()
            self.timeline.setRowCount(0)
            self.acknowledge_button.setEnabled(False)
            self.resolve_button.setEnabled(False)
            return
        incident = summary.incident
        colour = SEVERITY_COLOURS[incident.severity].name()
        status_colour = STATUS_COLOURS[incident.status].name()
        self.heading.setText(
            f"<span style='background:{colour}; color:white'>&nbsp;{incident.severity.value}&nbsp;</span>"
            f" <b style='color:{status_colour}'>{STATUS_WORDS[incident.status]}</b>"
            f" <span style='color:#666'>#{incident.id}</span><br>"
            f"<span style='font-size:13pt; font-weight:600'>{html.escape(incident.title)}</span>"
        )
        self.facts.setText(self._facts_html(summary))
        self.acknowledge_button.setEnabled(incident.status == Status.OPEN)
        self.resolve_button.setEnabled(incident.status != Status.RESOLVED)
        received = incident.created_at.astimezone(self.tz).date()
        self.timeline.setRowCount(len(events))
        for row, event in enumerate(events):
            other_day = event.at.astimezone(self.tz).date() != received
            cells = [
                QTableWidgetItem(clock_time(event.at, self.tz, with_day=other_day)),
                QTableWidgetItem(elapsed(event.at - incident.created_at)),
                QTableWidgetItem(event.message),
            ]
            cells[0].setToolTip(full_time(event.at, self.tz))
            colour_for = EVENT_COLOURS.get(event.kind)
            for column, cell in enumerate(cells):
                cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                if colour_for is not None and column == 2:
                    cell.setForeground(QBrush(colour_for))
                self.timeline.setItem(row, column, cell)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _facts_html(self, summary: IncidentSummary) -> str:
        incident = summary.incident
        rows = [("Received", full_time(incident.created_at, self.tz))]
        if incident.integration:
            rows.append(("From", html.escape(incident.integration)))
        if incident.tags:
            rows.append(("Tags", html.escape(", ".join(incident.tags))))
        if summary.rules:
            rows.append(("Rule", html.escape(", ".join(summary.rules))))
        if summary.paged:
            rows.append(
                (
                    "Paged",
                    "<br>".join(
                        html.escape(f"{page.name}: {', '.join(page.channels)}")
                        + (" <b style='color:#c62828'>⚠ failed</b>" if page.failed else "")
                        for page in summary.paged
                    ),
                )
            )
        if incident.acknowledged_at is not None:
            who = html.escape(summary.acknowledged_by or "someone")
            rows.append(("Acknowledged", f"{who}, {full_time(incident.acknowledged_at, self.tz)}"))
        if incident.resolved_at is not None:
            rows.append(("Resolved", full_time(incident.resolved_at, self.tz)))
        if incident.link:
            link = html.escape(incident.link, quote=True)
            rows.append(("Link", f"<a href='{link}'>{link}</a>"))
        table = "".join(
            f"<tr><td style='color:#666; padding-right:8px'>{k}</td><td>{v}</td></tr>" for k, v in rows
        )
        description = f"<p>{html.escape(incident.description)}</p>" if incident.description.strip() else ""
        return f"<table>{table}</table>{description}"


class AlarmBar(QFrame):
    """A red bar above the list while the station's alarm sounds, with its own Mute button (the
    tray's menu is out of reach on desktops without a tray)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarm-bar")
        self.setStyleSheet(
            "#alarm-bar { background: #c62828; border-radius: 4px; }"
            " #alarm-bar QLabel { color: white; font-weight: 600; }"
        )
        self.text = QLabel()
        self.mute_button = QPushButton("&Mute alarm")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.mute_button)
        self.hide()

    def show_alarm(self, urgent: Sequence[Incident]) -> None:
        """Show the bar for these open P0/P1 incidents; hide it when there are none."""
        if not urgent:
            self.hide()
            return
        first = urgent[0]
        more = f" and {len(urgent) - 1} more" if len(urgent) > 1 else ""
        self.text.setText(
            f"Alarm sounding: {first.severity.value} #{first.id} {first.title}{more} — acknowledge to stop it"
        )
        self.show()


class IncidentsPage(QWidget):
    """The station's incidents: filter, list, details, actions."""

    incidents_loaded = Signal(object)
    incident_acted = Signal(int)

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        settings: QSettings | None = None,
        tz: tzinfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.settings = settings if settings is not None else QSettings()
        self.ask_acknowledger: AskPerson = ask_acknowledger
        self.tz = tz or timeutil.zone(timeutil.system_zone_name())
        self._config = Configuration()
        self._schedules = Schedules(self._config)
        self._revision: int | None = None
        self.loader = SummaryLoader(store)

        self.model = IncidentTableModel(self.clock.now(), self)
        self.proxy = IncidentFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, tags, rule, people, #id…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_search)
        self.status_boxes: dict[Status, QCheckBox] = {}
        self.severity_boxes: dict[Severity, QCheckBox] = {}
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Status:"))
        for status in Status:
            box = QCheckBox(STATUS_WORDS[status])
            box.setChecked(status != Status.RESOLVED)
            box.toggled.connect(self._statuses_changed)
            self.status_boxes[status] = box
            bar.addWidget(box)
        bar.addSpacing(16)
        bar.addWidget(QLabel("Severity:"))
        for severity in Severity:
            box = QCheckBox(severity.value)
            box.setChecked(True)
            box.toggled.connect(self._severities_changed)
            self.severity_boxes[severity] = box
            bar.addWidget(box)
        bar.addSpacing(16)
        bar.addWidget(self.search, 1)
        self._statuses_changed()

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(AGE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(SEVERITY, SeverityBadge(self.table))
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        widths = ((SEVERITY, 64), (STATUS, 110), (AGE, 96), (RULE, 220), (PAGED, 320), (ACKNOWLEDGED, 150))
        for column, width in widths:
            header.resizeSection(column, width)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.details = IncidentDetails(self.tz)
        self.details.acknowledge_button.clicked.connect(self.acknowledge_selected)
        self.details.resolve_button.clicked.connect(self.resolve_selected)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        self.alarm_bar = AlarmBar()
        layout = QVBoxLayout(self)
        layout.addWidget(self.alarm_bar)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        # While the page is shown, ages tick on and changes from elsewhere (the CLI) appear.
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self.refresh()

    # -- loading --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload incidents from the store, keeping the selection."""
        revision = self.store.revision()
        if revision != self._revision:
            self._config = self.store.load_configuration()
            self._schedules = Schedules(self._config)
            self._revision = revision
        self.model.set_now(self.clock.now())
        self.model.set_summaries(self.loader.load(self._config, self._schedules))
        self._show_selected()
        self.incidents_loaded.emit(tuple(s.incident for s in self.model.summaries()))

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh_timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.refresh_timer.stop()
        super().hideEvent(event)

    def set_zone(self, tz: tzinfo) -> None:
        """Show times in `tz`: the main window passes the calendar's zone whenever it changes."""
        self.tz = tz
        self.details.set_zone(tz)

    # -- selection ------------------------------------------------------------------------------

    def select_incident(self, incident_id: int) -> bool:
        """Select the incident's row (if the filters show it); True if it is now selected."""
        for row in range(self.proxy.rowCount()):
            if self.proxy.incident_id(row) == incident_id:
                self.table.selectRow(row)
                self.table.scrollTo(self.proxy.index(row, 0))
                return True
        return False

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.proxy.incident_id(rows[0].row()) if rows else None

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        incident_id = self.selected_id()
        row = self.model.row_of(incident_id) if incident_id is not None else -1
        if incident_id is None or row < 0:
            self.details.show_incident(None, [])
            return
        self.details.show_incident(self.model.summary_at(row), self.store.incidents.timeline(incident_id))

    # -- filters --------------------------------------------------------------------------------

    def _statuses_changed(self) -> None:
        self.proxy.set_statuses(s for s, box in self.status_boxes.items() if box.isChecked())

    def _severities_changed(self) -> None:
        self.proxy.set_severities(s for s, box in self.severity_boxes.items() if box.isChecked())

    # -- actions --------------------------------------------------------------------------------

    @property
    def me(self) -> str | None:
        """Who "I" am (View ▸ Who am I…): the person offered first when acknowledging."""
        value = self.settings.value(ME_KEY)
        return str(value) if value else None

    def acknowledge_selected(self) -> None:
        incident_id = self.selected_id()
        if incident_id is None:
            return
        people = [(p.id, p.name) for p in self._config.people]
        by: str | None = None
        if people:
            by, accepted = self.ask_acknowledger(self, people, self.me)
            if not accepted:
                return
        self._act(incident_id, lambda: self.store.incidents.acknowledge(incident_id, self.clock.now(), by))

    def resolve_selected(self) -> None:
        incident_id = self.selected_id()
        if incident_id is None:
            return
        by = self.me if self.me and self._config.person(self.me) else None
        self._act(incident_id, lambda: self.store.incidents.resolve(incident_id, self.clock.now(), by))

    def _act(self, incident_id: int, action: Callable[[], Incident]) -> None:
        try:
            action()
        except StoreError as error:
            self.refresh()
            self.details.show_message(str(error))
            return
        self.refresh()
        self.incident_acted.emit(incident_id)
