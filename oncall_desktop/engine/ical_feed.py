"""`GET /ical/<token>.ics`: the station serves calendar feeds (issue 7).

An unknown or revoked token, or a feed whose person or rule is gone, gets the same bare 404 as any
missing page, so probing reveals nothing. The store is synchronous, so the work runs in a thread.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from oncall_desktop.engine.clock import Clock, SystemClock
from oncall_desktop.ical_feeds import feed_calendar
from oncall_desktop.store import Store

ROUTE = "/ical/{token}.ics"


def add_ical_routes(app: web.Application, store: Store, clock: Clock | None = None) -> None:
    """Serve the store's calendar feeds on `app`; `clock` says what "now" the feed's span is around."""
    time_source: Clock = clock or SystemClock()

    def render(token: str) -> bytes | None:
        feed = store.feeds.by_token(token)
        if feed is None:
            return None
        return feed_calendar(feed, store.load_configuration(), time_source.now())

    async def serve_feed(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(render, request.match_info["token"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "no-cache", "Content-Disposition": 'inline; filename="oncall.ics"'},
        )

    app.router.add_get(ROUTE, serve_feed)
