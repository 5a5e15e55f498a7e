"""Swap requests in the store (SPEC §12): asked, answered and kept.

Every change is a configuration write (the revision moves), so another desktop on a shared store
sees a request or an answer at its next poll. Answers are compare-and-set on the request still being
pending: of two desktops answering at once exactly one wins, and the other is told why. Accepting
writes the override in the same transaction as the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from oncall_desktop.store.db import Database
from oncall_desktop.store.errors import ConflictError, NotFoundError
from oncall_desktop.store.models import OverrideRow
from oncall_desktop.store.planning_models import SwapRequestRow
from oncall_desktop.swaps import SWAP_STATES, SwapRequest, SwapState

ConfigWrite = Callable[[], AbstractContextManager[Session]]


class SwapStore:
    def __init__(self, db: Database, config_write: ConfigWrite) -> None:
        self.db = db
        self._config_write = config_write

    def ask(self, request: SwapRequest, now: datetime) -> SwapRequest:
        """Store a new pending request (checked by `swaps.swap_problem` first); returns it with its id."""
        with self._config_write() as session:
            new_id = session.execute(
                insert(SwapRequestRow).returning(SwapRequestRow.id),
                [
                    {
                        "rule_id": request.rule,
                        "requester_id": request.requester,
                        "colleague_id": request.colleague,
                        "start_at": request.start,
                        "end_at": request.end,
                        "note": request.note,
                        "state": "pending",
                        "created_at": now,
                        "answer": "",
                    }
                ],
            ).scalar_one()
        return self.get(new_id)

    def get(self, request_id: int) -> SwapRequest:
        with self.db.read() as session:
            row = session.get(SwapRequestRow, request_id)
            if row is None:
                raise NotFoundError(f"no swap request {request_id}")
            return _request(row)

    def requests(self, person: str | None = None) -> list[SwapRequest]:
        """Every request (or those `person` asked or was asked), newest first."""
        query = select(SwapRequestRow).order_by(SwapRequestRow.created_at.desc(), SwapRequestRow.id.desc())
        if person is not None:
            query = query.where(
                or_(SwapRequestRow.requester_id == person, SwapRequestRow.colleague_id == person)
            )
        with self.db.read() as session:
            return [_request(row) for row in session.scalars(query)]

    def expire(self, now: datetime) -> int:
        """Pending requests whose span has begun without an answer are expired; how many. (Nothing is
        written, and the revision stays, when there is none.)"""
        with self.db.read() as session:
            due = session.scalar(
                select(SwapRequestRow.id)
                .where(SwapRequestRow.state == "pending", SwapRequestRow.start_at <= now)
                .limit(1)
            )
        if due is None:
            return 0
        with self._config_write() as session:
            result = session.execute(
                update(SwapRequestRow)
                .where(SwapRequestRow.state == "pending", SwapRequestRow.start_at <= now)
                .values(state="expired", decided_at=now, answer="nobody answered before the span began")
            )
            return int(getattr(result, "rowcount", 0))

    def accept(self, request_id: int, by: str, now: datetime) -> SwapRequest:
        """The colleague takes the span: the request is accepted and the override written, together."""
        with self._config_write() as session:
            row = self._pending(session, request_id, by, "colleague")
            if row.start_at <= now:
                raise ConflictError("the span has begun already: the request has expired")
            override_id = session.execute(
                insert(OverrideRow).returning(OverrideRow.id),
                [
                    {
                        "rule_id": row.rule_id,
                        "person_id": row.colleague_id,
                        "start_at": row.start_at,
                        "end_at": row.end_at,
                    }
                ],
            ).scalar_one()
            self._answer(session, request_id, "accepted", now, "", override_id)
        return self.get(request_id)

    def decline(self, request_id: int, by: str, now: datetime, answer: str = "") -> SwapRequest:
        with self._config_write() as session:
            self._pending(session, request_id, by, "colleague")
            self._answer(session, request_id, "declined", now, answer, None)
        return self.get(request_id)

    def withdraw(self, request_id: int, by: str, now: datetime) -> SwapRequest:
        with self._config_write() as session:
            self._pending(session, request_id, by, "requester")
            self._answer(session, request_id, "withdrawn", now, "", None)
        return self.get(request_id)

    def reopen(self, request_id: int) -> None:
        """Undo an answer: back to pending, the accepted override removed."""
        with self._config_write() as session:
            row = session.get(SwapRequestRow, request_id)
            if row is None:
                raise NotFoundError(f"no swap request {request_id}")
            if row.override_id is not None:
                session.execute(delete(OverrideRow).where(OverrideRow.id == row.override_id))
            session.execute(
                update(SwapRequestRow)
                .where(SwapRequestRow.id == request_id)
                .values(state="pending", decided_at=None, answer="", override_id=None)
            )

    def take_back(self, request_id: int) -> None:
        """Undo asking: a request nobody has answered yet is removed."""
        with self._config_write() as session:
            result = session.execute(
                delete(SwapRequestRow).where(
                    SwapRequestRow.id == request_id, SwapRequestRow.state == "pending"
                )
            )
            if not getattr(result, "rowcount", 0):
                raise ConflictError("the request was answered meanwhile; it stays")

    @staticmethod
    def _pending(session: Session, request_id: int, by: str, role: str) -> SwapRequestRow:
        row = session.get(SwapRequestRow, request_id)
        if row is None:
            raise NotFoundError(f"no swap request {request_id}")
        who = row.colleague_id if role == "colleague" else row.requester_id
        if who != by:
            raise ConflictError(
                f"only {who} can answer this request"
                if role == "colleague"
                else f"only {who} can withdraw this request"
            )
        if row.state != "pending":
            raise ConflictError(f"the request was {row.state} meanwhile")
        return row

    @staticmethod
    def _answer(
        session: Session,
        request_id: int,
        state: SwapState,
        now: datetime,
        answer: str,
        override_id: int | None,
    ) -> None:
        result = session.execute(
            update(SwapRequestRow)
            .where(SwapRequestRow.id == request_id, SwapRequestRow.state == "pending")
            .values(state=state, decided_at=now, answer=answer, override_id=override_id)
        )
        if not getattr(result, "rowcount", 0):
            raise ConflictError("the request was answered meanwhile")


def _state(value: str) -> SwapState:
    for state in SWAP_STATES:
        if state == value:
            return state
    return "expired"


def _request(row: SwapRequestRow) -> SwapRequest:
    return SwapRequest(
        rule=row.rule_id,
        requester=row.requester_id,
        colleague=row.colleague_id,
        start=row.start_at,
        end=row.end_at,
        note=row.note or "",
        state=_state(row.state),
        created_at=row.created_at,
        decided_at=row.decided_at,
        answer=row.answer or "",
        override_id=row.override_id,
        id=row.id,
    )
