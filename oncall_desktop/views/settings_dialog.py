"""File → Settings: the station's address, Twilio and SMTP (SPEC §6 `settings`), and the two secrets.

Non-secret settings are saved with `store.save_settings`; the Twilio auth token and the SMTP password
go only to the OS keyring (`oncall_desktop.secrets`) and are never shown again — an empty field keeps
the stored one. "Send test SMS / call / email" use the values in the dialog, saved or not, and run on
a worker thread so a slow server never freezes the window.

Signals:
    SettingsDialog.settings_saved(): the settings (and any secrets typed) were stored.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import Literal, Protocol

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import secrets
from oncall_desktop.domain import Configuration, Settings, SmtpSettings, StationSettings, TwilioSettings
from oncall_desktop.engine.clock import SystemClock
from oncall_desktop.engine.delivery import FixedConfiguration
from oncall_desktop.engine.email_notifier import EmailNotifier
from oncall_desktop.engine.twilio_account import TwilioAccess, explain
from oncall_desktop.engine.twilio_notifier import place_test_call, send_test_sms
from oncall_desktop.station_address import InvalidNumberError, e164
from oncall_desktop.store import Store
from oncall_desktop.validation import validate_settings
from oncall_desktop.views.help_pages import KEYRING_HELP, show_help

ERROR_STYLE = "color: #c62828;"
OK_STYLE = "color: #2e7d32;"
PUBLIC_URL_NOTE = (
    "Twilio must reach the public URL for phone-keypress acknowledgement and for SMS replies by "
    "webhook. Without one, SMS replies still work (the station polls Twilio for them), and calls "
    "tell the person to acknowledge in the app or by SMS."
)
NO_KEYRING_LINE = (
    "No usable keyring here, so the auth token and the SMTP password cannot be saved. "
    "<a href='help:keyring'>How to fix</a>"
)
NO_KEYRING_SAVE = "Nothing saved: no usable keyring for the auth token or the SMTP password."
SECURITIES: tuple[Literal["starttls", "tls", "none"], ...] = ("starttls", "tls", "none")
SECURITY_LABELS = {"starttls": "STARTTLS (usually port 587)", "tls": "TLS (usually port 465)", "none": "None"}


class SecretStore(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


class KeyringSecrets:
    """The OS keyring, through `oncall_desktop.secrets`."""

    def get(self, name: str) -> str | None:
        return secrets.get_secret(name)

    def set(self, name: str, value: str) -> None:
        secrets.set_secret(name, value)


class _Outcome(QObject):
    finished = Signal(str, bool)


class _TestSend(QRunnable):
    """Runs one test send off the GUI thread; reports (message, ok) through a queued signal."""

    def __init__(self, send: Callable[[], str], describe: Callable[[str], str], outcome: _Outcome) -> None:
        super().__init__()
        self.send = send
        self.describe = describe
        self.outcome = outcome

    def run(self) -> None:
        try:
            message, ok = self.describe(self.send()), True
        except Exception as error:  # any failure is the user's answer, shown in the dialog
            message, ok = explain(error), False
        self.outcome.finished.emit(message, ok)


def _line(text: str | None, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text or "")
    edit.setPlaceholderText(placeholder)
    edit.setMinimumWidth(320)
    return edit


def _password(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


class SettingsDialog(QDialog):
    settings_saved = Signal()

    def __init__(
        self, store: Store, parent: QWidget | None = None, secret_store: SecretStore | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.store = store
        self.secret_store: SecretStore = secret_store or KeyringSecrets()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._outcome = _Outcome(self)
        self._outcome.finished.connect(self._show_test_result)
        settings = store.load_configuration().settings
        self.help_window: QDialog | None = None
        self._keyring_problem = ""
        layout = QVBoxLayout(self)
        # Two columns keep the dialog short enough for a laptop screen; the layout never lets the
        # window squeeze a field below its own height (a window manager keeps top-levels under 2/3
        # of the screen when they open).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self._station_group(settings.station))
        left.addWidget(self._twilio_group(settings.twilio))
        left.addStretch(1)
        right.addWidget(self._smtp_group(settings.smtp))
        right.addWidget(self._test_group())
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout.addLayout(columns)
        self.keyring_status = QLabel()
        self.keyring_status.setWordWrap(True)
        self.keyring_status.setTextFormat(Qt.TextFormat.RichText)
        self.keyring_status.linkActivated.connect(lambda _link: self.show_keyring_help())
        layout.addWidget(self.keyring_status)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.linkActivated.connect(lambda _link: self.show_keyring_help())
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout.addWidget(buttons)
        self._show_secret_state()

    # -- building -------------------------------------------------------------------------------

    def _station_group(self, station: StationSettings) -> QGroupBox:
        group = QGroupBox("Paging station")
        form = QFormLayout(group)
        self.listen = _line(station.listen, "127.0.0.1:8080")
        self.public_url = _line(station.public_url, "https://oncall.example.com (optional)")
        form.addRow("Listen on:", self.listen)
        form.addRow("Public URL:", self.public_url)
        form.addRow(_note(PUBLIC_URL_NOTE))
        return group

    def _twilio_group(self, twilio: TwilioSettings) -> QGroupBox:
        group = QGroupBox("Twilio (SMS and phone calls)")
        form = QFormLayout(group)
        self.account_sid = _line(twilio.account_sid, "AC…")
        self.from_number = _line(twilio.from_number, "+14155550100")
        self.api_base_url = _line(twilio.api_base_url, "https://api.twilio.com (leave empty)")
        self.auth_token = _password("not set")
        form.addRow("Account SID:", self.account_sid)
        form.addRow("Sender number:", self.from_number)
        form.addRow("API base URL:", self.api_base_url)
        form.addRow("Auth token:", self.auth_token)
        return group

    def _smtp_group(self, smtp: SmtpSettings) -> QGroupBox:
        group = QGroupBox("Email (SMTP)")
        form = QFormLayout(group)
        self.smtp_host = _line(smtp.host, "smtp.example.com")
        self.smtp_port = QSpinBox()
        self.smtp_port.setRange(1, 65535)
        self.smtp_port.setValue(smtp.port)
        self.smtp_security = QComboBox()
        for value in SECURITIES:
            self.smtp_security.addItem(SECURITY_LABELS[value], value)
        self.smtp_security.setCurrentIndex(SECURITIES.index(smtp.security))
        self.smtp_username = _line(smtp.username, "pager@example.com (empty: no login)")
        self.smtp_sender = _line(smtp.sender, "pager@example.com")
        self.smtp_password = _password("not set")
        server = QHBoxLayout()
        server.addWidget(self.smtp_host, 1)
        server.addWidget(QLabel("Port:"))
        server.addWidget(self.smtp_port)
        form.addRow("Server:", server)
        form.addRow("Security:", self.smtp_security)
        form.addRow("Username:", self.smtp_username)
        form.addRow("Sender:", self.smtp_sender)
        form.addRow("Password:", self.smtp_password)
        return group

    def _test_group(self) -> QGroupBox:
        group = QGroupBox("Try it (uses the values above, saved or not)")
        form = QFormLayout(group)
        self.test_phone = _line(None, "+14155550101")
        self.test_email = _line(None, "you@example.com")
        self.test_sms_button = QPushButton("Send test SMS")
        self.test_call_button = QPushButton("Send test call")
        self.test_email_button = QPushButton("Send test email")
        self.test_sms_button.clicked.connect(self.send_test_sms)
        self.test_call_button.clicked.connect(self.send_test_call)
        self.test_email_button.clicked.connect(self.send_test_email)
        phone = QHBoxLayout()
        phone.addWidget(self.test_phone, 1)
        phone.addWidget(self.test_sms_button)
        phone.addWidget(self.test_call_button)
        mail = QHBoxLayout()
        mail.addWidget(self.test_email, 1)
        mail.addWidget(self.test_email_button)
        form.addRow("Phone:", phone)
        form.addRow("Email:", mail)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self.test_result)
        return group

    def _show_secret_state(self) -> None:
        try:
            stored = {name: self.secret_store.get(name) is not None for name in secrets.SECRET_NAMES}
        except secrets.SecretsError as error:
            self._keyring_problem = str(error)
            self.keyring_status.setText(NO_KEYRING_LINE)
            self.keyring_status.setToolTip(self._keyring_problem)
            self.keyring_status.setStyleSheet(ERROR_STYLE)
            for edit in (self.auth_token, self.smtp_password):
                edit.setPlaceholderText("no keyring: cannot be saved")
            return
        for name, edit in (
            (secrets.TWILIO_AUTH_TOKEN, self.auth_token),
            (secrets.SMTP_PASSWORD, self.smtp_password),
        ):
            edit.setPlaceholderText(
                "stored in the OS keyring — type to replace" if stored[name] else "not set"
            )
        self.keyring_status.setText("The auth token and the SMTP password are kept only in the OS keyring.")
        self.keyring_status.setStyleSheet("")

    def show_keyring_help(self) -> QDialog:
        """The help page on keyrings, with what this one said at its end."""
        detail = f"\n## What the keyring said\n\n{self._keyring_problem}\n" if self._keyring_problem else ""
        self.help_window = show_help(self, "How to fix: no usable keyring", KEYRING_HELP + detail)
        return self.help_window

    # -- reading the form -----------------------------------------------------------------------

    def _text(self, edit: QLineEdit) -> str | None:
        return edit.text().strip() or None

    def current_settings(self) -> Settings:
        """The settings as the form shows them (not validated)."""
        security = self.smtp_security.currentData()
        return Settings(
            station=StationSettings(self.listen.text().strip(), self._text(self.public_url)),
            twilio=TwilioSettings(
                self._text(self.account_sid), self._text(self.from_number), self._text(self.api_base_url)
            ),
            smtp=SmtpSettings(
                self._text(self.smtp_host),
                self.smtp_port.value(),
                security,
                self._text(self.smtp_username),
                self._text(self.smtp_sender),
            ),
        )

    def fields(self) -> dict[str, tuple[str, QWidget]]:
        """Each validated setting's path (as `validate_settings` names it) → its label and field."""
        return {
            "settings.station.listen": ("Listen on", self.listen),
            "settings.station.public_url": ("Public URL", self.public_url),
            "settings.twilio.account_sid": ("Account SID", self.account_sid),
            "settings.twilio.from_number": ("Sender number", self.from_number),
            "settings.twilio.api_base_url": ("API base URL", self.api_base_url),
            "settings.smtp.host": ("Server", self.smtp_host),
            "settings.smtp.port": ("Port", self.smtp_port),
            "settings.smtp.security": ("Security", self.smtp_security),
            "settings.smtp.sender": ("Sender", self.smtp_sender),
        }

    def problems(self, settings: Settings) -> list[str]:
        """The core's objections to `settings`, one line each, named by the field's label; the
        first field objected to gets the focus."""
        fields = self.fields()
        found = validate_settings(settings)
        first = next((fields[p.path][1] for p in found if p.path in fields), None)
        if first is not None:
            first.setFocus()
        return [f"{fields[p.path][0] if p.path in fields else p.path}: {p.reason}" for p in found]

    # -- saving ---------------------------------------------------------------------------------

    def save(self) -> None:
        settings = self.current_settings()
        if settings.twilio.from_number:
            # "+1 415 555 0101" is accepted and stored as +14155550101.
            with suppress(InvalidNumberError):
                settings = replace(
                    settings, twilio=replace(settings.twilio, from_number=e164(settings.twilio.from_number))
                )
        found = self.problems(settings)
        if found:
            self._fail("\n".join(found))
            return
        try:
            for name, edit in (
                (secrets.TWILIO_AUTH_TOKEN, self.auth_token),
                (secrets.SMTP_PASSWORD, self.smtp_password),
            ):
                if edit.text():
                    self.secret_store.set(name, edit.text())
                    edit.clear()
        except secrets.SecretsUnavailable as error:
            self._keyring_problem = str(error)
            self._fail(f"{NO_KEYRING_SAVE} <a href='help:keyring'>How to fix</a>")
            return
        except secrets.SecretsError as error:
            self._fail(str(error))
            return
        self.store.save_settings(settings)
        self.settings_saved.emit()
        self.accept()

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    # -- test sends -----------------------------------------------------------------------------

    def _secret(self, typed: QLineEdit) -> Callable[[str], str | None]:
        """A lookup that prefers what is typed in the dialog over the keyring."""

        def lookup(name: str) -> str | None:
            return typed.text() or self.secret_store.get(name)

        return lookup

    def _run(self, send: Callable[[], str], describe: Callable[[str], str]) -> None:
        self.test_result.setStyleSheet("")
        self.test_result.setText("Sending…")
        for button in (self.test_sms_button, self.test_call_button, self.test_email_button):
            button.setEnabled(False)
        self.pool.start(_TestSend(send, describe, self._outcome))

    def _twilio(self) -> TwilioAccess:
        config = FixedConfiguration(Configuration(settings=self.current_settings()))
        return TwilioAccess(config, secret=self._secret(self.auth_token))

    def send_test_sms(self) -> None:
        access, to = self._twilio(), self.test_phone.text().strip()
        self._run(lambda: send_test_sms(access, to), lambda sid: f"Test SMS sent to {to} (Twilio {sid}).")

    def send_test_call(self) -> None:
        access, to = self._twilio(), self.test_phone.text().strip()
        self._run(
            lambda: place_test_call(access, to), lambda sid: f"Test call placed to {to} (Twilio {sid})."
        )

    def send_test_email(self) -> None:
        config = FixedConfiguration(Configuration(settings=self.current_settings()))
        notifier = EmailNotifier(SystemClock(), config, secret=self._secret(self.smtp_password))
        to = self.test_email.text().strip()
        self._run(lambda: notifier.send_test(to), lambda _id: f"Test email sent to {to}.")

    def _show_test_result(self, message: str, ok: bool) -> None:
        self.test_result.setText(message)
        self.test_result.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
        for button in (self.test_sms_button, self.test_call_button, self.test_email_button):
            button.setEnabled(True)

    def done(self, result: int) -> None:
        self.pool.waitForDone()
        super().done(result)


def open_settings(store: Store, parent: QWidget | None = None) -> int:
    """Show the Settings dialog modally; QDialog.Accepted if saved."""
    return SettingsDialog(store, parent).exec()
