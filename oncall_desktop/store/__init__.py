"""Persistence: the configuration, incidents and notifications in SQLite or PostgreSQL (SPEC §7)."""

from oncall_desktop.store.store import InUseError, NotFoundError, Store, StoreError, new_token

__all__ = ["InUseError", "NotFoundError", "Store", "StoreError", "new_token"]
