"""The fairness report (SPEC §12): who carries how much of the on-call load, and how incidents went.

Per person: hours on call over the span (a person on call for two rules at once is on call once),
and of those the hours at night (22:00–07:00), on weekends (Saturday and Sunday) and on their public
holidays, all read on the wall clock of the person's own zone and counted in real elapsed time (a
night that a clock change makes 9 hours long counts 9); the number of final-schedule intervals
(shifts); pages received (notifications sent to them); incidents they acknowledged and the median
time it took. Per rule: the incidents routed to it (by their tags, at their creation, as SPEC §3
routes them), mean time to acknowledge and to resolve, overall and per week (per month for spans
over half a year).
"""

from __future__ import annotations

import csv
import io
import statistics
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from dateutil.relativedelta import relativedelta

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, OnCallRule, Person
from oncall_desktop.planning import Span, holidays_between, overlap_seconds, person_zone
from oncall_desktop.routing import candidate_rules, select_routes
from oncall_desktop.schedule import Schedules
from oncall_desktop.schedule.spans import merge_spans, subtract_spans
from oncall_desktop.timeutil import NIGHT_END, NIGHT_START

_DAY = timedelta(days=1)
_HOUR = 3600.0
MONTHLY_TREND_AFTER = timedelta(days=183)


@dataclass(frozen=True, slots=True)
class IncidentTimes:
    """What the report needs of an incident (the store's `report_incidents` gives these)."""

    id: int
    tags: tuple[str, ...]
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class PersonFigures:
    person: str
    hours: float
    night_hours: float
    weekend_hours: float
    holiday_hours: float
    shifts: int
    pages: int
    acks: int
    median_ack_seconds: float | None
    # The chart's stacked segments: each hour in exactly one, holiday before weekend before night.
    segments: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # day, night, weekend, holiday


@dataclass(frozen=True, slots=True)
class RuleFigures:
    rule: str
    incidents: int
    mtta_seconds: float | None
    mttr_seconds: float | None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One rule's incidents that began in [start, end), with their mean times."""

    rule: str
    start: datetime
    end: datetime
    incidents: int
    mtta_seconds: float | None
    mttr_seconds: float | None


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    people: tuple[PersonFigures, ...]
    rules: tuple[RuleFigures, ...]
    trend: tuple[TrendPoint, ...] = field(default=())


def fairness_report(
    config: Configuration,
    start: datetime,
    end: datetime,
    incidents: Sequence[IncidentTimes] = (),
    pages: Mapping[str, int] | None = None,
    *,
    rules: Sequence[str] | None = None,
    schedules: Schedules | None = None,
) -> Report:
    """The report over [start, end) for `rules` (all by default); `pages`: notifications sent per person.

    Incidents are those created in the span; an incident counts for each chosen rule it is routed to.
    Night, weekend and holiday hours are each what the word says, so they overlap (a Saturday night
    counts for both); `segments` splits the hours into disjoint parts for the chart.
    """
    schedules = schedules or Schedules(config)
    chosen = list(rules) if rules is not None else [r.id for r in config.rules]
    intervals = schedules.final_schedule(start, end, rules=chosen).intervals
    spans: dict[str, list[Span]] = {}
    shifts: dict[str, int] = {}
    for interval in intervals:
        spans.setdefault(interval.person, []).append((interval.start, interval.end))
        shifts[interval.person] = shifts.get(interval.person, 0) + 1
    pages = pages or {}
    in_span = [i for i in incidents if start <= i.created_at < end]
    ack_times: dict[str, list[float]] = {}
    for incident in in_span:
        if incident.acknowledged_by and incident.acknowledged_at is not None:
            seconds = (incident.acknowledged_at - incident.created_at).total_seconds()
            ack_times.setdefault(incident.acknowledged_by, []).append(seconds)
    people_ids = [p.id for p in config.people]
    people_ids += sorted(set(spans) - set(people_ids))
    people = []
    for pid in people_ids:
        person = config.person(pid) or Person(id=pid, name=pid)
        merged = merge_spans(spans.get(pid, ()))
        split = _split(person, merged, start, end)
        acks = ack_times.get(pid, [])
        people.append(
            PersonFigures(
                person=pid,
                hours=_round(sum((hi - lo).total_seconds() for lo, hi in merged) / _HOUR),
                night_hours=_round(split.night / _HOUR),
                weekend_hours=_round(split.weekend / _HOUR),
                holiday_hours=_round(split.holiday / _HOUR),
                shifts=shifts.get(pid, 0),
                pages=pages.get(pid, 0),
                acks=len(acks),
                median_ack_seconds=statistics.median(acks) if acks else None,
                segments=split.segments(),
            )
        )
    routed = _routed(schedules, in_span, set(chosen))
    rule_figures = tuple(_rule_figures(rid, routed.get(rid, [])) for rid in chosen)
    return Report(start, end, tuple(people), rule_figures, _trend(chosen, routed, start, end))


@dataclass(slots=True)
class _Split:
    total: float = 0.0
    night: float = 0.0
    weekend: float = 0.0
    holiday: float = 0.0
    night_only: float = 0.0
    weekend_only: float = 0.0

    def segments(self) -> tuple[float, float, float, float]:
        day = self.total - self.holiday - self.weekend_only - self.night_only
        return (
            _round(max(day, 0.0) / _HOUR),
            _round(self.night_only / _HOUR),
            _round(self.weekend_only / _HOUR),
            _round(self.holiday / _HOUR),
        )


def _split(person: Person, merged: list[Span], start: datetime, end: datetime) -> _Split:
    """Seconds of `merged` at night, on weekends, on holidays, in the person's zone; and the night
    and weekend seconds that are on no holiday (and, for nights, on no weekend)."""
    split = _Split()
    if not merged:
        return split
    tz = person_zone(person)
    holidays = merge_spans((a.start, a.end) for a in holidays_between(person, start, end))
    weekends = _weekends(tz, start, end)
    nights = _nights(tz, start, end)
    weekend_only = subtract_spans(weekends, holidays)
    night_only = subtract_spans(subtract_spans(nights, weekends), holidays)
    tables = [
        (spans, [s for s, _ in spans]) for spans in (nights, weekends, holidays, night_only, weekend_only)
    ]
    for lo, hi in merged:
        split.total += (hi - lo).total_seconds()
        found = [overlap_seconds(spans, starts, lo, hi) for spans, starts in tables]
        split.night += found[0]
        split.weekend += found[1]
        split.holiday += found[2]
        split.night_only += found[3]
        split.weekend_only += found[4]
    return split


def _local_days(tz: tzinfo, start: datetime, end: datetime) -> Iterable[date]:
    day = timeutil.wall_clock(start, tz).date() - _DAY
    last = timeutil.wall_clock(end, tz).date()
    while day <= last:
        yield day
        day += _DAY


def _midnight(day: date, tz: tzinfo) -> datetime:
    return timeutil.resolve_wall(datetime.combine(day, datetime.min.time()), tz)


def _nights(tz: tzinfo, start: datetime, end: datetime) -> list[Span]:
    return [
        (
            timeutil.resolve_wall(datetime.combine(day, NIGHT_START), tz),
            timeutil.resolve_wall(datetime.combine(day + _DAY, NIGHT_END), tz),
        )
        for day in _local_days(tz, start, end)
    ]


def _weekends(tz: tzinfo, start: datetime, end: datetime) -> list[Span]:
    return [
        (_midnight(day, tz), _midnight(day + 2 * _DAY, tz))
        for day in _local_days(tz, start, end)
        if day.weekday() == 5
    ]


def _routed(
    schedules: Schedules, incidents: Sequence[IncidentTimes], chosen: set[str]
) -> dict[str, list[IncidentTimes]]:
    """Each chosen rule's incidents, routed as SPEC §3 routes them (`routing.route`'s rule: the
    rules an incident's tags can ever reach are worked out once per set of tags)."""
    routed: dict[str, list[IncidentTimes]] = {}
    reachable: dict[tuple[str, ...], tuple[OnCallRule, ...]] = {}
    for incident in incidents:
        rules = reachable.get(incident.tags)
        if rules is None:
            rules = reachable[incident.tags] = candidate_rules(schedules, incident.tags)
        at = incident.created_at

        def covers(rule_id: str, at: datetime = at) -> bool:
            return bool(schedules.rules[rule_id].on_call(at))

        for rule_id in select_routes(rules, incident.tags, covers):
            if rule_id in chosen:
                routed.setdefault(rule_id, []).append(incident)
    return routed


def _means(incidents: Sequence[IncidentTimes]) -> tuple[float | None, float | None]:
    acked = [(i.acknowledged_at - i.created_at).total_seconds() for i in incidents if i.acknowledged_at]
    resolved = [(i.resolved_at - i.created_at).total_seconds() for i in incidents if i.resolved_at]
    return (
        _round(statistics.fmean(acked)) if acked else None,
        _round(statistics.fmean(resolved)) if resolved else None,
    )


def _rule_figures(rule_id: str, incidents: Sequence[IncidentTimes]) -> RuleFigures:
    mtta, mttr = _means(incidents)
    return RuleFigures(rule_id, len(incidents), mtta, mttr)


def trend_buckets(start: datetime, end: datetime) -> list[Span]:
    """The report's time buckets: UTC weeks from `start`, or months for spans over half a year."""
    step: timedelta | relativedelta = (
        relativedelta(months=1) if end - start > MONTHLY_TREND_AFTER else timedelta(days=7)
    )
    buckets: list[Span] = []
    k = 0
    while True:
        lo = start + step * k if isinstance(step, timedelta) else start + relativedelta(months=k)
        if lo >= end:
            return buckets
        hi = start + step * (k + 1) if isinstance(step, timedelta) else start + relativedelta(months=k + 1)
        buckets.append((lo, min(hi, end)))
        k += 1


def _trend(
    chosen: Sequence[str], routed: Mapping[str, list[IncidentTimes]], start: datetime, end: datetime
) -> tuple[TrendPoint, ...]:
    buckets = trend_buckets(start, end)
    starts = [lo for lo, _ in buckets]
    points: list[TrendPoint] = []
    for rule_id in chosen:
        by_bucket: list[list[IncidentTimes]] = [[] for _ in buckets]
        for incident in routed.get(rule_id, ()):
            by_bucket[bisect_right(starts, incident.created_at) - 1].append(incident)
        for (lo, hi), items in zip(buckets, by_bucket, strict=True):
            mtta, mttr = _means(items)
            points.append(TrendPoint(rule_id, lo, hi, len(items), mtta, mttr))
    return tuple(points)


def _round(value: float) -> float:
    return round(value, 2)


# -- output ---------------------------------------------------------------------------------------

PEOPLE_COLUMNS = (
    "person",
    "hours",
    "night_hours",
    "weekend_hours",
    "holiday_hours",
    "shifts",
    "pages",
    "acks",
    "median_ack_seconds",
)
RULE_COLUMNS = ("rule", "incidents", "mtta_seconds", "mttr_seconds")


def report_json(report: Report) -> dict[str, object]:
    """SPEC §12's JSON, plus `"trend"`: each rule's MTTA/MTTR per week or month."""
    return {
        "people": [{c: getattr(p, c) for c in PEOPLE_COLUMNS} for p in report.people],
        "rules": [{c: getattr(r, c) for c in RULE_COLUMNS} for r in report.rules],
        "trend": [
            {
                "rule": t.rule,
                "start": timeutil.format_instant(t.start),
                "end": timeutil.format_instant(t.end),
                "incidents": t.incidents,
                "mtta_seconds": t.mtta_seconds,
                "mttr_seconds": t.mttr_seconds,
            }
            for t in report.trend
        ],
    }


def people_csv(report: Report) -> str:
    """The per-person table as CSV (empty cells for no value)."""
    return _csv(PEOPLE_COLUMNS, ([getattr(p, c) for c in PEOPLE_COLUMNS] for p in report.people))


def rules_csv(report: Report) -> str:
    return _csv(RULE_COLUMNS, ([getattr(r, c) for c in RULE_COLUMNS] for r in report.rules))


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
