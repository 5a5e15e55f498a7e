"""One rule compiled: its duty, its layers combined `first` or `all`, and its overrides; who is on
call at an instant and the rule's final schedule over a span."""

from __future__ import annotations

import functools
import itertools
import operator
from datetime import datetime, timedelta

from oncall_desktop.domain import Configuration, Gap, Interval, OnCallRule
from oncall_desktop.schedule.duty import shared_duty
from oncall_desktop.schedule.layer import LayerSchedule
from oncall_desktop.schedule.spans import (
    NO_LAYER,
    Piece,
    add_gap,
    clip_pieces,
    clip_spans,
    covered_spans,
    fill_under,
    last_covering,
    overlay_pieces,
    subtract_spans,
    within_duty,
)
from oncall_desktop.timeutil import zone

# How far `intervals(..., clip=False)` looks beyond the span for an interval's real start and end.
UNCLIPPED_REACH = timedelta(days=400)


# Named tuples made by the thousand without their `__new__` (a keyword-capable Python function):
# half the cost, the same tuple.
_interval = functools.partial(tuple.__new__, Interval)


# Intervals in the final schedule's order within a rule: by start, then person.
_START_PERSON = operator.itemgetter(2, 1)


class RuleSchedule:
    """One rule compiled for fast questions about who is on call."""

    def __init__(self, config: Configuration, rule: OnCallRule) -> None:
        self.rule = rule
        self.tz = zone(rule.timezone)
        self._duty = shared_duty(self.tz, rule.effective_start, rule.effective_end, rule.windows)
        self.layers = tuple(
            LayerSchedule(config, layer, rule.timezone, position)
            for position, layer in enumerate(rule.layers)
        )
        self.people = config.rule_people(rule)
        self.staffed = any(layer.slots for layer in self.layers)
        self._union = rule.combine == "all"
        # By source: a layer's name, and None (at index NO_LAYER, the last) for no single layer.
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
        allowed = subtract_spans(duty, [(o[0], o[1]) for o in overrides]) if overrides else duty
        # The layers' pieces lie within [lo, hi): with neither windows nor overrides inside it there
        # is nothing to cut away.
        uncut = len(allowed) == 1 and allowed[0] == (lo, hi)
        streams: list[list[Piece]] = []
        if self.staffed:
            streams = [la.pieces(lo, hi) for la in self.layers] if self._union else [self._combined(lo, hi)]
        # Each person's time, as (start, end, source) in time order within each stream.
        spans: dict[str, list[tuple[datetime, datetime, int]]] = {}
        for pieces in streams:
            for begins, ends, people, sources, _override in pieces if uncut else clip_pieces(pieces, allowed):
                if len(people) == 1:
                    found = spans.get(people[0])
                    if found is None:
                        found = spans[people[0]] = []
                    found.append((begins, ends, sources[0]))
                else:
                    for person, source in zip(people, sources, strict=True):
                        spans.setdefault(person, []).append((begins, ends, source))
        # (person, start, end, whether overrides alone put them there, layer or NO_LAYER), joined
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
                        source = NO_LAYER
                else:
                    hold((person, since, until, False, source))
                    since, until, source = begins, ends, other
            hold((person, since, until, False, source))
        if not overrides:
            intervals = [_interval((rule_id, p, s, e, ov, names[src])) for p, s, e, ov, src in held]
            intervals.sort(key=_START_PERSON)
            return intervals, [Gap(rule_id, s, e) for s, e in subtract_spans(duty, covered_spans(intervals))]
        for o_start, o_end, o_people, _sources, _override in overrides:
            held.extend(
                (o_people[0], s, e, True, NO_LAYER) for s, e, _src in clip_spans([(o_start, o_end, 0)], duty)
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
                    last[4] if last[4] == item[4] else NO_LAYER,
                )
            else:
                joined.append(item)
        intervals = [_interval((rule_id, p, s, e, ov, names[src])) for p, s, e, ov, src in joined]
        intervals.sort(key=_START_PERSON)
        return intervals, [Gap(rule_id, s, e) for s, e in subtract_spans(duty, covered_spans(intervals))]

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
            pieces = fill_under(clip_pieces(overrides, duty), combined) if overrides else combined
        else:
            pieces = within_duty(combined, duty)
            if overrides:
                pieces = overlay_pieces(pieces, overrides)

        person: str | None = None
        since = until = cursor = duty[0][0]
        by_override = False
        layer = NO_LAYER
        for lo, hi, people, sources, override in pieces:
            if holes and lo > cursor:
                add_gap(gaps, rule_id, cursor, lo)
            cursor = hi
            if not people:
                add_gap(gaps, rule_id, lo, hi)
                continue
            who = people[0]
            if who == person and lo == until:
                until = hi
                by_override = by_override and override
                if sources[0] != layer:
                    layer = NO_LAYER
                continue
            if person is not None:
                intervals.append(_interval((rule_id, person, since, until, by_override, names[layer])))
            person, since, until, by_override, layer = who, lo, hi, override, sources[0]
        if person is not None:
            intervals.append(_interval((rule_id, person, since, until, by_override, names[layer])))
        if holes and cursor < duty[-1][1]:
            add_gap(gaps, rule_id, cursor, duty[-1][1])
        return intervals, gaps

    def _combined(self, start: datetime, end: datetime) -> list[Piece]:
        """The layers' pieces over [start, end) combined `first` (or the one staffed layer's):
        time-ordered, apart, only where someone is on call."""
        streams = [layer.pieces(start, end) for layer in self.layers if layer.slots]
        # The first layer with someone: each layer fills what the layers above leave empty.
        combined = streams[-1]
        for upper in reversed(streams[:-1]):
            combined = fill_under(upper, combined)
        return combined

    def _override_pieces(self, start: datetime, end: datetime) -> list[Piece]:
        relevant = [o for o in self.overrides if o.end > start and o.start < end]
        if not relevant:
            return []
        cuts = sorted({max(start, o.start) for o in relevant} | {min(end, o.end) for o in relevant})
        pieces: list[Piece] = []
        for lo, hi in itertools.pairwise(cuts):
            winner = last_covering(relevant, lo)
            if winner is None:
                continue
            if pieces and pieces[-1][1] == lo and pieces[-1][2] == (winner.person,):
                pieces[-1] = (pieces[-1][0], hi, (winner.person,), (NO_LAYER,), True)
            else:
                pieces.append((lo, hi, (winner.person,), (NO_LAYER,), True))
        return pieces
