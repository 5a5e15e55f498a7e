"""The desktop app's entry point: `oncall-desktop` without a subcommand calls `run`."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from oncall_desktop.engine.clock import SystemClock
from oncall_desktop.engine.paging import build_notifiers
from oncall_desktop.store import Store
from oncall_desktop.views.idle_gc import IdleGarbageCollector
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.station_install import install_station

ORGANIZATION = "oncall-desktop"
APPLICATION = "oncall-desktop"


def run(store: Store) -> int:
    """Show the main window on `store` with the paging station and run until Quit."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("oncall-desktop")
    window = MainWindow(store)
    clock = SystemClock()
    listen = store.load_configuration().settings.station.listen
    presence = install_station(
        window, store, clock=clock, notifiers=build_notifiers(store, clock), listen=listen
    )
    window.quit_action.triggered.disconnect()
    window.quit_action.triggered.connect(presence.request_quit)  # asks while this desktop is paging
    _quit_on_signals(presence.quit)
    collector = IdleGarbageCollector(app)
    try:
        window.show()
        window.offer_demo()
        return app.exec()
    finally:
        collector.stop()


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
