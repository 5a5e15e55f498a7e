"""A searchable IANA time-zone picker: "Local" and recently used zones first, then every zone.

Signals:
    zone_chosen(str): "Local" or an IANA name the user picked.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from oncall_desktop.timeutil import all_zone_names, is_zone
from oncall_desktop.views.calendar_model import LOCAL_ZONE

RECENT_LIMIT = 8


class ZonePicker(QComboBox):
    zone_chosen = Signal(str)

    def __init__(self, *, include_local: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.include_local = include_local
        self.recent: list[str] = []
        self.chosen = ""
        """The zone last chosen (or set): what the picker falls back to when typing leads nowhere."""
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(20)
        self.setMinimumContentsLength(22)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.suggestions = completer
        self._fill()
        self.activated.connect(self._picked)
        completer.activated.connect(self._picked_text)
        line_edit = self.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText("Search time zones…")
        line_edit.returnPressed.connect(self._return_pressed)
        line_edit.editingFinished.connect(self._editing_finished)

    def _fill(self) -> None:
        current = self.currentText()
        self.blockSignals(True)
        self.clear()
        head = [LOCAL_ZONE] if self.include_local else []
        head += [z for z in self.recent if z != LOCAL_ZONE]
        self.addItems(head)
        if head:
            self.insertSeparator(len(head))
        self.addItems([z for z in all_zone_names() if z not in head])
        self._show(current)
        self.blockSignals(False)

    def _show(self, name: str) -> None:
        """Show `name` as the current item too, not only as text: a refill or a Return that the
        combo box handles itself must not fall back to its first item ("Local")."""
        index = self.findText(name)
        if index >= 0:
            self.setCurrentIndex(index)
        self.setCurrentText(name)

    def set_recent(self, zones: Sequence[str]) -> None:
        self.recent = [z for z in zones if z == LOCAL_ZONE or is_zone(z)][:RECENT_LIMIT]
        self._fill()

    def current_zone(self) -> str:
        return self.currentText().strip()

    def set_zone(self, name: str) -> None:
        self.chosen = name
        self.blockSignals(True)
        self._show(name)
        self.blockSignals(False)

    def is_valid(self, name: str) -> bool:
        return (self.include_local and name == LOCAL_ZONE) or is_zone(name)

    def match(self, text: str) -> str | None:
        """The zone `text` names: itself, or the one zone whose name contains it (any case, with
        spaces for underscores: `tokyo`, `new york`); None when none or several do."""
        name = text.strip()
        if self.is_valid(name):
            return name
        wanted = name.replace(" ", "_").lower()
        if not wanted:
            return None
        found = [z for z in all_zone_names() if wanted in z.lower()]
        last = [z for z in found if z.lower().rsplit("/", 1)[-1] == wanted]
        if len(last) == 1:
            return last[0]
        return found[0] if len(found) == 1 else None

    def _return_pressed(self) -> None:
        line_edit = self.lineEdit()
        assert line_edit is not None
        found = self.match(line_edit.text())
        if found is not None:
            self._picked_text(found)
            return
        self.suggestions.setCompletionPrefix(line_edit.text())
        self.suggestions.complete()  # several zones match: show them

    def _editing_finished(self) -> None:
        line_edit = self.lineEdit()
        assert line_edit is not None
        found = self.match(line_edit.text())
        if found is not None:
            self._picked_text(found)
        elif not line_edit.hasFocus() and not self._suggesting():
            self.set_zone(self.chosen)  # left with half a name typed: show the zone in force

    def _suggesting(self) -> bool:
        popup = self.suggestions.popup()
        return popup is not None and popup.isVisible()

    def _picked(self, row: int) -> None:
        self._picked_text(self.itemText(row))

    def _picked_text(self, text: str) -> None:
        name = text.strip()
        if not self.is_valid(name):
            return
        again = name == self.chosen  # the combo box and the completer may both report one Return
        self.set_zone(name)
        if again:
            return
        if self.include_local:
            self.set_recent([name, *[z for z in self.recent if z != name]])
        self.zone_chosen.emit(name)
