"""The escalation planner: who is notified when, on which channel (SPEC §3).

A pure function of the configuration, the incident and its status changes. `oncall-desktop simulate`,
the ladder editor's preview and the real-time engine all call `plan()`; escalation is written once.

How it works: the instants that matter are each routed rule's ladder instants (level entries and
repeats) and every instant at which a candidate rule's on-call set changes. Between two such instants
nothing changes, so evaluating each of them with the state at that instant is exact.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from oncall_desktop.domain import (
    Channel,
    EscalationLevel,
    OnCallRule,
    PlannedNotification,
    Severity,
    Status,
    StatusChange,
)
from oncall_desktop.routing import candidate_rules, route, select_routes
from oncall_desktop.schedule import RuleSchedule, Schedules

DEFAULT_HORIZON = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class LevelEntry:
    """A ladder level entered at `at` (its E_L), with the recipients it notified then."""

    at: datetime
    rule: str
    level: int
    recipients: tuple[tuple[str, tuple[Channel, ...]], ...]


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What the planner needs to know about an incident."""

    created_at: datetime
    severity: Severity
    tags: tuple[str, ...] = ()


class _StatusLine:
    """The incident's status over time; changes only move forward and take effect at their instant."""

    def __init__(self, changes: Iterable[StatusChange]) -> None:
        self.instants: list[datetime] = []
        self.statuses: list[Status] = []
        current = Status.OPEN
        for change in sorted(changes, key=lambda c: c.at):
            if change.status.rank > current.rank:
                current = change.status
                self.instants.append(change.at)
                self.statuses.append(current)

    def at(self, t: datetime) -> Status:
        i = bisect.bisect_right(self.instants, t)
        return self.statuses[i - 1] if i else Status.OPEN


class _OnCallLine:
    """A rule's on-call people as a step function over the planning span."""

    def __init__(self, schedule: RuleSchedule, start: datetime, end: datetime) -> None:
        intervals, gaps = schedule.intervals(start, end)
        points = {start} | {i.start for i in intervals} | {i.end for i in intervals}
        points |= {g.start for g in gaps} | {g.end for g in gaps}
        self.instants = sorted(p for p in points if start <= p < end)
        self.people = [schedule.on_call(p) for p in self.instants]

    def at(self, t: datetime) -> tuple[str, ...]:
        return self.people[bisect.bisect_right(self.instants, t) - 1]


class _Ladder:
    """One rule's ladder for one incident: entry instants and recipients."""

    def __init__(
        self, schedules: Schedules, rule: OnCallRule, incident: IncidentFacts, statuses: _StatusLine
    ) -> None:
        self.rule = rule
        self.levels = rule.escalation
        self.severity = incident.severity
        self.statuses = statuses
        self.entries: list[datetime | None] = [
            self._entry(level, incident.created_at) for level in self.levels
        ]
        self.entering: dict[datetime, list[int]] = {}
        for index, entry in enumerate(self.entries):
            if entry is not None:
                self.entering.setdefault(entry, []).append(index)
        config = schedules.config
        self.added: list[list[tuple[str, tuple[Channel, ...]]]] = [
            [(pid, target.channels) for target in level.add for pid in config.expand(target.target)]
            for level in self.levels
        ]

    def _entry(self, level: EscalationLevel, created: datetime) -> datetime | None:
        """E_L: the first instant at or after T + W_L at which the level applies."""
        if self.severity not in level.severities:
            return None
        due = created + timedelta(minutes=level.wait)
        candidates = [due] + [t for t in self.statuses.instants if t > due]
        return next((t for t in candidates if self.statuses.at(t) in level.statuses), None)

    def applies(self, index: int, t: datetime) -> bool:
        return self.levels[index].applies(self.severity, self.statuses.at(t))

    def instants(self, until: datetime) -> set[datetime]:
        found: set[datetime] = set()
        for level, entry in zip(self.levels, self.entries, strict=True):
            if entry is None:
                continue
            found.add(entry)
            if level.repeat:
                step = timedelta(minutes=level.repeat)
                t = entry + step
                while t < until:
                    found.add(t)
                    t += step
        return found

    def active_level(self, t: datetime) -> int | None:
        for index in range(len(self.levels) - 1, -1, -1):
            entry = self.entries[index]
            if entry is not None and entry <= t and self.applies(index, t):
                return index
        return None

    def recipients(self, index: int, on_call: tuple[str, ...]) -> dict[str, list[Channel]]:
        chosen: dict[str, list[Channel]] = {}
        level0 = self.levels[0]
        for pid in on_call:
            _add_channels(chosen, pid, level0.channels_for(pid))
        for level_targets in self.added[1 : index + 1]:
            for pid, channels in level_targets:
                _add_channels(chosen, pid, channels)
        return chosen


def _add_channels(chosen: dict[str, list[Channel]], pid: str, channels: Iterable[Channel]) -> None:
    have = chosen.setdefault(pid, [])
    have.extend(c for c in channels if c not in have)


def plan(
    schedules: Schedules,
    incident: IncidentFacts,
    status_changes: Sequence[StatusChange] = (),
    until: datetime | None = None,
    since: datetime | None = None,
    entries: list[LevelEntry] | None = None,
    stop_after: datetime | None = None,
) -> list[PlannedNotification]:
    """Every notification for `incident` at instants in [created_at, until), deduplicated.

    Sorted by (at, person, channel). When several sources notify one person on one channel at one
    instant, the one kept is a ladder notification over a handover notice, then the highest level.

    With `since`, only the notifications after it: exactly the tail of the whole plan, at a cost
    that does not grow with the incident's age (every state is computed directly, and the state at
    `since` stands for "a moment before" the first instant after it).

    With `entries`, every level entry in the span is appended to it, with its recipients (an empty
    recipient list is a level that notified nobody: SPEC §9 says so on the timeline).

    With `stop_after`, planning ends with the first instant after it that notifies anyone: the
    engine needs what is due by now and when it is due next, not the rest of the horizon (with
    10,000 open incidents repeating every minute, the hour ahead is most of a tick's work).
    """
    start = incident.created_at
    end = until if until is not None else start + DEFAULT_HORIZON
    if end <= start:
        return []
    resume = since is not None and since >= start
    window_start = since if since is not None and resume else start
    statuses = _StatusLine(status_changes)
    rules = [r for r in candidate_rules(schedules, incident.tags) if r.escalation]
    on_call = {r.id: _OnCallLine(schedules.rules[r.id], window_start, end) for r in rules}
    ladders = {r.id: _Ladder(schedules, r, incident, statuses) for r in rules}

    # A rule needs evaluating only at its own instants (ladder entries and repeats, and changes of
    # its on-call set); routing and the level-0 recipients can change only where some on-call set does.
    own: dict[str, set[datetime]] = {
        r.id: set(on_call[r.id].instants) | ladders[r.id].instants(end) for r in rules
    }
    coverage_changes = {window_start}.union(*(on_call[r.id].instants for r in rules))
    instants = {window_start}.union(*own.values())
    all_rules = schedules.config.rules

    chosen: dict[tuple[datetime, str, Channel], PlannedNotification] = {}

    last_offered = [start]  # instants only grow through the loop

    def offer(note: PlannedNotification) -> None:
        last_offered[0] = note.at
        key = (note.at, note.person, note.channel)
        held = chosen.get(key)
        if held is None or (held.handover, -held.level) > (note.handover, -note.level):
            chosen[key] = note

    routed: tuple[str, ...] = ()
    level0: set[str] = set()
    for t in sorted(i for i in instants if window_start <= i < end):
        if stop_after is not None and chosen and last_offered[0] > stop_after:
            break  # the next instant that notifies is planned whole; nothing later is needed
        newly_routed: set[str] = set()
        previous_level0: set[str] | None = level0 if t > start else None
        if t in coverage_changes:
            now_routed = select_routes(all_rules, incident.tags, partial(_covers, on_call, t))
            newly_routed = set(now_routed) - set(routed)
            routed = now_routed
            level0 = {pid for rule_id in routed if rule_id in on_call for pid in on_call[rule_id].at(t)}
        if resume and t == window_start:
            continue  # `since` itself was planned before; its state is what the next instant follows
        for rule_id in routed:
            ladder = ladders.get(rule_id)
            if ladder is None or (t not in own[rule_id] and rule_id not in newly_routed):
                continue
            people = on_call[rule_id].at(t)
            for index in ladder.entering.get(t, ()):
                recipients = ladder.recipients(index, people)
                if entries is not None:
                    entries.append(
                        LevelEntry(
                            t, rule_id, index, tuple((p, tuple(c)) for p, c in recipients.items() if c)
                        )
                    )
                for pid, channels in recipients.items():
                    for channel in channels:
                        offer(PlannedNotification(t, pid, channel, index, rule_id, 0))
            active = ladder.active_level(t)
            if active is not None:
                repeat = ladder.levels[active].repeat
                entered = ladder.entries[active]
                assert entered is not None
                if repeat and t > entered and (t - entered) % timedelta(minutes=repeat) == timedelta(0):
                    k = (t - entered) // timedelta(minutes=repeat)
                    for pid, channels in ladder.recipients(active, people).items():
                        for channel in channels:
                            offer(PlannedNotification(t, pid, channel, active, rule_id, k))
            entered0 = ladder.entries[0]
            if previous_level0 is None or entered0 is None or entered0 > t or not ladder.applies(0, t):
                continue
            for pid in people:
                if pid not in previous_level0:
                    for channel in ladder.levels[0].channels_for(pid):
                        offer(PlannedNotification(t, pid, channel, 0, rule_id, 0, handover=True))
    return sorted(chosen.values(), key=lambda n: (n.at, n.person, n.channel))


def _covers(on_call: dict[str, _OnCallLine], t: datetime, rule_id: str) -> bool:
    line = on_call.get(rule_id)
    return line is not None and bool(line.at(t))


def explain_unpaged(schedules: Schedules, incident: IncidentFacts) -> str:
    """Why nobody is notified of `incident` at its creation (SPEC §9): the rules it is routed to
    and, for each, what keeps its level 0 from notifying anyone."""
    at = incident.created_at
    config = schedules.config
    reasons = []
    for rule_id in route(schedules, incident.tags, at):
        rule = config.rule(rule_id)
        if rule is None:
            continue
        name = f"{rule.name} [{rule.id}]"
        if not rule.escalation:
            reasons.append(f"{name} has no personnel, so no ladder")
            continue
        level0 = rule.escalation[0]
        if incident.severity not in level0.severities:
            takes = ", ".join(s.value for s in sorted(level0.severities, key=lambda s: s.value))
            reasons.append(f"{name}: its level 0 takes {takes} only, not {incident.severity.value}")
        elif Status.OPEN not in level0.statuses:
            reasons.append(f"{name}: its level 0 does not apply to open incidents")
        elif not any(level0.channels_for(pid) for pid in schedules.rules[rule_id].on_call(at)):
            reasons.append(f"{name}: its level 0 has no channels for the people on call")
        else:
            reasons.append(f"{name}: nobody on call")
    routed = ", ".join(reasons) or "no rule"
    return f"nobody is notified: routed to {routed}"
