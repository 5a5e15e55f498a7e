"""Calendar feeds in the store: the secret tokens a personal calendar subscribes to (issue 7).

Revoked feeds are kept so a token is never valid again; a feed names its person or rule by id.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from oncall_desktop.ical_feeds import CalendarFeed
from oncall_desktop.store.db import Database
from oncall_desktop.store.errors import NotFoundError
from oncall_desktop.store.feed_models import CalendarFeedRow


class CalendarFeeds:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, now: datetime, *, person: str | None = None, rule: str | None = None) -> CalendarFeed:
        """A new feed with a fresh token (192 random bits) for exactly one of `person` or `rule`."""
        if (person is None) == (rule is None):
            raise ValueError("a calendar feed is for one person or one rule")
        with self.db.write() as session:
            row = CalendarFeedRow(
                token=secrets.token_urlsafe(24), person_id=person, rule_id=rule, created_at=now
            )
            session.add(row)
            session.flush()
            return _feed(row)

    def revoke(self, feed_id: int, now: datetime) -> None:
        """Stop serving the feed; its token is never valid again. Revoking twice changes nothing."""
        with self.db.write() as session:
            row = session.get(CalendarFeedRow, feed_id)
            if row is None:
                raise NotFoundError(f"no calendar feed {feed_id}")
            if row.revoked_at is None:
                row.revoked_at = now

    def listed(self, *, include_revoked: bool = False) -> list[CalendarFeed]:
        """Feeds, oldest first."""
        with self.db.read() as session:
            query = select(CalendarFeedRow).order_by(CalendarFeedRow.created_at, CalendarFeedRow.id)
            if not include_revoked:
                query = query.where(CalendarFeedRow.revoked_at.is_(None))
            return [_feed(row) for row in session.scalars(query)]

    def by_token(self, token: str) -> CalendarFeed | None:
        """The active feed with this token, or None (unknown and revoked tokens look the same)."""
        with self.db.read() as session:
            row = session.scalar(
                select(CalendarFeedRow).where(
                    CalendarFeedRow.token == token, CalendarFeedRow.revoked_at.is_(None)
                )
            )
            return _feed(row) if row is not None else None


def _feed(row: CalendarFeedRow) -> CalendarFeed:
    return CalendarFeed(row.id, row.token, row.person_id, row.rule_id, row.created_at, row.revoked_at)
