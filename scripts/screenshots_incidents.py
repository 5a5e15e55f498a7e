"""Render the Incidents page and the station's tray offscreen to docs/screenshots/.

`incidents.png`: the list and one incident's detail; `tray.png`: the tray icon in its states
(quiet, 3 open, 2 acknowledged, a failed page, muted alarm) and its menu.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_incidents.py
Uses a throwaway SQLite store with the demo team; incidents arrive through the engine's intake
functions over the last hours on a fake clock, and the escalation engine ticks along so the
timelines hold real notifications, an acknowledgement, a resolution and a failed page.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from oncall_desktop.demo import demo_configuration
from oncall_desktop.domain import Channel, Integration, Settings, Severity, Status
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.intake import IncomingAlert, IntakeResult
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, ReconcileResult
from oncall_desktop.incident import StaleClaim
from oncall_desktop.store import Store
from oncall_desktop.views.incidents_view import IncidentsPage
from oncall_desktop.views.station_presence import ALARM_SEVERITIES, StationPresence, tray_icon

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
NOW = datetime(2026, 11, 18, 14, 20, tzinfo=UTC)

# (minutes before NOW, severity, title, tags, description)
INCIDENTS = (
    (
        185,
        Severity.P2,
        "Disk 85% full on db-replica-2",
        ("service:platform-db", "env:prod"),
        "Filesystem /var/lib/postgresql is 85% full and growing 2%/h.",
    ),
    (
        140,
        Severity.P3,
        "Certificate for status.example.com expires in 9 days",
        ("service:platform-edge", "env:prod"),
        "",
    ),
    (
        95,
        Severity.P1,
        "Checkout latency p99 above 2 s",
        ("service:billing-checkout", "env:prod"),
        "p99 of POST /checkout is 2.4 s over the last 10 minutes (SLO 800 ms).",
    ),
    (
        42,
        Severity.P0,
        "Payments API returning 503 for 12% of requests",
        ("service:platform-payments", "env:prod", "severity:critical"),
        "Error rate crossed 10% at the EU load balancer; upstream pool payments-eu has 3 of 8 healthy.",
    ),
    (
        7,
        Severity.P1,
        "Kafka consumer lag on orders-events > 50k",
        ("service:platform-stream", "env:prod"),
        "",
    ),
)


class FlakyVoice:
    """Phone calls to James Carter fail (his carrier rejects them); every other page goes through."""

    channels = frozenset({Channel.VOICE})
    in_transaction = True

    def ready(self, settings: Settings) -> bool:
        return True

    def send(self, delivery: Delivery) -> DeliveryResult:
        if delivery.person == "james":
            return DeliveryResult.failed("Twilio 13224: the number is not reachable")
        return DeliveryResult.sent()

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        return "unknowable"


def populate(store: Store, clock: FakeClock) -> None:
    config = demo_configuration(NOW)
    store.replace_configuration(
        config.__class__(
            people=config.people,
            teams=config.teams,
            rules=config.rules,
            overrides=config.overrides,
            integrations=(Integration("prod-am", "Prod Alertmanager", "alertmanager"),),
        )
    )
    engine = EscalationEngine(store, [FlakyVoice()])
    start = NOW - timedelta(minutes=INCIDENTS[0][0])
    arrivals = {
        NOW - timedelta(minutes=m): (sev, title, tags, text) for m, sev, title, tags, text in INCIDENTS
    }
    acks = {
        NOW - timedelta(minutes=170): ("Disk 85% full on db-replica-2", "priya", "ack"),
        NOW - timedelta(minutes=120): ("Disk 85% full on db-replica-2", "priya", "resolve"),
        NOW - timedelta(minutes=66): ("Checkout latency p99 above 2 s", "maria", "ack"),
        NOW - timedelta(minutes=29): ("Payments API returning 503 for 12% of requests", "lukas", "ack"),
    }
    t = start
    while t <= NOW:
        clock.set(t)
        if t in arrivals:
            severity, title, tags, text = arrivals[t]
            result = IntakeResult(
                group_key=title,
                title=title,
                description=text,
                severity=severity,
                tags=tags,
                alerts=(IncomingAlert(title, "firing", dict(tag.split(":", 1) for tag in tags)),),
            )
            store.incidents.ingest("prod-am", result, t)
        if t in acks:
            title, person, action = acks[t]
            found = next(i for i in store.incidents.newest() if i.title == title)
            if action == "ack":
                store.incidents.acknowledge(found.id, t, person)
            else:
                store.incidents.resolve(found.id, t, person)
        engine.tick(t)
        t += timedelta(minutes=1)
    engine.release()


def tray_sheet(page: IncidentsPage, store: Store) -> QPixmap:
    """The tray icon's states side by side at 64 px, with the menu of the station above."""
    presence = StationPresence(sound=None)
    page.incidents_loaded.connect(presence.update_incidents)
    page.refresh()
    for record in store.incidents.notifications():
        if record.state == "failed":
            presence.notification_failed(record)
            break
    presence.set_muted(True)
    states = (
        ("quiet", tray_icon(0, 0, False, False)),
        ("3 open", tray_icon(3, 1, False, False)),
        ("2 acknowledged", tray_icon(0, 2, False, False)),
        ("failed page", tray_icon(2, 1, True, False)),
        ("alarm muted", tray_icon(2, 1, False, True)),
    )
    menu = presence.menu
    menu.adjustSize()
    menu_image = menu.grab()
    cell = 130
    sheet = QPixmap(max(cell * len(states), menu_image.width() + 20), 130 + menu_image.height() + 20)
    sheet.fill(QColor("#eceff1"))
    painter = QPainter(sheet)
    for i, (label, icon) in enumerate(states):
        painter.drawPixmap(i * cell + (cell - 64) // 2, 12, icon.pixmap(64))
        painter.drawPixmap(i * cell + (cell - 22) // 2, 84, icon.pixmap(22))
        painter.drawText(i * cell, 108, cell, 20, Qt.AlignmentFlag.AlignCenter, label)
    painter.drawPixmap(10, 140, menu_image)
    painter.end()
    presence.shutdown()
    return sheet


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/oncall.db")
        clock = FakeClock(NOW)
        populate(store, clock)
        settings = QSettings(f"{tmp}/settings.ini", QSettings.Format.IniFormat)
        page = IncidentsPage(store, clock, settings, ZoneInfo("Europe/Berlin"))
        for box in page.status_boxes.values():
            box.setChecked(True)
        page.resize(1400, 860)
        page.show()
        page.refresh()
        urgent = [i for i in store.incidents.newest(Status.OPEN) if i.severity in ALARM_SEVERITIES]
        page.alarm_bar.show_alarm(urgent)  # as the station shows it while the alarm sounds
        payments = next(i for i in store.incidents.newest() if i.title.startswith("Payments"))
        page.select_incident(payments.id)
        app.processEvents()
        page.grab().save(str(OUT / "incidents.png"))
        tray_sheet(page, store).save(str(OUT / "tray.png"))
        page.close()
        store.close()
    print(f"wrote {OUT / 'incidents.png'} and {OUT / 'tray.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
