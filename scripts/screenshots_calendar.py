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

from PySide6.QtCore import QPoint, QPointF, QSettings
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QWidget

from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
SIZE = (1400, 900)


def shoot(window: MainWindow, app: QApplication, path: Path, popup: QWidget | None = None) -> None:
    """Save the window as it looks; a `popup` open over it (a separate window) is drawn in too."""
    for _ in range(3):
        app.processEvents()
    image = window.grab()
    if popup is not None:
        painter = QPainter(image)
        painter.drawPixmap(popup.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0)), popup.grab())
        painter.end()
    image.save(str(path))
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

        # The details panel floats over the week, away from the clicked shift; the lanes keep their width.
        model.set_anchor(NOW.date())
        calendar = window.calendar
        lane = calendar.lane_rect(1, 1)  # Tuesday, Platform secondary
        click = QPointF(lane.center().x(), lane.top() + lane.height() * 0.6)
        calendar.clicked_at = click
        calendar.select(calendar.block_at(click))
        calendar.clicked_at = None
        shoot(window, app, args.out / "calendar-week-details.png")
        calendar.select(None)

        # Go to date: the title opens a month calendar.
        button = window.title_button
        button.popup.popup(button.mapToGlobal(QPoint(0, button.height())))
        shoot(window, app, args.out / "calendar-go-to-date.png", popup=button.popup)
        button.popup.hide()

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
