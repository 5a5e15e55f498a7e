"""Undoable edits of planning around people: adding and removing time off, taking a cover."""

from __future__ import annotations

from dataclasses import replace

from oncall_desktop.domain import TimeOff
from oncall_desktop.store import Store
from oncall_desktop.views.commands import Failed, Refresh, StoreCommand


class AddTimeOff(StoreCommand):
    """Add a time off; undo removes it, redo adds it back under the same id."""

    def __init__(self, store: Store, entry: TimeOff, refresh: Refresh, failed: Failed | None = None) -> None:
        super().__init__("Add time off", store, refresh, failed)
        self.entry = entry

    def apply(self) -> None:
        self.entry = self.store.planning.add_time_off(self.entry)

    def revert(self) -> None:
        assert self.entry.id is not None
        self.store.planning.delete_time_off(self.entry.id)


class DeleteTimeOff(StoreCommand):
    def __init__(self, store: Store, entry: TimeOff, refresh: Refresh, failed: Failed | None = None) -> None:
        super().__init__("Delete time off", store, refresh, failed)
        self.entry = entry

    def apply(self) -> None:
        assert self.entry.id is not None
        self.store.planning.delete_time_off(self.entry.id)

    def revert(self) -> None:
        self.entry = self.store.planning.add_time_off(replace(self.entry))
