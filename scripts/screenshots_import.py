"""Render File ▸ Import from Grafana OnCall to docs/screenshots/: the first step with its URL and token
(import-connect.png) and what the import creates and leaves out (import-review.png).

    .venv/bin/python scripts/screenshots_import.py [--out docs/screenshots]

The API it reads is the test suite's fake Grafana OnCall (`tests/fake_sources.py`) on 127.0.0.1, with
the shapes of Grafana OnCall's public API documentation, so the image is reproducible.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for the test suite's fake API

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.migrate_wizard import MigrateWizard
from tests.fake_sources import TOKENS, FakeSource

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 3, 15, 9, tzinfo=UTC)
SIZE = (920, 600)  # the wizard's own default size


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    fake = FakeSource("grafana-oncall")
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        store = Store.open(f"sqlite:///{scratch}/import.db")
        window = MainWindow(store, now=lambda: NOW, settings=settings)
        try:
            wizard = MigrateWizard(
                store,
                "grafana-oncall",
                window._push,
                window.override_ids,
                window.reload,
                window._failed,
                lambda: NOW,
                window,
            )
            wizard.resize(*SIZE)
            wizard.show()
            wizard.url.setText("https://oncall.example.com")
            wizard.token.setText("x" * 28)
            app.processEvents()
            shot = args.out / "import-connect.png"
            wizard.grab().save(str(shot))
            print(shot)
            wizard.url.setText(fake.url)
            wizard.token.setText(TOKENS["grafana-oncall"])
            loop = QEventLoop()
            wizard.fetched.connect(lambda _result: loop.quit())
            QTimer.singleShot(20_000, loop.quit)
            wizard.fetch()
            loop.exec()
            # The review names the API the items came from, not the fake's port.
            wizard.url.setText("https://oncall.example.com")
            for _ in range(5):
                app.processEvents()
            shot = args.out / "import-review.png"
            wizard.grab().save(str(shot))
            print(shot)
            wizard.close()
        finally:
            fake.close()
            window.close()
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
