"""Who is on call: duty windows, layers, rotations, overrides and the final schedule (SPEC §3, §8).

`LayerSchedule` compiles one layer: its personnel, rotation, weekly windows and effective span, all
wall-clock in the layer's own zone, expanded exactly as §3 "Rotation" describes. `RuleSchedule`
compiles a rule: its own duty (effective period and windows in the rule's zone), its layers combined
`first` (the first layer with someone on call) or `all` (the union), and its overrides. It answers
two questions:

* `on_call(t)` — who is on call at one instant, computed directly from each layer's rotation
  arithmetic (the shift index comes from the elapsed wall-clock time), so it costs the same in 2026
  and 2036;
* `intervals(start, end)` — the final schedule of the rule over a span, with its gaps.

All rotation arithmetic is done on wall-clock times in the layer's zone and only then resolved to
instants, so handoffs keep their local time across DST changes.

The modules: `duty` (when a rule or layer is on duty), `layer` (`LayerSchedule`), `rule`
(`RuleSchedule`), `spans` (the algebra of time-ordered spans and pieces they share); this one
holds `Schedules`, the entry point over a whole configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from oncall_desktop.domain import Configuration, Gap, Interval
from oncall_desktop.schedule import duty, layer
from oncall_desktop.schedule.layer import LayerSchedule
from oncall_desktop.schedule.rule import UNCLIPPED_REACH, RuleSchedule

__all__ = [
    "UNCLIPPED_REACH",
    "LayerSchedule",
    "RuleSchedule",
    "Schedule",
    "Schedules",
    "final_schedule",
    "forget_shared",
    "utc",
]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Final-schedule intervals and gaps, sorted by (rule, start, person)."""

    intervals: tuple[Interval, ...]
    gaps: tuple[Gap, ...]


class Schedules:
    """Every rule of a configuration compiled once; the entry point for schedule questions."""

    def __init__(self, config: Configuration) -> None:
        self.config = config
        self.rules = {rule.id: RuleSchedule(config, rule) for rule in config.rules}

    def on_call(self, at: datetime) -> dict[str, tuple[str, ...]]:
        """Every rule on duty at `at` with its on-call people (possibly none), in rule order."""
        return {rid: rs.on_call(at) for rid, rs in self.rules.items() if rs.on_duty(at)}

    def final_schedule(
        self,
        start: datetime,
        end: datetime,
        *,
        rules: Iterable[str] | None = None,
        person: str | None = None,
        clip: bool = True,
    ) -> Schedule:
        """Intervals and gaps over [start, end) for the chosen rules (all by default)."""
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        for _rule_id, rule_intervals, rule_gaps in self.each_rule(start, end, rules=rules, clip=clip):
            intervals.extend(
                rule_intervals if person is None else (i for i in rule_intervals if i.person == person)
            )
            if person is None:
                gaps.extend(rule_gaps)
        return Schedule(tuple(intervals), tuple(gaps))

    def each_rule(
        self, start: datetime, end: datetime, *, rules: Iterable[str] | None = None, clip: bool = True
    ) -> Iterator[tuple[str, list[Interval], list[Gap]]]:
        """(rule id, intervals, gaps) over [start, end) of each chosen rule (all by default), in the
        final schedule's order: `final_schedule` a rule at a time."""
        chosen = list(rules) if rules is not None else list(self.rules)
        for rule_id in sorted(chosen):
            yield rule_id, *self.rules[rule_id].intervals(start, end, clip=clip)


def forget_shared() -> None:
    """Forget the duties, rotations and weeks compiled rules share (benchmarks timing a schedule
    worked out for the first time call this)."""
    layer.forget_clocks()
    duty.forget_duties()


def final_schedule(
    config: Configuration,
    start: datetime,
    end: datetime,
    *,
    rules: Iterable[str] | None = None,
    person: str | None = None,
) -> Schedule:
    """The final schedule of SPEC §3 clipped to [start, end) — see `Schedules.final_schedule`."""
    return Schedules(config).final_schedule(start, end, rules=rules, person=person)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Shorthand for a UTC instant (tests, benchmarks and demo data use it a lot)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
