"""Reading a YAML value's shape and types into Python values, recording every problem at its path."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeVar

from oncall_desktop import timeutil
from oncall_desktop.domain import Channel
from oncall_desktop.validation.problems import Problem, short, years_reason

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SECRET_WORDS = ("token", "password", "secret", "api_key", "apikey", "passwd")

T = TypeVar("T")
D = TypeVar("D", date, datetime)


class UnreadableError(Exception):
    """A value could not be read; the problem is already recorded."""


@dataclass
class Reader:
    """Reads the raw YAML value into domain objects, recording every shape/type problem."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, path: str, reason: str) -> UnreadableError:
        self.problems.append(Problem("error", path, reason))
        return UnreadableError()

    # -- primitives ----------------------------------------------------------------------------------

    def mapping(
        self,
        value: object,
        path: str,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        secrets: str | None = None,
    ) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.error(path, f"must be a mapping with keys {', '.join(allowed)}")
        result: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.error(path, f"keys must be strings, not {short(key)}")
                continue
            if key in allowed:
                result[key] = item
            elif secrets is not None and any(w in key.lower() for w in _SECRET_WORDS):
                self.error(
                    f"{path}.{key}",
                    "secrets belong in the keyring, never in this file: "
                    f"store it with `oncall-desktop secrets set {secrets}`",
                )
            else:
                hint = difflib.get_close_matches(key, allowed, n=1)
                known = f" (known keys: {', '.join(allowed)})"
                more = f" (did you mean {short(hint[0])}?)" if hint else known
                self.error(f"{path}.{key}", f"unknown key {short(key)}{more}")
        for key in required:
            if key not in result:
                self.error(f"{path}.{key}", "is required")
        return result

    def sequence(self, value: object, path: str) -> list[object]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(path, "must be a list")
        return value

    def string(self, value: object, path: str) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool) or value is None:
            raise self.error(path, "must be a string")
        read = f"YAML read {short(value)} as a {type(value).__name__}"
        raise self.error(path, f"must be a quoted string: {read}")

    def optional_string(self, value: object, path: str) -> str | None:
        return None if value is None else self.string(value, path)

    def phone(self, value: object, path: str) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            raise self.error(
                path,
                "phone numbers must be quoted strings: "
                f"YAML reads an unquoted +{value} as the number {value}",
            )
        return self.optional_string(value, path)

    def minutes(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"must be whole minutes (a number), not {short(value)}")
        return value

    def hhmm(self, value: object, path: str) -> time:
        if isinstance(value, int) and not isinstance(value, bool):
            hours, mins = divmod(value, 60)
            raise self.error(
                path,
                "times must be quoted strings: "
                f"YAML reads an unquoted {hours}:{mins:02d} as the number {value}",
            )
        text = self.string(value, path)
        match = _HHMM.match(text)
        if not match:
            raise self.error(path, f'{short(text)} is not a time: write HH:MM (24-hour), e.g. "09:00"')
        return time(int(match.group(1)), int(match.group(2)))

    def day(self, value: object, path: str) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return self._in_years(value, path)
        text = self.string(value, path)
        try:
            if not _DATE.match(text):
                raise ValueError
            found = date.fromisoformat(text)
        except ValueError:
            raise self.error(path, f"{short(text)} is not a date: write YYYY-MM-DD") from None
        return self._in_years(found, path)

    def moment(self, value: object, path: str) -> datetime:
        if isinstance(value, datetime):
            return self._in_years(value, path)
        if isinstance(value, date):
            return self._in_years(datetime(value.year, value.month, value.day), path)
        text = self.string(value, path)
        try:
            found = timeutil.parse_local_or_instant(text)
        except timeutil.TimeError:
            raise self.error(
                path,
                f"{short(text)} is not a date-time: "
                'write e.g. "2026-02-01T09:00" or "2026-02-01T09:00+01:00"',
            ) from None
        return self._in_years(found, path)

    def _in_years(self, value: D, path: str) -> D:
        """Refused here, before any arithmetic: a date the planner could not compute around."""
        if not timeutil.FIRST_YEAR <= value.year <= timeutil.LAST_YEAR:
            raise self.error(path, years_reason(value.year))
        return value

    def choice(self, value: object, path: str, choices: Sequence[str], what: str) -> str:
        text = self.string(value, path)
        if text not in choices:
            raise self.error(path, f"unknown {what} {short(text)} (one of {', '.join(choices)})")
        return text

    def channels(self, value: object, path: str) -> tuple[Channel, ...]:
        items = self.sequence(value, path)
        result: list[Channel] = []
        for item in items:
            result.append(Channel(self.choice(item, path, [c.value for c in Channel], "channel")))
        return tuple(result)

    def each(self, items: list[object], path: str, read: Callable[[object, str], T]) -> list[T]:
        """Read every item, skipping (but reporting) unreadable ones."""
        result: list[T] = []
        for i, item in enumerate(items):
            try:
                result.append(read(item, f"{path}[{i}]"))
            except UnreadableError:
                continue
        return result

    def kept(self, read: Callable[[], T], default: T) -> T:
        """A field whose problem is recorded but must not discard the object that holds it."""
        try:
            return read()
        except UnreadableError:
            return default
