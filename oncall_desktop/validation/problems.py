"""Findings about a configuration (`error: PATH: reason`) and the paths they name."""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, is_short_form

_QUOTE = reprlib.Repr()
_QUOTE.maxstring = _QUOTE.maxother = 60
_QUOTE.maxlist = _QUOTE.maxdict = 4
_QUOTE.maxlevel = 2


def short(value: object) -> str:
    """A value quoted in a message, cut short: a file can hold megabytes where a name belongs."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    try:
        return _QUOTE.repr(value)
    except (ValueError, RecursionError):  # e.g. Python refuses to print an integer of 5,000 digits
        return f"a {type(value).__name__} too large to show"


@dataclass(frozen=True)
class Problem:
    """One finding about a configuration; errors block saving, warnings do not."""

    level: Literal["error", "warning"]
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.level}: {self.path}: {self.reason}"


def has_errors(problems: Sequence[Problem]) -> bool:
    return any(p.level == "error" for p in problems)


def layer_path(rule_path: str, layered: bool, index: int) -> str:
    """The path of a rule's layer `index`: the rule's own when it is not written with `layers`."""
    return f"{rule_path}.layers[{index}]" if layered else rule_path


@dataclass(frozen=True)
class Paths:
    """Where each domain object came from in the file; `None` for a rule the file does not contain."""

    people: Sequence[str]
    teams: Sequence[str]
    rules: Sequence[str | None]
    overrides: Sequence[str]
    integrations: Sequence[str]
    # Per rule: whether it is written with `layers` (else v1's short form).
    layered: Sequence[bool]
    maintenance: Sequence[str] = ()
    time_off: Sequence[str] = ()

    @classmethod
    def of(cls, config: Configuration) -> Paths:
        return cls(
            people=[f"people[{i}]" for i in range(len(config.people))],
            teams=[f"teams[{i}]" for i in range(len(config.teams))],
            rules=[f"rules[{i}]" for i in range(len(config.rules))],
            overrides=[f"overrides[{i}]" for i in range(len(config.overrides))],
            integrations=[f"integrations[{i}]" for i in range(len(config.integrations))],
            layered=[not is_short_form(rule) for rule in config.rules],
            maintenance=[f"maintenance[{i}]" for i in range(len(config.maintenance))],
            time_off=[f"time_off[{i}]" for i in range(len(config.time_off))],
        )


def years_reason(year: int) -> str:
    span = f"{timeutil.FIRST_YEAR}–{timeutil.LAST_YEAR}"
    return f"the year {year} is outside {span}, the years this tool plans for"
