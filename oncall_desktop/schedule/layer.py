"""One layer compiled (SPEC §3 "Rotation", §8): its rotation's handoffs in its own zone and the pieces
it puts on call, by itself."""

from __future__ import annotations

import itertools
import operator
from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta, tzinfo

from dateutil.relativedelta import relativedelta

from oncall_desktop.domain import Configuration, Layer
from oncall_desktop.schedule.duty import (
    DAY,
    EPOCH,
    EPOCH_NAIVE,
    KEPT_LENGTH,
    SHARED_KEPT,
    SPANS_KEPT,
    shared_duty,
)
from oncall_desktop.schedule.spans import Piece
from oncall_desktop.timeutil import resolve_wall, wall_clock, zone

_HANDOFFS_KEPT = 512


_Clock = tuple[dict[int, datetime], dict[tuple[int, int], tuple[list[datetime], bool]]]


_CLOCKS: dict[tuple[object, ...], _Clock] = {}


def shared_clock(tz: tzinfo, base: datetime, step: timedelta | None, months: int) -> _Clock:
    """The handoff caches of a rotation (its first handoff, step or months) in a zone, shared."""
    key = (tz, base, step, months)
    found = _CLOCKS.get(key)
    if found is None:
        if len(_CLOCKS) >= SHARED_KEPT:
            _CLOCKS.clear()
        found = _CLOCKS[key] = ({}, {})
    return found


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
        self.duty = shared_duty(self.tz, layer.effective_start, layer.effective_end, layer.windows)
        rotation = layer.rotation
        # Wall-clock time of handoff 0, and the months between handoffs of a monthly rotation.
        self._base = datetime.combine(rotation.anchor, rotation.handoff) if rotation else EPOCH_NAIVE
        self._months = rotation.every if rotation else 1
        self._step: timedelta | None = None
        if rotation and rotation.period != "monthly":
            unit = {"hours": timedelta(hours=1), "daily": DAY, "weekly": 7 * DAY}[rotation.period]
            self._step = unit * rotation.every
        # Handoffs in a day, when the step divides one.
        self._per_day = DAY // self._step if self._step and not DAY % self._step else 0
        # Recent handoffs by k (windowed layers ask for the same ones once per window, and a
        # calendar asks for neighbouring spans) and by span of k, shared by every layer with the
        # same rotation in the same zone (a team's layers often hand off at the same hour).
        self._handoffs, self._between = shared_clock(self.tz, self._base, self._step, self._months)

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

    def pieces(self, start: datetime, end: datetime) -> list[Piece]:
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
        found: list[Piece] = []
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
            if last - first < KEPT_LENGTH:
                if len(self._between) >= SPANS_KEPT:
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
            walls = steps(local - DAY, step, count + 2 * per_day)
            offsets = list(map(offset, walls))
            here = offsets[0]
            if here is not None and offsets.count(here) == len(offsets):
                begins = EPOCH + (local - EPOCH_NAIVE - here)
                return steps(begins, step, count), True
            for i in range(count):
                here = offsets[i + per_day]
                if here is not None and offsets[i] == here == offsets[i + 2 * per_day]:
                    found.append(EPOCH + (walls[i + per_day] - EPOCH_NAIVE - here))
                else:
                    found.append(resolve_wall(walls[i + per_day], tz))
        else:
            for _ in range(count):
                here = offset(local)
                if here is not None and offset(local - DAY) == here == offset(local + DAY):
                    found.append(EPOCH + (local - EPOCH_NAIVE - here))
                else:
                    found.append(resolve_wall(local, tz))
                local += step
        return found, all(a < b for a, b in itertools.pairwise(found))

    def _pieces_by_month(self, spans: list[tuple[datetime, datetime]], end: datetime) -> list[Piece]:
        """`pieces` of a monthly rotation (handoffs are months apart: looked up one by one)."""
        found: list[Piece] = []
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


def steps(first: datetime, step: timedelta, count: int) -> list[datetime]:
    """`first` and the times after it `step` apart, `count` in all (added up in C)."""
    return list(itertools.accumulate(itertools.repeat(step, count - 1), operator.add, initial=first))


def forget_clocks() -> None:
    """Forget the rotations' handoffs shared (see `oncall_desktop.schedule.forget_shared`)."""
    _CLOCKS.clear()
