"""Render issue 17's screens with the demo team to docs/screenshots/reach-*.png: an integration's
heartbeat URL and timeout, the Maintenance tab holding an incident, a window as a band in the week view,
and a person's chat URLs.

    .venv/bin/python scripts/screenshots_reach.py [--out docs/screenshots]

Tokens and URLs are made up and fixed, so the images are reproducible; nothing is written to the
keyring (the person editor's chat field is filled in for the shot).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TZ", "UTC")  # the station's zone, in which the windows are written

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from oncall_desktop.domain import MaintenanceWindow, MatchConditions
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.intake import parse
from oncall_desktop.store import Store
from oncall_desktop.views.editors import PersonEditorDialog
from oncall_desktop.views.main_window import MainWindow

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
SIZE = (1400, 900)
TOKENS = {
    "prod-alertmanager": "kP3vQx8RmT2nLw6ZyB4cHd9F",
    "grafana-eu": "Gq7sWm2XeR5tYp8KzN3vJb6A",
    "status-checks": "Hn4dLq9VxC2mRt7WsB5kZe8P",
}
WINDOWS = (
    MaintenanceWindow(
        "Database upgrade",
        datetime(2026, 3, 27, 9, 0),
        datetime(2026, 3, 27, 13, 0),
        MatchConditions("any", ("service:db*", "team:dba")),
    ),
    MaintenanceWindow("Datacenter move", datetime(2026, 3, 28, 22, 0), datetime(2026, 3, 29, 4, 0)),
)
CHAT_URLS = (
    "slack://T0AAAAAAA/B0BBBBBBB/cCcCcCcCcCcCcCcCcCcCcCcC/#oncall\nntfys://ntfy.example.com/lukas-pages"
)


def _settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        store = Store.open(f"sqlite:///{scratch}/demo.db")
        window = MainWindow(store, now=lambda: NOW, settings=settings)
        window.offer_demo(ask=lambda: True)
        for integration_id, token in TOKENS.items():
            store.rotate_integration_token(integration_id, token)
        config = store.load_configuration()
        integrations = tuple(
            replace(i, heartbeat_timeout=600 if i.id == "prod-alertmanager" else None)
            for i in config.integrations
        )
        store.replace_configuration(replace(config, integrations=integrations, maintenance=WINDOWS))
        store.heartbeats.beat("prod-alertmanager", NOW - timedelta(seconds=42))
        hook = next(i for i in store.integrations() if i.id == "status-checks")
        body = {
            "title": "Replica lag above 30 s",
            "severity": "P1",
            "alert_uid": "lag",
            "tags": {"service": "db-replica"},
        }
        store.incidents.ingest(hook.id, parse(hook, json.dumps(body).encode()), NOW - timedelta(minutes=20))
        engine = EscalationEngine(store, holder="screenshots", clock=FakeClock(NOW))
        engine.tick(NOW)
        engine.release(5)
        window.reload()
        window.resize(*SIZE)
        window.show()
        shots = []

        window.show_tab("Integrations")
        window.integrations_page.table.selectRow(0)
        _settle(app)
        shots.append(("reach-heartbeat.png", window.grab()))

        window.show_tab("Maintenance")
        window.maintenance_page.table.selectRow(0)
        _settle(app)
        shots.append(("reach-maintenance.png", window.grab()))

        window.tabs.setCurrentIndex(0)
        window.calendar_model.set_zone("UTC")
        window.calendar_model.set_anchor(NOW.date())
        window.calendar_model.set_mode("week")
        _settle(app)
        shots.append(("reach-calendar-band.png", window.grab()))

        dialog = PersonEditorDialog(window.config, window.config.person("lukas"), window)
        dialog.chat.edit.setEnabled(True)
        dialog.chat.edit.setPlainText(CHAT_URLS)
        dialog.chat.status.setText("Sent to 2 of 2.")
        dialog.chat.status.setStyleSheet("color: #2e7d32;")
        dialog.show()
        _settle(app)
        shots.append(("reach-person-chat.png", dialog.grab()))
        dialog.close()

        for name, pixmap in shots:
            path = args.out / name
            pixmap.save(str(path))
            print(path)
        window.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
