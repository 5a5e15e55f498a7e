"""What the calendar shows: the visible span in the chosen zone and the final schedule over it.

The model owns the choices (zone, month/week/day, the date shown, "my on-call", hidden rules) and
asks the core's `Schedules.final_schedule` for the visible span. Results are cached per
(configuration revision, span, person filter), so switching back and forth between zones or months
costs a dictionary look-up.

Signals:
    changed: anything the calendar draws changed.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

from oncall_desktop.domain import Configuration, Gap, Interval, OnCallRule, Override
from oncall_desktop.planning import Away, away_spans
from oncall_desktop.schedule import Schedules
from oncall_desktop.summaries import short_names
from oncall_desktop.timeutil import resolve_wall, system_zone_name, zone
from oncall_desktop.views.colours import fallback_colour, person_colours

ViewMode = Literal["month", "week", "day"]
VIEW_MODES: tuple[ViewMode, ...] = ("month", "week", "day")
LOCAL_ZONE = "Local"
_CACHE_SIZE = 48


class Block(NamedTuple):
    """One thing on the calendar: a person on call for a rule, or a gap (`person` None)."""

    rule: str
    person: str | None
    start: datetime
    end: datetime
    override: Override | None = None
    layer: str | None = None

    @property
    def is_gap(self) -> bool:
        return self.person is None


# Blocks are made by the thousand: without the named tuple's `__new__`, at half the cost.
_block = functools.partial(tuple.__new__, Block)
_start_of = operator.itemgetter(2)
_end_of = operator.itemgetter(3)


def _interval_blocks(intervals: Sequence[Interval]) -> Iterator[Block]:
    """Intervals no override touches as blocks, made in C: their fields taken a column at a time
    and zipped into blocks."""
    rules, people, starts, ends, _overrides, layers = zip(*intervals, strict=True)
    fields = zip(rules, people, starts, ends, itertools.repeat(None), layers, strict=False)
    return map(tuple.__new__, itertools.repeat(Block), fields)


def _gap_blocks(gaps: Sequence[Gap]) -> Iterator[Block]:
    """Gaps as blocks (nobody on call), made in C like `_interval_blocks`."""
    rules, starts, ends = zip(*gaps, strict=True)
    nobody = itertools.repeat(None)
    fields = zip(rules, nobody, starts, ends, nobody, nobody, strict=False)
    return map(tuple.__new__, itertools.repeat(Block), fields)


def _stamps(blocks: list[Block]) -> list[tuple[float, float]]:
    """Each block's start and end as POSIX timestamps. Rules share most of their handoffs and
    window edges (a few hundred instants in a month of 50 rules, against thousands of blocks): each
    distinct instant is worked out once, and the rest is looked up in C."""
    starts = list(map(_start_of, blocks))
    ends = list(map(_end_of, blocks))
    known = {t: t.timestamp() for t in {*starts, *ends}}
    stamp = known.__getitem__
    return list(zip(map(stamp, starts), map(stamp, ends), strict=True))


class Shown(NamedTuple):
    """Blocks as drawing takes them: with their starts and ends as timestamps and, by index, the
    tracks of those on call at the same time as others of their rule (track, tracks)."""

    blocks: list[Block]
    stamps: list[tuple[float, float]]
    tracks: dict[int, tuple[int, int]]


def _tracks(stamps: list[tuple[float, float]], ranges: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """The tracks of blocks on call at the same time as others of their rule (whose blocks are
    `ranges` of those stamped): blocks overlapping one another (and those overlapping them, and so
    on) share their rule's lane in as many tracks as the most of them on call at once, each block
    on the first track free when it starts. Blocks overlapping none are left out."""
    found: dict[int, tuple[int, int]] = {}
    for first, last in ranges:
        spans = sorted(zip(stamps[first:last], range(first, last), strict=True))
        group: list[tuple[int, int]] = []  # of blocks overlapping one another: (index, track)
        free_at: list[float] = []  # by track: when its last block ends
        until = float("-inf")
        for (a, b), index in [*spans, ((float("inf"), 0.0), -1)]:  # (the last closes the last group)
            if a >= until:
                if len(free_at) > 1:
                    count = len(free_at)
                    for i, track in group:
                        found[i] = (track, count)
                group, free_at = [], []
            track = 0
            for free in free_at:
                if free <= a:
                    break
                track += 1
            if track == len(free_at):
                free_at.append(b)
            else:
                free_at[track] = b
            group.append((index, track))
            if b > until:
                until = b
    return found


# No zone's offset from UTC reaches 16 hours, nor ever has (the widest in the tz database are the
# local mean times of Manila before 1845, -15:56, and of Alaska before 1867, +15:02).
_WIDEST_OFFSET = timedelta(hours=16)


def _every_zone(days: list[date]) -> tuple[datetime, datetime]:
    """A span holding `days` (consecutive) in every zone: from the first one's midnight in the zone
    furthest ahead of UTC to the midnight after the last in the zone furthest behind."""
    first = datetime.combine(days[0], time(0), UTC)
    return first - _WIDEST_OFFSET, first + timedelta(days=len(days)) + _WIDEST_OFFSET


@dataclass(frozen=True, slots=True)
class DayColumn:
    """A calendar day in the chosen zone: [start, end) between two local midnights."""

    day: date
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        """23, 24 or 25 on a DST change (other values in zones that shift by half an hour)."""
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class View:
    """What the calendar shows: everything its drawing depends on besides the configuration."""

    mode: ViewMode
    anchor: date
    zone: str
    person_filter: str | None
    hidden_rules: frozenset[str]

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.zone)

    def days(self) -> list[date]:
        """The visible days: six weeks from the Monday before the 1st, a Monday-first week, or one day."""
        if self.mode == "day":
            return [self.anchor]
        if self.mode == "week":
            monday = self.anchor - timedelta(days=self.anchor.weekday())
            return [monday + timedelta(days=i) for i in range(7)]
        first = self.anchor.replace(day=1)
        start = first - timedelta(days=first.weekday())
        return [start + timedelta(days=i) for i in range(42)]

    def midnight(self, day: date) -> datetime:
        """The instant the day starts in the zone (a midnight lost to DST: the first instant after)."""
        return resolve_wall(datetime(day.year, day.month, day.day), self.tz)

    def columns(self) -> list[DayColumn]:
        days = self.days()
        bounds = [self.midnight(d) for d in [*days, days[-1] + timedelta(days=1)]]
        return [DayColumn(d, bounds[i], bounds[i + 1]) for i, d in enumerate(days)]

    def span(self) -> tuple[datetime, datetime]:
        days = self.days()
        return self.midnight(days[0]), self.midnight(days[-1] + timedelta(days=1))

    def stepped(self, direction: int) -> View:
        """The view one month, week or day forward (1) or back (-1)."""
        if self.mode == "month":
            year, month = divmod(self.anchor.year * 12 + self.anchor.month - 1 + direction, 12)
            return replace(self, anchor=date(year, month + 1, 1))
        step = timedelta(days=7 if self.mode == "week" else 1)
        return replace(self, anchor=self.anchor + step * direction)


def resolve_zone_name(name: str) -> str:
    """An IANA name for a zone choice: "Local" is the system's zone."""
    return system_zone_name() if name == LOCAL_ZONE else name


class CalendarModel(QObject):
    """The calendar's state and the schedule for what it shows."""

    changed = Signal()

    def __init__(self, now: Callable[[], datetime] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.now = now or (lambda: datetime.now(UTC))
        self.config = Configuration()
        self.revision = -1
        self.zone_choice = LOCAL_ZONE
        self.tz: ZoneInfo = zone(resolve_zone_name(LOCAL_ZONE))
        self.mode: ViewMode = "month"
        self.anchor: date = self.now().astimezone(self.tz).date()
        self.person_filter: str | None = None
        self.hidden_rules: frozenset[str] = frozenset()
        self._schedules: Schedules | None = None
        self._colours: dict[str, QColor] = {}
        self._labels: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._overrides: dict[tuple[str, str], list[Override]] = {}
        self._cache: OrderedDict[tuple[object, ...], Shown] = OrderedDict()
        self._conflicts: dict[tuple[object, ...], list[tuple[str, float, float]]] = {}

    # -- choices ---------------------------------------------------------------------------------

    def set_configuration(self, config: Configuration, revision: int) -> None:
        self.config = config
        self.revision = revision
        self._schedules = None
        self._cache.clear()
        self._conflicts.clear()
        self._colours = person_colours(config.people)
        self._names = {r.id: r.name for r in config.rules}
        self._labels = dict(
            zip((r.id for r in config.rules), short_names([r.name for r in config.rules]), strict=True)
        )
        self._overrides = {}
        self._rule_overrides: dict[str, list[Override]] = {}
        for override in config.overrides:
            self._overrides.setdefault((override.rule, override.person), []).append(override)
            self._rule_overrides.setdefault(override.rule, []).append(override)
        self.changed.emit()

    def set_zone(self, choice: str) -> None:
        """Show the calendar in `choice` ("Local" or an IANA name); the date shown stays."""
        tz = zone(resolve_zone_name(choice))
        if choice == self.zone_choice:
            return
        self.zone_choice = choice
        self.tz = tz
        self.changed.emit()

    def set_mode(self, mode: ViewMode) -> None:
        if mode != self.mode:
            self.mode = mode
            self.changed.emit()

    def set_anchor(self, day: date) -> None:
        if day != self.anchor:
            self.anchor = day
            self.changed.emit()

    def set_person_filter(self, person_id: str | None) -> None:
        if person_id != self.person_filter:
            self.person_filter = person_id
            self.changed.emit()

    def set_hidden_rules(self, rule_ids: Iterable[str]) -> None:
        hidden = frozenset(rule_ids)
        if hidden != self.hidden_rules:
            self.hidden_rules = hidden
            self.changed.emit()

    def go_today(self) -> None:
        self.set_anchor(self.now().astimezone(self.tz).date())

    def step(self, direction: int) -> None:
        """Move one month, week or day forward (1) or back (-1)."""
        self.set_anchor(self.view().stepped(direction).anchor)

    # -- what is visible -------------------------------------------------------------------------

    def view(self) -> View:
        """The current view; its anchor is the first day shown, so equal views look the same."""
        anchor = self.anchor
        if self.mode == "month":
            anchor = anchor.replace(day=1)
        elif self.mode == "week":
            anchor -= timedelta(days=anchor.weekday())
        return View(self.mode, anchor, self.tz.key, self.person_filter, self.hidden_rules)

    def days(self) -> list[date]:
        return self.view().days()

    def midnight(self, day: date) -> datetime:
        return self.view().midnight(day)

    def columns(self) -> list[DayColumn]:
        return self.view().columns()

    def span(self) -> tuple[datetime, datetime]:
        return self.view().span()

    def visible_rules(self, view: View | None = None) -> list[OnCallRule]:
        hidden = (view or self.view()).hidden_rules
        return [r for r in self.config.rules if r.id not in hidden]

    def title(self) -> str:
        if self.mode == "month":
            return self.anchor.strftime("%B %Y")
        if self.mode == "day":
            return self.anchor.strftime("%A %-d %B %Y")
        days = self.days()
        return f"{days[0]:%-d %b} – {days[-1]:%-d %b %Y}"

    # -- the schedule ----------------------------------------------------------------------------

    def schedules(self) -> Schedules:
        if self._schedules is None:
            self._schedules = Schedules(self.config)
        return self._schedules

    def blocks(self, view: View | None = None) -> list[Block]:
        """Intervals and gaps over the visible days (gaps only without the "my on-call" filter)."""
        return self.stamped_blocks(view).blocks

    def stamped_blocks(self, view: View | None = None) -> Shown:
        """`blocks(view)`, each block's start and end as POSIX timestamps, and the tracks of the
        blocks sharing their rule's lane with others on call at the same time: what drawing uses.

        The schedule is computed over the visible days in every zone at once (`_every_zone`), so
        switching zones never recomputes it.
        """
        view = view or self.view()
        days = view.days()
        key = (self.revision, days[0], days[-1], view.person_filter)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
        else:
            start, end = _every_zone(days)
            blocks, concurrent = self._compute(start, end, view.person_filter)
            stamps = _stamps(blocks)
            cached = Shown(blocks, stamps, _tracks(stamps, concurrent))
            self._cache[key] = cached
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        if not view.hidden_rules:
            return cached
        blocks, stamps, tracks = cached
        shown = [i for i, b in enumerate(blocks) if b.rule not in view.hidden_rules]
        return Shown(
            [blocks[i] for i in shown],
            [stamps[i] for i in shown],
            {new: tracks[old] for new, old in enumerate(shown) if old in tracks},
        )

    def conflict_stamps(self, view: View | None = None) -> list[tuple[str, float, float]]:
        """Conflicts (SPEC §12: on call during one's time off or public holiday) among the visible
        blocks, as (rule, start, end) with POSIX timestamps; worked out once per view's days."""
        view = view or self.view()
        config = self.config
        if not config.time_off and not any(p.holidays for p in config.people):
            return []
        days = view.days()
        key = (self.revision, days[0], days[-1], view.person_filter, view.hidden_rules)
        found = self._conflicts.get(key)
        if found is None:
            start, end = _every_zone(days)
            away: dict[str, list[Away]] = {}
            found = []
            for block in self.blocks(view):
                if block.person is None:
                    continue
                if block.person not in away:
                    away[block.person] = away_spans(config, block.person, start, end)
                for item in away[block.person]:
                    lo, hi = max(block.start, item.start), min(block.end, item.end)
                    if lo < hi:
                        found.append((block.rule, lo.timestamp(), hi.timestamp()))
            if len(self._conflicts) > _CACHE_SIZE:
                self._conflicts.clear()
            self._conflicts[key] = found
        return found

    def _compute(
        self, start: datetime, end: datetime, person: str | None
    ) -> tuple[list[Block], list[tuple[int, int]]]:
        """The blocks of the final schedule over [start, end): every rule's intervals in turn, then
        every rule's gaps (none with a person filter); and where the interval blocks of each rule
        that can have several people on call at once lie among them (from, to)."""
        blocks: list[Block] = []
        gaps: list[Block] = []
        concurrent: list[tuple[int, int]] = []
        schedules = self.schedules()
        for rule_id, intervals, rule_gaps in schedules.each_rule(start, end):
            if person is not None:
                intervals = [i for i in intervals if i.person == person]
            elif rule_gaps:
                gaps.extend(_gap_blocks(rule_gaps))
            if not intervals:
                continue
            first = len(blocks)
            if not any(o.start < end and o.end > start for o in self._rule_overrides.get(rule_id, ())):
                # No override near: each interval is a block as it is (made in one pass in C).
                blocks.extend(_interval_blocks(intervals))
            else:
                blocks.extend(self._overridden_blocks(intervals))
            if person is None and not schedules.rules[rule_id].single_file:
                concurrent.append((first, len(blocks)))
        blocks.extend(gaps)
        return blocks, concurrent

    def _overridden_blocks(self, intervals: list[Interval]) -> list[Block]:
        """A rule's intervals as blocks when overrides are near: an override's names it."""
        blocks: list[Block] = []
        append = blocks.append
        own = self._overrides
        for rule, who, begins, ends, override, layer in intervals:
            if override:
                append(Block(rule, who, begins, ends, self._override_of(rule, who, begins, ends)))
            elif (rule, who) in own:
                blocks.extend(self._own_overrides(rule, who, begins, ends, layer))
            else:
                append(_block((rule, who, begins, ends, None, layer)))
        return blocks

    def _own_overrides(
        self, rule: str, person: str, start: datetime, end: datetime, layer: str | None
    ) -> list[Block]:
        """An interval that is partly an override for the person the rotation had on call anyway.

        The final schedule joins the two (it is one person on call without a break), but the
        calendar shows the override as its own block, so it can be seen, selected, moved and deleted.
        """
        blocks: list[Block] = []
        cursor = start
        for override in sorted(self._overrides[(rule, person)], key=lambda o: o.start):
            lo, hi = max(override.start, cursor), min(override.end, end)
            if lo >= hi:
                continue
            if cursor < lo:
                blocks.append(Block(rule, person, cursor, lo, None, layer))
            blocks.append(Block(rule, person, lo, hi, override))
            cursor = hi
        if cursor < end:
            blocks.append(Block(rule, person, cursor, end, None, layer))

        return blocks

    def _override_of(self, rule: str, person: str, start: datetime, end: datetime) -> Override | None:
        """The stored override behind an override interval: the one overlapping it most."""
        candidates = [o for o in self._overrides.get((rule, person), []) if o.start < end and o.end > start]
        if not candidates:
            return None
        return max(candidates, key=lambda o: min(o.end, end) - max(o.start, start))

    def real_span(self, block: Block) -> tuple[datetime, datetime]:
        """The block's own start and end, where the calendar's span cut it (an interval or a gap)."""
        rule = self.schedules().rules.get(block.rule)
        if rule is None:
            return block.start, block.end
        intervals, gaps = rule.intervals(block.start, block.end, clip=False)
        if block.person is None:
            spans = [(g.start, g.end) for g in gaps]
        else:
            spans = [(i.start, i.end) for i in intervals if i.person == block.person]
        found = [s for s in spans if s[0] <= block.start and s[1] >= block.end]
        return found[0] if found else (block.start, block.end)

    def colour(self, person_id: str) -> QColor:
        return self._colours.get(person_id) or fallback_colour(person_id)

    def rule_label(self, rule_id: str) -> str:
        """The rule's short name in the lane headers: no two rules share one."""
        return self._labels.get(rule_id, rule_id)

    def rule_name(self, rule_id: str) -> str:
        return self._names.get(rule_id, rule_id)

    def person_name(self, person_id: str) -> str:
        return self.config.display_name(person_id)

    def legend(self) -> list[tuple[str, str, QColor]]:
        """(id, name, colour) of every person, in configuration order."""
        return [(p.id, p.name, self.colour(p.id)) for p in self.config.people]
