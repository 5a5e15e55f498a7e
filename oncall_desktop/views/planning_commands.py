"""Undoable edits of planning around people: time off added and removed, swap requests asked and answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Literal

from oncall_desktop.domain import TimeOff
from oncall_desktop.store import Store
from oncall_desktop.swaps import SwapRequest
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


class AskSwap(StoreCommand):
    """Ask a colleague to take a span of one's shift; undo takes the request back (while unanswered)."""

    def __init__(
        self,
        store: Store,
        request: SwapRequest,
        now: Callable[[], datetime],
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        super().__init__("Ask for a swap", store, refresh, failed)
        self.request = request
        self.now = now

    def apply(self) -> None:
        self.request = self.store.swaps.ask(self.request, self.now())

    def revert(self) -> None:
        assert self.request.id is not None
        self.store.swaps.take_back(self.request.id)


class AnswerSwap(StoreCommand):
    """Accept (the override is written with the answer), decline or withdraw a pending request;
    undo makes it pending again (an accepted one's override removed)."""

    def __init__(
        self,
        store: Store,
        request: SwapRequest,
        answer: Literal["accept", "decline", "withdraw"],
        by: str,
        now: Callable[[], datetime],
        refresh: Refresh,
        failed: Failed | None = None,
        note: str = "",
    ) -> None:
        texts = {"accept": "Accept swap", "decline": "Decline swap", "withdraw": "Withdraw swap request"}
        super().__init__(texts[answer], store, refresh, failed)
        assert request.id is not None
        self.request_id = request.id
        self.answer = answer
        self.by = by
        self.now = now
        self.note = note

    def apply(self) -> None:
        if self.answer == "accept":
            self.store.swaps.accept(self.request_id, self.by, self.now())
        elif self.answer == "decline":
            self.store.swaps.decline(self.request_id, self.by, self.now(), self.note)
        else:
            self.store.swaps.withdraw(self.request_id, self.by, self.now())

    def revert(self) -> None:
        self.store.swaps.reopen(self.request_id)
