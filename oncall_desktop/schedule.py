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

import functools
import itertools
import operator
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.relativedelta import relativedelta

from oncall_desktop.domain import Configuration, Gap, Interval, Layer, OnCallRule, Override, Window
from oncall_desktop.timeutil import resolve_wall, to_instant, wall_clock, zone

_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
# How far `intervals(..., clip=False)` looks beyond the span for an interval's real start and end.
UNCLIPPED_REACH = timedelta(days=400)
_HANDOFFS_KEPT = 512
# Spans a `_Duty` keeps (a calendar's views and their neighbours) and handoffs a rotation keeps by
# span, each of at most `_KEPT_LENGTH` (a calendar month's; a year's is asked for once), and the
# `_Duty`s and rotations kept for sharing.
_SPANS_KEPT = 16
_KEPT_LENGTH = 128
_DUTIES_KEPT = 1024
# (Multiplying a timedelta costs more than adding two: the days a week holds and then some.)
_DAYS = tuple(k * _DAY for k in range(9))
_WEEK = _DAYS[7]
# Named tuples made by the thousand without their `__new__` (a keyword-capable Python function):
# half the cost, the same tuple.
_interval = functools.partial(tuple.__new__, Interval)
# Intervals in the final schedule's order within a rule: by start, then person.
_START_PERSON = operator.itemgetter(2, 1)
# The source of a person's time that no single layer gave: an override, or several layers at once.
_NO_LAYER = -1


@dataclass(frozen=True, slots=True)
class Schedule:
    """Final-schedule intervals and gaps, sorted by (rule, start, person)."""

    intervals: tuple[Interval, ...]
    gaps: tuple[Gap, ...]


# A piece of a rule's duty time: (start, end, who is on call, the layer index each of them comes
# from (or _NO_LAYER), whether an override put them there).
_Piece = tuple[datetime, datetime, tuple[str, ...], tuple[int, ...], bool]


class _Duty:
    """An effective span and weekly windows in one zone: when a rule (or a layer) is on duty.

    Layers and rules with the same zone, windows and span share one (`_duty`), and it keeps the
    spans it worked out last: a calendar asks every layer for the same span, and a team's layers
    often share their business hours.
    """

    __slots__ = ("_by_day", "_recent", "_week", "end", "has_windows", "start", "tz")

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
        self._recent: dict[tuple[datetime, datetime], tuple[tuple[datetime, datetime], ...]] = {}
        # Per weekday: (start, end, start and end as time after that day's midnight).
        self._by_day: list[list[tuple[time, time, timedelta, timedelta]]] = [[] for _ in range(7)]
        for window in windows:
            since = timedelta(hours=window.start.hour, minutes=window.start.minute)
            until = timedelta(hours=window.end.hour, minutes=window.end.minute)
            if window.end <= window.start:
                until += _DAY
            for day in window.days:
                self._by_day[day].append((window.start, window.end, since, until))
        # The windows as one week: merged spans after a Monday's midnight (the last may run into
        # the next week), laid down a week at a time while the zone's offset holds.
        week = sorted(
            (day * _DAY + since, day * _DAY + until)
            for day, windows_of_day in enumerate(self._by_day)
            for _start, _end, since, until in windows_of_day
        )
        self._week: list[tuple[timedelta, timedelta]] = []
        for since, until in week:
            if self._week and since <= self._week[-1][1]:
                if until > self._week[-1][1]:
                    self._week[-1] = (self._week[-1][0], until)
            else:
                self._week.append((since, until))

    def contains(self, t: datetime) -> bool:
        if self.start is not None and t < self.start:
            return False
        if self.end is not None and t >= self.end:
            return False
        if not self.has_windows:
            return True
        local_day = t.astimezone(self.tz).date()
        for day in (local_day - _DAY, local_day):
            for start, end, _since, _until in self._by_day[day.weekday()]:
                begins, ends = self._window_bounds(day, start, end)
                if begins <= t < ends:
                    return True
        return False

    def spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Maximal on-duty spans within [start, end)."""
        if not self.has_windows:
            lo = max(start, self.start) if self.start else start
            hi = min(end, self.end) if self.end else end
            return [(lo, hi)] if lo < hi else []
        key = (start, end)
        kept = self._recent.get(key)
        if kept is not None:
            return list(kept)
        found = self._windowed_spans(start, end)
        if len(found) <= _KEPT_LENGTH:
            if len(self._recent) >= _SPANS_KEPT:
                self._recent.clear()
            self._recent[key] = tuple(found)
        return found

    def _windowed_spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        lo = max(start, self.start) if self.start else start
        hi = min(end, self.end) if self.end else end
        if lo >= hi:
            return []
        tz = self.tz

        week = self._week
        spans: list[tuple[datetime, datetime]] = []
        append = spans.append
        # The days whose windows can reach into [lo, hi), a week at a time from their Monday.
        first = lo.astimezone(tz).date() - _DAY
        last = hi.astimezone(tz).date()
        monday = datetime.combine(first - _DAYS[first.weekday()], time())
        final = datetime.combine(last, time())
        in_order = True  # whether `spans` is still time-ordered and apart
        while monday <= final:
            base = _week_base(tz, monday)
            if base is not None and in_order:
                if base + week[0][0] >= lo and base + week[-1][1] <= hi:  # a whole week inside
                    made = [(base + since, base + until) for since, until in week]
                    while spans and made and made[0][0] <= spans[-1][1]:  # from the week before
                        if made[0][1] > spans[-1][1]:
                            spans[-1] = (spans[-1][0], made[0][1])
                        del made[0]
                    spans += made
                else:
                    for since, until in week:
                        begins, ends = base + since, base + until
                        if begins < hi and ends > lo:
                            if begins < lo:
                                begins = lo
                            if ends > hi:
                                ends = hi
                            if spans and begins <= spans[-1][1]:
                                if ends > spans[-1][1]:
                                    spans[-1] = (spans[-1][0], ends)
                            else:
                                append((begins, ends))
            elif base is not None:
                for since, until in week:
                    begins, ends = base + since, base + until
                    if begins < hi and ends > lo:
                        append((begins if begins > lo else lo, ends if ends < hi else hi))
            else:
                in_order = False
                self._spans_of_days(monday, first, final, lo, hi, spans)
            monday += _WEEK
        return spans if in_order else _merge_spans(spans)

    def _spans_of_days(
        self,
        monday: datetime,
        first: date,
        final: datetime,
        lo: datetime,
        hi: datetime,
        spans: list[tuple[datetime, datetime]],
    ) -> None:
        """Append the window spans of the days of one week from `first` to `final` that reach into
        [lo, hi), day by day, in no particular order (a week in which the zone's offset changes)."""
        by_day = self._by_day
        offset = self.tz.utcoffset
        midnight = max(monday, datetime.combine(first, time()))
        weekday = (midnight - monday).days
        while weekday < 7 and midnight <= final:
            today, tomorrow, after = offset(midnight), offset(midnight + _DAY), offset(midnight + _DAYS[2])
            if today is not None and today == tomorrow == after:
                base = _EPOCH + (midnight - _EPOCH_NAIVE - today)
                for _start, _end, since, until in by_day[weekday]:
                    begins, ends = base + since, base + until
                    if begins < hi and ends > lo:
                        spans.append((begins if begins > lo else lo, ends if ends < hi else hi))
            else:
                for w_start, w_end, _since, _until in by_day[weekday]:
                    begins, ends = self._window_bounds(midnight.date(), w_start, w_end)
                    # A window wholly inside a spring-forward gap resolves to no time at all.
                    if begins < min(ends, hi) and ends > lo:
                        spans.append((max(begins, lo), min(ends, hi)))
            midnight += _DAY
            weekday += 1

    def _window_bounds(self, day: date, start: time, end: time) -> tuple[datetime, datetime]:
        begins = resolve_wall(datetime.combine(day, start), self.tz)
        end_day = day if end > start else day + _DAY
        return begins, resolve_wall(datetime.combine(end_day, end), self.tz)


class LayerSchedule:
    """One layer compiled: who it puts on call, by itself, at an instant and over a span.

    The layer expands exactly as SPEC §3 "Rotation" describes, in its own zone (the rule's when it
    names none): slots from its personnel in order, one slot per shift from the rotation's anchor
    (all of them together without a rotation), limited to its own windows and effective span. The
    rule's duty and the other layers do not enter here. `position` is the layer's place in its
    rule (0: the highest priority), which its pieces name as their source.
    """

    def __init__(self, config: Configuration, layer: Layer, rule_zone: str, position: int = 0) -> None:
        self.layer = layer
        self.position = position
        self.tz = zone(layer.timezone or rule_zone)
        self.slots = config.slots(layer)
        self.people = tuple(dict.fromkeys(self.slots))
        self._sources = (position,) * len(self.people)
        self._slot_pieces = tuple(((person,), (position,)) for person in self.slots)
        self._slot_people = tuple(people for people, _sources in self._slot_pieces)
        self._slot_sources = tuple(sources for _people, sources in self._slot_pieces)
        self.duty = _duty(self.tz, layer.effective_start, layer.effective_end, layer.windows)
        rotation = layer.rotation
        # Wall-clock time of handoff 0, and the months between handoffs of a monthly rotation.
        self._base = datetime.combine(rotation.anchor, rotation.handoff) if rotation else _EPOCH_NAIVE
        self._months = rotation.every if rotation else 1
        self._step: timedelta | None = None
        if rotation and rotation.period != "monthly":
            unit = {"hours": timedelta(hours=1), "daily": _DAY, "weekly": 7 * _DAY}[rotation.period]
            self._step = unit * rotation.every
        # Handoffs in a day, when the step divides one.
        self._per_day = _DAY // self._step if self._step and not _DAY % self._step else 0
        # Recent handoffs by k (windowed layers ask for the same ones once per window, and a
        # calendar asks for neighbouring spans) and by span of k, shared by every layer with the
        # same rotation in the same zone (a team's layers often hand off at the same hour).
        self._handoffs, self._between = _clock(self.tz, self._base, self._step, self._months)

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
        cache = self._handoffs
        found = cache.get(k)
        if found is None:
            step = self._step
            if step is not None:
                local = self._base + k * step
            else:
                local = self._base + relativedelta(months=k * self._months)
            found = resolve_wall(local, self.tz)
            if len(cache) >= _HANDOFFS_KEPT:
                cache.clear()
            cache[k] = found
        return found

    def shift_index(self, t: datetime) -> int:
        """k such that handoff(k) <= t < handoff(k + 1)."""
        return self._shift_at(t)[0]

    def _shift_at(self, t: datetime) -> tuple[int, datetime, datetime]:
        """(k, handoff(k), handoff(k + 1)) of the shift that holds `t`."""
        local = wall_clock(t, self.tz)
        if self._step is not None:
            k = (local - self._base) // self._step
        else:
            months = (local.year - self._base.year) * 12 + local.month - self._base.month
            k = months // self._months
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

    def pieces(self, start: datetime, end: datetime) -> list[_Piece]:
        """Time-ordered, non-overlapping pieces of [start, end) in which the layer has someone on
        call, with who (one piece per shift; the time between pieces has nobody). Each piece names
        the layer's `position` as the source of everyone in it."""
        if not self.slots:
            return []
        spans = self.duty.spans(start, end)
        if self.layer.rotation is None:
            return [(lo, hi, self.people, self._sources, False) for lo, hi in spans]
        if not spans:
            return []
        if self._step is None:
            return self._pieces_by_month(spans, end)
        first = self.shift_index(spans[0][0])
        bounds, apart = self._handoffs_between(first, self.shift_index(spans[-1][1]) + 1)
        slots, count = self._slot_pieces, len(self._slot_pieces)
        found: list[_Piece] = []
        append = found.append
        j, ends = -1, spans[0][0]
        people, sources = slots[0]
        for lo, hi in spans:
            if lo >= ends:  # past shift j: to the shift holding lo
                j = bisect_right(bounds, lo, j + 1) - 1
                ends = bounds[j + 1]
                people, sources = slots[(first + j) % count]
            if hi <= ends:  # within shift j
                append((lo, hi, people, sources, False))
                continue
            # Shifts j to k - 1 (holding the span's end) share the span.
            k = bisect_left(bounds, hi, j + 1)
            append((lo, bounds[j + 1], people, sources, False))
            if k > j + 2:
                at = (first + j + 1) % count
                whole = zip(
                    bounds[j + 1 : k - 1],
                    bounds[j + 2 : k],
                    itertools.islice(itertools.cycle(self._slot_people), at, None),
                    itertools.islice(itertools.cycle(self._slot_sources), at, None),
                    itertools.repeat(False),
                )
                # A handoff inside a spring-forward gap can give a shift no time.
                found.extend(whole if apart else (p for p in whole if p[1] > p[0]))
            j, ends = k - 1, bounds[k]
            people, sources = slots[(first + j) % count]
            append((bounds[j], hi, people, sources, False))
        return found

    def _handoffs_between(self, first: int, last: int) -> tuple[list[datetime], bool]:
        """handoff(k) for k in [first, last], and whether no two are equal (`_work_out_handoffs`),
        kept for the layers sharing the rotation."""
        assert self._step is not None
        found = self._between.get((first, last))
        if found is None:
            found = self._work_out_handoffs(first, last)
            if last - first < _KEPT_LENGTH:
                if len(self._between) >= _SPANS_KEPT:
                    self._between.clear()
                self._between[(first, last)] = found
        return found

    def _work_out_handoffs(self, first: int, last: int) -> tuple[list[datetime], bool]:
        """handoff(k) for k in [first, last], and whether no two are equal.

        With a step that divides a day, `resolve_wall`'s shortcut for a handoff looks at the zone's
        offset at handoffs a day before and after: when the offset is one and the same at all of
        them, the handoffs are the first one plus whole steps. Otherwise (and for longer steps) they
        are worked out one after another, with the shortcut inlined.
        """
        assert self._step is not None
        tz, step = self.tz, self._step
        offset = tz.utcoffset
        local = self._base + first * step
        count = last - first + 1
        per_day = self._per_day
        found: list[datetime] = []
        if per_day:
            walls = _steps(local - _DAY, step, count + 2 * per_day)
            offsets = list(map(offset, walls))
            here = offsets[0]
            if here is not None and offsets.count(here) == len(offsets):
                begins = _EPOCH + (local - _EPOCH_NAIVE - here)
                return _steps(begins, step, count), True
            for i in range(count):
                here = offsets[i + per_day]
                if here is not None and offsets[i] == here == offsets[i + 2 * per_day]:
                    found.append(_EPOCH + (walls[i + per_day] - _EPOCH_NAIVE - here))
                else:
                    found.append(resolve_wall(walls[i + per_day], tz))
        else:
            for _ in range(count):
                here = offset(local)
                if here is not None and offset(local - _DAY) == here == offset(local + _DAY):
                    found.append(_EPOCH + (local - _EPOCH_NAIVE - here))
                else:
                    found.append(resolve_wall(local, tz))
                local += step
        return found, all(a < b for a, b in itertools.pairwise(found))

    def _pieces_by_month(self, spans: list[tuple[datetime, datetime]], end: datetime) -> list[_Piece]:
        """`pieces` of a monthly rotation (handoffs are months apart: looked up one by one)."""
        found: list[_Piece] = []
        append = found.append
        slots, count = self._slot_pieces, len(self._slot_pieces)
        handoff = self.handoff
        k, begins, ends = 0, end, end
        for lo, hi in spans:
            if not begins <= lo < ends:
                k, begins, ends = self._shift_at(lo)
            while True:
                if ends > begins:
                    people, sources = slots[k % count]
                    append((begins if begins > lo else lo, ends if ends < hi else hi, people, sources, False))
                if ends >= hi:
                    break
                k += 1
                begins, ends = ends, handoff(k + 1)
        return found


class RuleSchedule:
    """One rule compiled for fast questions about who is on call."""

    def __init__(self, config: Configuration, rule: OnCallRule) -> None:
        self.rule = rule
        self.tz = zone(rule.timezone)
        self._duty = _duty(self.tz, rule.effective_start, rule.effective_end, rule.windows)
        self.layers = tuple(
            LayerSchedule(config, layer, rule.timezone, position)
            for position, layer in enumerate(rule.layers)
        )
        self.people = config.rule_people(rule)
        self.staffed = any(layer.slots for layer in self.layers)
        self._union = rule.combine == "all"
        # By source: a layer's name, and None (at index _NO_LAYER, the last) for no single layer.
        self._layer_names = (*(layer.name or None for layer in rule.layers), None)
        staffed = [layer for layer in self.layers if layer.slots]
        # At most one person on call at a time: the intervals then come out in order.
        self._single_file = all(layer.one_at_a_time for layer in staffed) and (
            not self._union or len(staffed) <= 1
        )
        # Overrides in list order: a later override wins where two overlap.
        self.overrides = config.overrides_for(rule.id) if self.staffed else ()

    @property
    def single_file(self) -> bool:
        """Whether one person at most is on call at a time (several can be with `combine: all`)."""
        return self._single_file

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
        return self._per_person_intervals(start, end)

    def _per_person_intervals(self, start: datetime, end: datetime) -> tuple[list[Interval], list[Gap]]:
        """`intervals` when several people can be on call at once: each person's time is gathered
        from the layers (`all`: every layer; `first`: the layers combined), less the overrides,
        within duty, and joined where it meets."""
        rule_id, names = self.rule.id, self._layer_names
        duty = self._duty.spans(start, end)
        if not duty:
            return [], []
        lo, hi = duty[0][0], duty[-1][1]
        overrides = self._override_pieces(start, end)
        allowed = _subtract(duty, [(o[0], o[1]) for o in overrides]) if overrides else duty
        # The layers' pieces lie within [lo, hi): with neither windows nor overrides inside it there
        # is nothing to cut away.
        uncut = len(allowed) == 1 and allowed[0] == (lo, hi)
        streams: list[list[_Piece]] = []
        if self.staffed:
            streams = [la.pieces(lo, hi) for la in self.layers] if self._union else [self._combined(lo, hi)]
        # Each person's time, as (start, end, source) in time order within each stream.
        spans: dict[str, list[tuple[datetime, datetime, int]]] = {}
        for pieces in streams:
            for begins, ends, people, sources, _override in (
                pieces if uncut else _clip_pieces(pieces, allowed)
            ):
                if len(people) == 1:
                    found = spans.get(people[0])
                    if found is None:
                        found = spans[people[0]] = []
                    found.append((begins, ends, sources[0]))
                else:
                    for person, source in zip(people, sources, strict=True):
                        spans.setdefault(person, []).append((begins, ends, source))
        # (person, start, end, whether overrides alone put them there, layer or _NO_LAYER), joined
        # where a person's time meets or overlaps: a joined span keeps its source only when all its
        # parts share it.
        held: list[tuple[str, datetime, datetime, bool, int]] = []
        hold = held.append
        for person, found in spans.items():
            if len(streams) > 1:
                found.sort()
            since, until, source = found[0]
            for begins, ends, other in found:
                if begins <= until:
                    if ends > until:
                        until = ends
                    if other != source:
                        source = _NO_LAYER
                else:
                    hold((person, since, until, False, source))
                    since, until, source = begins, ends, other
            hold((person, since, until, False, source))
        if not overrides:
            intervals = [_interval((rule_id, p, s, e, ov, names[src])) for p, s, e, ov, src in held]
            intervals.sort(key=_START_PERSON)
            return intervals, [Gap(rule_id, s, e) for s, e in _subtract(duty, _covered(intervals))]
        for o_start, o_end, o_people, _sources, _override in overrides:
            held.extend(
                (o_people[0], s, e, True, _NO_LAYER) for s, e, _src in _clip([(o_start, o_end, 0)], duty)
            )
        # A person's own override next to their layers' time is one interval with it.
        held.sort()
        joined: list[tuple[str, datetime, datetime, bool, int]] = []
        for item in held:
            if joined and joined[-1][0] == item[0] and joined[-1][2] == item[1]:
                last = joined[-1]
                joined[-1] = (
                    item[0],
                    last[1],
                    item[2],
                    last[3] and item[3],
                    last[4] if last[4] == item[4] else _NO_LAYER,
                )
            else:
                joined.append(item)
        intervals = [_interval((rule_id, p, s, e, ov, names[src])) for p, s, e, ov, src in joined]
        intervals.sort(key=_START_PERSON)
        return intervals, [Gap(rule_id, s, e) for s, e in _subtract(duty, _covered(intervals))]

    def _single_file_intervals(self, start: datetime, end: datetime) -> tuple[list[Interval], list[Gap]]:
        """`intervals` when one person at most is on call at a time (or nobody), so the intervals
        come out in order and only the one still open needs watching."""
        rule_id, names = self.rule.id, self._layer_names
        intervals: list[Interval] = []
        gaps: list[Gap] = []
        duty = self._duty.spans(start, end)
        if not duty:
            return intervals, gaps
        overrides = self._override_pieces(start, end)
        combined = self._combined(duty[0][0], duty[-1][1]) if self.staffed else []
        # On duty throughout: the overrides (within it) come first like a layer above the others,
        # and where nobody is on call is a gap, seen below as a hole between pieces.
        holes = len(duty) == 1
        if holes:
            pieces = _fill(_clip_pieces(overrides, duty), combined) if overrides else combined
        else:
            pieces = _within(combined, duty)
            if overrides:
                pieces = _overlay(pieces, overrides)

        person: str | None = None
        since = until = cursor = duty[0][0]
        by_override = False
        layer = _NO_LAYER
        for lo, hi, people, sources, override in pieces:
            if holes and lo > cursor:
                _add_gap(gaps, rule_id, cursor, lo)
            cursor = hi
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
                intervals.append(_interval((rule_id, person, since, until, by_override, names[layer])))
            person, since, until, by_override, layer = who, lo, hi, override, sources[0]
        if person is not None:
            intervals.append(_interval((rule_id, person, since, until, by_override, names[layer])))
        if holes and cursor < duty[-1][1]:
            _add_gap(gaps, rule_id, cursor, duty[-1][1])
        return intervals, gaps

    def _combined(self, start: datetime, end: datetime) -> list[_Piece]:
        """The layers' pieces over [start, end) combined `first` (or the one staffed layer's):
        time-ordered, apart, only where someone is on call."""
        streams = [layer.pieces(start, end) for layer in self.layers if layer.slots]
        # The first layer with someone: each layer fills what the layers above leave empty.
        combined = streams[-1]
        for upper in reversed(streams[:-1]):
            combined = _fill(upper, combined)
        return combined

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


_Clock = tuple[dict[int, datetime], dict[tuple[int, int], tuple[list[datetime], bool]]]
_CLOCKS: dict[tuple[object, ...], _Clock] = {}


def _clock(tz: tzinfo, base: datetime, step: timedelta | None, months: int) -> _Clock:
    """The handoff caches of a rotation (its first handoff, step or months) in a zone, shared."""
    key = (tz, base, step, months)
    found = _CLOCKS.get(key)
    if found is None:
        if len(_CLOCKS) >= _DUTIES_KEPT:
            _CLOCKS.clear()
        found = _CLOCKS[key] = ({}, {})
    return found


_DUTIES: dict[tuple[object, ...], _Duty] = {}


def forget_shared() -> None:
    """Forget the duties, rotations and weeks compiled rules share (benchmarks timing a schedule
    worked out for the first time call this)."""
    _CLOCKS.clear()
    _DUTIES.clear()
    _WEEK_BASES.clear()


def _duty(
    tz: tzinfo, effective_start: datetime | None, effective_end: datetime | None, windows: Sequence[Window]
) -> _Duty:
    """The `_Duty` of a zone, effective span and windows, shared by everything that has them."""
    key = (tz, effective_start, effective_end, tuple(windows))
    found = _DUTIES.get(key)
    if found is None:
        if len(_DUTIES) >= _DUTIES_KEPT:
            _DUTIES.clear()
        found = _DUTIES[key] = _Duty(tz, effective_start, effective_end, windows)
    return found


# `_week_base` by (zone, Monday): every windowed layer in a zone asks for the same weeks.

_WEEK_BASES: dict[tuple[tzinfo, datetime], datetime | None] = {}
_WEEK_BASES_KEPT = 8192


def _week_base(tz: tzinfo, monday: datetime) -> datetime | None:
    """`monday` (a naive midnight) as an instant, when every wall time of a window starting that
    week, up to the Tuesday's midnight after next, has the offset of that midnight (the zone reads
    a naive time's fields as its own wall clock); None when the offset changes."""
    key = (tz, monday)
    try:
        return _WEEK_BASES[key]
    except KeyError:
        pass
    offset = tz.utcoffset
    here = offset(monday)
    base = None
    if here is not None and all(offset(monday + k) == here for k in _DAYS[1:]):
        base = _EPOCH + (monday - _EPOCH_NAIVE - here)
    if len(_WEEK_BASES) >= _WEEK_BASES_KEPT:
        _WEEK_BASES.clear()
    _WEEK_BASES[key] = base
    return base


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


def _fill(upper: list[_Piece], lower: list[_Piece]) -> list[_Piece]:
    """`upper`'s pieces, and `lower`'s where `upper` has none (both time-ordered, non-overlapping)."""
    if not upper or not lower:
        return upper or lower
    out: list[_Piece] = []
    append = out.append
    j, count = 0, len(lower)
    cursor = lower[0][0]
    for piece in upper:
        hole_end = piece[0]
        while j < count:
            low = lower[j]
            if low[0] >= hole_end:
                break
            if low[1] > cursor and cursor < hole_end:
                if low[0] >= cursor and low[1] <= hole_end:
                    append(low)
                else:
                    a = low[0] if low[0] > cursor else cursor
                    b = low[1] if low[1] < hole_end else hole_end
                    append((a, b, low[2], low[3], False))
            if low[1] > hole_end:
                break
            j += 1
        append(piece)
        cursor = piece[1]
    for low in lower[j:]:
        if low[1] > cursor:
            append(low if low[0] >= cursor else (cursor, low[1], low[2], low[3], False))
    return out


def _steps(first: datetime, step: timedelta, count: int) -> list[datetime]:
    """`first` and the times after it `step` apart, `count` in all (added up in C)."""
    return list(itertools.accumulate(itertools.repeat(step, count - 1), operator.add, initial=first))


def _covered(intervals: list[Interval]) -> list[tuple[datetime, datetime]]:
    """The time some interval covers, as time-ordered spans apart (`intervals` ordered by start)."""
    covered: list[tuple[datetime, datetime]] = []
    for interval in intervals:
        begins, ends = interval[2], interval[3]
        if covered and begins <= covered[-1][1]:
            if ends > covered[-1][1]:
                covered[-1] = (covered[-1][0], ends)
        else:
            covered.append((begins, ends))
    return covered


def _clip_pieces(pieces: list[_Piece], allowed: list[tuple[datetime, datetime]]) -> list[_Piece]:
    """`pieces` (time-ordered, apart) cut to the `allowed` spans (time-ordered, apart)."""
    out: list[_Piece] = []
    append = out.append
    j, count = 0, len(allowed)
    for piece in pieces:
        begins, ends = piece[0], piece[1]
        while j < count and allowed[j][1] <= begins:
            j += 1
        k = j
        while k < count and allowed[k][0] < ends:
            lo, hi = allowed[k]
            if lo <= begins and ends <= hi:
                append(piece)
            else:
                append(
                    (begins if begins > lo else lo, ends if ends < hi else hi, piece[2], piece[3], piece[4])
                )
            k += 1
    return out


def _clip(
    spans: list[tuple[datetime, datetime, int]], allowed: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime, int]]:
    """`spans` (ordered by start) cut to the `allowed` spans (time-ordered, apart)."""
    out: list[tuple[datetime, datetime, int]] = []
    j, count = 0, len(allowed)
    for begins, ends, source in spans:
        while j < count and allowed[j][1] <= begins:
            j += 1
        k = j
        while k < count and allowed[k][0] < ends:
            lo, hi = allowed[k]
            out.append((begins if begins > lo else lo, ends if ends < hi else hi, source))
            k += 1
    return out


def _subtract(
    spans: list[tuple[datetime, datetime]], holes: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """`spans` less `holes` (both time-ordered, apart)."""
    out: list[tuple[datetime, datetime]] = []
    j, count = 0, len(holes)
    for begins, ends in spans:
        cursor = begins
        while j < count and holes[j][1] <= cursor:
            j += 1
        k = j
        while k < count and holes[k][0] < ends:
            if holes[k][0] > cursor:
                out.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < ends:
            out.append((cursor, ends))
    return out


def _within(pieces: list[_Piece], duty: list[tuple[datetime, datetime]]) -> list[_Piece]:
    """`pieces` cut to the duty spans, with nobody (a gap) where no piece covers duty time."""
    out: list[_Piece] = []
    append = out.append
    j, count = 0, len(pieces)
    for lo, hi in duty:
        cursor = lo
        while j < count and pieces[j][1] <= lo:
            j += 1
        while j < count:
            piece = pieces[j]
            if piece[0] >= hi:
                break
            if piece[0] > cursor:
                append((cursor, piece[0], (), (), False))
            if piece[0] >= cursor and piece[1] <= hi:
                append(piece)
            else:
                append(
                    (piece[0] if piece[0] > cursor else cursor, piece[1] if piece[1] < hi else hi, *piece[2:])
                )
            cursor = out[-1][1]
            if piece[1] > hi:
                break
            j += 1
        if cursor < hi:
            append((cursor, hi, (), (), False))
    return out


def _overlay(base: list[_Piece], overrides: list[_Piece]) -> list[_Piece]:
    """`base` with the override pieces laid on top (both time-ordered, non-overlapping)."""
    out: list[_Piece] = []
    append = out.append
    k, count = 0, len(overrides)
    for piece in base:
        b_start, b_end = piece[0], piece[1]
        while k < count and overrides[k][1] <= b_start:
            k += 1
        if k == count or overrides[k][0] >= b_end:
            append(piece)
            continue
        cursor = b_start
        t = k
        while t < count and overrides[t][0] < b_end:
            top = overrides[t]
            if top[0] > cursor:
                append((cursor, top[0], piece[2], piece[3], piece[4]))
            cursor = top[1] if top[1] < b_end else b_end
            append((top[0] if top[0] > b_start else b_start, cursor, top[2], top[3], True))
            if top[1] > b_end:
                break
            t += 1
        if cursor < b_end:
            append((cursor, b_end, piece[2], piece[3], piece[4]))
    return out


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
