"""Regenerate the rule editor and layered-rule screenshots in docs/screenshots/ from the demo team.

    .venv/bin/python scripts/screenshots_rules.py [--out docs/screenshots]

The clock is fixed at Friday 27 March 2026 10:30 UTC, as for the calendar screenshots. Images: a new
rule being built (rule-editor-new.png), the demo's layered database rule in the editor
(rule-editor-layers.png) and that rule alone in the week view in UTC (calendar-week-layers.png):
Asia-Pacific, Europe and the Americas each on call in their own working day, a backstop between.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget

from oncall_desktop.domain import Rotation
from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
SIZE = (1400, 900)


def shoot(widget: QWidget, app: QApplication, path: Path) -> None:
    for _ in range(3):
        app.processEvents()
    widget.grab().save(str(path))
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

        # A new rule, a few steps in: three people rotating weekly in business hours, the SRE team
        # rotating behind them out of hours.
        dialog = window.edit_rule(None)
        commands = dialog.commands
        commands.set_name_and_id("Payments", "payments")
        commands.set_zone("Europe/Berlin")
        commands.add_condition("service:payments*")
        commands.set_layer_name(0, "Business hours")
        for person in ("chloe", "lukas", "priya"):
            commands.add_person(0, person)
        commands.set_rotation(0, Rotation("weekly", 1, datetime(2026, 1, 1, 9).time(), date(2026, 3, 2)))
        dialog.cards[0].windows.add.click()
        commands.add_layer()
        commands.set_layer_name(1, "Out of hours")
        commands.add_person(1, "team:sre")
        commands.set_rotation(1, Rotation("weekly", 1, datetime(2026, 1, 1, 9).time(), date(2026, 3, 2)))
        dialog.preview.refresh()
        shoot(dialog, app, args.out / "rule-editor-new.png")
        dialog.done(0)

        dialog = window.edit_rule("database")
        dialog.preview.refresh()
        shoot(dialog, app, args.out / "rule-editor-layers.png")
        dialog.done(0)

        model = window.calendar_model
        for row in range(window.rule_model.rowCount()):
            index = window.rule_model.index(row)
            if index.data(Qt.ItemDataRole.UserRole) != "database":
                window.rule_model.setData(
                    index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
                )
        window.set_zone("UTC")
        model.set_mode("week")
        model.set_anchor(date(2026, 3, 25))
        shoot(window, app, args.out / "calendar-week-layers.png")

        window.close()
        window.deleteLater()
        app.processEvents()
        store.close()


if __name__ == "__main__":
    main()
