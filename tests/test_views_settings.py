"""The Settings dialog: shows and saves the non-secret settings, sends secrets only to the keyring,
explains bad values, and its test buttons reach the (fake) Twilio and a closed SMTP port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QAbstractSpinBox, QLabel, QLineEdit, QTextBrowser
from pytestqt.qtbot import QtBot

from oncall_desktop import configfile, secrets
from oncall_desktop.domain import Settings, SmtpSettings, StationSettings, TwilioSettings
from oncall_desktop.engine.twilio_notifier import TEST_CALL, TEST_SMS
from oncall_desktop.store import Store
from oncall_desktop.views.settings_dialog import PUBLIC_URL_NOTE, SettingsDialog
from tests.fake_twilio import FakeTwilio
from tests.helpers_paging import ACCOUNT_SID, AUTH_TOKEN, STATION_NUMBER
from tests.helpers_station import free_port

pytestmark = pytest.mark.qt


class DictSecrets:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'settings.db'}")
    store.save_settings(
        Settings(
            station=StationSettings("0.0.0.0:8080", None),
            twilio=TwilioSettings(ACCOUNT_SID, STATION_NUMBER, None),
            smtp=SmtpSettings("smtp.example.com", 465, "tls", "pager@example.com", "pager@example.com"),
        )
    )
    yield store
    store.close()


@pytest.fixture
def dialog(qtbot: QtBot, store: Store) -> SettingsDialog:
    dialog = SettingsDialog(store, secret_store=DictSecrets())
    qtbot.addWidget(dialog)
    return dialog


def test_it_shows_the_stored_settings_and_says_what_a_public_url_is_for(dialog: SettingsDialog) -> None:
    assert dialog.listen.text() == "0.0.0.0:8080"
    assert dialog.public_url.text() == ""
    assert dialog.account_sid.text() == ACCOUNT_SID
    assert dialog.smtp_port.value() == 465
    assert dialog.smtp_security.currentData() == "tls"
    assert dialog.auth_token.placeholderText() == "not set"
    labels = [w.text() for w in dialog.findChildren(type(dialog.keyring_status))]
    assert PUBLIC_URL_NOTE in labels


def test_save_stores_settings_in_the_database_and_secrets_only_in_the_keyring(
    dialog: SettingsDialog, store: Store, tmp_path: Path, qtbot: QtBot
) -> None:
    dialog.public_url.setText("https://oncall.example.com")
    dialog.from_number.setText("+1 415 555 0199")
    dialog.smtp_security.setCurrentIndex(0)
    dialog.smtp_port.setValue(587)
    dialog.auth_token.setText(AUTH_TOKEN)
    dialog.smtp_password.setText("smtp-secret-91")
    with qtbot.waitSignal(dialog.settings_saved):
        dialog.save_button.click()
    saved = store.load_configuration().settings
    assert saved.station.public_url == "https://oncall.example.com"
    assert saved.twilio.from_number == "+14155550199"
    assert (saved.smtp.security, saved.smtp.port) == ("starttls", 587)
    assert isinstance(dialog.secret_store, DictSecrets)
    assert dialog.secret_store.values == {
        secrets.TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        secrets.SMTP_PASSWORD: "smtp-secret-91",
    }
    assert dialog.auth_token.text() == ""
    dump = configfile.dump(store.load_configuration())
    database = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("settings.db"))
    for secret in (AUTH_TOKEN, "smtp-secret-91"):
        assert secret not in dump
        assert secret.encode() not in database


def test_bad_values_are_explained_and_nothing_is_saved(dialog: SettingsDialog, store: Store) -> None:
    before = store.load_configuration().settings
    dialog.listen.setText("localhost")
    dialog.public_url.setText("oncall.example.com")
    dialog.from_number.setText("12")
    dialog.smtp_sender.setText("pager")
    dialog.save_button.click()
    assert dialog.error.isVisibleTo(dialog)
    lines = dialog.error.text().splitlines()
    assert lines[0].startswith("Listen on: 'localhost' is not HOST:PORT")
    assert lines[1] == "Public URL: 'oncall.example.com' is not an http(s) URL"
    assert lines[2].startswith("Sender number: '12' is not")
    assert lines[3] == "Sender: 'pager' does not look like an email address"
    assert store.load_configuration().settings == before


def test_test_buttons_use_the_unsaved_values_and_report_back(dialog: SettingsDialog, qtbot: QtBot) -> None:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, STATION_NUMBER).start()
    try:
        dialog.api_base_url.setText(fake.base_url)
        dialog.auth_token.setText(AUTH_TOKEN)
        dialog.test_phone.setText("+14155550101")
        dialog.test_sms_button.click()
        qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Test SMS sent to +14155550101"))
        dialog.test_call_button.click()
        qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Test call placed to +14155550101"))
        dialog.auth_token.setText("wrong")
        dialog.test_sms_button.click()
        qtbot.waitUntil(lambda: dialog.test_sms_button.isEnabled())
    finally:
        fake.stop()
    assert [(m["to"], m["body"]) for m in fake.messages] == [("+14155550101", TEST_SMS)]
    assert TEST_CALL in (fake.calls[0].twiml or "")
    assert (
        dialog.test_result.text() == "Twilio refused (401, code 20003): Unable to create record: Authenticate"
    )
    assert "wrong" not in dialog.test_result.text()
    assert dialog.test_result.styleSheet() == "color: #c62828;"


def test_a_failing_test_email_shows_why(dialog: SettingsDialog, qtbot: QtBot) -> None:
    dialog.smtp_host.setText("127.0.0.1")
    dialog.smtp_port.setValue(free_port())
    dialog.smtp_security.setCurrentIndex(2)  # none
    dialog.smtp_username.setText("")
    dialog.test_email.setText("you@example.com")
    dialog.test_email_button.click()
    qtbot.waitUntil(lambda: "ConnectionRefusedError" in dialog.test_result.text())
    assert dialog.test_email_button.isEnabled()


# -- issue 13: the dialog at its default size, and a missing keyring -------------------------------


class NoKeyring(DictSecrets):
    def get(self, name: str) -> str | None:
        raise secrets.SecretsUnavailable(
            f"cannot read {name}: no usable OS keyring (backend keyring.backends.fail.Keyring: No "
            "recommended backend was available). " + secrets.HOW_TO_GET_A_KEYRING
        )

    def set(self, name: str, value: str) -> None:
        raise secrets.SecretsUnavailable(f"cannot store {name}: no usable OS keyring")


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_at_its_default_size_no_field_is_squeezed_and_no_text_is_cut(qtbot: QtBot, store: Store) -> None:
    dialog = SettingsDialog(store, secret_store=NoKeyring())
    qtbot.addWidget(dialog)
    dialog.show()  # the size the window opens with, as on a screen (the offscreen one is 800×600)
    qtbot.waitExposed(dialog)
    for edit in dialog.findChildren(QLineEdit):
        if isinstance(edit.parentWidget(), QAbstractSpinBox):
            continue  # the port's own editor, inside its frame
        assert edit.height() >= edit.sizeHint().height(), edit.placeholderText()
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()), label.text()[:40]


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # the help window
def test_without_a_keyring_one_short_line_links_to_how_to_fix_it(qtbot: QtBot, store: Store) -> None:
    dialog = SettingsDialog(store, secret_store=NoKeyring())
    qtbot.addWidget(dialog)
    line = dialog.keyring_status.text()
    assert "No usable keyring" in line
    assert "How to fix" in line
    assert len(QTextDocumentFragment.fromHtml(line).toPlainText()) < 120
    assert "dbus-run-session" not in line
    dialog.keyring_status.linkActivated.emit("help:keyring")
    help_window = dialog.help_window
    assert help_window is not None
    qtbot.addWidget(help_window)
    page = help_window.findChild(QTextBrowser)
    assert page is not None
    text = page.toPlainText()
    assert "No usable keyring" in text
    assert "On a desktop" in text
    assert "keyring.backends.fail.Keyring" in text  # what this keyring said, at the end
    # Saving a secret without a keyring says so in one line, with the same link.
    dialog.auth_token.setText(AUTH_TOKEN)
    dialog.save_button.click()
    assert "Nothing saved: no usable keyring" in dialog.error.text()
    assert "How to fix" in dialog.error.text()
