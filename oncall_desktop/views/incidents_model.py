"""The incident list as a Qt table: severity, status, age, rule, title, who was paged, who acknowledged.

`load_summaries` reads incidents and their notifications through the engine's incident queries (no
SQL here) and turns them into `IncidentSummary` values; `IncidentTableModel` shows them and updates
in place (rows inserted at the top for new incidents, changed cells refreshed) so the selection and
scroll position survive the station's frequent refreshes. `IncidentFilterProxy` sorts and filters
by status, severity and free text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from oncall_desktop.domain import Configuration, Severity, Status
from oncall_desktop.engine.notifiers import CHANNEL_WORDS
from oncall_desktop.incident import Incident, NotificationRecord
from oncall_desktop.routing import route
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from oncall_desktop.views.colours import STATUS_COLOURS

_Index = QModelIndex | QPersistentModelIndex

INCIDENT_ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

COLUMNS = ("Severity", "Status", "Age", "Rule", "Title", "Paged", "Acknowledged by")
SEVERITY, STATUS, AGE, RULE, TITLE, PAGED, ACKNOWLEDGED = range(len(COLUMNS))

SEVERITY_COLOURS = {
    Severity.P0: QColor("#c62828"),
    Severity.P1: QColor("#ef6c00"),
    Severity.P2: QColor("#f9a825"),
    Severity.P3: QColor("#1e88e5"),
    Severity.P4: QColor("#78909c"),
}
STATUS_WORDS = {Status.OPEN: "open", Status.WORKING: "acknowledged", Status.RESOLVED: "resolved"}
FAILED_COLOUR = QColor("#c62828")
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(Severity)}
DEFAULT_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class PageSummary:
    """One person paged for an incident: by which channels, and whether any of them failed."""

    person: str
    name: str
    channels: tuple[str, ...]
    failed: bool


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """An incident with what the list shows about it: its rules' names and who was paged how."""

    incident: Incident
    rules: tuple[str, ...]
    paged: tuple[PageSummary, ...]
    acknowledged_by: str | None

    @property
    def id(self) -> int:
        return self.incident.id

    @property
    def failed(self) -> int:
        return sum(1 for page in self.paged if page.failed)

    def paged_text(self) -> str:
        names = ", ".join(page.name + (" ⚠" if page.failed else "") for page in self.paged)
        return f"⚠ {self.failed} failed · {names}" if self.failed else names

    def search_text(self) -> str:
        incident = self.incident
        return " ".join(
            (
                f"#{incident.id}",
                incident.title,
                incident.description,
                incident.severity.value,
                STATUS_WORDS[incident.status],
                *incident.tags,
                *self.rules,
                *(page.name for page in self.paged),
                *(page.person for page in self.paged),
                self.acknowledged_by or "",
            )
        ).casefold()


def load_summaries(
    store: Store,
    config: Configuration,
    schedules: Schedules | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[IncidentSummary]:
    """The newest `limit` incidents with their rules and pages, newest first.

    The rules are those the incident's notifications came from; an incident that paged nobody yet
    shows the rules it is routed to at its creation.
    """
    return SummaryLoader(store, limit).load(config, schedules or Schedules(config))


class SummaryLoader:
    """Loads incident summaries again and again, re-reading only what can still change.

    A resolved incident whose notifications are all settled (sent, failed or cancelled) never
    changes again, so its notifications are read once; the page's frequent reloads then cost a
    query per still-moving incident, not a read of the station's whole paging history.
    """

    BULK = 50
    """Above this many incidents to re-read, a few queries for all of theirs beat one each."""

    def __init__(self, store: Store, limit: int = DEFAULT_LIMIT) -> None:
        self.store = store
        self.limit = limit
        self._notes: dict[int, tuple[NotificationRecord, ...]] = {}
        self._settled: set[int] = set()
        self._routes: dict[int, tuple[str, ...]] = {}
        self._routed_with: Schedules | None = None

    def load(self, config: Configuration, schedules: Schedules) -> list[IncidentSummary]:
        listed = self.store.incidents.newest(limit=self.limit)
        stale = [i.id for i in listed if i.id not in self._settled]
        if len(stale) > self.BULK:
            grouped = self.store.incidents.notifications_of(stale)
            fresh = {incident_id: tuple(grouped[incident_id]) for incident_id in stale}
        else:
            fresh = {i: tuple(self.store.incidents.notifications(i)) for i in stale}
        self._notes = {i.id: fresh[i.id] if i.id in fresh else self._notes.get(i.id, ()) for i in listed}
        self._settled = {
            i.id
            for i in listed
            if i.status == Status.RESOLVED
            and all(n.state in ("sent", "failed", "cancelled") for n in self._notes[i.id])
        }
        if schedules is not self._routed_with:
            self._routes.clear()
            self._routed_with = schedules
        return [self._summary(i, config, schedules) for i in listed]

    def _summary(self, incident: Incident, config: Configuration, schedules: Schedules) -> IncidentSummary:
        notes = self._notes[incident.id]
        routes: tuple[str, ...] | None = None
        if not any(n.rule for n in notes):
            routes = self._routes.get(incident.id)
            if routes is None:
                routes = tuple(route(schedules, incident.tags, incident.created_at))
                self._routes[incident.id] = routes
        return summarise(incident, notes, config, schedules, routes)


def summarise(
    incident: Incident,
    notes: Iterable[NotificationRecord],
    config: Configuration,
    schedules: Schedules,
    routes: Sequence[str] | None = None,
) -> IncidentSummary:
    """What the list shows of `incident`; `routes` (the rules it was routed to at its creation)
    saves routing again when the caller remembers them."""

    def rule_name(rule_id: str) -> str:
        rule = config.rule(rule_id)
        return rule.name if rule else rule_id

    rule_ids: list[str] = []
    pages: dict[str, tuple[list[str], bool]] = {}
    for note in notes:
        if note.state not in ("sent", "failed", "sending"):
            continue
        if note.rule and note.rule not in rule_ids:
            rule_ids.append(note.rule)
        channels, _ = pages.setdefault(note.person, ([], False))
        word = CHANNEL_WORDS[note.channel]
        if word not in channels:
            channels.append(word)
        if note.state == "failed":
            pages[note.person] = (channels, True)
    if not rule_ids:
        rule_ids = list(
            routes if routes is not None else route(schedules, incident.tags, incident.created_at)
        )
    paged = tuple(
        PageSummary(person, config.display_name(person), tuple(channels), failed)
        for person, (channels, failed) in pages.items()
    )
    acknowledged = config.display_name(incident.acknowledged_by) if incident.acknowledged_by else None
    return IncidentSummary(incident, tuple(rule_name(r) for r in rule_ids), paged, acknowledged)


def format_age(age: timedelta) -> str:
    """A compact age: '40 s', '12 min', '3 h 05 min', '2 d 4 h'."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


class IncidentTableModel(QAbstractTableModel):
    """Incidents, one per row, newest first as loaded; `now` drives the Age column."""

    def __init__(self, now: datetime, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[IncidentSummary] = []
        self._now = now

    # -- updating -------------------------------------------------------------------------------

    def set_summaries(self, summaries: Sequence[IncidentSummary]) -> None:
        """Show `summaries`; new incidents ahead of the known ones are inserted, not reset."""
        new_ids = [s.id for s in summaries]
        old_ids = [s.id for s in self._rows]
        added = len(new_ids) - len(old_ids)
        if added >= 0 and new_ids[added:] == old_ids:
            if added:
                self.beginInsertRows(QModelIndex(), 0, added - 1)
                self._rows[:0] = summaries[:added]
                self.endInsertRows()
            for row, summary in enumerate(summaries[added:], start=added):
                if summary != self._rows[row]:
                    self._rows[row] = summary
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._rows = list(summaries)
        self.endResetModel()

    def set_now(self, now: datetime) -> None:
        """Move the clock the Age column is measured against."""
        self._now = now
        if self._rows:
            self.dataChanged.emit(self.index(0, AGE), self.index(len(self._rows) - 1, AGE))

    @property
    def now(self) -> datetime:
        return self._now

    def summary_at(self, row: int) -> IncidentSummary:
        return self._rows[row]

    def row_of(self, incident_id: int) -> int:
        return next((i for i, s in enumerate(self._rows) if s.id == incident_id), -1)

    def summaries(self) -> tuple[IncidentSummary, ...]:
        return tuple(self._rows)

    # -- Qt -------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary = self._rows[index.row()]
        incident = summary.incident
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, column)
        if role == SORT_ROLE:
            return self._sort_key(summary, column)
        if role == INCIDENT_ID_ROLE:
            return incident.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == SEVERITY:
            return QBrush(SEVERITY_COLOURS[incident.severity])
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == SEVERITY:
                return QBrush(QColor("#ffffff"))
            if column == STATUS:
                return QBrush(STATUS_COLOURS[incident.status])
            if column == PAGED and summary.failed:
                return QBrush(FAILED_COLOUR)
            if incident.status == Status.RESOLVED:
                return QBrush(QColor("#6b6b6b"))
        if role == Qt.ItemDataRole.FontRole and incident.status == Status.OPEN and column in (STATUS, TITLE):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SEVERITY, AGE):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def _display(self, summary: IncidentSummary, column: int) -> str:
        incident = summary.incident
        if column == SEVERITY:
            return incident.severity.value
        if column == STATUS:
            return STATUS_WORDS[incident.status]
        if column == AGE:
            return format_age(self._now - incident.created_at)
        if column == RULE:
            return ", ".join(summary.rules)
        if column == TITLE:
            return incident.title
        if column == PAGED:
            if incident.held_at(self._now):
                return f"in maintenance ({incident.maintenance}): nobody paged yet"
            return summary.paged_text()
        return summary.acknowledged_by or ""

    def _sort_key(self, summary: IncidentSummary, column: int) -> Any:
        incident = summary.incident
        if column == SEVERITY:
            return SEVERITY_ORDER[incident.severity]
        if column == STATUS:
            return incident.status.rank
        if column == AGE:
            # Youngest first in ascending order, like the Age text read as a number.
            return -incident.created_at.timestamp()
        return self._display(summary, column).casefold()

    def _tooltip(self, summary: IncidentSummary, column: int) -> str | None:
        if column == PAGED and summary.paged:
            return "\n".join(
                f"{page.name}: {', '.join(page.channels)}" + (" — failed" if page.failed else "")
                for page in summary.paged
            )
        if column == TITLE:
            return f"#{summary.id} {summary.incident.title}"
        return None


class IncidentFilterProxy(QSortFilterProxyModel):
    """Sorts by the model's sort keys; keeps incidents whose status and severity are selected and
    whose text (title, tags, rules, people, `#id`) contains every word of the search."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._statuses: frozenset[Status] = frozenset(Status)
        self._severities: frozenset[Severity] = frozenset(Severity)
        self._words: tuple[str, ...] = ()
        self.setSortRole(SORT_ROLE)

    @property
    def statuses(self) -> frozenset[Status]:
        return self._statuses

    @property
    def severities(self) -> frozenset[Severity]:
        return self._severities

    def set_statuses(self, statuses: Iterable[Status]) -> None:
        self.beginFilterChange()
        self._statuses = frozenset(statuses)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_severities(self, severities: Iterable[Severity]) -> None:
        self.beginFilterChange()
        self._severities = frozenset(severities)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._words = tuple(text.casefold().split())
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if source_parent.isValid() or not isinstance(model, IncidentTableModel):
            return False
        summary = model.summary_at(source_row)
        incident = summary.incident
        if incident.status not in self._statuses or incident.severity not in self._severities:
            return False
        if not self._words:
            return True
        text = summary.search_text()
        return all(word in text for word in self._words)

    def incident_id(self, row: int) -> int:
        return int(self.data(self.index(row, 0), INCIDENT_ID_ROLE))
