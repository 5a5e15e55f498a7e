"""The desktop app's entry point: `oncall-desktop` without a subcommand calls `run`."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow

ORGANIZATION = "oncall-desktop"
APPLICATION = "oncall-desktop"


def run(db_url: str) -> int:
    """Open the store at `db_url`, show the main window and run until it closes."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("oncall-desktop")
    store = Store.open(db_url)
    try:
        window = MainWindow(store)
        window.show()
        window.offer_demo()
        return app.exec()
    finally:
        store.close()
