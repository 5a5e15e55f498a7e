"""The semantic checks of SPEC §3 and §6 on domain objects: limits, subsets, references and
warnings; the GUI runs them on an edited configuration, `config validate` on a file."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

from oncall_desktop import planning_config, timeutil
from oncall_desktop.domain import (
    ALL_SEVERITIES,
    COMBINE_MODES,
    INTEGRATION_KINDS,
    LADDER_STATUSES,
    ROTATION_PERIODS,
    TEAM_PREFIX,
    WEEKDAYS,
    Channel,
    Configuration,
    EscalationLevel,
    Integration,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Settings,
    Status,
    Target,
    Team,
    Window,
    sorted_severities,
    sorted_statuses,
)
from oncall_desktop.integrations import token_problems
from oncall_desktop.reach_validation import check_reach
from oncall_desktop.station_address import InvalidNumberError, e164, parse_listen
from oncall_desktop.validation.problems import Paths, Problem, has_errors, layer_path, short, years_reason

MAX_LEVELS_AFTER_ZERO = 10
MAX_WAIT_MINUTES = 360
MAX_REPEAT_MINUTES = 1440
MAX_ROTATION_EVERY = {"hours": 8784, "daily": 366, "weekly": 52, "monthly": 12}
"""A shift lasts at most a year: longer ones are surely typos, and the planner's date arithmetic
must never leave the years dates can hold."""
LEASE_SECONDS = (5, 300)
SMTP_SECURITIES = ("tls", "starttls", "none")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+\Z")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}\Z")

T = TypeVar("T")


def validate_configuration(config: Configuration) -> list[Problem]:
    """Every semantic check of SPEC §3/§6 on a configuration: limits, subsets, references, warnings.

    Paths use the indices of the configuration's tuples, which are the file's indices for a
    configuration read from a file (the default rule last, where `config dump` writes it).
    """
    return Checker(config, Paths.of(config)).run()


def validate_settings(settings: Settings) -> list[Problem]:
    """The checks of the `settings` section alone (the Settings dialog's), paths `settings.…`."""
    checker = Checker(Configuration(settings=settings), Paths.of(Configuration()))
    checker._settings(settings)
    return checker.problems


class Checker:
    def __init__(self, config: Configuration, paths: Paths) -> None:
        self.config = config
        self.paths = paths
        self.problems: list[Problem] = []
        self.person_ids = {p.id for p in config.people}
        self.team_ids = {t.id for t in config.teams}
        self.person_paths = {p.id: path for p, path in zip(config.people, paths.people, strict=True)}

    def error(self, path: str, reason: str) -> None:
        self.problems.append(Problem("error", path, reason))

    def warning(self, path: str, reason: str) -> None:
        self.problems.append(Problem("warning", path, reason))

    def run(self) -> list[Problem]:
        self._unique("people", self.config.people, self.paths.people, lambda p: p.id)
        self._unique("teams", self.config.teams, self.paths.teams, lambda t: t.id)
        self._unique("rules", self.config.rules, self.paths.rules, lambda r: r.id)
        self._unique("integrations", self.config.integrations, self.paths.integrations, lambda i: i.id)
        for person, path in zip(self.config.people, self.paths.people, strict=True):
            self._person(person, path)
        for team, path in zip(self.config.teams, self.paths.teams, strict=True):
            self._team(team, path)
        for rule, rpath, layered in zip(self.config.rules, self.paths.rules, self.paths.layered, strict=True):
            self._rule(rule, rpath, layered)
        if not any(r.is_default for r in self.config.rules):
            self.warning(
                "rules",
                "there is no default rule, so it has no personnel: an incident could then reach nobody",
            )
        for override, path in zip(self.config.overrides, self.paths.overrides, strict=True):
            self._override(override, path)
        for integration, path in zip(self.config.integrations, self.paths.integrations, strict=True):
            self._integration(integration, path)
        for index, reason in token_problems(self.config.integrations):
            self.error(f"{self.paths.integrations[index]}.token", reason)
        self._settings(self.config.settings)
        check_reach(self, self.config, self.paths.maintenance)
        planning_config.check(
            self.config,
            self.paths.time_off,
            self.person_paths,
            self.paths.rules,
            self.error,
            self.warning,
            schedules_ok=not has_errors(self.problems),
        )
        return self.problems

    def _unique(
        self, what: str, items: Sequence[T], paths: Sequence[str | None], key: Callable[[T], str]
    ) -> None:
        seen: dict[str, str] = {}
        for item, path in zip(items, paths, strict=True):
            ident = key(item)
            where = path if path is not None else what
            if not _SLUG.match(ident):
                self.error(
                    f"{where}.id", f"{short(ident)} is not an id: use letters, digits, '-', '_' and '.'"
                )
            if ident in seen:
                self.error(f"{where}.id", f"duplicate id {short(ident)} (also {seen[ident]})")
            else:
                seen[ident] = where

    def _person(self, person: Person, path: str) -> None:
        if not person.name.strip():
            self.error(f"{path}.name", "must not be empty")
        for key in ("email", "oncall_email"):
            value = getattr(person, key)
            if value is not None and not _EMAIL.match(value):
                self.error(f"{path}.{key}", f"{short(value)} does not look like an email address")
        for key in ("phone", "oncall_phone"):
            value = getattr(person, key)
            if value is not None:
                self._phone(f"{path}.{key}", value)
        if person.colour is not None and not _COLOUR.match(person.colour):
            self.error(f"{path}.colour", f"{short(person.colour)} is not a colour: write it like #1f77b4")
        if person.timezone is not None and not timeutil.is_zone(person.timezone):
            self.error(
                f"{path}.timezone",
                f"unknown time zone {short(person.timezone)} (use an IANA name like Europe/Berlin)",
            )

    def _phone(self, path: str, value: str) -> None:
        reason = phone_problem(value)
        if reason:
            self.error(path, reason)

    def _team(self, team: Team, path: str) -> None:
        if not team.name.strip():
            self.error(f"{path}.name", "must not be empty")
        for i, member in enumerate(team.members):
            if member not in self.person_ids:
                self.error(f"{path}.members[{i}]", f"unknown person {short(member)}")

    def _reference(self, path: str, entry: str) -> None:
        """A personnel entry or level target: a person id or `team:<id>`."""
        if entry.startswith(TEAM_PREFIX):
            team_id = entry[len(TEAM_PREFIX) :]
            if team_id not in self.team_ids:
                self.error(path, f"unknown team {short(team_id)}")
        elif entry not in self.person_ids:
            self.error(path, f"unknown person {short(entry)} (teams are written team:<id>)")

    def _rule(self, rule: OnCallRule, rpath: str | None, layered: bool) -> None:
        path = rpath if rpath is not None else "rules"
        if rule.is_default:
            fixed = {
                "effective": rule.effective_start is not None or rule.effective_end is not None,
                "windows": bool(rule.windows),
                "match": rule.match != MatchConditions(),
            }
            for key, changed in fixed.items():
                if changed:
                    self.error(f"{path}.{key}", f"the default rule's {key} is not editable")
            if not rule.has_personnel:
                where = path
                if rpath is not None:
                    where = f"{path}.layers" if layered else f"{path}.personnel"
                self.warning(where, "the default rule has no personnel: an incident could then reach nobody")
        else:
            if not rule.name.strip():
                self.error(f"{path}.name", "must not be empty")
        zone_ok = timeutil.is_zone(rule.timezone)
        if not zone_ok:
            self.error(
                f"{path}.timezone",
                f"unknown time zone {short(rule.timezone)} (use an IANA name like Europe/Berlin)",
            )
        if zone_ok:
            self._effective(rule.effective_start, rule.effective_end, rule.timezone, path)
        self._windows(rule.windows, path)
        if rule.match.mode not in ("all", "any"):
            self.error(f"{path}.match.mode", "must be all or any")
        for i, condition in enumerate(rule.match.conditions):
            key, sep, _value = condition.partition(":")
            if not sep or not key.strip():
                self.error(f"{path}.match.conditions[{i}]", f"{short(condition)} is not key:value")
        self._layers(rule, path, layered, rule.timezone if zone_ok else None)
        self._years(f"{path}.effective.start", rule.effective_start)
        self._years(f"{path}.effective.end", rule.effective_end)
        self._ladder(rule, path)

    def _effective(self, start: datetime | None, end: datetime | None, zone_name: str, path: str) -> None:
        if start is not None and end is not None:
            tz = timeutil.zone(zone_name)
            if timeutil.to_instant(end, tz) <= timeutil.to_instant(start, tz):
                self.error(f"{path}.effective.end", "must be after the start")

    def _windows(self, windows: Sequence[Window], path: str) -> None:
        for i, window in enumerate(windows):
            if not window.days:
                self.error(f"{path}.windows[{i}].days", "must list at least one day")
            elif any(not 0 <= d < len(WEEKDAYS) for d in window.days):
                self.error(f"{path}.windows[{i}].days", "days are mon, tue, wed, thu, fri, sat, sun")

    def _layers(self, rule: OnCallRule, path: str, layered: bool, rule_zone: str | None) -> None:
        if not rule.layers:
            self.error(f"{path}.layers", "must list at least one layer")
            return
        if rule.combine not in COMBINE_MODES:
            self.error(f"{path}.combine", "must be first or all")
        named: dict[str, str] = {}
        for j, layer in enumerate(rule.layers):
            lpath = layer_path(path, layered, j)
            if layered:
                if not layer.name.strip():
                    self.error(f"{lpath}.name", "must not be empty: name the layer (e.g. Weekdays)")
                elif layer.name in named:
                    self.error(
                        f"{lpath}.name",
                        f"duplicate layer name {short(layer.name)} (also {named[layer.name]})",
                    )
                else:
                    named[layer.name] = lpath
            zone_name = rule_zone
            if layer.timezone is not None:
                zone_name = layer.timezone if timeutil.is_zone(layer.timezone) else None
                if zone_name is None:
                    self.error(
                        f"{lpath}.timezone",
                        f"unknown time zone {short(layer.timezone)} (use an IANA name like Europe/Berlin)",
                    )
            if zone_name is not None:
                self._effective(layer.effective_start, layer.effective_end, zone_name, lpath)
            self._windows(layer.windows, lpath)
            for i, entry in enumerate(layer.personnel):
                self._reference(f"{lpath}.personnel[{i}]", entry)
            if layer.rotation is not None:
                self._rotation(layer.rotation, f"{lpath}.rotation")
            self._years(f"{lpath}.effective.start", layer.effective_start)
            self._years(f"{lpath}.effective.end", layer.effective_end)

    def _rotation(self, rotation: Rotation, path: str) -> None:
        if rotation.period not in ROTATION_PERIODS:
            self.error(f"{path}.period", "must be hours, daily, weekly or monthly")
        elif rotation.every < 1:
            self.error(f"{path}.every", "must be at least 1")
        elif rotation.every > MAX_ROTATION_EVERY[rotation.period]:
            most = MAX_ROTATION_EVERY[rotation.period]
            self.error(
                f"{path}.every",
                f"must be at most {most} for a {rotation.period} rotation (a shift of at most a year)",
            )
        if not timeutil.FIRST_YEAR <= rotation.anchor.year <= timeutil.LAST_YEAR:
            self.error(f"{path}.anchor", years_reason(rotation.anchor.year))

    def _years(self, path: str, value: datetime | None) -> None:
        if value is not None and not timeutil.FIRST_YEAR <= value.year <= timeutil.LAST_YEAR:
            self.error(path, years_reason(value.year))

    def _ladder(self, rule: OnCallRule, path: str) -> None:
        ladder = rule.escalation
        lpath = f"{path}.escalation"
        if not rule.has_personnel:
            if ladder:
                self.error(
                    lpath, "a rule without personnel has no ladder: add personnel or remove the levels"
                )
            return
        if not ladder:
            self.error(lpath, "a rule with personnel needs level 0")
            return
        if len(ladder) > MAX_LEVELS_AFTER_ZERO + 1:
            self.error(
                lpath, f"at most {MAX_LEVELS_AFTER_ZERO} levels after level 0 (found {len(ladder) - 1})"
            )
        for index, level in enumerate(ladder):
            self._level(rule, ladder, index, level, f"{lpath}[{index}]")
        last = len(ladder) - 1
        if ladder[last].repeat is None:
            self.warning(
                f"{lpath}[{last}].repeat", "the last level has no repeat: nobody is notified again after it"
            )
        self._unpaged(ladder[0], f"{lpath}[0]")
        self._nobody_reached(rule, ladder, lpath)

    def _unpaged(self, level0: EscalationLevel, path: str) -> None:
        """SPEC §9: incidents that level 0 does not apply to are routed here and page nobody."""
        excluded = ALL_SEVERITIES - level0.severities
        if level0.severities and excluded:
            names = ", ".join(s.value for s in sorted_severities(frozenset(excluded)))
            self.warning(f"{path}.severities", f"{names} incidents routed here notify nobody")
        if level0.statuses and Status.OPEN not in level0.statuses:
            self.warning(f"{path}.statuses", "incidents routed here notify nobody while they are open")

    def _reachable(self, person_id: str, channels: Sequence[Channel]) -> bool | None:
        """Whether the person has an address for one of `channels`; None for an unknown person."""
        person = self.config.person(person_id)
        if person is None:
            return None
        phone = person.paging_phone is not None and (Channel.SMS in channels or Channel.VOICE in channels)
        chat = person.chat and Channel.CHAT in channels
        return phone or chat or (person.paging_email is not None and Channel.EMAIL in channels)

    def _nobody_reached(self, rule: OnCallRule, ladder: Sequence[EscalationLevel], lpath: str) -> None:
        """SPEC §9: a level whose recipients are nobody — every target without an address for its
        channels, or a team without members — is a warning, never a silent skip."""
        level0 = ladder[0]
        on_call = list(self.config.rule_people(rule))
        known = [p for p in on_call if self._reachable(p, level0.channels_for(p)) is not None]
        unreached = [p for p in known if not self._reachable(p, level0.channels_for(p))]
        nobody_below = bool(known) and len(unreached) == len(known)
        by_turns = len(rule.layers) > 1 or any(layer.rotation is not None for layer in rule.layers)
        if by_turns and not nobody_below:
            # People take turns (a rotation, or layers): while an unreachable one is on call, level 0
            # reaches nobody.

            for person_id in unreached:
                self.warning(
                    f"{lpath}[0]",
                    f"notifies nobody while {person_id} is on call: no address for "
                    f"{', '.join(c.value for c in level0.channels_for(person_id)) or 'any channel'}",
                )
        elif nobody_below:
            self.warning(f"{lpath}[0]", "notifies nobody: no one on call has an address for its channels")
        reached_below = not nobody_below
        for index, level in enumerate(ladder[1:], start=1):
            reached, reasons = self._targets_reached(level.add)
            where = f"{lpath}[{index}]"
            if not reached and not reached_below:
                self.warning(where, f"notifies nobody: {'; '.join(reasons) or 'it adds no one'}")
            elif level.add and not reached:
                self.warning(f"{where}.add", f"adds nobody who can be notified: {'; '.join(reasons)}")
            reached_below = reached_below or reached

    def _targets_reached(self, targets: Sequence[Target]) -> tuple[bool, list[str]]:
        """Whether one of `targets` can be notified, and why each of the others cannot."""
        reached = False
        reasons: list[str] = []
        for target in targets:
            team_id = target.target[len(TEAM_PREFIX) :] if target.is_team else None
            if team_id is not None and self.config.team(team_id) is None:
                reached = True  # an unknown team is an error of its own
                continue
            members = list(dict.fromkeys(self.config.expand(target.target)))
            if team_id is not None and not members:
                reasons.append(f"team {team_id!r} has no members")
            for person_id in members:
                found = self._reachable(person_id, target.channels)
                reached = reached or found is not False
                if found is False:
                    channels = ", ".join(c.value for c in target.channels) or "no channel"
                    reasons.append(f"{person_id} has no address for {channels}")
        return reached, reasons

    def _level(
        self,
        rule: OnCallRule,
        ladder: Sequence[EscalationLevel],
        index: int,
        level: EscalationLevel,
        path: str,
    ) -> None:
        if index == 0:
            if level.wait != 0:
                self.error(f"{path}.wait", "level 0 starts with the incident: its wait must be 0 or absent")
            if level.add:
                self.error(
                    f"{path}.add", "level 0 notifies the rule's on-call personnel: use channels, not add"
                )
            if not level.channels or not any(level.channels.values()):
                self.error(f"{path}.channels", "level 0 needs channels for the on-call personnel")
            for key, channels in level.channels.items():
                if key != "*" and key not in self.person_ids:
                    self.error(f"{path}.channels.{key}", f"unknown person {short(key)}")
                self._channel_list(f"{path}.channels" if key == "*" else f"{path}.channels.{key}", channels)
            self._level0_addresses(rule, level, path)
        else:
            below = ladder[index - 1]
            if level.wait < 1:
                self.error(f"{path}.wait", "must be at least 1 minute")
            elif level.wait > MAX_WAIT_MINUTES:
                self.error(f"{path}.wait", f"must be at most {MAX_WAIT_MINUTES} minutes")
            elif index > 1 and level.wait <= below.wait:
                self.error(
                    f"{path}.wait",
                    f"must be greater than {below.wait}, the wait of level {index - 1} (waits increase)",
                )
            if level.channels:
                self.error(f"{path}.channels", "levels above 0 add targets with their own channels: use add")
            for i, target in enumerate(level.add):
                tpath = f"{path}.add[{i}]"
                self._reference(f"{tpath}.target", target.target)
                if not target.channels:
                    self.error(f"{tpath}.channels", "must list at least one channel")
                self._channel_list(f"{tpath}.channels", target.channels)
                self._target_addresses(target, f"{tpath}.target")
            self._subset(path, "severities", level.severities, below.severities, index, sorted_severities)
            self._subset(path, "statuses", level.statuses, below.statuses, index, sorted_statuses)
        if not level.severities:
            self.error(f"{path}.severities", "must list at least one severity")
        bad = [s for s in sorted_statuses(level.statuses) if s not in LADDER_STATUSES]
        if bad:
            self.error(
                f"{path}.statuses",
                f"{bad[0].value!r} is not allowed: statuses are open and working only "
                "(resolved ends escalation)",
            )
        elif not level.statuses:
            self.error(f"{path}.statuses", "must list at least one status")
        if level.repeat is not None:
            if level.repeat < 1:
                self.error(f"{path}.repeat", "must be at least 1 minute (or null for no repeat)")
            elif level.repeat > MAX_REPEAT_MINUTES:
                self.error(f"{path}.repeat", f"must be at most {MAX_REPEAT_MINUTES} minutes (a day)")
            elif index + 1 < len(ladder):
                gap = ladder[index + 1].wait - level.wait
                if gap >= 1 and level.repeat >= gap:
                    self.error(f"{path}.repeat", f"must be less than {gap}, the wait to level {index + 1}")

    def _subset(
        self,
        path: str,
        key: str,
        mine: frozenset[T],
        below: frozenset[T],
        index: int,
        order: Callable[[frozenset[T]], list[T]],
    ) -> None:
        extra = mine - below
        if extra and not (key == "statuses" and not (extra & LADDER_STATUSES)):
            names = ", ".join(str(v) for v in order(frozenset(extra)))
            allowed = ", ".join(str(v) for v in order(below)) or "none"
            self.error(
                f"{path}.{key}",
                f"must be a subset of level {index - 1}'s {key} ({allowed}); {names} is not",
            )

    def _channel_list(self, path: str, channels: Sequence[Channel]) -> None:
        for channel in channels:
            if channels.count(channel) > 1:
                self.error(path, f"lists {channel.value} twice")
                return

    def _missing(self, person_id: str, channels: Sequence[Channel]) -> list[str]:
        """What `person_id` lacks to be reached on `channels`, as phrases for a warning."""
        person = self.config.person(person_id)
        if person is None:
            return []
        lacks: list[str] = []
        phone_channels = [c.value for c in channels if c in (Channel.SMS, Channel.VOICE)]
        if phone_channels and person.paging_phone is None:
            lacks.append(f"{person_id} has no phone or oncall_phone for {', '.join(phone_channels)}")
        if Channel.EMAIL in channels and person.paging_email is None:
            lacks.append(f"{person_id} has no email or oncall_email for email")
        if Channel.CHAT in channels and not person.chat:
            lacks.append(f"{person_id} has no chat URLs (chat: true, with `secrets set chat.{person_id}`)")
        return lacks

    def _level0_addresses(self, rule: OnCallRule, level: EscalationLevel, path: str) -> None:
        for person_id in self.config.rule_people(rule):
            where = f"{path}.channels.{person_id}" if person_id in level.channels else f"{path}.channels"
            for lack in self._missing(person_id, level.channels_for(person_id)):
                self.warning(where, lack)

    def _target_addresses(self, target: Target, path: str) -> None:
        for person_id in dict.fromkeys(self.config.expand(target.target)):
            for lack in self._missing(person_id, target.channels):
                self.warning(path, lack)

    def _override(self, override: Override, path: str) -> None:
        if self.config.rule(override.rule) is None:
            self.error(f"{path}.rule", f"unknown rule {short(override.rule)}")
        if override.person not in self.person_ids:
            self.error(f"{path}.person", f"unknown person {short(override.person)}")
        self._years(f"{path}.start", override.start)
        self._years(f"{path}.end", override.end)
        if override.end <= override.start:
            self.error(f"{path}.end", "must be after the start")

    def _integration(self, integration: Integration, path: str) -> None:
        if not integration.name.strip():
            self.error(f"{path}.name", "must not be empty")
        if integration.kind not in INTEGRATION_KINDS:
            self.error(f"{path}.kind", f"must be one of {', '.join(INTEGRATION_KINDS)}")
        for key in integration.severity_mapping:
            if not key.strip():
                self.error(f"{path}.severity_mapping", "label values must not be empty")

    def _settings(self, settings: Settings) -> None:
        reason = listen_problem(settings.station.listen)
        if reason:
            self.error("settings.station.listen", reason)
        low, high = LEASE_SECONDS
        if not low <= settings.station.lease_seconds <= high:
            self.error("settings.station.lease_seconds", f"must be {low}–{high} seconds")
        for key, value in (
            ("station.public_url", settings.station.public_url),
            ("twilio.api_base_url", settings.twilio.api_base_url),
        ):
            if value is not None and not _is_http_url(value):
                self.error(f"settings.{key}", f"{short(value)} is not an http(s) URL")
        if settings.twilio.from_number is not None:
            self._phone("settings.twilio.from_number", settings.twilio.from_number)
        if settings.twilio.account_sid is not None and not settings.twilio.account_sid.strip():
            self.error("settings.twilio.account_sid", "must not be empty (or null)")
        smtp = settings.smtp
        if smtp.host is not None and not smtp.host.strip():
            self.error("settings.smtp.host", "must not be empty (or null)")
        if not 1 <= smtp.port <= 65535:
            self.error("settings.smtp.port", "must be a port number, 1–65535")
        if smtp.security not in SMTP_SECURITIES:
            self.error("settings.smtp.security", "must be tls, starttls or none")
        if smtp.sender is not None and not _EMAIL.match(smtp.sender):
            self.error("settings.smtp.sender", f"{short(smtp.sender)} does not look like an email address")


def phone_problem(value: str) -> str | None:
    """Why `value` is not an E.164 phone number, or None when it is one."""
    try:
        canonical = e164(value)
    except InvalidNumberError as error:
        return str(error)
    if canonical != value:
        return f"{short(value)} is not in E.164 form: write {canonical}"
    return None


def listen_problem(value: str) -> str | None:
    """Why `value` is not a HOST:PORT listen address, or None when it is one."""
    try:
        parse_listen(value)
    except ValueError as error:
        return str(error)
    return None


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
