"""Tables real notifications add (issue 6): SMS reply codes, processed inbound SMS, acknowledge
links. (Which notifications one bundled SMS carried is their shared `claim_group`.)

No secret is stored here: a Twilio auth token or SMTP password lives only in the OS keyring.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oncall_desktop.store.models import Base, UtcDateTime


class SmsReplyCodeRow(Base):
    """The number `code` a phone number replies with (`1a`, `1r`) for one incident.

    Codes are per phone number and reused once the incident holding one is resolved.
    """

    __tablename__ = "sms_reply_codes"
    __table_args__ = (
        UniqueConstraint("phone", "incident_id"),
        Index("ix_sms_reply_codes_phone_code", "phone", "code"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    phone: Mapped[str] = mapped_column(String(32))
    code: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SmsReplyRow(Base):
    """An inbound SMS already handled (by polling or webhook), so the same reply is never applied twice."""

    __tablename__ = "sms_replies"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    from_number: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(500))


class AckLinkRow(Base):
    """An unguessable token behind an email's acknowledge link: one per incident and person."""

    __tablename__ = "ack_links"
    __table_args__ = (UniqueConstraint("incident_id", "person_id"),)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
