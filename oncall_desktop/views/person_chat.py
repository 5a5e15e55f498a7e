"""A person's chat URLs in the person editor (SPEC §13): Apprise URLs kept in the OS keyring as
`chat.<person>`, a "Send test" button, and the undoable save of the person with them.

The URLs hold tokens, so they never reach the store: the person is saved with `chat: true` while
they have any, and the keyring holds the URLs themselves. Undo puts both back as they were.

Signals:
    ChatUrlsField.test_finished(str, bool): what a test message came to, and whether it went out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import secrets
from oncall_desktop.domain import Person
from oncall_desktop.store import Store, StoreError
from oncall_desktop.views.commands import Failed, Refresh, StoreCommand

SecretLookup = Callable[[str], str | None]
TEST_TITLE = "Test from oncall-desktop"
TEST_BODY = "This is a test chat message from the on-call station. Chat paging works."


def send_test_message(urls: list[str], timeout: float = 10.0) -> tuple[str, bool]:
    """Send the test message to `urls`; what to tell the user, and whether any took it. Never raises."""
    from oncall_desktop.engine.chat_notifier import ChatMessage, send_chat

    if not urls:
        return "No chat URLs to test: add one per line.", False
    try:
        outcome = send_chat(urls, ChatMessage(TEST_TITLE, TEST_BODY, urgent=False), timeout)
    except Exception as error:
        return f"Not sent: {type(error).__name__}", False
    parts = [f"Sent to {outcome.sent} of {len(urls)}."]
    if outcome.refused:
        parts.append(f"{', '.join(outcome.refused)} did not take it.")
    if outcome.unreadable:
        parts.append(f"{outcome.unreadable} not understood by Apprise (check the URL's format).")
    return " ".join(parts), outcome.sent > 0


class _Outcome(QObject):
    finished = Signal(str, bool)


class _SendTest(QRunnable):
    def __init__(self, urls: list[str], outcome: _Outcome) -> None:
        super().__init__()
        self.urls = urls
        self.outcome = outcome

    def run(self) -> None:
        self.outcome.finished.emit(*send_test_message(self.urls))


class ChatUrlsField(QWidget):
    """The person's Apprise URLs, one per line, as the keyring holds them, and "Send test"."""

    test_finished = Signal(str, bool)

    def __init__(
        self, person_id: str | None, secret: SecretLookup = secrets.get_secret, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.stored = ""
        self.readable = True
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText("slack://…, tgram://…, ntfys://ntfy.example.com/topic — one per line")
        self.edit.setFixedHeight(64)
        self.edit.setToolTip(
            "Apprise URLs (Slack, Microsoft Teams, Mattermost, Discord, Telegram, ntfy, Matrix, …). "
            "They hold tokens, so they are kept in the OS keyring only, never in the database."
        )
        if person_id:
            try:
                self.stored = "\n".join(secrets.chat_urls(secret(secrets.chat_secret(person_id))))
            except secrets.SecretsError as error:
                self.readable = False
                self.edit.setEnabled(False)
                self.edit.setPlaceholderText(str(error).split(". ")[0])
        self.edit.setPlainText(self.stored)
        self.test_button = QPushButton("Send test")
        self.test_button.setToolTip("Send a test message to these URLs now")
        self.test_button.clicked.connect(self.send_test)
        self.status = QLabel("Kept in the OS keyring, never in the database.")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555;")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status, 1)
        row.addWidget(self.test_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addLayout(row)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._outcome = _Outcome(self)
        self._outcome.finished.connect(self._test_done)

    def urls(self) -> list[str]:
        return secrets.chat_urls(self.edit.toPlainText())

    def value(self) -> str:
        """What the keyring will hold: the URLs, one per line ("" for none)."""
        return "\n".join(self.urls())

    def changed(self) -> bool:
        return self.readable and self.value() != self.stored

    def send_test(self) -> None:
        self.test_button.setEnabled(False)
        self.status.setText("Sending a test message…")
        self.status.setStyleSheet("color: #555;")
        self.pool.start(_SendTest(self.urls(), self._outcome))

    def _test_done(self, text: str, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {'#2e7d32' if ok else '#c62828'};")
        self.test_button.setEnabled(True)
        self.test_finished.emit(text, ok)

    def shutdown(self) -> None:
        self.pool.waitForDone()


class SavePersonChat(StoreCommand):
    """Add or edit a person together with their chat URLs in the keyring; undo restores both."""

    def __init__(
        self,
        store: Store,
        before: Person | None,
        after: Person,
        urls: tuple[str, str],
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        super().__init__(f"{'Add' if before is None else 'Edit'} {after.name}", store, refresh, failed)
        self.before = before
        self.after = replace(after, chat=bool(urls[1]))
        self.urls = urls

    def _set(self, value: str) -> None:
        name = secrets.chat_secret(self.after.id)
        try:
            if value:
                secrets.set_secret(name, value)
            else:
                secrets.delete_secret(name)
        except secrets.SecretsError as error:
            raise StoreError(str(error)) from None

    def apply(self) -> None:
        self._set(self.urls[1])
        self.store.save_person(self.after)

    def revert(self) -> None:
        self._set(self.urls[0])
        if self.before is None:
            self.store.delete_person(self.after.id)
        else:
            self.store.save_person(self.before)
