"""Delivery policy shared by the real notifiers (Twilio, SMTP).

- Temporary failures (timeouts, connection errors, HTTP 5xx, 429, SMTP 4xx) are retried with
  exponential backoff (30 s, 1 min, 2 min, … at most 10 min apart) until `GIVE_UP_AFTER` has passed
  since the notification's instant; then, and for permanent failures (invalid number, other 4xx,
  SMTP 5xx, missing set-up), the notification fails — the engine records that on the incident's
  timeline, where the app and its tray show it.
- SMS are rate limited per number: at most `SmsRateLimit.max_messages` pages in `window`. The last
  one the window allows carries every page then waiting for that number, as one message naming the
  count; pages after it wait for room and go out the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select

from oncall_desktop.domain import Configuration, Settings
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult
from oncall_desktop.store import Store
from oncall_desktop.store.models import NotificationRow
from oncall_desktop.store.station_models import NotificationDispatchRow

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(minutes=30)
TEMPORARY_HTTP = frozenset({408, 425, 429})


class ConfigurationSource(Protocol):
    """Where notifiers read the configuration (and so the settings) from."""

    def get(self) -> Configuration: ...

    def settings(self) -> Settings: ...


class FixedConfiguration:
    """A configuration that does not change: the Settings dialog's unsaved values for a test send."""

    def __init__(self, config: Configuration) -> None:
        self._config = config

    def get(self) -> Configuration:
        return self._config

    def settings(self) -> Settings:
        return self._config.settings


class LiveConfiguration:
    """The store's configuration, reloaded when its revision moves (settings edited while running)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._config = Configuration()

    def get(self) -> Configuration:
        with self._lock:
            revision = self.store.revision()
            if revision != self._revision:
                self._config = self.store.load_configuration()
                self._revision = revision
            return self._config

    def settings(self) -> Settings:
        return self.get().settings


def is_temporary_http(status: int | None) -> bool:
    """Timeouts, rate limiting and server errors pass; other 4xx (bad number, bad request) do not."""
    return status is None or status >= 500 or status in TEMPORARY_HTTP


def attempts(store: Store, notification_id: int) -> int:
    """How many times the engine has tried to send this notification (this attempt included)."""
    with store.session() as session:
        value = session.scalar(
            select(NotificationDispatchRow.attempts).where(
                NotificationDispatchRow.notification_id == notification_id
            )
        )
    return max(1, value or 0)


def backoff(attempt: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most `RETRY_MAX`."""
    delay: timedelta = RETRY_BASE * 2 ** max(0, attempt - 1)
    return min(delay, RETRY_MAX)


def temporary_failure(store: Store, delivery: Delivery, error: str, now: datetime) -> DeliveryResult:
    """Retry later, or fail for good once `GIVE_UP_AFTER` has passed since the notification's instant."""
    tried = attempts(store, delivery.notification_id)
    if now - delivery.scheduled_at >= GIVE_UP_AFTER:
        return DeliveryResult.failed(f"{error} (gave up after {tried} attempts)")
    return DeliveryResult.retry(f"{error} (attempt {tried}, retrying)", backoff(tried))


@dataclass(frozen=True, slots=True)
class SmsRateLimit:
    """At most `max_messages` paging SMS to one number per `window`."""

    max_messages: int = 5
    window: timedelta = timedelta(minutes=10)

    def room(self, store: Store, address: str, now: datetime) -> tuple[int, timedelta]:
        """How many more SMS may go to `address` now, and (when none) how long until one may."""
        since = now - self.window
        with store.session() as session:
            sends = session.execute(
                select(func.min(NotificationRow.sent_at))
                .where(NotificationRow.channel == "sms")
                .where(NotificationRow.address == address)
                .where(NotificationRow.state == "sent")
                .where(NotificationRow.sent_at > since)
                .where(NotificationRow.provider_id.is_not(None))
                .group_by(NotificationRow.provider_id)
            ).all()
        if len(sends) < self.max_messages:
            return self.max_messages - len(sends), timedelta(0)
        oldest = sorted(at for (at,) in sends if at is not None)[len(sends) - self.max_messages]
        return 0, max(oldest + self.window - now, timedelta(seconds=1))
