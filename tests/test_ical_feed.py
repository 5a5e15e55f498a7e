"""The live calendar feed: a secret URL per person or rule, 404 once revoked (issue 7)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from oncall_desktop import ical_feeds
from oncall_desktop.domain import Integration, Settings, StationSettings
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.ical_feed import add_ical_routes
from oncall_desktop.integrations import integration_url
from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from tests.test_ical_export import team_config

NOW = utc(2026, 3, 20, 12)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'feeds.sqlite'}") as opened:
        opened.replace_configuration(team_config())
        yield opened


def fetch(store: Store, path: str) -> tuple[int, str, bytes]:
    async def go() -> tuple[int, str, bytes]:
        app = web.Application()
        add_ical_routes(app, store, FakeClock(NOW))
        async with TestClient(TestServer(app)) as client:
            response = await client.get(path)
            return response.status, response.content_type, await response.read()

    return asyncio.run(go())


def test_person_feed_serves_their_shifts_until_revoked(store: Store) -> None:
    feed = store.feeds.create(NOW, person="carol")
    status, content_type, body = fetch(store, f"/ical/{feed.token}.ics")
    assert (status, content_type) == (200, "text/calendar")
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "On call: Carol Diaz"
    events = calendar.walk("VEVENT")
    assert events
    assert {str(e["X-ONCALL-PERSON"]) for e in events} == {"carol"}
    # The span is around the clock's now: the override of 10 March is in it.
    assert any(e["DTSTART"].dt == utc(2026, 3, 10, 8) for e in events)

    store.feeds.revoke(feed.id, NOW)
    status, _type, body = fetch(store, f"/ical/{feed.token}.ics")
    assert status == 404
    assert b"carol" not in body.lower()
    assert store.feeds.by_token(feed.token) is None
    assert store.feeds.listed() == []
    assert [f.revoked_at for f in store.feeds.listed(include_revoked=True)] == [NOW]


def test_rule_feed_and_unknown_tokens(store: Store) -> None:
    feed = store.feeds.create(NOW, rule="payments")
    status, _type, body = fetch(store, f"/ical/{feed.token}.ics")
    assert status == 200
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert {str(e["X-ONCALL-RULE"]) for e in events} == {"payments"}
    for path in ("/ical/not-a-token.ics", f"/ical/{feed.token[:-1]}.ics", f"/ical/{feed.token}"):
        assert fetch(store, path)[0] == 404


def test_feed_of_a_removed_rule_is_not_found(store: Store) -> None:
    feed = store.feeds.create(NOW, rule="nights")
    store.delete_rule("nights")
    assert fetch(store, f"/ical/{feed.token}.ics")[0] == 404


def test_tokens_are_long_random_and_unique(store: Store) -> None:
    feeds = [store.feeds.create(NOW, person="alice") for _ in range(20)]
    assert len({f.token for f in feeds}) == 20
    assert all(len(f.token) == 32 for f in feeds)  # 24 random bytes = 192 bits
    with pytest.raises(ValueError, match="one person or one rule"):
        store.feeds.create(NOW, person="alice", rule="payments")


def test_feed_url_uses_the_public_url_else_the_listen_address() -> None:
    assert ical_feeds.feed_url(Settings(), "abc") == "http://127.0.0.1:8080/ical/abc.ics"
    public = Settings(station=StationSettings(public_url="https://pager.example.com/"))
    assert ical_feeds.feed_url(public, "abc") == "https://pager.example.com/ical/abc.ics"


def test_feed_and_intake_urls_share_one_base_with_an_ipv6_host_in_brackets() -> None:
    ipv6 = Settings(station=StationSettings(listen="::1:8080"))
    assert ical_feeds.feed_url(ipv6, "abc") == "http://[::1]:8080/ical/abc.ics"
    hook = Integration("hook", "Hook", "webhook", "tok")
    assert integration_url(ipv6, hook) == "http://[::1]:8080/integrations/v1/webhook/tok/"
