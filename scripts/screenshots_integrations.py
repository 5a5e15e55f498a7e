"""Render the Integrations page with the demo team to docs/screenshots/integrations.png.

    .venv/bin/python scripts/screenshots_integrations.py [--out docs/screenshots]

Tokens are fixed so the image is reproducible. A real station intake runs for the moment of the
shot, so the test alert's answer under the list is the one a user sees.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from oncall_desktop.domain import StationSettings
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.station import BackgroundIntake
from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
SIZE = (1400, 900)
TOKENS = {
    "prod-alertmanager": "kP3vQx8RmT2nLw6ZyB4cHd9F",
    "grafana-eu": "Gq7sWm2XeR5tYp8KzN3vJb6A",
    "status-checks": "Hn4dLq9VxC2mRt7WsB5kZe8P",
}


def _port() -> int:
    """8080, the default, unless something here uses it already."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8080)) != 0:
            return 8080
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        store = Store.open(f"sqlite:///{scratch}/demo.db")
        window = MainWindow(store, now=lambda: NOW, settings=settings)
        window.offer_demo(ask=lambda: True)
        for integration_id, token in TOKENS.items():
            store.rotate_integration_token(integration_id, token)
        listen = f"127.0.0.1:{_port()}"
        config = store.load_configuration()
        store.save_settings(replace(config.settings, station=StationSettings(listen=listen)))
        intake = BackgroundIntake(store, listen, FakeClock(NOW))
        intake.start()
        try:
            window.reload()
            window.resize(*SIZE)
            window.show()
            window.show_tab("Integrations")
            page = window.integrations_page
            page.confirm = lambda _title, _question: True
            page.table.selectRow(0)
            page.send_test_alert()
            page.pool.waitForDone()
            for _ in range(5):
                app.processEvents()
            path = args.out / "integrations.png"
            window.grab().save(str(path))
            print(path)
        finally:
            intake.stop()
        window.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
