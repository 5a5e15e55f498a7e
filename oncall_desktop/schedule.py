"""Who is on call: duty windows, rotations, overrides and the final schedule (SPEC §3).

`RuleSchedule` compiles one rule once and then answers two questions:

* `on_call(t)` — who is on call at one instant, computed directly from the rotation's arithmetic
  (the shift index comes from the elapsed wall-clock time), so it costs the same in 2026 and 2036;
* `intervals(start, end)` — the final schedule of the rule over a span, with its gaps.

All rotation arithmetic is done on wall-clock times in the rule's zone and only then resolved to
instants, so handoffs keep their local time across DST changes.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from oncall_desktop.domain import Configuration, Gap, Interval, OnCallRule, Override
from oncall_desktop.timeutil import resolve_wall, to_instant, wall_clock, zone

_DAY = timedelta(days=1)
# How far `intervals(..., clip=False)` looks beyond the span for an interval's real start and end.
UNCLIPPED_REACH = timedelta(days=400)
_HANDOFFS_KEPT = 512


@dataclass(frozen=True, slots=True)
class Schedule:
    """Final-schedule intervals and gaps, sorted by (rule, start, person)."""

    intervals: tuple[Interval, ...]
    gaps: tuple[Gap, ...]


# A piece of duty time: (start, end, who is on call, whether an override put them there).
_Piece = tuple[datetime, datetime, tuple[str, ...], bool]


class RuleSchedule:
    """One rule compiled for fast questions about who is on call."""

    def __init__(self, config: Configuration, rule: OnCallRule) -> None:
        self.rule = rule
        self.tz = zone(rule.timezone)
        self.slots = config.slots(rule)
        self.people = tuple(dict.fromkeys(self.slots))
        self._slot_people = tuple((person,) for person in self.slots)
        self.effective_start = to_instant(rule.effective_start, self.tz) if rule.effective_start else None
        self.effective_end = to_instant(rule.effective_end, self.tz) if rule.effective_end else None
        self._windows_by_day: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for window in rule.windows:
            for day in window.days:
                self._windows_by_day[day].append((window.start, window.end))
        # Overrides in list order: a later override wins where two overlap.
        self.overrides = config.overrides_for(rule.id) if self.slots else ()
        rotation = rule.rotation
        self._base = datetime.combine(rotation.anchor, rotation.handoff) if rotation else None
        self._step: timedelta | None = None
        if rotation and rotation.period != "monthly":
            unit = {"hours": timedelta(hours=1), "daily": _DAY, "weekly": 7 * _DAY}[rotation.period]
            self._step = unit * rotation.every
        # Recent handoffs by k: windowed rules ask for the same ones once per window, and a
        # calendar asks for neighbouring spans.
        self._handoffs: dict[int, datetime] = {}

    # -- single instants -------------------------------------------------------------------------

    def on_duty(self, t: datetime) -> bool:
        if self.effective_start is not None and t < self.effective_start:
            return False
        if self.effective_end is not None and t >= self.effective_end:
            return False
        if not self.rule.windows:
            return True
        local_day = t.astimezone(self.tz).date()
        for day in (local_day - _DAY, local_day):
            for start, end in self._windows_by_day[day.weekday()]:
                begins, ends = self._window_bounds(day, start, end)
                if begins <= t < ends:
                    return True
        return False

    def on_call(self, t: datetime) -> tuple[str, ...]:
        """Person ids on call at `t` (empty when off duty or nobody is)."""
        if not self.slots or not self.on_duty(t):
            return ()
        for override in reversed(self.overrides):
            if override.start <= t < override.end:
                return (override.person,)
        if self.rule.rotation is None:
            return self.people
        return (self.slots[self.shift_index(t) % len(self.slots)],)

    # -- rotation arithmetic ---------------------------------------------------------------------

    def handoff(self, k: int) -> datetime:
        """The instant of the k-th handoff (k = 0 at the anchor; negative before it)."""
        assert self._base is not None
        assert self.rule.rotation is not None
        found = self._handoffs.get(k)
        if found is None:
            if self._step is not None:
                local = self._base + k * self._step
            else:
                local = self._base + relativedelta(months=k * self.rule.rotation.every)
            found = resolve_wall(local, self.tz)
            if len(self._handoffs) >= _HANDOFFS_KEPT:
                self._handoffs.clear()
            self._handoffs[k] = found
        return found

    def shift_index(self, t: datetime) -> int:
        """k such that handoff(k) <= t < handoff(k + 1)."""
        return self._shift_at(t)[0]

    def _shift_at(self, t: datetime) -> tuple[int, datetime, datetime]:
        """(k, handoff(k), handoff(k + 1)) of the shift that holds `t`."""
        assert self._base is not None
        assert self.rule.rotation is not None
        local = wall_clock(t, self.tz)
        if self._step is not None:
            k = (local - self._base) // self._step
        else:
            months = (local.year - self._base.year) * 12 + local.month - self._base.month
            k = months // self.rule.rotation.every
        begins = self.handoff(k)
        ends: datetime | None = None
        while begins > t:
            k -= 1
            begins, ends = self.handoff(k), begins
        if ends is None:
            ends = self.handoff(k + 1)
        while ends <= t:
            k += 1
            begins, ends = ends, self.handoff(k + 1)
        return k, begins, ends

    # -- spans -----------------------------------------------------------------------------------

    def duty(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Maximal on-duty spans within [start, end)."""
        lo = max(start, self.effective_start) if self.effective_start else start
        hi = min(end, self.effective_end) if self.effective_end else end
        if lo >= hi:
            return []
        if not self.rule.windows:
            return [(lo, hi)]
        spans: list[tuple[datetime, datetime]] = []
        day = lo.astimezone(self.tz).date() - _DAY
        last = hi.astimezone(self.tz).date()
        while day <= last:
            for w_start, w_end in self._windows_by_day[day.weekday()]:
                begins, ends = self._window_bounds(day, w_start, w_end)
                # A window wholly inside a spring-forward gap resolves to no time at all.
                if begins < min(ends, hi) and ends > lo:
                    spans.append((max(begins, lo), min(ends, hi)))
            day += _DAY
        return _merge_spans(spans)

    def intervals(
        self, start: datetime, end: datetime, *, clip: bool = True
    ) -> tuple[list[Interval], list[Gap]]:
        """The rule's final schedule over [start, end), sorted by (start, person).

        With `clip=False` every interval overlapping the span keeps its real start and end (looked
        for up to `UNCLIPPED_REACH` beyond the span).
        """
        if not clip:
            wide_intervals, wide_gaps = self.intervals(start - UNCLIPPED_REACH, end + UNCLIPPED_REACH)
            return (
                [i for i in wide_intervals if i.end > start and i.start < end],
                [g for g in wide_gaps if g.end > start and g.start < end],
            )
        if self.rule.rotation is not None:
            return self._one_at_a_time(start, end)
        rule_id = self.rule.id
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        # person -> (start, end, whether overrides alone put them there) of the interval still open
        open_since: dict[str, tuple[datetime, datetime, bool]] = {}
        for lo, hi, people, override in self._pieces(start, end):
            if not people:
                _add_gap(gaps, rule_id, lo, hi)
            if open_since:
                for person in [p for p, (_s, e, _o) in open_since.items() if e != lo or p not in people]:
                    s, e, ov = open_since.pop(person)
                    intervals.append(Interval(rule_id, person, s, e, ov))
            for person in people:
                held = open_since.get(person)
                if held is None:
                    open_since[person] = (lo, hi, override)
                else:
                    open_since[person] = (held[0], hi, held[2] and override)
        for person, (s, e, ov) in open_since.items():
            intervals.append(Interval(rule_id, person, s, e, ov))
        intervals.sort(key=lambda i: (i.start, i.person))
        return intervals, gaps

    def _one_at_a_time(self, start: datetime, end: datetime) -> tuple[list[Interval], list[Gap]]:
        """`intervals` of a rotation: one person on call at a time (or nobody), so the intervals come
        out in order and only the one still open needs watching."""
        rule_id = self.rule.id
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        person: str | None = None
        since = until = start
        by_override = False
        for lo, hi, people, override in self._pieces(start, end):
            if not people:
                _add_gap(gaps, rule_id, lo, hi)
                continue
            who = people[0]
            if who == person and lo == until:
                until = hi
                by_override = by_override and override
                continue
            if person is not None:
                intervals.append(Interval(rule_id, person, since, until, by_override))
            person, since, until, by_override = who, lo, hi, override
        if person is not None:
            intervals.append(Interval(rule_id, person, since, until, by_override))
        return intervals, gaps

    def _pieces(self, start: datetime, end: datetime) -> Iterator[_Piece]:
        """Time-ordered, non-overlapping pieces of duty time with who is on call in each."""
        overrides = self._override_pieces(start, end)
        for lo, hi in self.duty(start, end):
            base = self._base_pieces(lo, hi)
            yield from _overlay(base, overrides, lo, hi) if overrides else base

    def _base_pieces(self, lo: datetime, hi: datetime) -> Iterator[_Piece]:
        if not self.slots:
            yield (lo, hi, (), False)
            return
        if self.rule.rotation is None:
            yield (lo, hi, self.people, False)
            return
        k, begins, ends = self._shift_at(lo)
        slots, count = self._slot_people, len(self._slot_people)
        while True:
            if ends > begins:  # a handoff inside a spring-forward gap can give a shift no time
                yield (begins if begins > lo else lo, ends if ends < hi else hi, slots[k % count], False)
            if ends >= hi:
                return
            k += 1
            begins, ends = ends, self.handoff(k + 1)

    def _override_pieces(self, start: datetime, end: datetime) -> list[_Piece]:
        relevant = [o for o in self.overrides if o.end > start and o.start < end]
        if not relevant:
            return []
        cuts = sorted({max(start, o.start) for o in relevant} | {min(end, o.end) for o in relevant})
        pieces: list[_Piece] = []
        for lo, hi in itertools.pairwise(cuts):
            winner = _last_covering(relevant, lo)
            if winner is None:
                continue
            if pieces and pieces[-1][1] == lo and pieces[-1][2] == (winner.person,):
                pieces[-1] = (pieces[-1][0], hi, (winner.person,), True)
            else:
                pieces.append((lo, hi, (winner.person,), True))
        return pieces

    def _window_bounds(self, day: date, start: time, end: time) -> tuple[datetime, datetime]:
        begins = resolve_wall(datetime.combine(day, start), self.tz)
        end_day = day if end > start else day + _DAY
        return begins, resolve_wall(datetime.combine(end_day, end), self.tz)


def _add_gap(gaps: list[Gap], rule_id: str, lo: datetime, hi: datetime) -> None:
    """Append the gap [lo, hi), joining it to the last one when they meet."""
    if gaps and gaps[-1].end == lo:
        gaps[-1] = Gap(rule_id, gaps[-1].start, hi)
    else:
        gaps.append(Gap(rule_id, lo, hi))


def _last_covering(overrides: list[Override], t: datetime) -> Override | None:
    for override in reversed(overrides):
        if override.start <= t < override.end:
            return override
    return None


def _merge_spans(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _overlay(base: Iterable[_Piece], overrides: list[_Piece], lo: datetime, hi: datetime) -> Iterator[_Piece]:
    """`base` within [lo, hi) with the override pieces laid on top."""
    starts = [o[0] for o in overrides]
    first = max(bisect.bisect_right(starts, lo) - 1, 0)
    tops = [o for o in overrides[first:] if o[1] > lo and o[0] < hi]
    for b_start, b_end, people, override in base:
        cursor = b_start
        for t_start, t_end, t_people, _t in tops:
            if t_end <= cursor or t_start >= b_end:
                continue
            if t_start > cursor:
                yield (cursor, t_start, people, override)
            yield (max(cursor, t_start), min(t_end, b_end), t_people, True)
            cursor = min(t_end, b_end)
        if cursor < b_end:
            yield (cursor, b_end, people, override)


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
        chosen = list(rules) if rules is not None else list(self.rules)
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        for rule_id in sorted(chosen):
            rule_intervals, rule_gaps = self.rules[rule_id].intervals(start, end, clip=clip)
            intervals.extend(i for i in rule_intervals if person is None or i.person == person)
            if person is None:
                gaps.extend(rule_gaps)
        return Schedule(tuple(intervals), tuple(gaps))


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
