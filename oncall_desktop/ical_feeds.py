"""Calendar feeds: secret tokens a personal calendar subscribes to (issue 7).

A feed shows one person's shifts (in all their rules) or one rule's, always the default export span
around the moment it is fetched, so a subscription stays current. Tokens carry 192 random bits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from oncall_desktop import ical
from oncall_desktop.domain import Configuration, Settings
from oncall_desktop.station_address import station_base_url
from oncall_desktop.store import Store
from oncall_desktop.store.feed_models import CalendarFeedRow

FEED_PATH = "/ical/{token}.ics"


@dataclass(frozen=True, slots=True)
class CalendarFeed:
    """A feed of `person`'s or `rule`'s shifts (exactly one is set)."""

    id: int
    token: str
    person: str | None
    rule: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _feed(row: CalendarFeedRow) -> CalendarFeed:
    return CalendarFeed(row.id, row.token, row.person_id, row.rule_id, row.created_at, row.revoked_at)


def create_feed(
    store: Store, *, person: str | None = None, rule: str | None = None, now: datetime | None = None
) -> CalendarFeed:
    """A new feed with a fresh token for exactly one of `person` or `rule`."""
    if (person is None) == (rule is None):
        raise ValueError("a calendar feed is for one person or one rule")
    row = CalendarFeedRow(
        token=secrets.token_urlsafe(24),
        person_id=person,
        rule_id=rule,
        created_at=(now or datetime.now(UTC)).astimezone(UTC),
    )
    with store.session() as session:
        session.add(row)
        session.flush()
        return _feed(row)


def revoke_feed(store: Store, feed_id: int, *, now: datetime | None = None) -> None:
    """Stop serving the feed; its token is never valid again. Revoking twice changes nothing."""
    with store.session() as session:
        row = session.get(CalendarFeedRow, feed_id)
        if row is None:
            raise ValueError(f"no calendar feed {feed_id}")
        if row.revoked_at is None:
            row.revoked_at = (now or datetime.now(UTC)).astimezone(UTC)


def list_feeds(store: Store, *, include_revoked: bool = False) -> list[CalendarFeed]:
    """Feeds, oldest first."""
    with store.session() as session:
        query = select(CalendarFeedRow).order_by(CalendarFeedRow.created_at, CalendarFeedRow.id)
        if not include_revoked:
            query = query.where(CalendarFeedRow.revoked_at.is_(None))
        return [_feed(row) for row in session.scalars(query)]


def feed_by_token(store: Store, token: str) -> CalendarFeed | None:
    """The active feed with this token, or None (unknown and revoked tokens look the same)."""
    with store.session() as session:
        row = session.scalar(
            select(CalendarFeedRow).where(
                CalendarFeedRow.token == token, CalendarFeedRow.revoked_at.is_(None)
            )
        )
        return _feed(row) if row is not None else None


def feed_calendar(feed: CalendarFeed, config: Configuration, now: datetime) -> bytes | None:
    """The feed's calendar as of `now`, or None when its person or rule no longer exists."""
    if feed.person is not None and config.person(feed.person) is None:
        return None
    if feed.rule is not None and config.rule(feed.rule) is None:
        return None
    start, end = ical.default_span(now)
    return ical.export_calendar(config, start, end, person=feed.person, rule=feed.rule, now=now)


def feed_url(settings: Settings, token: str) -> str:
    """Where a calendar app subscribes: the station's public URL if set, else its listen address."""
    return station_base_url(settings) + FEED_PATH.format(token=token)
