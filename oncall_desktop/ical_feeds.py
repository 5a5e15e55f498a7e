"""Calendar feeds: secret tokens a personal calendar subscribes to (issue 7).

A feed shows one person's shifts (in all their rules) or one rule's, always the default export span
around the moment it is fetched, so a subscription stays current. The store keeps them
(`Store.feeds`: create, revoke, list, look up by token).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oncall_desktop.domain import Configuration, Settings
from oncall_desktop.station_address import station_base_url

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


def feed_calendar(feed: CalendarFeed, config: Configuration, now: datetime) -> bytes | None:
    """The feed's calendar as of `now`, or None when its person or rule no longer exists."""
    if feed.person is not None and config.person(feed.person) is None:
        return None
    if feed.rule is not None and config.rule(feed.rule) is None:
        return None
    from oncall_desktop import ical  # icalendar loads when a feed is served, not with the store

    start, end = ical.default_span(now)

    return ical.export_calendar(config, start, end, person=feed.person, rule=feed.rule, now=now)


def feed_url(settings: Settings, token: str) -> str:
    """Where a calendar app subscribes: the station's public URL if set, else its listen address."""
    return station_base_url(settings) + FEED_PATH.format(token=token)
