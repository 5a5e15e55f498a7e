"""Thin Qt models over the configuration: the rule list, the roster and the people and team tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from oncall_desktop.domain import Configuration, Person, Team
from oncall_desktop.summaries import ladder_lines, layer_summary, match_summary, staffing_summary
from oncall_desktop.views.calendar_widget import PERSON_MIME
from oncall_desktop.views.colours import person_colours

ID_ROLE = Qt.ItemDataRole.UserRole
_Index = QModelIndex | QPersistentModelIndex


class RuleListModel(QAbstractListModel):
    """The rules in order (the default rule last); the check box says whether the calendar shows it.

    Signals:
        visibility_changed(): a rule was shown or hidden.
    """

    visibility_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.config = Configuration()
        self.hidden: set[str] = set()

    def set_configuration(self, config: Configuration) -> None:
        self.beginResetModel()
        self.config = config
        self.hidden &= {r.id for r in config.rules}
        self.endResetModel()

    def row_of(self, rule_id: str) -> int:
        return next((i for i, r in enumerate(self.config.rules) if r.id == rule_id), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.config.rules)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.config.rules):
            return None
        rule = self.config.rules[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            title = f"{rule.name}  (default, cannot be deleted)" if rule.is_default else rule.name
            levels = len(rule.escalation)
            how, who = staffing_summary(rule, self.config)
            return (
                f"{title}\n"
                f"{rule.timezone} · {how}\n"
                f"{who}\n"
                f"match: {match_summary(rule)}\n"
                f"ladder: {levels} level{'' if levels == 1 else 's'} (hover to read it)"
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            # One layer and one level per line: the whole rule is too long for the list itself.
            layers = [layer_summary(la, rule, self.config) for la in rule.layers if len(rule.layers) > 1]
            return "\n".join([f"{rule.name} ({rule.id})", *layers, *ladder_lines(rule, self.config)])
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Unchecked if rule.id in self.hidden else Qt.CheckState.Checked
        if role == ID_ROLE:
            return rule.id
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        rule_id = self.config.rules[index.row()].id
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        if checked:
            self.hidden.discard(rule_id)
        else:
            self.hidden.add(rule_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.visibility_changed.emit()
        return True


class RosterModel(QAbstractListModel):
    """The people, with their calendar colour; drag one onto the calendar to add an override."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.people: tuple[Person, ...] = ()
        self.colours: dict[str, QColor] = {}

    def set_people(self, people: Sequence[Person]) -> None:
        self.beginResetModel()
        self.people = tuple(people)
        self.colours = person_colours(self.people)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.people)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.people):
            return None
        person = self.people[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return person.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self.colours.get(person.id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{person.name} ({person.id}) · {person.timezone or 'no time zone'}\nDrag onto the calendar"
            )
        if role == ID_ROLE:
            return person.id
        return None

    def mimeTypes(self) -> list[str]:
        return [PERSON_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        rows = [i.row() for i in indexes if i.isValid()]
        if rows:
            mime.setData(PERSON_MIME, self.people[rows[0]].id.encode())
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class PeopleTableModel(QAbstractTableModel):
    """People with their contact details; edited through the person editor."""

    COLUMNS = ("Name", "ID", "Email", "Phone", "Paging phone", "Time zone", "Holidays")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.people: tuple[Person, ...] = ()

    def set_people(self, people: Sequence[Person]) -> None:
        self.beginResetModel()
        self.people = tuple(people)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.people)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.people):
            return None
        person = self.people[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                person.name,
                person.id,
                person.email,
                person.phone,
                person.oncall_phone,
                person.timezone,
                person.holidays,
            )
            return values[index.column()] or ""
        if role == ID_ROLE:
            return person.id
        return None


class TeamListModel(QAbstractListModel):
    """Teams with their members in order."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.config = Configuration()

    def set_configuration(self, config: Configuration) -> None:
        self.beginResetModel()
        self.config = config
        self.endResetModel()

    @property
    def teams(self) -> tuple[Team, ...]:
        return self.config.teams

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.config.teams)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.config.teams):
            return None
        team = self.config.teams[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            names = [self.config.display_name(member) for member in team.members]
            return f"{team.name} ({team.id}): {', '.join(names) or 'no members'}"
        if role == ID_ROLE:
            return team.id
        return None
