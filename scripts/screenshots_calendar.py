"""Regenerate the calendar screenshots in docs/screenshots/ from the demo team, offscreen.

    .venv/bin/python scripts/screenshots_calendar.py [--out docs/screenshots]

The clock is fixed at Friday 27 March 2026 10:30 UTC, two days before Europe's spring-forward, so
the images are reproducible and the week view shows a 23-hour Sunday.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
SIZE = (1400, 900)


def shoot(window: MainWindow, app: QApplication, path: Path) -> None:
    for _ in range(3):
        app.processEvents()
    window.grab().save(str(path))
    print(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        store = Store.open(f"sqlite:///{scratch}/demo.db")
        window = MainWindow(store, now=lambda: NOW, settings=settings)
        window.offer_demo(ask=lambda: True)
        window.resize(*SIZE)
        window.show()
        model = window.calendar_model
        window.rule_list.setCurrentIndex(window.rule_model.index(0))

        window.set_zone("Europe/Berlin")
        model.set_mode("month")
        model.set_anchor(NOW.date())
        shoot(window, app, args.out / "calendar-month-berlin.png")

        window.set_zone("Asia/Tokyo")
        shoot(window, app, args.out / "calendar-month-tokyo.png")

        window.set_zone("Europe/Berlin")
        model.set_mode("week")
        model.set_anchor(date(2026, 3, 29))
        shoot(window, app, args.out / "calendar-week-dst.png")

        model.set_mode("day")
        model.set_anchor(NOW.date())
        override = next(p.block for p in window.calendar.painted_blocks() if p.block.override is not None)
        window.calendar.select(override)
        shoot(window, app, args.out / "calendar-details.png")

        window.close()
        window.deleteLater()
        app.processEvents()
        store.close()


if __name__ == "__main__":
    main()
