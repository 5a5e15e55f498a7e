"""The desktop app's entry point: `oncall-desktop` without a subcommand calls `run`.

The calendar is painted first; what it does not need waits until it is on screen. The paging
station (its engine, the webhook intake, Twilio, aiohttp and the tray) is installed right after
the first paint, and the first-run offer of the demo team comes after that, from inside the
event loop, so a signal ends it like any other modal dialog.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    QObject,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QWidget

from oncall_desktop.engine.clock import Clock, SystemClock
from oncall_desktop.store import Store
from oncall_desktop.views.app_icon import app_icon
from oncall_desktop.views.idle_gc import IdleGarbageCollector
from oncall_desktop.views.main_window import MainWindow

ORGANIZATION = "oncall-desktop"
APPLICATION = "oncall-desktop"
DESKTOP_FILE = "org.oncalldesktop.OncallDesktop"
"""The `.desktop` file's name without its suffix (packaging/), so a Wayland compositor finds the
icon and name; also the AppStream id."""

STATION_FALLBACK_MS = 2_000
"""The station starts this long after the window was shown if the calendar was not painted by then
(a window that starts minimised, or a display that never exposes it): paging never waits on a paint."""


def run(store: Store, *, clock: Clock | None = None) -> int:
    """Show the main window on `store`, then start the paging station; run until Quit."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else _new_application()
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("oncall-desktop")
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(app_icon())
    window = MainWindow(store)
    session = _Session(window, store, clock or SystemClock())
    _quit_on_signals(session.quit_now)
    collector = IdleGarbageCollector(app)
    try:
        window.show()
        _FirstPaint(window.calendar, session.start_station, STATION_FALLBACK_MS)
        return app.exec()
    finally:
        collector.stop()


def _new_application() -> QApplication:
    """The QApplication; when Qt cannot open the display (set but unreachable, or its libraries
    missing) one line says why and the process exits with status 2, instead of Qt's abort."""
    held: list[str] = []

    def on_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind != QtMsgType.QtFatalMsg:
            held.append(message)
            return
        reason = (held or message.splitlines() or ["no Qt platform plugin could be initialized"])[0]
        print(
            f"{APPLICATION}: error: cannot open the window: {reason.strip()}; "
            f"`{APPLICATION} serve` runs the paging station headless",
            file=sys.stderr,
            flush=True,
        )
        os._exit(2)

    previous = qInstallMessageHandler(on_message)
    try:
        app = QApplication(sys.argv[:1])
    finally:
        qInstallMessageHandler(previous)
    for message in held:  # what Qt said while starting, now that it did start
        print(message, file=sys.stderr)
    return app


class _Session:
    """The window and, once it is on screen, the station: what Quit and the signals end."""

    def __init__(self, window: MainWindow, store: Store, clock: Clock) -> None:
        self.window = window
        self.store = store
        self.clock = clock
        self.presence: QObject | None = None
        self.quit: Callable[[], object] = window.close

    def start_station(self) -> None:
        if self.presence is not None or not self.window.isVisible():
            return  # started already, or the app is quitting
        # Twilio, aiohttp and the engine load here, after the first paint.
        from oncall_desktop.engine.paging import build_notifiers
        from oncall_desktop.views.station_install import install_station

        listen = self.store.load_configuration().settings.station.listen
        notifiers = build_notifiers(self.store, self.clock)
        presence = install_station(
            self.window, self.store, clock=self.clock, notifiers=notifiers, listen=listen
        )
        self.presence, self.quit = presence, presence.quit
        self.window.quit_action.triggered.disconnect()
        self.window.quit_action.triggered.connect(presence.request_quit)  # asks while this desktop pages

        # What start-up made (modules, the window, the station) lives as long as the app: left out
        # of garbage collection from now on, a full collection no longer walks some 150,000 objects
        # (about 100 ms with the GIL held, once a minute: a stall of the window, the intake and the
        # engine alike).
        gc.freeze()
        self.window.offer_demo()

    def quit_now(self) -> None:
        """Quit as the menu does (the station stops and releases its engine lease), then end every
        event loop, a modal dialog's included, even one that would ask before closing."""
        self.quit()
        QCoreApplication.exit(0)


class _FirstPaint(QObject):
    """Calls back once, from the event loop, after `widget` was first painted (or after a delay)."""

    def __init__(self, widget: QWidget, callback: Callable[[], None], fallback_ms: int) -> None:
        super().__init__(widget)
        self.widget = widget
        self.callback = callback
        self.fallback = QTimer(self)
        self.fallback.setSingleShot(True)
        self.fallback.timeout.connect(self._fire)
        self.fallback.start(fallback_ms)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.Paint:
            self.widget.removeEventFilter(self)
            self.fallback.stop()
            QTimer.singleShot(0, self._fire)  # once this paint (and its frame) is done
        return False

    def _fire(self) -> None:
        self.widget.removeEventFilter(self)
        self.deleteLater()
        self.callback()


def _quit_on_signals(quit_app: Callable[[], None]) -> None:
    """SIGTERM and SIGINT (a logout, a service manager, Ctrl+C) quit as the menu does, so the engine
    lease is released and another station need not wait for it to lapse.

    Python runs signal handlers only when it holds the interpreter, which the Qt event loop rarely
    gives back; a short idle timer hands it back often enough.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: QTimer.singleShot(0, quit_app))
    keepalive = QTimer(QApplication.instance())
    keepalive.timeout.connect(lambda: None)
    keepalive.start(250)
