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
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.relativedelta import relativedelta

from oncall_desktop.domain import Configuration, Gap, Interval, Layer, OnCallRule, Override, Window
from oncall_desktop.timeutil import resolve_wall, to_instant, wall_clock, zone

_DAY = timedelta(days=1)
# How far `intervals(..., clip=False)` looks beyond the span for an interval's real start and end.
UNCLIPPED_REACH = timedelta(days=400)
_HANDOFFS_KEPT = 512
# The source of a person's time that no single layer gave: an override, or several layers at once.
_NO_LAYER = -1


@dataclass(frozen=True, slots=True)
class Schedule:
    """Final-schedule intervals and gaps, sorted by (rule, start, person)."""

    intervals: tuple[Interval, ...]
    gaps: tuple[Gap, ...]


# A piece of a layer's time: (start, end, who is on call).
_LayerPiece = tuple[datetime, datetime, tuple[str, ...]]
# A piece of a rule's duty time: (start, end, who is on call, the layer index each of them comes
# from (or _NO_LAYER), whether an override put them there).
_Piece = tuple[datetime, datetime, tuple[str, ...], tuple[int, ...], bool]


class _Duty:
    """An effective span and weekly windows in one zone: when a rule (or a layer) is on duty."""

    __slots__ = ("_by_day", "end", "has_windows", "start", "tz")

    def __init__(
        self,
        tz: tzinfo,
        effective_start: datetime | None,
        effective_end: datetime | None,
        windows: Sequence[Window],
    ) -> None:
        self.tz = tz
        self.start = to_instant(effective_start, tz) if effective_start else None
        self.end = to_instant(effective_end, tz) if effective_end else None
        self.has_windows = bool(windows)
        self._by_day: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for window in windows:
            for day in window.days:
                self._by_day[day].append((window.start, window.end))

    def contains(self, t: datetime) -> bool:
        if self.start is not None and t < self.start:
            return False
        if self.end is not None and t >= self.end:
            return False
        if not self.has_windows:
            return True
        local_day = t.astimezone(self.tz).date()
        for day in (local_day - _DAY, local_day):
            for start, end in self._by_day[day.weekday()]:
                begins, ends = self._window_bounds(day, start, end)
                if begins <= t < ends:
                    return True
        return False

    def spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Maximal on-duty spans within [start, end)."""
        lo = max(start, self.start) if self.start else start
        hi = min(end, self.end) if self.end else end
        if lo >= hi:
            return []
        if not self.has_windows:
            return [(lo, hi)]
        spans: list[tuple[datetime, datetime]] = []
        day = lo.astimezone(self.tz).date() - _DAY
        last = hi.astimezone(self.tz).date()
        while day <= last:
            for w_start, w_end in self._by_day[day.weekday()]:
                begins, ends = self._window_bounds(day, w_start, w_end)
                # A window wholly inside a spring-forward gap resolves to no time at all.
                if begins < min(ends, hi) and ends > lo:
                    spans.append((max(begins, lo), min(ends, hi)))
            day += _DAY
        return _merge_spans(spans)

    def _window_bounds(self, day: date, start: time, end: time) -> tuple[datetime, datetime]:
        begins = resolve_wall(datetime.combine(day, start), self.tz)
        end_day = day if end > start else day + _DAY
        return begins, resolve_wall(datetime.combine(end_day, end), self.tz)


class LayerSchedule:
    """One layer compiled: who it puts on call, by itself, at an instant and over a span.

    The layer expands exactly as SPEC §3 "Rotation" describes, in its own zone (the rule's when it
    names none): slots from its personnel in order, one slot per shift from the rotation's anchor
    (all of them together without a rotation), limited to its own windows and effective span. The
    rule's duty and the other layers do not enter here.
    """

    def __init__(self, config: Configuration, layer: Layer, rule_zone: str) -> None:
        self.layer = layer
        self.tz = zone(layer.timezone or rule_zone)
        self.slots = config.slots(layer)
        self.people = tuple(dict.fromkeys(self.slots))
        self._slot_people = tuple((person,) for person in self.slots)
        self.duty = _Duty(self.tz, layer.effective_start, layer.effective_end, layer.windows)
        rotation = layer.rotation
        self._base = datetime.combine(rotation.anchor, rotation.handoff) if rotation else None
        self._step: timedelta | None = None
        if rotation and rotation.period != "monthly":
            unit = {"hours": timedelta(hours=1), "daily": _DAY, "weekly": 7 * _DAY}[rotation.period]
            self._step = unit * rotation.every
        # Recent handoffs by k: windowed layers ask for the same ones once per window, and a
        # calendar asks for neighbouring spans.
        self._handoffs: dict[int, datetime] = {}

    @property
    def one_at_a_time(self) -> bool:
        """Whether the layer never has more than one person on call at once."""
        return self.layer.rotation is not None or len(self.people) <= 1

    def on_call(self, t: datetime) -> tuple[str, ...]:
        """Person ids the layer has on call at `t` (empty outside its windows and span)."""
        if not self.slots or not self.duty.contains(t):
            return ()
        if self.layer.rotation is None:
            return self.people
        return (self.slots[self.shift_index(t) % len(self.slots)],)

    # -- rotation arithmetic ---------------------------------------------------------------------

    def handoff(self, k: int) -> datetime:
        """The instant of the k-th handoff (k = 0 at the anchor; negative before it)."""
        assert self._base is not None
        assert self.layer.rotation is not None
        found = self._handoffs.get(k)
        if found is None:
            if self._step is not None:
                local = self._base + k * self._step
            else:
                local = self._base + relativedelta(months=k * self.layer.rotation.every)
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
        assert self.layer.rotation is not None
        local = wall_clock(t, self.tz)
        if self._step is not None:
            k = (local - self._base) // self._step
        else:
            months = (local.year - self._base.year) * 12 + local.month - self._base.month
            k = months // self.layer.rotation.every
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

    def pieces(self, start: datetime, end: datetime) -> Iterator[_LayerPiece]:
        """Time-ordered, non-overlapping pieces of [start, end) in which the layer has someone on
        call, with who (one piece per shift; the time between pieces has nobody)."""
        if not self.slots:
            return
        for lo, hi in self.duty.spans(start, end):
            if self.layer.rotation is None:
                yield (lo, hi, self.people)
                continue
            k, begins, ends = self._shift_at(lo)
            slots, count = self._slot_people, len(self._slot_people)
            while True:
                if ends > begins:  # a handoff inside a spring-forward gap can give a shift no time
                    yield (begins if begins > lo else lo, ends if ends < hi else hi, slots[k % count])
                if ends >= hi:
                    break
                k += 1
                begins, ends = ends, self.handoff(k + 1)


class RuleSchedule:
    """One rule compiled for fast questions about who is on call."""

    def __init__(self, config: Configuration, rule: OnCallRule) -> None:
        self.rule = rule
        self.tz = zone(rule.timezone)
        self._duty = _Duty(self.tz, rule.effective_start, rule.effective_end, rule.windows)
        self.layers = tuple(LayerSchedule(config, layer, rule.timezone) for layer in rule.layers)
        self.people = config.rule_people(rule)
        self.staffed = any(layer.slots for layer in self.layers)
        self._union = rule.combine == "all"
        self._layer_names = tuple(layer.name or None for layer in rule.layers)
        staffed = [layer for layer in self.layers if layer.slots]
        # At most one person on call at a time: the intervals then come out in order.
        self._single_file = all(layer.one_at_a_time for layer in staffed) and (
            not self._union or len(staffed) <= 1
        )
        # Overrides in list order: a later override wins where two overlap.
        self.overrides = config.overrides_for(rule.id) if self.staffed else ()

    # -- single instants -------------------------------------------------------------------------

    def on_duty(self, t: datetime) -> bool:
        return self._duty.contains(t)

    def on_call(self, t: datetime) -> tuple[str, ...]:
        """Person ids on call at `t` (empty when off duty or nobody is)."""
        if not self.staffed or not self._duty.contains(t):
            return ()
        for override in reversed(self.overrides):
            if override.start <= t < override.end:
                return (override.person,)
        if self._union:
            return tuple(dict.fromkeys(p for layer in self.layers for p in layer.on_call(t)))
        for layer in self.layers:
            found = layer.on_call(t)
            if found:
                return found
        return ()

    # -- spans -----------------------------------------------------------------------------------

    def duty(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Maximal on-duty spans within [start, end)."""
        return self._duty.spans(start, end)

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
        if self._single_file:
            return self._single_file_intervals(start, end)
        rule_id, names = self.rule.id, self._layer_names
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        # person -> (start, end, whether overrides alone put them there, layer or _NO_LAYER) of
        # the interval still open
        open_since: dict[str, tuple[datetime, datetime, bool, int]] = {}
        for lo, hi, people, sources, override in self._pieces(start, end):
            if not people:
                _add_gap(gaps, rule_id, lo, hi)
            if open_since:
                for person in [p for p, held in open_since.items() if held[1] != lo or p not in people]:
                    s, e, ov, src = open_since.pop(person)
                    intervals.append(Interval(rule_id, person, s, e, ov, _name(names, src)))
            for person, source in zip(people, sources, strict=True):
                held = open_since.get(person)
                if held is None:
                    open_since[person] = (lo, hi, override, source)
                else:
                    same = held[3] if held[3] == source else _NO_LAYER
                    open_since[person] = (held[0], hi, held[2] and override, same)
        for person, (s, e, ov, src) in open_since.items():
            intervals.append(Interval(rule_id, person, s, e, ov, _name(names, src)))
        intervals.sort(key=lambda i: (i.start, i.person))
        return intervals, gaps

    def _single_file_intervals(self, start: datetime, end: datetime) -> tuple[list[Interval], list[Gap]]:
        """`intervals` when one person at most is on call at a time (or nobody), so the intervals
        come out in order and only the one still open needs watching."""
        rule_id, names = self.rule.id, self._layer_names
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        person: str | None = None
        since = until = start
        by_override = False
        layer = _NO_LAYER
        for lo, hi, people, sources, override in self._pieces(start, end):
            if not people:
                _add_gap(gaps, rule_id, lo, hi)
                continue
            who = people[0]
            if who == person and lo == until:
                until = hi
                by_override = by_override and override
                if sources[0] != layer:
                    layer = _NO_LAYER
                continue
            if person is not None:
                intervals.append(Interval(rule_id, person, since, until, by_override, _name(names, layer)))
            person, since, until, by_override, layer = who, lo, hi, override, sources[0]
        if person is not None:
            intervals.append(Interval(rule_id, person, since, until, by_override, _name(names, layer)))
        return intervals, gaps

    def _pieces(self, start: datetime, end: datetime) -> Iterator[_Piece]:
        """Time-ordered, non-overlapping pieces of duty time with who is on call in each."""
        overrides = self._override_pieces(start, end)
        for lo, hi in self._duty.spans(start, end):
            base = self._layer_pieces(lo, hi)
            yield from _overlay(base, overrides, lo, hi) if overrides else base

    def _layer_pieces(self, lo: datetime, hi: datetime) -> Iterator[_Piece]:
        """Pieces covering all of [lo, hi) (nobody where no layer has anyone), layers combined."""
        if not self.staffed:
            yield (lo, hi, (), (), False)
            return
        if len(self.layers) == 1:
            cursor = lo
            for begins, ends, people in self.layers[0].pieces(lo, hi):
                if begins > cursor:
                    yield (cursor, begins, (), (), False)
                yield (begins, ends, people, (0,) * len(people), False)
                cursor = ends
            if cursor < hi:
                yield (cursor, hi, (), (), False)
            return
        yield from self._combined([list(layer.pieces(lo, hi)) for layer in self.layers], lo, hi)

    def _combined(self, streams: list[list[_LayerPiece]], lo: datetime, hi: datetime) -> Iterator[_Piece]:
        """Each layer's pieces within [lo, hi) combined `first` or `all`, cut where any layer changes."""
        cuts = sorted({lo, hi}.union(*({p[0] for p in s} | {p[1] for p in s} for s in streams)))
        at = [0] * len(streams)
        held: _Piece | None = None
        for begins, ends in itertools.pairwise(cuts):
            active: list[tuple[int, tuple[str, ...]]] = []
            for index, stream in enumerate(streams):
                j = at[index]
                while j < len(stream) and stream[j][1] <= begins:
                    j += 1
                at[index] = j
                if j < len(stream) and stream[j][0] <= begins:
                    active.append((index, stream[j][2]))
                    if not self._union:
                        break
            people: tuple[str, ...] = ()
            sources: tuple[int, ...] = ()
            if active and not self._union:
                index, people = active[0]
                sources = (index,) * len(people)
            elif active:
                owner: dict[str, int] = {}
                for index, found in active:
                    for person in found:
                        owner[person] = index if owner.get(person, index) == index else _NO_LAYER
                people, sources = tuple(owner), tuple(owner.values())
            if held is not None and held[1] == begins and held[2] == people and held[3] == sources:
                held = (held[0], ends, people, sources, False)
                continue
            if held is not None:
                yield held
            held = (begins, ends, people, sources, False)
        if held is not None:
            yield held

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
                pieces[-1] = (pieces[-1][0], hi, (winner.person,), (_NO_LAYER,), True)
            else:
                pieces.append((lo, hi, (winner.person,), (_NO_LAYER,), True))
        return pieces


def _name(names: tuple[str | None, ...], source: int) -> str | None:
    return names[source] if source >= 0 else None


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
    for b_start, b_end, people, sources, override in base:
        cursor = b_start
        for t_start, t_end, t_people, t_sources, _t in tops:
            if t_end <= cursor or t_start >= b_end:
                continue
            if t_start > cursor:
                yield (cursor, t_start, people, sources, override)
            yield (max(cursor, t_start), min(t_end, b_end), t_people, t_sources, True)
            cursor = min(t_end, b_end)
        if cursor < b_end:
            yield (cursor, b_end, people, sources, override)


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
