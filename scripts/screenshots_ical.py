"""Render the iCal dialogs offscreen to docs/screenshots/ical-*.png.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_ical.py

Uses a throwaway SQLite store with the demo team (oncall_desktop/demo.py) plus the people the test
calendars in tests/data/ical/ name (Alice Chen, Bob Stone, Carol Diaz), with the clock fixed at
Thursday 12 March 2026 10:00 UTC, so the import previews match people and the dates are stable:

- `ical-export.png`: File → Export for one person (Chloé Martin), Europe/Berlin days.
- `ical-import.png`: File → Import of google.ics onto Platform primary (Europe/Berlin, CET → CEST).
- `ical-import-new-york.png`: handwritten.ics onto Business hours (Americas) (EST → EDT).
- `ical-import-broken.png`: broken.ics, whose error is shown instead of a preview.
- `ical-feeds.png`: three calendar feeds, the second selected and its URL copied.

The feed tokens come from a seeded generator instead of `secrets`, so reruns give the same images.
"""

from __future__ import annotations

import base64
import os
import random
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QDialog

from oncall_desktop.demo import demo_configuration
from oncall_desktop.domain import Configuration, Person
from oncall_desktop.store import Store
from oncall_desktop.store import feeds as store_feeds
from oncall_desktop.views.ical_dialogs import ExportDialog, FeedsDialog, ImportDialog

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
DATA = Path("tests") / "data" / "ical"  # relative to ROOT: the File field shows it as typed
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
ZONE = "Europe/Berlin"
CALENDAR_PEOPLE = (
    Person("alice", "Alice Chen", "alice@example.com"),
    Person("bob", "Bob Stone", "bob@example.com"),
    Person("carol", "Carol Diaz", "carol@example.com"),
)


def configuration() -> Configuration:
    demo = demo_configuration(NOW)
    return replace(demo, people=(*demo.people, *CALENDAR_PEOPLE))


def shoot(dialog: QDialog, app: QApplication, name: str) -> None:
    dialog.show()
    dialog.activateWindow()
    for _ in range(3):
        app.processEvents()
    path = OUT / name
    dialog.grab().save(str(path))
    print(path)


def close(dialog: QDialog, app: QApplication) -> None:
    dialog.done(0)
    dialog.deleteLater()
    app.processEvents()


def import_shot(store: Store, app: QApplication, ics: str, rule: str, name: str) -> None:
    dialog = ImportDialog(store, path=str(DATA / ics), rule=rule, now=NOW)
    dialog.show()
    dialog.path.setFocus()
    app.processEvents()
    dialog.path.deselect()  # focus selects the whole path; show a text cursor at its end instead
    dialog.path.end(False)
    shoot(dialog, app, name)
    if dialog.error_box is not None:
        dialog.error_box.close()
    close(dialog, app)


def main() -> int:
    os.chdir(ROOT)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'shot.db'}")
        store.replace_configuration(configuration())

        export = ExportDialog(store, person="chloe", now=NOW, zone_name=ZONE)
        shoot(export, app, "ical-export.png")
        close(export, app)

        import_shot(store, app, "google.ics", "primary", "ical-import.png")
        import_shot(store, app, "handwritten.ics", "business-hours", "ical-import-new-york.png")
        import_shot(store, app, "broken.ics", "primary", "ical-import-broken.png")

        tokens = random.Random(12)  # stand-in tokens: a reproducible image

        def token_urlsafe(size: int) -> str:
            return base64.urlsafe_b64encode(tokens.randbytes(size)).rstrip(b"=").decode()

        with mock.patch.object(store_feeds.secrets, "token_urlsafe", token_urlsafe):
            for person, rule in (("lukas", None), ("maria", None), (None, "follow-the-sun")):
                store.feeds.create(NOW, person=person, rule=rule)
        feeds = FeedsDialog(store, confirm=lambda _question: False, zone_name=ZONE)
        feeds.table.selectRow(1)
        feeds.copy_url()
        shoot(feeds, app, "ical-feeds.png")
        close(feeds, app)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
