"""The headless paging station (`oncall-desktop serve`): intake server and engine in one process.

The intake server runs on an asyncio loop in the main thread; the engine ticks on its own thread,
woken early whenever intake opens or resolves an incident or a send finishes, else at its next due
instant (at most `engine.MAX_IDLE` apart, so the lease is renewed while sends are in flight and
configuration changes are noticed; `engine.next_delay`, which the app's engine thread uses too).
SIGTERM and SIGINT stop both cleanly: sends in flight finish, then the lease is released.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
from collections.abc import Sequence

from aiohttp import web

from oncall_desktop.engine import paging
from oncall_desktop.engine.clock import Clock, clock_speed
from oncall_desktop.engine.engine import EscalationEngine, TickReport, next_delay, real_now
from oncall_desktop.engine.ical_feed import add_ical_routes
from oncall_desktop.engine.notifiers import Notifier
from oncall_desktop.engine.server import KEEPALIVE_TIMEOUT, IngestListener, create_app
from oncall_desktop.engine.status import station_status
from oncall_desktop.engine.troubles import Trouble
from oncall_desktop.incident import IntakeOutcome
from oncall_desktop.station_address import parse_listen
from oncall_desktop.store import Store, StoreError

log = logging.getLogger(__name__)


class EngineLoop:
    """Runs `engine.tick` on a thread until stopped; `wake()` makes it tick at once."""

    def __init__(self, engine: EscalationEngine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="escalation-engine", daemon=True)
        self._trouble = Trouble(log, "engine ticks fail")
        engine.senders.on_done = self.wake

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self.engine.release()

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            self._wake.clear()
            report: TickReport | None = None
            try:
                report = self.engine.tick(self.clock.now())
                self._trouble.ok()
                if first:
                    first = False
                    # What the station set up to run (modules, the ORM's mappers, the configuration)
                    # lives as long as it does: left out of garbage collection from now on, a full
                    # collection no longer walks it and stalls paging and intake for tens of ms.
                    gc.freeze()

            except StoreError as error:  # the database: locked, unreachable, full — said once
                self._trouble.failed(f"{error}; retrying every second")
            except Exception as error:  # a bug: with its traceback, once
                self._trouble.failed(
                    f"{type(error).__name__}: {error}; retrying every second", traceback=True
                )
            delay = next_delay(report, self.clock.now(), clock_speed(self.clock))
            if delay:
                self._wake.wait(delay.total_seconds())


def create_station_app(
    store: Store, clock: Clock, on_ingested: IngestListener | None = None, station: str | None = None
) -> web.Application:
    """Everything the station serves: intake, health, calendar feeds, Twilio callbacks and
    acknowledge links."""
    app = create_app(store, clock, on_ingested)
    add_health_route(app, store, clock, station)
    add_ical_routes(app, store, clock)
    paging.attach(app, store, clock)
    return app


def add_health_route(app: web.Application, store: Store, clock: Clock, station: str | None) -> None:
    """`GET /healthz`: 200 with `status`'s document when an engine ticked within 10 s, else 503."""

    async def health(_request: web.Request) -> web.Response:
        try:
            document = await asyncio.to_thread(station_status, store, station, clock.now(), real_now())
        except StoreError as error:
            return web.json_response({"station": station, "healthy": False, "error": str(error)}, status=503)
        return web.json_response(document, status=200 if document["healthy"] else 503)

    app.router.add_get("/healthz", health)


class BackgroundIntake:
    """The station's HTTP server on its own thread and event loop, for the desktop app.

    `start()` returns once the socket is bound (or raises the OSError that prevented it); `stop()`
    shuts the server down and joins the thread.
    """

    def __init__(
        self,
        store: Store,
        listen: str,
        clock: Clock,
        on_ingested: IngestListener | None = None,
        station: str | None = None,
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self._app = create_station_app(store, clock, on_ingested, station)
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(
            self._app, access_log=None, handle_signals=False, keepalive_timeout=KEEPALIVE_TIMEOUT
        )
        self._thread = threading.Thread(target=self._loop.run_forever, name="station-intake", daemon=True)

    def start(self) -> None:
        self._loop.run_until_complete(self._runner.setup())
        try:
            self._loop.run_until_complete(web.TCPSite(self._runner, self.host, self.port).start())
        except OSError:
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()
            raise
        self._thread.start()
        log.info("station intake listening on http://%s:%d", self.host, self.port)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


async def serve(store: Store, host: str, port: int, clock: Clock, notifiers: Sequence[Notifier] = ()) -> None:
    engine = EscalationEngine(store, notifiers, clock=clock)
    loop = EngineLoop(engine, clock)

    def ingested(outcomes: Sequence[IntakeOutcome]) -> None:
        if any(o.opened or o.resolved for o in outcomes):
            loop.wake()

    app = create_station_app(store, clock, ingested, engine.holder)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=KEEPALIVE_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    stop = asyncio.Event()
    event_loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        event_loop.add_signal_handler(sig, stop.set)
    loop.start()
    log.info("station %s listening on http://%s:%d", engine.holder, host, port)
    try:
        await stop.wait()
    finally:
        log.info("station stopping")
        for sig in (signal.SIGTERM, signal.SIGINT):
            event_loop.remove_signal_handler(sig)
        await runner.cleanup()
        await asyncio.get_running_loop().run_in_executor(None, loop.stop)


def run_station(store: Store, listen: str, clock: Clock, notifiers: Sequence[Notifier] = ()) -> int:
    """Run until SIGTERM/SIGINT; returns the exit status. Raises ValueError for a bad `listen`."""
    host, port = parse_listen(listen)
    asyncio.run(serve(store, host, port, clock, notifiers))
    return 0
