"""Swap requests (SPEC §12): a person asks a colleague to take a span of their shift.

A request is `pending` until the colleague accepts it (which puts an override on the rule for the
span: the colleague is on call instead) or declines it; the requester may withdraw it while it is
pending, and one whose span has begun without an answer has `expired`. Requests are never deleted,
so each one's history stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from oncall_desktop.domain import Configuration, Interval
from oncall_desktop.schedule import Schedules

SwapState = Literal["pending", "accepted", "declined", "withdrawn", "expired"]
SWAP_STATES: tuple[SwapState, ...] = ("pending", "accepted", "declined", "withdrawn", "expired")
MAX_NOTE = 500


@dataclass(frozen=True, slots=True)
class SwapRequest:
    rule: str
    requester: str
    colleague: str
    start: datetime
    end: datetime
    note: str = ""
    state: SwapState = "pending"
    created_at: datetime | None = None
    decided_at: datetime | None = None
    answer: str = ""
    override_id: int | None = None
    id: int | None = None

    @property
    def open(self) -> bool:
        return self.state == "pending"


def shifts_of(config: Configuration, person: str, start: datetime, end: datetime) -> list[Interval]:
    """The person's final-schedule intervals overlapping [start, end), unclipped, by start."""
    schedule = Schedules(config).final_schedule(start, end, person=person, clip=False)
    return sorted(schedule.intervals, key=lambda i: (i.start, i.rule))


def swap_problem(config: Configuration, request: SwapRequest, now: datetime) -> str | None:
    """Why the request cannot be asked, or None: the span must be part of the requester's own shift
    on the rule, not yet begun, and the colleague someone else who exists."""
    if config.rule(request.rule) is None:
        return f"there is no rule {request.rule!r}"
    if config.person(request.colleague) is None:
        return f"there is no person {request.colleague!r}"
    if request.colleague == request.requester:
        return "ask someone other than yourself"
    if request.end <= request.start:
        return "the span must end after it starts"
    if request.start < now:
        return "the span has begun already: only what is still to come can be swapped"
    if len(request.note) > MAX_NOTE:
        return f"the note is longer than {MAX_NOTE} characters"
    shifts = Schedules(config).final_schedule(
        request.start, request.end, rules=[request.rule], person=request.requester
    )
    covered = sum(((i.end - i.start) for i in shifts.intervals), request.end - request.end)
    if covered != request.end - request.start:
        return "the span must lie within your own shift on this rule"
    return None
