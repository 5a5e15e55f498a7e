"""Grafana OnCall's public API (`{API URL}/api/v1/…`, header `Authorization: <token>`) as a §6
configuration (SPEC §11).

Each web or calendar schedule becomes a rule: its shifts are layers (a higher `level` first), its
`override` shifts overrides; the escalation chain that notifies the schedule's on-call people is the
rule's ladder, and the routes into that chain are its match conditions. Integrations keep their
tokens, so their URLs only change host.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from math import gcd
from typing import Any

from oncall_desktop import timeutil
from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    MIN_TOKEN_LENGTH,
    WEEKDAYS,
    Configuration,
    Integration,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    RotationPeriod,
    Team,
    Window,
)
from oncall_desktop.integrations import intake_kind_for_path
from oncall_desktop.migration.common import (
    DEFAULT_CHANNELS,
    IMPORTANT_CHANNELS,
    Ids,
    Migration,
    Skipped,
    Step,
    default_ladder,
    from_pages,
    ladder,
    merge_windows,
    opt_text,
    span_windows,
    text,
    to_minute,
    wall,
    zone_or_utc,
)
from oncall_desktop.migration.http import MigrationError, Source

_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_PERIODS: dict[str, tuple[RotationPeriod, timedelta]] = {
    "hourly": ("hours", timedelta(hours=1)),
    "daily": ("daily", timedelta(days=1)),
    "weekly": ("weekly", timedelta(days=7)),
}
_PLAIN = r"[\w.\-/@]+"
_CONDITION_PATTERNS = (
    re.compile(rf'\\?"(?P<key>{_PLAIN})\\?"\s*:\s*\\?"(?P<value>{_PLAIN})\\?"'),
    re.compile(rf"(?P<key>{_PLAIN})\s*[=:]\s*(?P<value>{_PLAIN})"),
)


def _results(source: Source, path: str) -> list[dict[str, Any]]:
    return from_pages(source.pages(path), "results", path.strip("/"))


def migrate(source: Source) -> Migration:
    """Read everything SPEC §11 names and map it; raises `MigrationError` on an unusable answer."""
    users = _results(source, "users/")
    teams = _results(source, "teams/")
    schedules = _results(source, "schedules/")
    shifts = _results(source, "on_call_shifts/")
    chains = _results(source, "escalation_chains/")
    policies = _results(source, "escalation_policies/")
    integrations = _results(source, "integrations/")
    routes = _results(source, "routes/")
    return _Mapper(users, teams, schedules, shifts, chains, policies, integrations, routes).run()


class _Mapper:
    def __init__(
        self,
        users: list[dict[str, Any]],
        teams: list[dict[str, Any]],
        schedules: list[dict[str, Any]],
        shifts: list[dict[str, Any]],
        chains: list[dict[str, Any]],
        policies: list[dict[str, Any]],
        integrations: list[dict[str, Any]],
        routes: list[dict[str, Any]],
    ) -> None:
        self.users, self.teams, self.schedules, self.shifts = users, teams, schedules, shifts
        self.chains, self.policies, self.integrations, self.routes = chains, policies, integrations, routes
        self.skipped: list[Skipped] = []
        self.people: dict[str, str] = {}
        self.team_ids: dict[str, str] = {}
        self.shifts_of: dict[str, list[dict[str, Any]]] = {}

    def skip(self, kind: str, ident: object, reason: str) -> None:
        self.skipped.append(Skipped(kind, str(ident), reason))

    def run(self) -> Migration:
        people = self._people()
        teams = self._teams()
        rule_ids = Ids()
        rule_ids.reserve(DEFAULT_RULE_ID)
        rules: list[OnCallRule] = []
        overrides: list[Override] = []
        schedule_rules: dict[str, str] = {}
        names: dict[str, str] = {}
        self._link_shifts()
        for schedule in self.schedules:
            sid = text(schedule.get("id"), "schedules: id")
            name = opt_text(schedule.get("name")) or sid
            if schedule.get("type") == "ical":
                self.skip(
                    "schedule", name, "an iCal schedule: import its calendar with `oncall-desktop import-ics`"
                )
                continue
            rule_id = rule_ids.new(name, "schedule")
            built = self._schedule(schedule, rule_id, name)
            if built is None:
                continue
            rule, rule_overrides = built
            rules.append(rule)
            overrides.extend(rule_overrides)
            schedule_rules[sid] = rule_id
            names[sid] = name
        rules = self._ladders(rules, schedule_rules)
        rules = self._routes(rules, schedule_rules)
        rules.append(OnCallRule(id=DEFAULT_RULE_ID, name="Default", timezone="UTC"))
        config = Configuration(
            people=tuple(people),
            teams=tuple(teams),
            rules=tuple(rules),
            overrides=tuple(overrides),
            integrations=tuple(self._integrations()),
        )
        return Migration("grafana-oncall", config, self.skipped, schedule_rules, names, self.people)

    # -- people and teams ---------------------------------------------------------------------

    def _people(self) -> list[Person]:
        ids = Ids()
        people = []
        for user in self.users:
            uid = text(user.get("id"), "users: id")
            email = opt_text(user.get("email"))
            username = opt_text(user.get("username")) or (email or uid).split("@")[0]
            pid = ids.new(username, "person")
            self.people[uid] = pid
            zone = opt_text(user.get("timezone"))
            people.append(
                Person(
                    id=pid,
                    name=opt_text(user.get("name")) or username,
                    email=email,
                    timezone=zone if zone and timeutil.is_zone(zone) else None,
                )
            )
            self.skip("person", pid, "Grafana OnCall's API has no phone numbers: add one for SMS and voice")
        return people

    def _teams(self) -> list[Team]:
        ids = Ids()
        members: dict[str, list[str]] = {}
        for user in self.users:
            for team in user.get("teams") or ():
                if isinstance(team, str):
                    members.setdefault(team, []).append(self.people[user["id"]])
        teams = []
        for team in self.teams:
            tid = text(team.get("id"), "teams: id")
            name = opt_text(team.get("name")) or tid
            ident = ids.new(name, "team")
            self.team_ids[tid] = ident
            teams.append(Team(ident, name, tuple(members.get(tid, ()))))
        return teams

    # -- schedules ----------------------------------------------------------------------------

    def _link_shifts(self) -> None:
        """Each schedule's shifts: those its `shifts` lists (or that name it). A schedule listing
        none takes the shifts no schedule lists of its own team, when it is that team's only such
        schedule (reported: the public API may not link rotations made in the web UI); any shift
        still without a schedule is reported."""
        linked: set[object] = set()
        for schedule in self.schedules:
            sid = schedule.get("id")
            given = schedule.get("shifts")
            listed: list[Any] = given if isinstance(given, list) else []
            mine = [s for s in self.shifts if s.get("id") in listed or s.get("schedule") == sid]
            self.shifts_of[str(sid)] = mine
            linked.update(s.get("id") for s in mine)
        loose = [s for s in self.shifts if s.get("id") not in linked]
        empty = [
            s for s in self.schedules if not self.shifts_of[str(s.get("id"))] and s.get("type") != "ical"
        ]
        for schedule in empty:
            team = schedule.get("team_id")
            if sum(other.get("team_id") == team for other in empty) != 1:
                continue
            adopted = [s for s in loose if s.get("team_id") == team]
            if adopted:
                self.shifts_of[str(schedule.get("id"))] = adopted
                loose = [s for s in loose if s not in adopted]
                names = ", ".join(str(s.get("name")) for s in adopted)
                self.skip(
                    "schedule",
                    opt_text(schedule.get("name")) or str(schedule.get("id")),
                    f"the API lists no shifts for it; its team's unlisted shifts ({names}) are taken as "
                    "its own (approximated: --verify shows whether they are)",
                )
        for shift in loose:
            self.skip(
                "shift", str(shift.get("name") or shift.get("id")), "belongs to no schedule the API lists"
            )

    def _schedule(
        self, schedule: dict[str, Any], rule_id: str, name: str
    ) -> tuple[OnCallRule, list[Override]] | None:
        mine = self.shifts_of[schedule["id"]]
        # A shift without a zone of its own: a calendar (API-made) schedule reads it in the
        # schedule's zone, a web schedule in UTC.
        default_zone = zone_or_utc(schedule.get("time_zone")) if schedule.get("type") == "calendar" else "UTC"
        regular = [s for s in mine if s.get("type") != "override"]
        regular.sort(key=lambda s: -_level(s))
        # On a schedule of one level, layers are combined `all`: a turn of several people is then
        # one layer for each of them.
        side_by_side = len({_level(s) for s in regular}) <= 1
        layers: list[Layer] = []
        levels: list[int] = []
        for shift in regular:
            found = self._layers(shift, default_zone, side_by_side)
            layers.extend(found)
            if found:
                levels.append(_level(shift))
        if not layers:
            self.skip("schedule", name, "has no shift that can be carried over")
            return None
        combine: Any = "first"
        if len(set(levels)) == 1 and len(layers) > 1:
            combine = "all"  # shifts of one level are on call side by side
        elif len(set(levels)) < len(levels):
            self.skip(
                "schedule",
                name,
                "shifts of the same level in a schedule with several levels: where they overlap, only "
                "the one listed first is on call here (approximated)",
            )
        rule = OnCallRule(
            id=rule_id,
            name=name,
            timezone=zone_or_utc(schedule.get("time_zone")),
            layers=tuple(layers),
            combine=combine,
            escalation=default_ladder(),
        )
        overrides = []
        for shift in mine:
            if shift.get("type") == "override":
                overrides.extend(self._override(shift, rule_id, default_zone))
        return rule, overrides

    def _users(self, values: object) -> list[str]:
        found = values if isinstance(values, list) else []
        return [self.people[u] for u in found if isinstance(u, str) and u in self.people]

    def _layers(self, shift: dict[str, Any], default_zone: str, side_by_side: bool) -> list[Layer]:
        """The layers a shift becomes: one, or one per weekday for a daily rotation over some days,
        and (`side_by_side`) one for each person of a turn of several."""
        name = opt_text(shift.get("name")) or str(shift.get("id"))
        kind = shift.get("type")
        zone = _shift_zone(shift, default_zone)
        start = wall(shift.get("rotation_start") or shift.get("start"), f"on_call_shifts {name}: start")
        begin = wall(shift.get("start"), f"on_call_shifts {name}: start")
        start, begin = _naive(start, zone), _naive(begin, zone)
        duration = timedelta(seconds=_int(shift.get("duration"), f"on_call_shifts {name}: duration"))
        until = shift.get("until")
        end = _naive(wall(until, f"on_call_shifts {name}: until"), zone) if until else None
        if kind in ("rolling_users", "recurrent_event"):
            begin = to_minute(begin, "shift", name, self.skipped)
        if kind == "single_event":
            people = self._users(shift.get("users"))
            if not people:
                self.skip("shift", name, "nobody on call in it")
                return []
            return [Layer(name, zone, tuple(people), effective_start=begin, effective_end=begin + duration)]
        if kind not in ("rolling_users", "recurrent_event"):
            self.skip("shift", name, f"shift type {kind!r} has no counterpart")
            return []
        frequency = shift.get("frequency")
        if frequency not in _PERIODS:
            self.skip("shift", name, f"frequency {frequency!r}: only hourly, daily and weekly repeat here")
            return []
        period, unit = _PERIODS[frequency]
        every = _int(shift.get("interval") or 1, f"on_call_shifts {name}: interval")
        by_day = sorted({_DAYS[d] for d in shift.get("by_day") or () if d in _DAYS})
        if len(by_day) == 7 and frequency == "daily":
            by_day = []
        week_start = _DAYS.get(shift.get("week_start") or "SU", 6)
        # Turns are counted from the shift's start, moved to the first listed day (in the order of
        # the week from `week_start`) when it falls on another; turns before `rotation_start` are
        # only not shown.
        first = begin
        if by_day and first.weekday() not in by_day:
            expected = next(d for d in ((week_start + i) % 7 for i in range(7)) if d in by_day)
            first += timedelta(days=(expected - first.weekday()) % 7)
        if kind == "recurrent_event":
            people = self._users(shift.get("users"))
            windows = self._windows(name, first, duration, unit * every, frequency, by_day)
            if windows is None:
                return []
            if every != 1 and windows:
                self.skip("shift", name, f"repeats every {every} {frequency} periods with gaps between them")
                return []
            if not people:
                self.skip("shift", name, "nobody on call in it")
                return []
            return [Layer(name, zone, tuple(people), None, windows, start, end)]
        columns = self._turns(shift, name, side_by_side)
        if not columns:
            self.skip("shift", name, "nobody on call in it")
            return []
        labels = (
            [name]
            if len(columns) == 1
            else [f"{name} ({j + 1} of {len(columns)})" for j in range(len(columns))]
        )
        if frequency == "daily" and by_day:
            return [
                layer
                for label, personnel in zip(labels, columns, strict=True)
                for layer in self._daily_over_days(
                    label, zone, personnel, first, duration, every, by_day, start, end
                )
            ]
        windows = self._windows(name, first, duration, unit * every, frequency, by_day)
        if windows is None:
            return []
        if every != 1 and windows:
            self.skip("shift", name, f"repeats every {every} {frequency} periods with gaps between them")
            return []
        anchor = first
        if frequency == "weekly" and by_day:
            # A turn is a week from `week_start`, beginning with its first listed day.
            week_begin = first.date() - timedelta(days=(first.weekday() - week_start) % 7)
            offset = min((d - week_start) % 7 for d in by_day)
            anchor = datetime.combine(week_begin + timedelta(days=offset), first.time())
        rotation = Rotation(period, every, anchor.time(), anchor.date())
        return [
            Layer(label, zone, tuple(personnel), rotation, windows, start, end)
            for label, personnel in zip(labels, columns, strict=True)
        ]

    def _turns(self, shift: dict[str, Any], name: str, side_by_side: bool) -> list[list[str]]:
        """The rotation's turns in order, as one list per person of a turn: several when every turn
        has as many people and they can be on call side by side, else each turn's first person."""
        groups = [g for g in shift.get("rolling_users") or () if isinstance(g, list)]
        first = shift.get("start_rotation_from_user_index") or 0
        if isinstance(first, int) and 0 < first < len(groups):
            groups = groups[first:] + groups[:first]
        turns = []
        for group in groups:
            members = self._users(group)
            if not members:
                self.skip("shift", name, "a turn with nobody in it is dropped from the rotation")
                continue
            turns.append(members)
        sizes = {len(turn) for turn in turns}
        if side_by_side and len(sizes) == 1:
            return [[turn[j] for turn in turns] for j in range(sizes.pop())] if turns else []
        for turn in turns:
            if len(turn) > 1:
                self.skip(
                    "shift", name, f"a turn of {len(turn)} people: only {turn[0]} is on call in it here"
                )
        return [[turn[0] for turn in turns]] if turns else []

    def _daily_over_days(
        self,
        name: str,
        zone: str,
        personnel: list[str],
        first: datetime,
        duration: timedelta,
        every: int,
        by_day: list[int],
        start: datetime,
        end: datetime | None,
    ) -> list[Layer]:
        """A daily rotation over some weekdays passes a turn on every `every` listed days, the other
        days not counting: one weekly layer per listed day, whose turns are that day's share."""
        if duration > timedelta(days=1):
            self.skip("shift", name, "a daily shift over some weekdays that lasts more than a day")
            return []
        count, cycle = len(by_day), every * len(personnel)
        weeks = cycle // gcd(count, cycle)
        layers = []
        for day in sorted(by_day, key=lambda d: (d - first.weekday()) % 7):
            offset = (day - first.weekday()) % 7
            earlier = sum(1 for d in by_day if (d - first.weekday()) % 7 < offset)
            turns = tuple(personnel[((earlier + m * count) // every) % len(personnel)] for m in range(weeks))
            windows = span_windows(day, first.time(), duration)
            if windows is None:
                self.skip("shift", name, "its length is not in whole minutes")
                return []
            anchor = first + timedelta(days=offset)
            rotation = Rotation("weekly", 1, anchor.time(), anchor.date())
            label = f"{name} ({WEEKDAYS[day]})"
            layers.append(Layer(label, zone, turns, rotation, merge_windows(windows), start, end))
        return layers

    def _windows(
        self,
        name: str,
        begin: datetime,
        duration: timedelta,
        period: timedelta,
        frequency: str,
        by_day: list[int],
    ) -> tuple[Window, ...] | None:
        if duration > period:
            self.skip("shift", name, "lasts longer than its repeat: its turns overlap")
            return None
        if duration == period and not by_day:
            return ()
        if frequency == "hourly":
            self.skip("shift", name, "an hourly shift shorter than its repeat has no counterpart")
            return None
        days = by_day or ([begin.weekday()] if frequency == "weekly" else list(range(7)))
        if frequency == "daily" and period != timedelta(days=1) and not by_day:
            self.skip(
                "shift", name, "a daily shift shorter than its repeat of several days has no counterpart"
            )
            return None
        windows: list[Window] = []
        for day in days:
            spans = span_windows(day, begin.time(), duration)
            if spans is None:
                self.skip("shift", name, "its length is not in whole minutes")
                return None
            windows.extend(spans)
        return merge_windows(windows)

    def _override(self, shift: dict[str, Any], rule_id: str, default_zone: str) -> list[Override]:
        name = opt_text(shift.get("name")) or str(shift.get("id"))
        zone = timeutil.zone(_shift_zone(shift, default_zone))
        start = wall(shift.get("rotation_start") or shift.get("start"), f"on_call_shifts {name}: start")
        duration = timedelta(seconds=_int(shift.get("duration"), f"on_call_shifts {name}: duration"))
        people = self._users(shift.get("users"))
        if not people:
            self.skip("override", name, "nobody on call in it")
            return []
        if len(people) > 1:
            self.skip("override", name, f"{len(people)} people: only {people[0]} takes it here")
        at = timeutil.to_instant(start, zone)
        return [Override(rule_id, people[0], at, at + duration)]

    # -- escalation and routing ---------------------------------------------------------------

    def _chain_steps(self, chain_id: str, chain_name: str, schedule_id: str) -> tuple[list[Step], int | None]:
        """The chain's notifications at their instants, and how often its last level repeats."""
        steps: list[Step] = []
        wait = 0
        repeat: int | None = None
        mine = [p for p in self.policies if p.get("escalation_chain_id") == chain_id]
        mine.sort(key=_position)
        for policy in mine:
            kind = policy.get("type")
            channels = IMPORTANT_CHANNELS if policy.get("important") else DEFAULT_CHANNELS
            where = f"{chain_name} step {policy.get('position')}"
            if kind == "wait":
                wait += _int(policy.get("duration") or 0, f"escalation_policies {where}: duration") // 60
            elif kind == "notify_on_call_from_schedule":
                if policy.get("notify_on_call_from_schedule") == schedule_id:
                    steps.append(Step(wait, "oncall", "", channels))
                else:
                    self.skip(
                        "escalation", where, "notifies another schedule's on-call people: not carried over"
                    )
            elif kind == "notify_persons":
                for uid in policy.get("persons_to_notify") or ():
                    if uid in self.people:
                        steps.append(Step(wait, "person", self.people[uid], channels))
            elif kind == "notify_team_members":
                team = self.team_ids.get(policy.get("team_to_notify") or "")
                if team is None:
                    self.skip("escalation", where, "notifies a team that is not in the API's team list")
                else:
                    steps.append(Step(wait, "team", team, channels))
            elif kind == "notify_user_group":
                self.skip(
                    "escalation", where, "notify_user_group notifies a Slack user group: not carried over"
                )
            elif kind == "notify_person_next_each_time":
                self.skip(
                    "escalation", where, "notify_person_next_each_time (round robin) has no counterpart"
                )
            elif kind == "repeat_escalation" and steps and repeat is None:
                last = max(step.wait for step in steps)
                repeat = max(1, wait - last) if wait > last else max(1, wait)
                self.skip(
                    "escalation",
                    where,
                    f"repeat_escalation starts the chain again (at most 5 times): the last level repeats "
                    f"every {repeat} minutes instead, until acknowledged (approximated)",
                )
            else:
                self.skip("escalation", where, f"step type {kind!r} has no counterpart")
        return steps, repeat

    def _chain_schedule(self, chain_id: str) -> str | None:
        for policy in self.policies:
            if (
                policy.get("escalation_chain_id") == chain_id
                and policy.get("type") == "notify_on_call_from_schedule"
            ):
                value = policy.get("notify_on_call_from_schedule")
                return value if isinstance(value, str) else None
        return None

    def _ladders(self, rules: list[OnCallRule], schedule_rules: dict[str, str]) -> list[OnCallRule]:
        by_id = {r.id: r for r in rules}
        given: set[str] = set()
        for chain in self.chains:
            cid = text(chain.get("id"), "escalation_chains: id")
            name = opt_text(chain.get("name")) or cid
            sid = self._chain_schedule(cid)
            rule_id = schedule_rules.get(sid or "")
            if rule_id is None:
                self.skip(
                    "escalation", name, "notifies no migrated schedule's on-call people: not carried over"
                )
                continue
            if rule_id in given:
                self.skip(
                    "escalation", name, f"a second chain for rule {rule_id}: its first chain is the ladder"
                )
                continue
            given.add(rule_id)
            steps, repeat = self._chain_steps(cid, name, sid or "")
            by_id[rule_id] = _with(by_id[rule_id], escalation=ladder(steps, repeat, name, self.skipped))
        return [by_id[r.id] for r in rules]

    def _routes(self, rules: list[OnCallRule], schedule_rules: dict[str, str]) -> list[OnCallRule]:
        conditions: dict[str, list[str]] = {}
        defaults: set[str] = set()
        for route in self.routes:
            rid = str(route.get("id"))
            sid = self._chain_schedule(str(route.get("escalation_chain_id")))
            rule_id = schedule_rules.get(sid or "")
            if rule_id is None:
                self.skip("route", rid, "its escalation chain reaches no migrated schedule")
                continue
            if route.get("is_the_last_route"):
                defaults.add(rule_id)
                continue
            if route.get("routing_type") == "jinja2":
                self.skip("route", rid, "a Jinja2 routing template cannot be matched against tags")
                continue
            regex = route.get("routing_regex")
            condition = _condition(regex) if isinstance(regex, str) else None
            if condition is None:
                self.skip("route", rid, f"routing_regex {regex!r} is not a plain key/value test")
                continue
            conditions.setdefault(rule_id, []).append(condition)
        result = []
        for rule in rules:
            found = tuple(dict.fromkeys(conditions.get(rule.id, ())))
            if found and rule.id in defaults:
                self.skip(
                    "route",
                    rule.id,
                    "also an integration's default route: alerts matching no route reach the untagged rules",
                )
            mode: Any = "any" if len(found) > 1 else "all"
            result.append(_with(rule, match=MatchConditions(mode, found)) if found else rule)
        return result

    # -- integrations -------------------------------------------------------------------------

    def _integrations(self) -> list[Integration]:
        ids = Ids()
        result = []
        for raw in self.integrations:
            name = opt_text(raw.get("name")) or str(raw.get("id"))
            link = opt_text(raw.get("link")) or ""
            parts = [p for p in link.split("?")[0].split("/") if p]
            kind_in_path = parts[-2] if len(parts) >= 2 else str(raw.get("type"))
            kind = intake_kind_for_path(kind_in_path) or intake_kind_for_path(str(raw.get("type")))
            if kind is None:
                self.skip(
                    "integration",
                    name,
                    f"type {raw.get('type')!r}: the station receives Alertmanager, Grafana Alerting and "
                    "webhook alerts only",
                )
                continue
            token = parts[-1] if len(parts) >= 2 else None
            if token is None or len(token) < MIN_TOKEN_LENGTH or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
                self.skip("integration", name, "no usable token in its link: it gets a new URL")
                token = None
            result.append(Integration(ids.new(name, "integration"), name, kind, token))
        return result


def _condition(regex: str) -> str | None:
    for pattern in _CONDITION_PATTERNS:
        match = pattern.fullmatch(regex.strip())
        if match:
            return f"{match['key']}:{match['value']}"
    return None


def _level(shift: dict[str, Any]) -> int:
    level = shift.get("level", shift.get("priority_level"))
    return level if isinstance(level, int) else 0


def _shift_zone(shift: dict[str, Any], default_zone: str) -> str:
    zone = shift.get("time_zone")
    return zone_or_utc(zone) if zone else default_zone


def _position(policy: dict[str, Any]) -> int:
    position = policy.get("position")
    return position if isinstance(position, int) else 0


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MigrationError(f"{where}: expected a whole number, found {value!r}")
    return value


def _naive(value: datetime, zone: str) -> datetime:
    """Wall-clock time in `zone` (a value with an offset is first moved there)."""
    if value.tzinfo is None:
        return value
    return timeutil.wall_clock(value, timeutil.zone(zone))


def _with(rule: OnCallRule, **changes: Any) -> OnCallRule:
    return replace(rule, **changes)
