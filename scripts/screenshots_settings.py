"""Render the Settings dialog to docs/screenshots/settings.png (and settings-no-keyring.png).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_settings.py
Uses a throwaway SQLite store with realistic settings; the secrets are a stand-in store (the token
shows as stored, the SMTP password as not set), so the real keyring is never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from oncall_desktop import secrets
from oncall_desktop.domain import Settings, SmtpSettings, StationSettings, TwilioSettings
from oncall_desktop.store import Store
from oncall_desktop.views.settings_dialog import OK_STYLE, SettingsDialog

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


class StandInSecrets:
    def get(self, name: str) -> str | None:
        return "stored" if name == secrets.TWILIO_AUTH_TOKEN else None

    def set(self, name: str, value: str) -> None:
        raise AssertionError("the screenshot stores nothing")


class NoKeyring:
    def get(self, name: str) -> str | None:
        raise secrets.SecretsUnavailable(
            f"cannot read {name}: no usable OS keyring (backend keyring.backends.fail.Keyring: "
            "No recommended backend was available)"
        )

    def set(self, name: str, value: str) -> None:
        raise AssertionError("the screenshot stores nothing")


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'shot.db'}")
        store.save_settings(
            Settings(
                station=StationSettings("0.0.0.0:8080", "https://oncall.example.com"),
                twilio=TwilioSettings("AC3f9a1c7e5b2d4f60a8e1c9b7d3f5a2e4", "+14155550100", None),
                smtp=SmtpSettings(
                    "smtp.example.com", 587, "starttls", "pager@example.com", "pager@example.com"
                ),
            )
        )
        dialog = SettingsDialog(store, secret_store=StandInSecrets())
        dialog.test_phone.setText("+14155550101")
        dialog.test_email.setText("alice.chen@example.com")
        dialog.test_result.setText(
            "Test SMS sent to +14155550101 (Twilio SM8c2e41a9d0b64f7e9a13c5d2b8f06e71)."
        )
        dialog.test_result.setStyleSheet(OK_STYLE)
        dialog.resize(dialog.sizeHint())
        dialog.show()
        app.processEvents()
        OUT.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(OUT / "settings.png"))
        dialog.close()
        # Where no keyring can be reached: one short line, and a link to how to fix it.
        bare = SettingsDialog(store, secret_store=NoKeyring())
        bare.show()
        app.processEvents()
        bare.grab().save(str(OUT / "settings-no-keyring.png"))
        bare.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
