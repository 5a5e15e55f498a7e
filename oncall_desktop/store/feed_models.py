"""The calendar feeds table: secret tokens under which the station serves a person's or a rule's
shifts as iCalendar (issue 7).

Like the incident history, a feed names its person or rule by id without a foreign key, so replacing
the configuration never blocks on it; a feed whose person or rule is gone serves nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncall_desktop.store.models import Base, UtcDateTime


class CalendarFeedRow(Base):
    """One feed: exactly one of a person or a rule; revoked feeds are kept so a token is never reused."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (CheckConstraint("(person_id IS NULL) <> (rule_id IS NULL)", name="person_xor_rule"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str | None] = mapped_column(String(100))
    rule_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
