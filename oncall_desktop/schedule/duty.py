"""When a rule or a layer is on duty: its effective span and weekly windows in its zone, as spans of
instants, worked out a week at a time and shared by everything with the same zone, span and windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from oncall_desktop.domain import Window
from oncall_desktop.schedule.spans import merge_spans
from oncall_desktop.timeutil import resolve_wall, to_instant

DAY = timedelta(days=1)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


EPOCH_NAIVE = datetime(1970, 1, 1)


# Spans a `Duty` keeps (a calendar's views and their neighbours) and handoffs a rotation keeps by
# span, each of at most `KEPT_LENGTH` (a calendar month's; a year's is asked for once), and the
# `Duty`s and rotations kept for sharing.
SPANS_KEPT = 16


KEPT_LENGTH = 128


SHARED_KEPT = 1024


# (Multiplying a timedelta costs more than adding two: the days a week holds and then some.)
DAYS = tuple(k * DAY for k in range(9))


_WEEK = DAYS[7]


class Duty:
    """An effective span and weekly windows in one zone: when a rule (or a layer) is on duty.

    Layers and rules with the same zone, windows and span share one (`shared_duty`), and it keeps the
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
                until += DAY
            for day in window.days:
                self._by_day[day].append((window.start, window.end, since, until))
        # The windows as one week: merged spans after a Monday's midnight (the last may run into
        # the next week), laid down a week at a time while the zone's offset holds.
        week = sorted(
            (day * DAY + since, day * DAY + until)
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
        for day in (local_day - DAY, local_day):
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
        if len(found) <= KEPT_LENGTH:
            if len(self._recent) >= SPANS_KEPT:
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
        first = lo.astimezone(tz).date() - DAY
        last = hi.astimezone(tz).date()
        monday = datetime.combine(first - DAYS[first.weekday()], time())
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
        return spans if in_order else merge_spans(spans)

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
            today, tomorrow, after = offset(midnight), offset(midnight + DAY), offset(midnight + DAYS[2])
            if today is not None and today == tomorrow == after:
                base = EPOCH + (midnight - EPOCH_NAIVE - today)
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
            midnight += DAY
            weekday += 1

    def _window_bounds(self, day: date, start: time, end: time) -> tuple[datetime, datetime]:
        begins = resolve_wall(datetime.combine(day, start), self.tz)
        end_day = day if end > start else day + DAY
        return begins, resolve_wall(datetime.combine(end_day, end), self.tz)


_DUTIES: dict[tuple[object, ...], Duty] = {}


def shared_duty(
    tz: tzinfo, effective_start: datetime | None, effective_end: datetime | None, windows: Sequence[Window]
) -> Duty:
    """The `Duty` of a zone, effective span and windows, shared by everything that has them."""
    key = (tz, effective_start, effective_end, tuple(windows))
    found = _DUTIES.get(key)
    if found is None:
        if len(_DUTIES) >= SHARED_KEPT:
            _DUTIES.clear()
        found = _DUTIES[key] = Duty(tz, effective_start, effective_end, windows)
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
    if here is not None and all(offset(monday + k) == here for k in DAYS[1:]):
        base = EPOCH + (monday - EPOCH_NAIVE - here)
    if len(_WEEK_BASES) >= _WEEK_BASES_KEPT:
        _WEEK_BASES.clear()
    _WEEK_BASES[key] = base
    return base


def forget_duties() -> None:
    """Forget the duties and the weeks shared (see `oncall_desktop.schedule.forget_shared`)."""
    _DUTIES.clear()
    _WEEK_BASES.clear()
