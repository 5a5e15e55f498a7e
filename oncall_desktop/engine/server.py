"""The intake HTTP server (SPEC §4): Grafana OnCall-compatible integration URLs on aiohttp.

`POST /integrations/v1/{alertmanager,grafana_alerting,webhook}/<token>/` (with or without the final
slash), and the Grafana OnCall kinds those stand for (`formatted_webhook`, `legacy_alertmanager`, …:
`integrations.GRAFANA_ONCALL_PATH_KINDS`), so a migrated sender keeps its URL but the host.
Unknown token → 403 and nothing stored; malformed body (not JSON, text that cannot be stored, an
integer too long to read, a bad `Content-Encoding`) → 400 `{"error": reason}` naming the
field; a `Content-Length` over 1 MiB → 413 before the body is read; a body that does not arrive
within `BODY_TIMEOUT` → 408; a full writer queue → 503 with `Retry-After`; 2xx only after the
transaction holding the alert committed (SQLite: `synchronous=FULL`). Requests are written by one
writer thread in batches (group commit), so many concurrent alerts share one commit; a batch that
fails is stored item by item, so one alert that cannot be stored fails alone.
`POST|GET /integrations/v1/<kind>/<token>/heartbeat/`: a heartbeat (SPEC §13), 200.
`GET /healthz`: 200 with the station status when an engine ticked within 10 s, else 503.
The access log is off: integration URLs carry their tokens.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from oncall_desktop.domain import INTEGRATION_KINDS, Integration
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.heartbeats import record_beat
from oncall_desktop.engine.intake import IntakeError, parse
from oncall_desktop.incident import IntakeOutcome, IntakeResult
from oncall_desktop.integrations import intake_kind_for_path
from oncall_desktop.store import Store, StoreError, UnavailableError

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_BATCH = 256
MAX_QUEUE = 4096
RETRY_AFTER_SECONDS = 5
BODY_TIMEOUT = 10.0
KEEPALIVE_TIMEOUT = 15.0
"""Idle and half-sent connections are closed after this (aiohttp's own default is an hour)."""
INTEGRATIONS_REFRESH_SECONDS = 0.5

IngestListener = Callable[[Sequence[IntakeOutcome]], None]


@dataclass
class _Pending:
    integration: Integration
    result: IntakeResult
    future: asyncio.Future[IntakeOutcome | StoreError] = field(repr=False)


class IntakeServer:
    """The integrations' tokens (refreshed when the configuration changes) and the writer.

    The writer is a thread of its own that takes whatever alerts are queued when it is free, stores
    them in one transaction and hands the outcomes back to the event loop: it starts the next batch
    at once, without waiting for the loop to answer the last one."""

    def __init__(self, store: Store, clock: Clock, on_ingested: IngestListener | None = None) -> None:
        self.store = store
        self.clock = clock
        self.on_ingested = on_ingested
        self._integrations: tuple[Integration, ...] = ()
        self._revision: int | None = None
        self._checked = float("-inf")
        self._refreshing = asyncio.Lock()
        self._store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-store")
        """Token reloads and heartbeats."""
        self._queue: queue.Queue[_Pending | None] = queue.Queue(maxsize=MAX_QUEUE)
        self._writer: threading.Thread | None = None

    # -- tokens ---------------------------------------------------------------------------------

    async def _refresh(self) -> None:
        """Reload the tokens if the configuration changed (checked at most twice a second)."""
        if time.monotonic() - self._checked < INTEGRATIONS_REFRESH_SECONDS:
            return
        async with self._refreshing:  # requests arriving during a reload wait for it, not 403
            if time.monotonic() - self._checked < INTEGRATIONS_REFRESH_SECONDS:
                return
            loop = asyncio.get_running_loop()
            revision = await loop.run_in_executor(self._store_thread, self.store.revision)
            if revision != self._revision:
                self._integrations = tuple(
                    await loop.run_in_executor(self._store_thread, self.store.integrations)
                )
                self._revision = revision
            self._checked = time.monotonic()

    def _match(self, token: str) -> Integration | None:
        """The integration whose token this is. Every token is compared, in constant time each, so
        the response time tells nothing about which (or how much of one) matched."""
        found = None
        given = token.encode()
        for integration in self._integrations:
            if hmac.compare_digest(given, (integration.token or "").encode()) and integration.token:
                found = integration
        return found

    async def integration_for(self, token: str) -> Integration | None:
        await self._refresh()
        return self._match(token)

    # -- the writer -----------------------------------------------------------------------------

    async def start(self, _app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        self._writer = threading.Thread(
            target=self._run_batches, args=(loop,), name="intake-writer", daemon=True
        )
        self._writer.start()

    async def stop(self, _app: web.Application) -> None:
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._stop_writer, self._writer)
        self._store_thread.shutdown(wait=True)

    def _stop_writer(self, writer: threading.Thread) -> None:
        self._queue.put(None)  # after the alerts already queued: those are still stored
        writer.join()

    async def store_alert(self, integration: Integration, result: IntakeResult) -> IntakeOutcome | StoreError:
        """The alert's outcome once committed, or why it could not be stored. `queue.Full` when the
        writer is that far behind (the sender is told to retry)."""
        future: asyncio.Future[IntakeOutcome | StoreError] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(integration, result, future))
        return await future

    def _run_batches(self, loop: asyncio.AbstractEventLoop) -> None:
        """The writer thread: a batch of every alert queued (up to MAX_BATCH) at a time, until the
        end-of-queue marker."""
        while True:
            batch: list[_Pending] = []
            item = self._queue.get()
            while item is not None:
                batch.append(item)
                if len(batch) == MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                try:
                    outcomes: list[IntakeOutcome | StoreError] | Exception = self._write(batch)
                except Exception as error:
                    log.exception("storing %d alerts failed", len(batch))
                    outcomes = error
                loop.call_soon_threadsafe(_answer, batch, outcomes)
            if item is None:
                return

    def _write(self, batch: list[_Pending]) -> list[IntakeOutcome | StoreError]:
        now = self.clock.now()
        outcomes = self.store.incidents.ingest_batch([(p.integration.id, p.result) for p in batch], now)
        stored: list[IntakeOutcome] = []
        for pending, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, StoreError):
                log.warning("an alert from %s could not be stored: %s", pending.integration.id, outcome)
                continue
            stored.append(outcome)
            if outcome.opened:
                log.info(
                    "incident %s opened: %s [%s] via %s",
                    outcome.incident_id,
                    pending.result.title,
                    pending.result.severity,
                    pending.integration.id,
                )
            if outcome.resolved:
                log.info("incident %s resolved by %s", outcome.incident_id, pending.integration.id)
        if self.on_ingested is not None and stored:
            self.on_ingested(stored)
        return outcomes

    # -- the route ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        path_kind = request.match_info["kind"]
        kind = intake_kind_for_path(path_kind)
        if kind is None:
            return _error(
                404, f"no integration kind {path_kind!r}; use one of {', '.join(INTEGRATION_KINDS)}"
            )
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(
                413, f"body: larger than {MAX_BODY} bytes (Content-Length {request.content_length})"
            )
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"body: larger than {MAX_BODY} bytes")
        except TimeoutError:
            return _error(408, f"body: not received within {BODY_TIMEOUT:g} s")
        except (HttpProcessingError, zlib.error, ValueError, web.HTTPBadRequest) as error:
            encoding = request.headers.get("Content-Encoding", "")
            return _error(
                400, f"body: cannot be decoded as Content-Encoding {encoding!r} ({type(error).__name__})"
            )
        integration = await self.integration_for(request.match_info["token"])
        if integration is None:
            return _error(403, "unknown integration token")
        if integration.kind != kind:
            return _error(400, f"this token belongs to a {integration.kind} integration, not {kind}")
        try:
            result = parse(integration, body)
        except IntakeError as error:
            return _error(400, str(error))
        try:
            outcome = await self.store_alert(integration, result)
        except queue.Full:
            return _busy(f"the station is {MAX_QUEUE} alerts behind; retry")
        except Exception:
            log.exception("storing an alert failed")
            return _busy("the alert could not be stored; retry")
        if isinstance(outcome, UnavailableError):
            return _busy(f"the alert could not be stored: {outcome}; retry")
        if isinstance(outcome, StoreError):
            return _error(400, f"the alert could not be stored: {outcome}")
        return web.json_response(
            {"incident": outcome.incident_id, "opened": outcome.opened, "resolved": outcome.resolved},
            status=201 if outcome.opened else 200,
        )

    async def heartbeat(self, request: web.Request) -> web.Response:
        """`POST|GET …/<kind>/<token>/heartbeat/` (SPEC §13): the integration is alive. Whatever
        body comes (Alertmanager posts its Watchdog notification) is not read."""
        kind = request.match_info["kind"]
        if kind not in INTEGRATION_KINDS:
            return _error(404, f"no integration kind {kind!r}; use one of {', '.join(INTEGRATION_KINDS)}")
        integration = await self.integration_for(request.match_info["token"])
        if integration is None:
            return _error(403, "unknown integration token")
        if integration.kind != kind:
            return _error(400, f"this token belongs to a {integration.kind} integration, not {kind}")
        loop = asyncio.get_running_loop()
        try:
            resolved = await loop.run_in_executor(
                self._store_thread, record_beat, self.store, integration, self.clock.now()
            )
        except UnavailableError as error:
            return _busy(f"the heartbeat could not be stored: {error}; retry")
        except StoreError as error:
            return _error(400, f"the heartbeat could not be stored: {error}")
        return web.json_response({"ok": True, "resolved": resolved})


def _answer(batch: list[_Pending], outcomes: list[IntakeOutcome | StoreError] | Exception) -> None:
    """On the event loop: each request of a stored batch gets its outcome (unless it went away)."""
    for index, item in enumerate(batch):
        if item.future.done():
            continue
        if isinstance(outcomes, Exception):
            item.future.set_exception(outcomes)
        else:
            item.future.set_result(outcomes[index])


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _busy(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def create_app(store: Store, clock: Clock, on_ingested: IngestListener | None = None) -> web.Application:
    """The intake application; `on_ingested` is called (on the writer thread) after each commit."""
    server = IntakeServer(store, clock, on_ingested)
    app = web.Application(client_max_size=MAX_BODY)
    app.on_startup.append(server.start)
    app.on_cleanup.append(server.stop)
    # the alerts' routes first: the router tries the routes under a prefix in the order added
    app.router.add_post("/integrations/v1/{kind}/{token}/", server.handle)
    app.router.add_post("/integrations/v1/{kind}/{token}", server.handle)
    for path in ("/integrations/v1/{kind}/{token}/heartbeat/", "/integrations/v1/{kind}/{token}/heartbeat"):
        app.router.add_post(path, server.heartbeat)
        app.router.add_get(path, server.heartbeat)
    return app
