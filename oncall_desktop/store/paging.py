"""What paging by phone and email keeps besides the outbox (SPEC §4): each number's reply codes
per incident, the inbound SMS already handled (so a reply is applied once, whichever path — poll or
webhook — sees it first), and the unguessable tokens behind email acknowledge links."""

from __future__ import annotations

import secrets
import zlib
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncall_desktop.domain import Status
from oncall_desktop.store.db import Database
from oncall_desktop.store.errors import StoreError
from oncall_desktop.store.models import IncidentRow
from oncall_desktop.store.notify_models import AckLinkRow, SmsReplyCodeRow, SmsReplyRow


class PagingState:
    def __init__(self, db: Database) -> None:
        self.db = db

    def reply_code(self, phone: str, incident_id: int, now: datetime) -> int:
        """The number's code for the incident (see `reply_code`)."""
        with self.db.write() as session:
            return reply_code(session, phone, incident_id, now)

    def incident_for_reply(self, phone: str, code: int | None) -> int | None:
        """The unresolved incident paged to `phone` under `code` (None: the number's latest)."""
        with self.db.read() as session:
            query = (
                select(SmsReplyCodeRow.incident_id)
                .join(IncidentRow, IncidentRow.id == SmsReplyCodeRow.incident_id)
                .where(SmsReplyCodeRow.phone == phone)
                .where(IncidentRow.status != Status.RESOLVED.value)
            )
            if code is not None:
                query = query.where(SmsReplyCodeRow.code == code)
            return session.scalar(
                query.order_by(SmsReplyCodeRow.created_at.desc(), SmsReplyCodeRow.id.desc()).limit(1)
            )

    def claim_reply(self, sid: str, from_number: str, sent_at: datetime | None, now: datetime) -> bool:
        """Record an inbound SMS as being handled; False if it was handled (or claimed) already."""
        try:
            with self.db.write() as session:
                if session.get(SmsReplyRow, sid) is not None:
                    return False
                session.add(
                    SmsReplyRow(
                        sid=sid,
                        from_number=from_number,
                        sent_at=sent_at,
                        processed_at=now,
                        outcome="received",
                    )
                )
        except StoreError as error:
            if isinstance(error.__cause__, IntegrityError):  # the other path claimed it at the same moment
                return False
            raise
        return True

    def reply_handled(self, sid: str, outcome: str) -> None:
        with self.db.write() as session:
            row = session.get(SmsReplyRow, sid)
            if row is not None:
                row.outcome = outcome[:500]

    def latest_reply_sent_at(self) -> datetime | None:
        with self.db.read() as session:
            return session.scalar(select(func.max(SmsReplyRow.sent_at)))

    def ack_link_target(self, token: str) -> tuple[int, str] | None:
        """The (incident id, person id) an acknowledge link's token was made for; None if unknown."""
        with self.db.read() as session:
            row = session.scalar(select(AckLinkRow).where(AckLinkRow.token == token))
            return (row.incident_id, row.person_id) if row is not None else None


def reply_code(session: Session, phone: str, incident_id: int, now: datetime) -> int:
    """The number's code for the incident: kept once given, else the smallest not held by another
    unresolved incident on that number. Two sends to one number choose one at a time (SQLite's
    write lock; on PostgreSQL a lock on the number for the transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(phone.encode())})
    existing = session.scalar(
        select(SmsReplyCodeRow.code)
        .where(SmsReplyCodeRow.phone == phone)
        .where(SmsReplyCodeRow.incident_id == incident_id)
    )
    if existing is not None:
        return existing
    taken = set(
        session.scalars(
            select(SmsReplyCodeRow.code)
            .join(IncidentRow, IncidentRow.id == SmsReplyCodeRow.incident_id)
            .where(SmsReplyCodeRow.phone == phone)
            .where(IncidentRow.status != Status.RESOLVED.value)
        )
    )
    code = next(n for n in range(1, len(taken) + 2) if n not in taken)
    session.add(SmsReplyCodeRow(phone=phone, code=code, incident_id=incident_id, created_at=now))
    session.flush()
    return code


def ack_token(session: Session, incident_id: int, person: str, now: datetime) -> str:
    """The person's acknowledge-link token for the incident (created once, then reused)."""
    token = session.scalar(
        select(AckLinkRow.token)
        .where(AckLinkRow.incident_id == incident_id)
        .where(AckLinkRow.person_id == person)
    )
    if token is None:
        token = secrets.token_urlsafe(32)
        session.add(AckLinkRow(token=token, incident_id=incident_id, person_id=person, created_at=now))
        session.flush()
    return token
