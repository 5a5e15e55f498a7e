"""PagerDuty's REST API (`https://api.pagerduty.com/…`, header `Authorization: Token token=<key>`) as
a §6 configuration (SPEC §11).

Each schedule's layers (highest priority first) become a rule's layers combined `first`, with their
restrictions as windows; each service becomes a rule matched on `service:<name>`, staffed by the
schedule its escalation policy notifies first, with the policy as its ladder. A schedule no service
reaches becomes an untagged rule of its own.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from oncall_desktop import timeutil
from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    Configuration,
    EscalationLevel,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Team,
    Window,
)
from oncall_desktop.migration.common import (
    Ids,
    Migration,
    Skipped,
    Step,
    default_ladder,
    e164,
    from_pages,
    instant,
    items,
    ladder,
    merge_windows,
    obj,
    opt_text,
    span_windows,
    sub,
    text,
    to_minute,
    zone_or_utc,
)
from oncall_desktop.migration.http import MigrationError, Source

OVERRIDES_AHEAD = timedelta(days=365)


def migrate(source: Source, now: datetime) -> Migration:
    users = from_pages(source.pages("users", {"include[]": "contact_methods"}), "users", "users")
    teams = from_pages(source.pages("teams"), "teams", "teams")
    members = {
        text(t.get("id"), "teams: id"): from_pages(
            source.pages(f"teams/{t['id']}/members"), "members", f"teams/{t['id']}/members"
        )
        for t in teams
    }
    listed = from_pages(source.pages("schedules"), "schedules", "schedules")
    window = {"since": timeutil.format_instant(now), "until": timeutil.format_instant(now + OVERRIDES_AHEAD)}
    schedules = []
    overrides = {}
    for entry in listed:
        sid = text(entry.get("id"), "schedules: id")
        schedules.append(
            obj(
                obj(source.get(f"schedules/{sid}"), f"schedules/{sid}").get("schedule"),
                f"schedules/{sid}: schedule",
            )
        )
        overrides[sid] = from_pages(
            source.pages(f"schedules/{sid}/overrides", window), "overrides", f"schedules/{sid}/overrides"
        )
    policies = from_pages(source.pages("escalation_policies"), "escalation_policies", "escalation_policies")
    services = from_pages(source.pages("services"), "services", "services")
    return _Mapper(users, teams, members, schedules, overrides, policies, services).run()


class _Mapper:
    def __init__(
        self,
        users: list[dict[str, Any]],
        teams: list[dict[str, Any]],
        members: dict[str, list[dict[str, Any]]],
        schedules: list[dict[str, Any]],
        overrides: dict[str, list[dict[str, Any]]],
        policies: list[dict[str, Any]],
        services: list[dict[str, Any]],
    ) -> None:
        self.users, self.teams, self.members = users, teams, members
        self.schedules, self.overrides, self.policies, self.services = (
            schedules,
            overrides,
            policies,
            services,
        )
        self.skipped: list[Skipped] = []
        self.people: dict[str, str] = {}
        self.team_ids: dict[str, str] = {}

    def skip(self, kind: str, ident: object, reason: str) -> None:
        self.skipped.append(Skipped(kind, str(ident), reason))

    def run(self) -> Migration:
        people = self._people()
        teams = self._teams()
        staffed: dict[str, OnCallRule] = {}
        schedule_overrides: dict[str, list[tuple[str, datetime, datetime]]] = {}
        names: dict[str, str] = {}
        for schedule in self.schedules:
            sid = text(schedule.get("id"), "schedules: id")
            name = opt_text(schedule.get("name")) or sid
            built = self._schedule(schedule, name)
            if built is not None:
                staffed[sid] = built
                names[sid] = name
                schedule_overrides[sid] = self._overrides(self.overrides.get(sid, []), name)
        rule_ids = Ids()
        rule_ids.reserve(DEFAULT_RULE_ID)
        rules: list[OnCallRule] = []
        overrides: list[Override] = []
        schedule_rules: dict[str, str] = {}
        policies = {p.get("id"): p for p in self.policies}
        used_policies: set[str] = set()
        for service in self.services:
            name = opt_text(service.get("name")) or str(service.get("id"))
            if service.get("status") == "disabled":
                self.skip("service", name, "disabled in PagerDuty")
                continue
            policy = policies.get(sub(service.get("escalation_policy")).get("id"))
            if policy is None:
                self.skip("service", name, "its escalation policy is not in the API's list")
                continue
            first, escalation = self._policy(policy)
            if first is None or first not in staffed:
                self.skip("service", name, "its escalation policy notifies no migrated schedule first")
                continue
            used_policies.add(str(policy.get("id")))
            rule_id = rule_ids.new(name, "service")
            rules.append(
                replace(
                    staffed[first],
                    id=rule_id,
                    name=name,
                    match=MatchConditions("all", (f"service:{name}",)),
                    escalation=escalation,
                )
            )
            overrides.extend(Override(rule_id, p, s, e) for p, s, e in schedule_overrides[first])
            schedule_rules.setdefault(first, rule_id)
        for policy in self.policies:
            if str(policy.get("id")) not in used_policies:
                self.skip(
                    "escalation",
                    opt_text(policy.get("name")) or str(policy.get("id")),
                    "no migrated service uses it",
                )
        for sid, rule in staffed.items():
            if sid in schedule_rules:
                continue
            rule_id = rule_ids.new(rule.name, "schedule")
            rules.append(replace(rule, id=rule_id))
            overrides.extend(Override(rule_id, p, s, e) for p, s, e in schedule_overrides[sid])
            schedule_rules[sid] = rule_id
        rules.append(OnCallRule(id=DEFAULT_RULE_ID, name="Default", timezone="UTC"))
        config = Configuration(tuple(people), tuple(teams), tuple(rules), tuple(overrides))
        return Migration("pagerduty", config, self.skipped, schedule_rules, names, self.people)

    def _people(self) -> list[Person]:
        ids = Ids()
        people = []
        for user in self.users:
            uid = text(user.get("id"), "users: id")
            email = opt_text(user.get("email"))
            name = opt_text(user.get("name")) or email or uid
            pid = ids.new((email or name).split("@")[0], "person")
            self.people[uid] = pid
            phone = None
            for method in user.get("contact_methods") or ():
                if not isinstance(method, dict):
                    continue
                if method.get("type") in ("phone_contact_method", "sms_contact_method") and phone is None:
                    phone = e164(method.get("country_code"), method.get("address"))
            if phone is None:
                self.skip(
                    "person", pid, "no phone contact method in PagerDuty: add a phone for SMS and voice"
                )
            zone = opt_text(user.get("time_zone"))
            people.append(
                Person(pid, name, email, phone, timezone=zone if zone and timeutil.is_zone(zone) else None)
            )
        return people

    def _teams(self) -> list[Team]:
        ids = Ids()
        teams = []
        for team in self.teams:
            tid = team["id"]
            name = opt_text(team.get("name")) or tid
            ident = ids.new(name, "team")
            self.team_ids[tid] = ident
            members = []
            for member in self.members.get(tid, ()):
                user = sub(member.get("user"))
                if user.get("id") in self.people:
                    members.append(self.people[user["id"]])
            teams.append(Team(ident, name, tuple(members)))
        return teams

    def _schedule(self, schedule: dict[str, Any], name: str) -> OnCallRule | None:
        zone = zone_or_utc(schedule.get("time_zone"))
        layers = []
        for raw in items(schedule.get("schedule_layers") or [], f"schedule {name}: schedule_layers"):
            layer = self._layer(raw, zone)
            if layer is not None:
                layers.append(layer)
        if not layers:
            self.skip("schedule", name, "has no layer that can be carried over")
            return None
        return OnCallRule(
            name, name, zone, layers=tuple(layers), combine="first", escalation=default_ladder()
        )

    def _layer(self, raw: dict[str, Any], zone: str) -> Layer | None:
        name = opt_text(raw.get("name")) or str(raw.get("id"))
        tz = timeutil.zone(zone)
        virtual = instant(raw.get("rotation_virtual_start"), f"layer {name}: rotation_virtual_start")
        start = instant(raw.get("start"), f"layer {name}: start") if raw.get("start") else None
        end = instant(raw.get("end"), f"layer {name}: end") if raw.get("end") else None
        turn = raw.get("rotation_turn_length_seconds")
        if not isinstance(turn, int) or turn <= 0:
            raise MigrationError(
                f"layer {name}: rotation_turn_length_seconds: expected a positive whole number"
            )
        if turn % (7 * 86400) == 0:
            rotation_period, every = "weekly", turn // (7 * 86400)
        elif turn % 86400 == 0:
            rotation_period, every = "daily", turn // 86400
        elif turn % 3600 == 0:
            rotation_period, every = "hours", turn // 3600
        else:
            self.skip("layer", name, f"turns of {turn} seconds: only whole hours rotate here")
            return None
        personnel = []
        for entry in raw.get("users") or ():
            user = sub(sub(entry).get("user"))
            if user.get("id") in self.people:
                personnel.append(self.people[user["id"]])
        if not personnel:
            self.skip("layer", name, "nobody takes a turn in it")
            return None
        windows: list[Window] = []
        for restriction in items(raw.get("restrictions") or [], f"layer {name}: restrictions"):
            found = self._restriction(restriction, name)
            if found is None:
                return None
            windows.extend(found)
        local = to_minute(timeutil.wall_clock(virtual, tz), "layer", name, self.skipped)
        period: Any = rotation_period
        return Layer(
            name=name,
            personnel=tuple(personnel),
            rotation=Rotation(period, every, local.time(), local.date()),
            windows=merge_windows(windows),
            effective_start=start,
            effective_end=end,
        )

    def _restriction(self, raw: dict[str, Any], name: str) -> list[Window] | None:
        kind = raw.get("type")
        clock = raw.get("start_time_of_day")
        seconds = raw.get("duration_seconds")
        try:
            start = time.fromisoformat(str(clock)).replace(tzinfo=None)
        except ValueError:
            raise MigrationError(f"layer {name}: start_time_of_day {clock!r} is not a time of day") from None
        if start.second or start.microsecond:
            self.skip(
                "layer", name, f"a restriction from {start.isoformat()}: windows start on a whole minute"
            )
            start = start.replace(second=0, microsecond=0)
        if not isinstance(seconds, int) or seconds <= 0:
            raise MigrationError(f"layer {name}: duration_seconds: expected a positive whole number")
        duration = timedelta(seconds=seconds)
        if kind == "daily_restriction":
            result: list[Window] = []
            for day in range(7):
                result.extend(span_windows(day, start, duration) or ())
            return result
        if kind == "weekly_restriction":
            weekday = raw.get("start_day_of_week")
            if not isinstance(weekday, int) or not 1 <= weekday <= 7:
                raise MigrationError(f"layer {name}: start_day_of_week: expected 1 (Monday) to 7 (Sunday)")
            found = span_windows(weekday - 1, start, duration)
            if found is None:
                self.skip("layer", name, "a restriction not in whole minutes")
            return found
        self.skip("layer", name, f"restriction type {kind!r} has no counterpart")
        return None

    def _overrides(self, raw: list[dict[str, Any]], schedule: str) -> list[tuple[str, datetime, datetime]]:
        result = []
        for item in raw:
            user = sub(item.get("user"))
            pid = self.people.get(user.get("id") or "")
            if pid is None:
                self.skip("override", f"{schedule} {item.get('id')}", "its user is not a migrated person")
                continue
            result.append(
                (pid, instant(item.get("start"), "override start"), instant(item.get("end"), "override end"))
            )
        return result

    def _policy(self, policy: dict[str, Any]) -> tuple[str | None, tuple[EscalationLevel, ...]]:
        """The schedule the policy notifies first, and the policy as a ladder."""
        name = opt_text(policy.get("name")) or str(policy.get("id"))
        schedule: str | None = None
        steps: list[Step] = []
        wait = 0
        for i, rule in enumerate(
            items(policy.get("escalation_rules") or [], f"policy {name}: escalation_rules")
        ):
            for target in items(rule.get("targets") or [], f"policy {name}: targets"):
                ttype, tid = target.get("type"), target.get("id")
                if ttype in ("schedule_reference", "schedule") and (schedule is None or tid == schedule):
                    schedule = tid if isinstance(tid, str) else None
                    steps.append(Step(wait, "oncall", ""))
                elif ttype in ("user_reference", "user") and tid in self.people:
                    steps.append(Step(wait, "person", self.people[tid]))
                else:
                    self.skip("escalation", f"{name} rule {i}", f"target {ttype} {tid} is not carried over")
            delay = rule.get("escalation_delay_in_minutes", 0)
            if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
                raise MigrationError(f"policy {name}: escalation_delay_in_minutes: expected whole minutes")
            wait += delay
        loops = policy.get("num_loops")
        repeat = None
        if isinstance(loops, int) and loops > 0:
            repeat = max(1, wait - (steps[-1].wait if steps else 0))
            self.skip(
                "escalation",
                name,
                f"num_loops {loops}: the last level repeats every {repeat} minutes (approximated)",
            )
        return schedule, ladder(steps, repeat, name, self.skipped)
