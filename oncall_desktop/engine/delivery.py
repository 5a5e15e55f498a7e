"""Delivery policy shared by the real notifiers (Twilio, SMTP).

- Temporary failures (timeouts, connection errors, HTTP 5xx, 429, SMTP 4xx) are retried with
  exponential backoff (30 s, 1 min, 2 min, … at most 10 min apart) until `GIVE_UP_AFTER` has passed
  since the notification's instant; then, and for permanent failures (invalid number, other 4xx,
  SMTP 5xx, missing set-up), the notification fails — the engine records that on the incident's
  timeline, where the app and its tray show it.
- SMS are rate limited per number (`sms_limit`, shared with `simulate`); the engine holds back and
  bundles them.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Protocol

from oncall_desktop.domain import Configuration, Settings
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult
from oncall_desktop.store import Store

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


def backoff(attempt: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most `RETRY_MAX`."""
    delay: timedelta = RETRY_BASE * 2 ** max(0, attempt - 1)
    return min(delay, RETRY_MAX)


def temporary_failure(delivery: Delivery, error: str, now: datetime) -> DeliveryResult:
    """Retry later, or fail for good once `GIVE_UP_AFTER` has passed since the notification's instant."""
    tried = max(1, delivery.attempt)
    if now - delivery.scheduled_at >= GIVE_UP_AFTER:
        return DeliveryResult.failed(f"{error} (gave up after {tried} attempts)")
    return DeliveryResult.retry(f"{error} (attempt {tried}, retrying)", backoff(tried))
