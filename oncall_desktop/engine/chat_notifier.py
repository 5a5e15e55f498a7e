"""Chat and push through Apprise (SPEC §13): Slack, Microsoft Teams, Mattermost, Discord, Telegram,
ntfy, Matrix and the rest behind one interface.

Each person's Apprise URLs are secrets (they hold tokens): they live in the OS keyring as
`chat.<person>` and are read at each send, never stored in the database, the config file or a log
line (Apprise's own logger is kept out of the program's log, since it may name a URL). Apprise is
imported on the first chat page, not at start-up. A chat service cannot be asked what it received,
so chat is at least once, like email: after a crash mid-send the page goes again, marked possibly
repeated (`reconcile` answers `unknowable`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from oncall_desktop import secrets
from oncall_desktop.domain import Channel, Settings, Severity
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.delivery import temporary_failure
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, ReconcileResult
from oncall_desktop.incident import StaleClaim

SecretLookup = Callable[[str], str | None]
CHAT_TIMEOUT_SECONDS = 10.0

_URGENT = (Severity.P0, Severity.P1)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    title: str
    body: str
    urgent: bool


def chat_message(delivery: Delivery) -> ChatMessage:
    """The one place a chat page's words are made: title `[P1] #12 Checkout down`, then the
    severity, tags, rule and level, and how to acknowledge (the link when a public URL is set)."""
    title = f"[{delivery.severity.value}] #{delivery.incident_id} {delivery.incident_title}"
    lines = []
    if delivery.possibly_repeated:
        lines.append("(Possibly repeated: the station stopped while sending this page.)")
    if delivery.handover:
        lines.append("Handover: you are now on call for this incident.")
    lines.append(f"Severity: {delivery.severity.value}")
    if delivery.tags:
        lines.append(f"Tags: {', '.join(delivery.tags)}")
    lines.append(f"Rule: {delivery.rule or '—'}, escalation level {delivery.level}")
    if delivery.ack_url:
        lines.append(f"Acknowledge: {delivery.ack_url}")
    else:
        lines.append(
            f"Acknowledge in the on-call desktop app, or run: oncall-desktop ack {delivery.incident_id}"
        )
    return ChatMessage(title, "\n".join(lines), delivery.severity in _URGENT)


_sending = threading.local()


class _WhileSendingChat(logging.Filter):
    """Drops the HTTP libraries' records made while a chat page goes out: their debug lines name
    the request path, and a chat URL's path holds its token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_sending, "active", False)


_QUIET = _WhileSendingChat()


def _apprise() -> Any:
    """Apprise, imported on the first chat page (start-up time matters), its logs kept quiet."""
    import apprise

    quiet = logging.getLogger("apprise")
    quiet.propagate = False  # its messages may name a URL, and URLs hold tokens
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    for name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
        http = logging.getLogger(name)
        if _QUIET not in http.filters:
            http.addFilter(_QUIET)
    return apprise


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    """How one send to a person's chat URLs went: how many took it, and what each refused said
    (by service name, never by URL)."""

    sent: int
    refused: tuple[str, ...]
    unreadable: int


def send_chat(urls: Sequence[str], message: ChatMessage, timeout: float) -> ChatOutcome:
    """Send `message` to each Apprise URL on its own, so one service that is down does not hide the
    others' success."""
    apprise = _apprise()
    kind = apprise.NotifyType.FAILURE if message.urgent else apprise.NotifyType.INFO
    sent, refused, unreadable = 0, [], 0
    for url in urls:
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            unreadable += 1
            continue
        for attribute in ("socket_connect_timeout", "socket_read_timeout"):
            if hasattr(plugin, attribute):
                setattr(plugin, attribute, timeout)
        _sending.active = True
        try:
            ok = plugin.notify(body=message.body, title=message.title, notify_type=kind)
        except Exception:
            ok = False
        finally:
            _sending.active = False
        if ok:
            sent += 1
        else:
            refused.append(str(getattr(plugin, "service_name", None) or "chat service"))
    return ChatOutcome(sent, tuple(refused), unreadable)


def has_chat_urls(person_id: str, secret: SecretLookup = secrets.get_secret) -> bool:
    return bool(secrets.chat_urls(secret(secrets.chat_secret(person_id))))


class ChatNotifier:
    """Sends chat deliveries through Apprise; touches no store."""

    def __init__(
        self, clock: Clock, secret: SecretLookup = secrets.get_secret, timeout: float = CHAT_TIMEOUT_SECONDS
    ) -> None:
        self.clock = clock
        self._secret = secret
        self._timeout = timeout

    @property
    def channels(self) -> frozenset[Channel]:
        return frozenset({Channel.CHAT})

    @property
    def in_transaction(self) -> bool:
        return False

    def ready(self, settings: Settings) -> bool:
        return True  # chat has no settings of its own: each person's URLs are in the keyring

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        return "unknowable"  # a chat service cannot be asked what it received

    def send(self, delivery: Delivery) -> DeliveryResult:
        now = self.clock.now()
        name = secrets.chat_secret(delivery.person)
        try:
            urls = secrets.chat_urls(self._secret(name))
        except secrets.SecretsError as error:
            return temporary_failure(delivery, str(error).split(". ")[0], now)
        if not urls:
            return DeliveryResult.failed(
                f"{delivery.person_name} has no chat URLs in the OS keyring "
                f"(People & teams, or `oncall-desktop secrets set {name}`)"
            )
        timeout = min(self._timeout, delivery.timeout.total_seconds())
        outcome = send_chat(urls, chat_message(delivery), timeout)
        problems = []
        if outcome.unreadable:
            problems.append(f"{outcome.unreadable} of the URLs in {name} not understood by Apprise")
        if outcome.refused:
            problems.append(f"{', '.join(outcome.refused)} did not take the message")
        if outcome.sent:
            notices = (
                (f"chat: sent to {outcome.sent} of {len(urls)}; {'; '.join(problems)}",) if problems else ()
            )
            return DeliveryResult.sent(notices=notices)
        reason = "; ".join(problems)
        if outcome.refused:
            return temporary_failure(delivery, reason, now)
        return DeliveryResult.failed(reason)
