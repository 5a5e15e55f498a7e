"""What the store says when it refuses: every error is one line for people; nothing was changed."""

from __future__ import annotations


class StoreError(ValueError):
    """A write the store refused; nothing was changed. The message says why."""


class NotFoundError(StoreError):
    """The thing to change or delete does not exist."""


class InUseError(StoreError):
    """The thing to delete is still referred to; the message names where."""


class ConflictError(StoreError):
    """Someone else changed the thing since (another desktop on a shared store); nothing was changed."""


class UnavailableError(StoreError):
    """The database could not do it now (locked, unreachable, disk full); trying again may work."""


class StoreOpenError(StoreError):
    """The database cannot be opened (a bad URL, an unreachable server, a file that is not one)."""


def one_line(error: object) -> str:
    """A database error as one line for people (drivers add context lines and SQL)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
