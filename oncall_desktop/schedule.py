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
from oncall_desktop.timeutil import resolve_wall, to_instant, zone

_DAY = timedelta(days=1)
# How far `intervals(..., clip=False)` looks beyond the span for an interval's real start and end.
UNCLIPPED_REACH = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Final-schedule intervals and gaps, sorted by (rule, start, person)."""

    intervals: tuple[Interval, ...]
    gaps: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class _Segment:
    start: datetime
    end: datetime
    people: tuple[str, ...]
    override: bool


class RuleSchedule:
    """One rule compiled for fast questions about who is on call."""

    def __init__(self, config: Configuration, rule: OnCallRule) -> None:
        self.rule = rule
        self.tz = zone(rule.timezone)
        self.slots = config.slots(rule)
        self.people = tuple(dict.fromkeys(self.slots))
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
        if self._step is not None:
            local = self._base + k * self._step
        else:
            local = self._base + relativedelta(months=k * self.rule.rotation.every)
        return resolve_wall(local, self.tz)

    def shift_index(self, t: datetime) -> int:
        """k such that handoff(k) <= t < handoff(k + 1)."""
        assert self._base is not None
        assert self.rule.rotation is not None
        local = t.astimezone(self.tz).replace(tzinfo=None)
        if self._step is not None:
            k = (local - self._base) // self._step
        else:
            months = (local.year - self._base.year) * 12 + local.month - self._base.month
            k = months // self.rule.rotation.every
        while self.handoff(k) > t:
            k -= 1
        while self.handoff(k + 1) <= t:
            k += 1
        return k

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
        rule_id = self.rule.id
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        open_since: dict[str, tuple[datetime, datetime, bool]] = {}
        for segment in self._segments(start, end):
            if not segment.people:
                if gaps and gaps[-1].end == segment.start:
                    gaps[-1] = Gap(rule_id, gaps[-1].start, segment.end)
                else:
                    gaps.append(Gap(rule_id, segment.start, segment.end))
            for person in list(open_since):
                s, e, ov = open_since[person]
                if e != segment.start or person not in segment.people:
                    intervals.append(Interval(rule_id, person, s, e, ov))
                    del open_since[person]
            for person in segment.people:
                if person in open_since:
                    s, _e, ov = open_since[person]
                    open_since[person] = (s, segment.end, ov and segment.override)
                else:
                    open_since[person] = (segment.start, segment.end, segment.override)
        for person, (s, e, ov) in open_since.items():
            intervals.append(Interval(rule_id, person, s, e, ov))
        intervals.sort(key=lambda i: (i.start, i.person))
        return intervals, gaps

    def _segments(self, start: datetime, end: datetime) -> Iterator[_Segment]:
        """Time-ordered, non-overlapping pieces of duty time with who is on call in each."""
        overrides = self._override_segments(start, end)
        for lo, hi in self.duty(start, end):
            yield from _overlay(self._base_segments(lo, hi), overrides, lo, hi)

    def _base_segments(self, lo: datetime, hi: datetime) -> Iterator[_Segment]:
        if not self.slots:
            yield _Segment(lo, hi, (), False)
            return
        if self.rule.rotation is None:
            yield _Segment(lo, hi, self.people, False)
            return
        k = self.shift_index(lo)
        begins = self.handoff(k)
        while begins < hi:
            ends = self.handoff(k + 1)
            if ends > lo and ends > begins:
                person = self.slots[k % len(self.slots)]
                yield _Segment(max(begins, lo), min(ends, hi), (person,), False)
            k += 1
            begins = ends

    def _override_segments(self, start: datetime, end: datetime) -> list[_Segment]:
        relevant = [o for o in self.overrides if o.end > start and o.start < end]
        if not relevant:
            return []
        cuts = sorted({max(start, o.start) for o in relevant} | {min(end, o.end) for o in relevant})
        segments: list[_Segment] = []
        for lo, hi in itertools.pairwise(cuts):
            winner = _last_covering(relevant, lo)
            if winner is None:
                continue
            if segments and segments[-1].end == lo and segments[-1].people == (winner.person,):
                segments[-1] = _Segment(segments[-1].start, hi, (winner.person,), True)
            else:
                segments.append(_Segment(lo, hi, (winner.person,), True))
        return segments

    def _window_bounds(self, day: date, start: time, end: time) -> tuple[datetime, datetime]:
        begins = resolve_wall(datetime.combine(day, start), self.tz)
        end_day = day if end > start else day + _DAY
        return begins, resolve_wall(datetime.combine(end_day, end), self.tz)


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


def _overlay(
    base: Iterable[_Segment], overrides: list[_Segment], lo: datetime, hi: datetime
) -> Iterator[_Segment]:
    """`base` within [lo, hi) with the override segments laid on top."""
    starts = [o.start for o in overrides]
    first = max(bisect.bisect_right(starts, lo) - 1, 0)
    tops = [o for o in overrides[first:] if o.end > lo and o.start < hi]
    for segment in base:
        cursor = segment.start
        for top in tops:
            if top.end <= cursor or top.start >= segment.end:
                continue
            if top.start > cursor:
                yield _Segment(cursor, top.start, segment.people, segment.override)
            yield _Segment(max(cursor, top.start), min(top.end, segment.end), top.people, True)
            cursor = min(top.end, segment.end)
        if cursor < segment.end:
            yield _Segment(cursor, segment.end, segment.people, segment.override)


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
