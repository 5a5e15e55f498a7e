"""Persistence: the configuration, incidents, the outbox and the stations in SQLite or PostgreSQL
(SPEC §7, §10). Every SQL statement of the program lives in this package; what leaves it are domain
values (`oncall_desktop.domain`, `oncall_desktop.incident`)."""

from oncall_desktop.store.errors import (
    ConflictError,
    InUseError,
    NotFoundError,
    StoreError,
    StoreOpenError,
    UnavailableError,
)
from oncall_desktop.store.store import Store
from oncall_desktop.store.tokens import new_token

__all__ = [
    "ConflictError",
    "InUseError",
    "NotFoundError",
    "Store",
    "StoreError",
    "StoreOpenError",
    "UnavailableError",
    "new_token",
]
