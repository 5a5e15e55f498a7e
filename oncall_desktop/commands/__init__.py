"""What every subcommand shares: the store it works on, argument parsing, output."""

from __future__ import annotations

import json
import sys
from datetime import datetime, tzinfo
from typing import Any

from oncall_desktop import paths, timeutil
from oncall_desktop.domain import Configuration, Severity
from oncall_desktop.store import Store, StoreOpenError


class CliError(Exception):
    """Bad input or an unusable store: printed as one line, exit status 2."""


class Context:
    """The database a command works on, opened on first use."""

    def __init__(self, db: str | None) -> None:
        self.db_url = paths.database_url(db)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            try:
                self._store = Store.open(self.db_url)
            except StoreOpenError as error:
                raise CliError(f"cannot open the database {_redacted(self.db_url)}: {error}") from None
        return self._store

    def configuration(self) -> Configuration:
        return self.store.load_configuration()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _redacted(url: str) -> str:
    """A database URL without its password, fit for an error message."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def instant(text: str, option: str) -> datetime:
    try:
        return timeutil.parse_instant(text)
    except timeutil.TimeError as error:
        raise CliError(f"{option}: {error}") from None


def zone(name: str | None, option: str = "--tz") -> tzinfo | None:
    if name is None:
        return None
    try:
        return timeutil.zone(name)
    except timeutil.TimeError as error:
        raise CliError(f"{option}: {error}") from None


def severity(text: str) -> Severity:
    try:
        return Severity(text.strip().upper())
    except ValueError:
        raise CliError(f"--severity: {text!r} is not one of P0, P1, P2, P3, P4") from None


def tags(values: list[str] | None) -> tuple[str, ...]:
    result = []
    for value in values or ():
        if ":" not in value:
            raise CliError(f"--tag: {value!r} is not of the form key:value")
        result.append(value.strip())
    return tuple(result)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def show_time(value: datetime, tz: tzinfo | None) -> str:
    """An instant for people: in `tz` with its offset, else UTC with `Z`."""
    if tz is None:
        return timeutil.format_instant(value)
    return timeutil.format_in_zone(value, tz)
