"""Opsgenie's REST API (`{URL}/v2/…`, header `Authorization: GenieKey <key>`) as a §6 configuration
(SPEC §11).

Each schedule becomes a rule whose rotations are layers combined `all` (Opsgenie pages every active
rotation); a rotation's `timeRestriction` becomes its windows. The escalation that notifies the
schedule is the rule's ladder, each rule's delay counted from the alert's creation as Opsgenie does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta
from typing import Any

from oncall_desktop import timeutil
from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    Configuration,
    Layer,
    OnCallRule,
    Override,
    Person,
    Rotation,
    RotationPeriod,
    Team,
    Window,
)
from oncall_desktop.migration.common import (
    DEFAULT_CHANNELS,
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

_PERIODS: dict[str, RotationPeriod] = {"hourly": "hours", "daily": "daily", "weekly": "weekly"}
_DAY_NAMES = {
    name: i
    for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}


def migrate(source: Source) -> Migration:
    users = from_pages(source.pages("users"), "data", "users")
    contacts = {
        text(u.get("id"), "users: id"): items(
            obj(source.get(f"users/{u['id']}/contacts"), "contacts").get("data"), f"users/{u['id']}/contacts"
        )
        for u in users
    }
    teams = []
    for team in from_pages(source.pages("teams"), "data", "teams"):
        tid = text(team.get("id"), "teams: id")
        teams.append(obj(obj(source.get(f"teams/{tid}"), f"teams/{tid}").get("data"), f"teams/{tid}: data"))
    schedules = from_pages(source.pages("schedules", {"expand": "rotation"}), "data", "schedules")
    overrides = {
        text(s.get("id"), "schedules: id"): items(
            obj(source.get(f"schedules/{s['id']}/overrides"), "overrides").get("data"),
            f"schedules/{s['id']}/overrides",
        )
        for s in schedules
    }
    escalations = from_pages(source.pages("escalations"), "data", "escalations")
    return _Mapper(users, contacts, teams, schedules, overrides, escalations).run()


class _Mapper:
    def __init__(
        self,
        users: list[dict[str, Any]],
        contacts: dict[str, list[dict[str, Any]]],
        teams: list[dict[str, Any]],
        schedules: list[dict[str, Any]],
        overrides: dict[str, list[dict[str, Any]]],
        escalations: list[dict[str, Any]],
    ) -> None:
        self.users, self.contacts, self.teams = users, contacts, teams
        self.schedules, self.overrides, self.escalations = schedules, overrides, escalations
        self.skipped: list[Skipped] = []
        self.people: dict[str, str] = {}
        self.team_ids: dict[str, str] = {}

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
        for schedule in self.schedules:
            sid = schedule["id"]
            name = opt_text(schedule.get("name")) or sid
            if schedule.get("enabled") is False:
                self.skip("schedule", name, "disabled in Opsgenie")
                continue
            rule_id = rule_ids.new(name, "schedule")
            zone = zone_or_utc(schedule.get("timezone"))
            layers = [
                layer for r in schedule.get("rotations") or () if (layer := self._layer(r, zone)) is not None
            ]
            if not layers:
                self.skip("schedule", name, "has no rotation that can be carried over")
                continue
            rules.append(
                OnCallRule(
                    rule_id, name, zone, layers=tuple(layers), combine="all", escalation=default_ladder()
                )
            )
            overrides.extend(self._overrides(self.overrides.get(sid, []), rule_id, name))
            schedule_rules[sid] = rule_id
            names[sid] = name
        rules = self._ladders(rules, schedule_rules)
        rules.append(OnCallRule(id=DEFAULT_RULE_ID, name="Default", timezone="UTC"))
        config = Configuration(tuple(people), tuple(teams), tuple(rules), tuple(overrides))
        return Migration("opsgenie", config, self.skipped, schedule_rules, names, self.people)

    def _people(self) -> list[Person]:
        ids = Ids()
        people = []
        for user in self.users:
            uid = user["id"]
            username = opt_text(user.get("username")) or uid
            pid = ids.new(username.split("@")[0], "person")
            self.people[uid] = pid
            email = username if "@" in username else None
            phone = None
            for contact in self.contacts.get(uid, ()):
                if contact.get("enabled") is False:
                    continue
                method, to = contact.get("method"), opt_text(contact.get("to"))
                if method == "email" and email is None:
                    email = to
                elif method in ("sms", "voice") and phone is None and to:
                    country, _, number = to.partition("-")
                    phone = e164(country, number) if number else e164("", to)
            if phone is None:
                self.skip("person", pid, "no SMS or voice contact in Opsgenie: add a phone for SMS and voice")
            zone = opt_text(user.get("timeZone"))
            people.append(
                Person(
                    id=pid,
                    name=opt_text(user.get("fullName")) or username,
                    email=email,
                    phone=phone,
                    timezone=zone if zone and timeutil.is_zone(zone) else None,
                )
            )
        return people

    def _teams(self) -> list[Team]:
        ids = Ids()
        teams = []
        for team in self.teams:
            tid = text(team.get("id"), "teams: id")
            name = opt_text(team.get("name")) or tid
            ident = ids.new(name, "team")
            self.team_ids[tid] = ident
            members = []
            for member in team.get("members") or ():
                user = member.get("user") if isinstance(member, dict) else None
                uid = user.get("id") if isinstance(user, dict) else None
                if isinstance(uid, str) and uid in self.people:
                    members.append(self.people[uid])
            teams.append(Team(ident, name, tuple(members)))
        return teams

    def _layer(self, rotation: dict[str, Any], zone: str) -> Layer | None:
        name = opt_text(rotation.get("name")) or str(rotation.get("id"))
        kind = rotation.get("type")
        if kind not in _PERIODS:
            self.skip("rotation", name, f"rotation type {kind!r} has no counterpart")
            return None
        tz = timeutil.zone(zone)
        start = instant(rotation.get("startDate"), f"rotation {name}: startDate")
        end = (
            instant(rotation.get("endDate"), f"rotation {name}: endDate") if rotation.get("endDate") else None
        )
        length = rotation.get("length") or 1
        if not isinstance(length, int) or length < 1:
            raise MigrationError(f"rotation {name}: length: expected a positive whole number")
        personnel = []
        for participant in rotation.get("participants") or ():
            ptype = participant.get("type") if isinstance(participant, dict) else None
            if ptype == "user" and participant.get("id") in self.people:
                personnel.append(self.people[participant["id"]])
            else:
                self.skip("rotation", name, f"a {ptype} participant cannot take a turn here: left out")
        if not personnel:
            self.skip("rotation", name, "nobody takes a turn in it")
            return None
        windows = self._restriction(rotation.get("timeRestriction"), name)
        if windows is None:
            return None
        local = to_minute(timeutil.wall_clock(start, tz), "rotation", name, self.skipped)
        return Layer(
            name=name,
            timezone=None,
            personnel=tuple(personnel),
            rotation=Rotation(_PERIODS[kind], length, local.time(), local.date()),
            windows=windows,
            effective_start=start,
            effective_end=end,
        )

    def _restriction(self, value: object, name: str) -> tuple[Window, ...] | None:
        if value is None:
            return ()
        restriction = obj(value, f"rotation {name}: timeRestriction")
        kind = restriction.get("type")
        windows: list[Window] = []
        if kind == "time-of-day":
            r = obj(restriction.get("restriction"), f"rotation {name}: timeRestriction.restriction")
            start, end = _hm(r.get("startHour"), r.get("startMin")), _hm(r.get("endHour"), r.get("endMin"))
            return (Window(tuple(range(7)), start, end),)
        if kind == "weekday-and-time-of-day":
            for r in items(restriction.get("restrictions"), f"rotation {name}: timeRestriction.restrictions"):
                day, last = _DAY_NAMES.get(str(r.get("startDay"))), _DAY_NAMES.get(str(r.get("endDay")))
                if day is None or last is None:
                    self.skip("rotation", name, "a restriction names an unknown day")
                    return None
                start, end = (
                    _hm(r.get("startHour"), r.get("startMin")),
                    _hm(r.get("endHour"), r.get("endMin")),
                )
                span = timedelta(
                    days=(last - day) % 7, hours=end.hour - start.hour, minutes=end.minute - start.minute
                )
                if span <= timedelta(0):
                    span += timedelta(days=7)
                windows.extend(span_windows(day, start, span) or ())
            return merge_windows(windows)
        self.skip("rotation", name, f"time restriction {kind!r} has no counterpart")
        return None

    def _overrides(self, raw: list[dict[str, Any]], rule_id: str, schedule: str) -> list[Override]:
        result = []
        for item in raw:
            alias = opt_text(item.get("alias")) or schedule
            user = sub(item.get("user"))
            pid = self.people.get(user.get("id") or "")
            if pid is None:
                self.skip("override", alias, "its user is not a migrated person")
                continue
            if item.get("rotations"):
                self.skip(
                    "override", alias, "limited to some rotations: it overrides the whole rule (approximated)"
                )
            start = instant(item.get("startDate"), f"override {alias}: startDate")
            end = instant(item.get("endDate"), f"override {alias}: endDate")
            result.append(Override(rule_id, pid, start, end))
        return result

    def _ladders(self, rules: list[OnCallRule], schedule_rules: dict[str, str]) -> list[OnCallRule]:
        by_id = {r.id: r for r in rules}
        given: set[str] = set()
        for escalation in self.escalations:
            name = opt_text(escalation.get("name")) or str(escalation.get("id"))
            raw_rules = escalation.get("rules") or []
            schedule = next(
                (
                    r["recipient"].get("id")
                    for r in raw_rules
                    if isinstance(r, dict)
                    and isinstance(r.get("recipient"), dict)
                    and r["recipient"].get("type") == "schedule"
                    and r["recipient"].get("id") in schedule_rules
                ),
                None,
            )
            rule_id = schedule_rules.get(schedule or "")
            if rule_id is None:
                self.skip(
                    "escalation", name, "notifies no migrated schedule's on-call people: not carried over"
                )
                continue
            if rule_id in given:
                self.skip(
                    "escalation", name, f"a second escalation for rule {rule_id}: the first is the ladder"
                )
                continue
            given.add(rule_id)
            steps = []
            for i, r in enumerate(items(raw_rules, f"escalation {name}: rules")):
                where = f"{name} rule {i}"
                notify = r.get("notifyType", "default")
                if notify not in ("default", "all"):
                    self.skip("escalation", where, f"notifyType {notify!r} has no counterpart")
                    continue
                delay = obj(r.get("delay") or {"timeAmount": 0}, f"escalation {where}: delay")
                amount = delay.get("timeAmount") or 0
                if not isinstance(amount, int):
                    raise MigrationError(f"escalation {where}: delay.timeAmount: expected a whole number")
                unit = str(delay.get("timeUnit", "minutes"))
                if unit not in _MINUTES:
                    raise MigrationError(
                        f"escalation {where}: delay.timeUnit {unit!r} is not minutes, hours or days"
                    )
                wait = amount * _MINUTES[unit]
                recipient = obj(r.get("recipient"), f"escalation {where}: recipient")
                rtype, rid = recipient.get("type"), recipient.get("id")
                if rtype == "schedule" and rid == schedule:
                    steps.append(Step(wait, "oncall", "", DEFAULT_CHANNELS))
                elif rtype == "user" and rid in self.people:
                    steps.append(Step(wait, "person", self.people[rid]))
                elif rtype == "team" and rid in self.team_ids:
                    steps.append(Step(wait, "team", self.team_ids[rid]))
                else:
                    self.skip(
                        "escalation",
                        where,
                        f"recipient {rtype} {recipient.get('name') or rid!r} is not carried over",
                    )
            repeat = None
            raw_repeat = escalation.get("repeat")
            if (
                isinstance(raw_repeat, dict)
                and isinstance(raw_repeat.get("waitInterval"), int)
                and raw_repeat["waitInterval"] > 0
            ):
                repeat = raw_repeat["waitInterval"]
                self.skip(
                    "escalation",
                    name,
                    f"repeats after {repeat} minutes: the last level repeats instead (approximated)",
                )
            conditions = {r.get("condition", "if-not-acked") for r in raw_rules if isinstance(r, dict)}
            until_resolved = conditions == {"if-not-closed"}
            if len(conditions) > 1:
                self.skip(
                    "escalation",
                    name,
                    "mixes if-not-acked and if-not-closed rules: every level stops at the acknowledgement "
                    "(approximated)",
                )
            levels = ladder(steps, repeat, name, self.skipped, until_resolved=until_resolved)
            by_id[rule_id] = replace(by_id[rule_id], escalation=levels)
        return [by_id[r.id] for r in rules]


def _hm(hour: object, minute: object) -> time:
    h = hour if isinstance(hour, int) else 0
    m = minute if isinstance(minute, int) else 0
    if h == 24:
        h = 0
    if not (0 <= h < 24 and 0 <= m < 60):
        raise MigrationError(f"time restriction: {hour}:{minute} is not a time of day")
    return time(h, m)
