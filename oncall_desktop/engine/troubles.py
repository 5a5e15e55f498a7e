"""A problem that repeats (a provider refusing, a full disk) logged once when it starts and once
when it ends, with a one-line reason — not a traceback every few seconds."""

from __future__ import annotations

import logging
import time


class Trouble:
    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.reason: str | None = None
        self._since = 0.0

    def failed(self, reason: str, *, traceback: bool = False) -> None:
        """The thing failed again; logged only when the reason is new."""
        if reason == self.reason:
            return
        if traceback:
            self.log.exception("%s: %s", self.what, reason)
        else:
            self.log.warning("%s: %s", self.what, reason)
        if self.reason is None:
            self._since = time.monotonic()
        self.reason = reason

    def ok(self) -> None:
        """It works (again)."""
        if self.reason is None:
            return
        minutes = (time.monotonic() - self._since) / 60
        self.log.warning(
            "%s works again (after %.0f min): it had failed with %s", self.what, minutes, self.reason
        )
        self.reason = None
