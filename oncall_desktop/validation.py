"""The one place that decides whether a configuration is acceptable (SPEC §3 limits, §6 file format).

Two entry points share every rule: `validate_document` turns what `yaml.safe_load` returned into a
`Configuration` (checking types, shapes, unknown keys and secrets on the way) and then runs
`validate_configuration`, the semantic checks on domain objects that the GUI also runs on an edited
configuration. Each finding is a `Problem` printed as `error: PATH: reason` or `warning: PATH: reason`,
PATH naming the field with 0-based indices into the file's lists (`rules[1].escalation[2].repeat`).
"""

from __future__ import annotations

import difflib
import re
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from oncall_desktop import planning_config, timeutil
from oncall_desktop.domain import (
    ALL_SEVERITIES,
    COMBINE_MODES,
    DEFAULT_RULE_ID,
    DEFAULT_RULE_NAME,
    INTEGRATION_KINDS,
    LADDER_STATUSES,
    MIN_TOKEN_LENGTH,
    ROTATION_PERIODS,
    TEAM_PREFIX,
    WEEKDAYS,
    Channel,
    Combine,
    Configuration,
    EscalationLevel,
    Integration,
    IntegrationKind,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    RotationPeriod,
    Settings,
    Severity,
    SmtpSettings,
    StationSettings,
    Status,
    Target,
    Team,
    TwilioSettings,
    Window,
    is_short_form,
    sorted_severities,
    sorted_statuses,
)
from oncall_desktop.integrations import token_problems
from oncall_desktop.reach_validation import check_reach, read_chat, read_heartbeat, read_maintenance
from oncall_desktop.station_address import InvalidNumberError, e164, parse_listen

MAX_LEVELS_AFTER_ZERO = 10
MAX_WAIT_MINUTES = 360
MAX_REPEAT_MINUTES = 1440
MAX_ROTATION_EVERY = {"hours": 8784, "daily": 366, "weekly": 52, "monthly": 12}
"""A shift lasts at most a year: longer ones are surely typos, and the planner's date arithmetic
must never leave the years dates can hold."""
LEASE_SECONDS = (5, 300)
SMTP_SECURITIES = ("tls", "starttls", "none")
_DEFAULT_LISTEN = StationSettings().listen
_NO_BOUNDS: tuple[datetime | None, datetime | None] = (None, None)
_DEFAULT_SMTP_PORT = SmtpSettings().port
_DEFAULT_SMTP_SECURITY = SmtpSettings().security
DEFAULT_RULE_KEYS = ("id", "personnel", "rotation", "combine", "layers", "escalation")
DEFAULT_RULE_FIXED = ("name", "timezone", "effective", "windows", "match")

_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+\Z")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}\Z")
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlist = _REPR.maxdict = 4
_REPR.maxlevel = 2


def _short(value: object) -> str:
    """A value quoted in a message, cut short: a file can hold megabytes where a name belongs."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    try:
        return _REPR.repr(value)
    except (ValueError, RecursionError):  # e.g. Python refuses to print an integer of 5,000 digits
        return f"a {type(value).__name__} too large to show"


_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SECRET_WORDS = ("token", "password", "secret", "api_key", "apikey", "passwd")

T = TypeVar("T")
D = TypeVar("D", date, datetime)


@dataclass(frozen=True)
class Problem:
    """One finding about a configuration; errors block saving, warnings do not."""

    level: Literal["error", "warning"]
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.level}: {self.path}: {self.reason}"


def has_errors(problems: Sequence[Problem]) -> bool:
    return any(p.level == "error" for p in problems)


def layer_path(rule_path: str, layered: bool, index: int) -> str:
    """The path of a rule's layer `index`: the rule's own when it is not written with `layers`."""
    return f"{rule_path}.layers[{index}]" if layered else rule_path


# ---------------------------------------------------------------------------------------------------
# Semantic checks on domain objects
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Paths:
    """Where each domain object came from in the file; `None` for a rule the file does not contain."""

    people: Sequence[str]
    teams: Sequence[str]
    rules: Sequence[str | None]
    overrides: Sequence[str]
    integrations: Sequence[str]
    # Per rule: whether it is written with `layers` (else v1's short form).
    layered: Sequence[bool]
    maintenance: Sequence[str] = ()
    time_off: Sequence[str] = ()

    @classmethod
    def of(cls, config: Configuration) -> _Paths:
        return cls(
            people=[f"people[{i}]" for i in range(len(config.people))],
            teams=[f"teams[{i}]" for i in range(len(config.teams))],
            rules=[f"rules[{i}]" for i in range(len(config.rules))],
            overrides=[f"overrides[{i}]" for i in range(len(config.overrides))],
            integrations=[f"integrations[{i}]" for i in range(len(config.integrations))],
            layered=[not is_short_form(rule) for rule in config.rules],
            maintenance=[f"maintenance[{i}]" for i in range(len(config.maintenance))],
            time_off=[f"time_off[{i}]" for i in range(len(config.time_off))],
        )


def validate_configuration(config: Configuration) -> list[Problem]:
    """Every semantic check of SPEC §3/§6 on a configuration: limits, subsets, references, warnings.

    Paths use the indices of the configuration's tuples, which are the file's indices for a
    configuration read from a file (the default rule last, where `config dump` writes it).
    """
    return _Checker(config, _Paths.of(config)).run()


def validate_settings(settings: Settings) -> list[Problem]:
    """The checks of the `settings` section alone (the Settings dialog's), paths `settings.…`."""
    checker = _Checker(Configuration(settings=settings), _Paths.of(Configuration()))
    checker._settings(settings)
    return checker.problems


class _Checker:
    def __init__(self, config: Configuration, paths: _Paths) -> None:
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
                    f"{where}.id", f"{_short(ident)} is not an id: use letters, digits, '-', '_' and '.'"
                )
            if ident in seen:
                self.error(f"{where}.id", f"duplicate id {_short(ident)} (also {seen[ident]})")
            else:
                seen[ident] = where

    def _person(self, person: Person, path: str) -> None:
        if not person.name.strip():
            self.error(f"{path}.name", "must not be empty")
        for key in ("email", "oncall_email"):
            value = getattr(person, key)
            if value is not None and not _EMAIL.match(value):
                self.error(f"{path}.{key}", f"{_short(value)} does not look like an email address")
        for key in ("phone", "oncall_phone"):
            value = getattr(person, key)
            if value is not None:
                self._phone(f"{path}.{key}", value)
        if person.colour is not None and not _COLOUR.match(person.colour):
            self.error(f"{path}.colour", f"{_short(person.colour)} is not a colour: write it like #1f77b4")
        if person.timezone is not None and not timeutil.is_zone(person.timezone):
            self.error(
                f"{path}.timezone",
                f"unknown time zone {_short(person.timezone)} (use an IANA name like Europe/Berlin)",
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
                self.error(f"{path}.members[{i}]", f"unknown person {_short(member)}")

    def _reference(self, path: str, entry: str) -> None:
        """A personnel entry or level target: a person id or `team:<id>`."""
        if entry.startswith(TEAM_PREFIX):
            team_id = entry[len(TEAM_PREFIX) :]
            if team_id not in self.team_ids:
                self.error(path, f"unknown team {_short(team_id)}")
        elif entry not in self.person_ids:
            self.error(path, f"unknown person {_short(entry)} (teams are written team:<id>)")

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
                f"unknown time zone {_short(rule.timezone)} (use an IANA name like Europe/Berlin)",
            )
        if zone_ok:
            self._effective(rule.effective_start, rule.effective_end, rule.timezone, path)
        self._windows(rule.windows, path)
        if rule.match.mode not in ("all", "any"):
            self.error(f"{path}.match.mode", "must be all or any")
        for i, condition in enumerate(rule.match.conditions):
            key, sep, _value = condition.partition(":")
            if not sep or not key.strip():
                self.error(f"{path}.match.conditions[{i}]", f"{_short(condition)} is not key:value")
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
                        f"duplicate layer name {_short(layer.name)} (also {named[layer.name]})",
                    )
                else:
                    named[layer.name] = lpath
            zone_name = rule_zone
            if layer.timezone is not None:
                zone_name = layer.timezone if timeutil.is_zone(layer.timezone) else None
                if zone_name is None:
                    self.error(
                        f"{lpath}.timezone",
                        f"unknown time zone {_short(layer.timezone)} (use an IANA name like Europe/Berlin)",
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
            self.error(f"{path}.anchor", _years_reason(rotation.anchor.year))

    def _years(self, path: str, value: datetime | None) -> None:
        if value is not None and not timeutil.FIRST_YEAR <= value.year <= timeutil.LAST_YEAR:
            self.error(path, _years_reason(value.year))

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
                    self.error(f"{path}.channels.{key}", f"unknown person {_short(key)}")
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
            self.error(f"{path}.rule", f"unknown rule {_short(override.rule)}")
        if override.person not in self.person_ids:
            self.error(f"{path}.person", f"unknown person {_short(override.person)}")
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
                self.error(f"settings.{key}", f"{_short(value)} is not an http(s) URL")
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
            self.error("settings.smtp.sender", f"{_short(smtp.sender)} does not look like an email address")


def _years_reason(year: int) -> str:
    span = f"{timeutil.FIRST_YEAR}–{timeutil.LAST_YEAR}"
    return f"the year {year} is outside {span}, the years this tool plans for"


def phone_problem(value: str) -> str | None:
    """Why `value` is not an E.164 phone number, or None when it is one."""
    try:
        canonical = e164(value)
    except InvalidNumberError as error:
        return str(error)
    if canonical != value:
        return f"{_short(value)} is not in E.164 form: write {canonical}"
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


# ---------------------------------------------------------------------------------------------------
# Shapes and types of the YAML document
# ---------------------------------------------------------------------------------------------------


class _UnreadableError(Exception):
    """A value could not be read; the problem is already recorded."""


@dataclass
class _Reader:
    """Reads the raw YAML value into domain objects, recording every shape/type problem."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, path: str, reason: str) -> _UnreadableError:
        self.problems.append(Problem("error", path, reason))
        return _UnreadableError()

    # -- primitives ----------------------------------------------------------------------------------

    def mapping(
        self,
        value: object,
        path: str,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        secrets: str | None = None,
    ) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.error(path, f"must be a mapping with keys {', '.join(allowed)}")
        result: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.error(path, f"keys must be strings, not {_short(key)}")
                continue
            if key in allowed:
                result[key] = item
            elif secrets is not None and any(w in key.lower() for w in _SECRET_WORDS):
                self.error(
                    f"{path}.{key}",
                    "secrets belong in the keyring, never in this file: "
                    f"store it with `oncall-desktop secrets set {secrets}`",
                )
            else:
                hint = difflib.get_close_matches(key, allowed, n=1)
                known = f" (known keys: {', '.join(allowed)})"
                more = f" (did you mean {_short(hint[0])}?)" if hint else known
                self.error(f"{path}.{key}", f"unknown key {_short(key)}{more}")
        for key in required:
            if key not in result:
                self.error(f"{path}.{key}", "is required")
        return result

    def sequence(self, value: object, path: str) -> list[object]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(path, "must be a list")
        return value

    def string(self, value: object, path: str) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool) or value is None:
            raise self.error(path, "must be a string")
        read = f"YAML read {_short(value)} as a {type(value).__name__}"
        raise self.error(path, f"must be a quoted string: {read}")

    def optional_string(self, value: object, path: str) -> str | None:
        return None if value is None else self.string(value, path)

    def phone(self, value: object, path: str) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            raise self.error(
                path,
                "phone numbers must be quoted strings: "
                f"YAML reads an unquoted +{value} as the number {value}",
            )
        return self.optional_string(value, path)

    def minutes(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"must be whole minutes (a number), not {_short(value)}")
        return value

    def hhmm(self, value: object, path: str) -> time:
        if isinstance(value, int) and not isinstance(value, bool):
            hours, mins = divmod(value, 60)
            raise self.error(
                path,
                "times must be quoted strings: "
                f"YAML reads an unquoted {hours}:{mins:02d} as the number {value}",
            )
        text = self.string(value, path)
        match = _HHMM.match(text)
        if not match:
            raise self.error(path, f'{_short(text)} is not a time: write HH:MM (24-hour), e.g. "09:00"')
        return time(int(match.group(1)), int(match.group(2)))

    def day(self, value: object, path: str) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return self._in_years(value, path)
        text = self.string(value, path)
        try:
            if not _DATE.match(text):
                raise ValueError
            found = date.fromisoformat(text)
        except ValueError:
            raise self.error(path, f"{_short(text)} is not a date: write YYYY-MM-DD") from None
        return self._in_years(found, path)

    def moment(self, value: object, path: str) -> datetime:
        if isinstance(value, datetime):
            return self._in_years(value, path)
        if isinstance(value, date):
            return self._in_years(datetime(value.year, value.month, value.day), path)
        text = self.string(value, path)
        try:
            found = timeutil.parse_local_or_instant(text)
        except timeutil.TimeError:
            raise self.error(
                path,
                f"{_short(text)} is not a date-time: "
                'write e.g. "2026-02-01T09:00" or "2026-02-01T09:00+01:00"',
            ) from None
        return self._in_years(found, path)

    def _in_years(self, value: D, path: str) -> D:
        """Refused here, before any arithmetic: a date the planner could not compute around."""
        if not timeutil.FIRST_YEAR <= value.year <= timeutil.LAST_YEAR:
            raise self.error(path, _years_reason(value.year))
        return value

    def choice(self, value: object, path: str, choices: Sequence[str], what: str) -> str:
        text = self.string(value, path)
        if text not in choices:
            raise self.error(path, f"unknown {what} {_short(text)} (one of {', '.join(choices)})")
        return text

    def channels(self, value: object, path: str) -> tuple[Channel, ...]:
        items = self.sequence(value, path)
        result: list[Channel] = []
        for item in items:
            result.append(Channel(self.choice(item, path, [c.value for c in Channel], "channel")))
        return tuple(result)

    def each(self, items: list[object], path: str, read: Callable[[object, str], T]) -> list[T]:
        """Read every item, skipping (but reporting) unreadable ones."""
        result: list[T] = []
        for i, item in enumerate(items):
            try:
                result.append(read(item, f"{path}[{i}]"))
            except _UnreadableError:
                continue
        return result

    def kept(self, read: Callable[[], T], default: T) -> T:
        """A field whose problem is recorded but must not discard the object that holds it."""
        try:
            return read()
        except _UnreadableError:
            return default


_PERSON_KEYS = (
    "id",
    "name",
    "email",
    "phone",
    "oncall_email",
    "oncall_phone",
    "timezone",
    "colour",
    "chat",
    "holidays",
)
_TEAM_KEYS = ("id", "name", "members")
_RULE_KEYS = (
    "id",
    "name",
    "timezone",
    "effective",
    "windows",
    "match",
    "personnel",
    "rotation",
    "combine",
    "layers",
    "escalation",
    "reminders",
)
_LAYER_KEYS = ("name", "timezone", "effective", "windows", "personnel", "rotation")
_LEVEL_KEYS = ("level", "wait", "severities", "statuses", "repeat", "channels", "add")
_OVERRIDE_KEYS = ("rule", "person", "start", "end")
_INTEGRATION_KEYS = ("id", "name", "kind", "severity_mapping", "token", "heartbeat")
_TOP_KEYS = (
    "version",
    "people",
    "teams",
    "rules",
    "overrides",
    "integrations",
    "settings",
    "maintenance",
    "time_off",
)


class _DocumentReader(_Reader):
    """Reads the whole §6 document; remembers each object's file path for the semantic checks."""

    def __init__(self) -> None:
        super().__init__()
        self.people_paths: list[str] = []
        self.team_paths: list[str] = []
        self.override_paths: list[str] = []
        self.integration_paths: list[str] = []

    def document(self, doc: object) -> tuple[Configuration, _Paths]:
        if not isinstance(doc, dict):
            raise self.error("<document>", "the file must be a YAML mapping starting with version: 1")
        top = self.mapping(doc, "<document>", _TOP_KEYS)
        version = top.get("version")
        if "version" not in top:
            self.error("version", "is required: write version: 1 at the top")
        elif version != 1 or isinstance(version, bool):
            self.error(
                "version", f"unsupported version {_short(version)}: this oncall-desktop reads version 1"
            )
        people = self._list(top, "people", self._person, self.people_paths)
        teams = self._list(top, "teams", self._team, self.team_paths)
        rules, rule_paths, layered = self._rules(top.get("rules"))
        overrides_raw = self._list(top, "overrides", self._override_raw, self.override_paths)
        zones = {r.id: r.timezone for r in rules}
        overrides = [self._override(raw, zones) for raw in overrides_raw]
        integrations = self._list(top, "integrations", self._integration, self.integration_paths)
        settings = self.kept(lambda: self._settings(top.get("settings")), Settings())
        maintenance_paths: list[str] = []
        maintenance = read_maintenance(self, top.get("maintenance"), maintenance_paths)
        time_off, time_off_paths = planning_config.read_time_off(self, top.get("time_off"), people)
        config = Configuration(
            people=tuple(people),
            teams=tuple(teams),
            rules=tuple(rules),
            overrides=tuple(o for o in overrides if o is not None),
            integrations=tuple(integrations),
            settings=settings,
            maintenance=maintenance,
            time_off=tuple(time_off),
        )
        paths = _Paths(
            people=self.people_paths,
            teams=self.team_paths,
            rules=rule_paths,
            layered=layered,
            overrides=[p for p, o in zip(self.override_paths, overrides, strict=True) if o is not None],
            integrations=self.integration_paths,
            maintenance=maintenance_paths,
            time_off=time_off_paths,
        )
        return config, paths

    def _list(
        self, top: dict[str, object], key: str, read: Callable[[object, str], T], paths: list[str]
    ) -> list[T]:
        items: list[object] = self.kept(lambda: self.sequence(top.get(key), key), [])
        result: list[T] = []
        for i, item in enumerate(items):
            try:
                result.append(read(item, f"{key}[{i}]"))
            except _UnreadableError:
                continue
            paths.append(f"{key}[{i}]")
        return result

    def _id(self, raw: dict[str, object], path: str) -> str:
        if "id" not in raw:
            raise _UnreadableError()
        return self.string(raw["id"], f"{path}.id")

    def _person(self, value: object, path: str) -> Person:
        raw = self.mapping(value, path, _PERSON_KEYS, ("id", "name"))
        ident = self._id(raw, path)

        def text(key: str) -> str | None:
            return self.kept(lambda: self.optional_string(raw.get(key), f"{path}.{key}"), None)

        def phone(key: str) -> str | None:
            return self.kept(lambda: self.phone(raw.get(key), f"{path}.{key}"), None)

        return Person(
            id=ident,
            name=text("name") or "",
            email=text("email"),
            phone=phone("phone"),
            oncall_email=text("oncall_email"),
            oncall_phone=phone("oncall_phone"),
            timezone=text("timezone"),
            colour=text("colour"),
            chat=self.kept(lambda: read_chat(self, raw.get("chat"), f"{path}.chat"), False),
            holidays=text("holidays"),
        )

    def _team(self, value: object, path: str) -> Team:
        raw = self.mapping(value, path, _TEAM_KEYS, ("id", "name"))
        ident = self._id(raw, path)
        name = self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), "")
        members: tuple[str, ...] = self.kept(lambda: self._ids(raw.get("members"), f"{path}.members"), ())
        return Team(id=ident, name=name, members=members)

    def _ids(self, value: object, path: str) -> tuple[str, ...]:
        items = self.sequence(value, path)
        return tuple(self.each(items, path, self.string))

    def _rules(self, value: object) -> tuple[list[OnCallRule], list[str | None], list[bool]]:
        """The rules, the default one last; their paths; and whether each is written with layers."""
        items: list[object] = self.kept(lambda: self.sequence(value, "rules"), [])
        custom: list[tuple[OnCallRule, str, bool]] = []
        default: tuple[OnCallRule, str, bool] | None = None
        for i, item in enumerate(items):
            path = f"rules[{i}]"
            try:
                is_default = isinstance(item, dict) and item.get("id") == DEFAULT_RULE_ID
                rule = self._default_rule(item, path) if is_default else self._rule(item, path)
            except _UnreadableError:
                continue
            read = (rule, path, isinstance(item, dict) and "layers" in item)
            if is_default and default is None:
                default = read
            else:
                custom.append(read)
        if default is None:
            empty = OnCallRule(
                id=DEFAULT_RULE_ID, name=DEFAULT_RULE_NAME, timezone=timeutil.system_zone_name()
            )
            custom.append((empty, "", False))
            paths: list[str | None] = [p for _, p, _ in custom[:-1]] + [None]
        else:
            custom.append(default)
            paths = [p for _, p, _ in custom]
        return [r for r, _, _ in custom], paths, [layered for _, _, layered in custom]

    def _default_rule(self, value: object, path: str) -> OnCallRule:
        assert isinstance(value, dict)
        for key in DEFAULT_RULE_FIXED:
            if key in value:
                why = " (it is the system's)" if key == "timezone" else ""
                self.error(f"{path}.{key}", f"the default rule's {key} is not editable{why}")
        trimmed = {k: v for k, v in value.items() if k not in DEFAULT_RULE_FIXED}
        raw = self.mapping(trimmed, path, DEFAULT_RULE_KEYS)
        layers, combine, escalation = self._staffing(raw, path)
        return OnCallRule(
            id=DEFAULT_RULE_ID,
            name=DEFAULT_RULE_NAME,
            timezone=timeutil.system_zone_name(),
            layers=layers,
            combine=combine,
            escalation=escalation,
        )

    def _rule(self, value: object, path: str) -> OnCallRule:
        raw = self.mapping(value, path, _RULE_KEYS, ("id", "name", "timezone"))
        ident = self._id(raw, path)
        name = self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), "")
        tz = self.kept(lambda: self.string(raw.get("timezone", "UTC"), f"{path}.timezone"), "UTC")
        bounds: tuple[datetime | None, datetime | None] = self.kept(
            lambda: self._effective(raw.get("effective"), f"{path}.effective"), _NO_BOUNDS
        )
        start, end = bounds
        windows: tuple[Window, ...] = self.kept(
            lambda: self._windows(raw.get("windows"), f"{path}.windows"), ()
        )
        match = self.kept(lambda: self._match(raw.get("match"), f"{path}.match"), MatchConditions())
        layers, combine, escalation = self._staffing(raw, path)
        reminders = self.kept(
            lambda: planning_config.read_reminders(self, raw.get("reminders"), f"{path}.reminders"), None
        )
        return OnCallRule(
            id=ident,
            name=name,
            timezone=tz,
            effective_start=start,
            effective_end=end,
            windows=windows,
            match=match,
            layers=layers,
            combine=combine,
            escalation=escalation,
            reminders=reminders,
        )

    def _staffing(
        self, raw: dict[str, object], path: str
    ) -> tuple[tuple[Layer, ...], Combine, tuple[EscalationLevel, ...]]:
        """The rule's layers (v1's top-level personnel and rotation are one layer) and its ladder."""
        escalation: tuple[EscalationLevel, ...] = self.kept(
            lambda: self._ladder(raw.get("escalation"), f"{path}.escalation"), ()
        )
        if "layers" not in raw:
            if "combine" in raw:
                self.error(
                    f"{path}.combine", "combine applies to layers: list the rule's layers under layers"
                )
            return (self._plain_layer(raw, path),), "first", escalation
        for key in ("personnel", "rotation"):
            if key in raw:
                self.error(f"{path}.{key}", f"a rule with layers lists its {key} in each layer")
        combine = self.kept(
            lambda: self.choice(
                raw.get("combine", "first"), f"{path}.combine", COMBINE_MODES, "combine mode"
            ),
            "first",
        )
        lpath = f"{path}.layers"
        # A layer that cannot be read would shift every later index: then the rule is not kept.
        items = self.sequence(raw["layers"], lpath)
        layers = tuple(self._layer(item, f"{lpath}[{j}]") for j, item in enumerate(items))
        return layers, _combine(combine), escalation

    def _plain_layer(self, raw: dict[str, object], path: str) -> Layer:
        """A layer's personnel and rotation (all a v1 rule's short form says about its one layer)."""
        return Layer(
            personnel=self.kept(lambda: self._ids(raw.get("personnel"), f"{path}.personnel"), ()),
            rotation=self.kept(lambda: self._rotation(raw.get("rotation"), f"{path}.rotation"), None),
        )

    def _layer(self, value: object, path: str) -> Layer:
        raw = self.mapping(value, path, _LAYER_KEYS, ("name",))
        bounds: tuple[datetime | None, datetime | None] = self.kept(
            lambda: self._effective(raw.get("effective"), f"{path}.effective"), _NO_BOUNDS
        )
        return replace(
            self._plain_layer(raw, path),
            name=self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), ""),
            timezone=self.kept(lambda: self.optional_string(raw.get("timezone"), f"{path}.timezone"), None),
            windows=self.kept(lambda: self._windows(raw.get("windows"), f"{path}.windows"), ()),
            effective_start=bounds[0],
            effective_end=bounds[1],
        )

    def _effective(self, value: object, path: str) -> tuple[datetime | None, datetime | None]:
        if value is None:
            return None, None
        raw = self.mapping(value, path, ("start", "end"))
        start = None if raw.get("start") is None else self.moment(raw["start"], f"{path}.start")
        end = None if raw.get("end") is None else self.moment(raw["end"], f"{path}.end")
        return start, end

    def _windows(self, value: object, path: str) -> tuple[Window, ...]:
        return tuple(self.each(self.sequence(value, path), path, self._window))

    def _window(self, value: object, path: str) -> Window:
        raw = self.mapping(value, path, ("days", "start", "end"), ("days", "start", "end"))
        days_raw = self.sequence(raw.get("days"), f"{path}.days")
        days = tuple(WEEKDAYS.index(self.choice(d, f"{path}.days", WEEKDAYS, "weekday")) for d in days_raw)
        return Window(
            days=days,
            start=self.hhmm(raw.get("start"), f"{path}.start"),
            end=self.hhmm(raw.get("end"), f"{path}.end"),
        )

    def _match(self, value: object, path: str) -> MatchConditions:
        if value is None:
            return MatchConditions()
        raw = self.mapping(value, path, ("mode", "conditions"))
        mode = self.choice(raw.get("mode", "all"), f"{path}.mode", ("all", "any"), "mode")
        conditions = self._ids(raw.get("conditions"), f"{path}.conditions")
        return MatchConditions(mode="all" if mode == "all" else "any", conditions=conditions)

    def _rotation(self, value: object, path: str) -> Rotation | None:
        if value is None:
            return None
        raw = self.mapping(
            value, path, ("period", "every", "handoff", "anchor"), ("period", "handoff", "anchor")
        )
        period = self.choice(raw.get("period"), f"{path}.period", ROTATION_PERIODS, "rotation period")
        every_raw = raw.get("every", 1)
        if isinstance(every_raw, bool) or not isinstance(every_raw, int):
            raise self.error(f"{path}.every", f"must be a whole number, not {_short(every_raw)}")
        return Rotation(
            period=_rotation_period(period),
            every=every_raw,
            handoff=self.hhmm(raw.get("handoff"), f"{path}.handoff"),
            anchor=self.day(raw.get("anchor"), f"{path}.anchor"),
        )

    def _ladder(self, value: object, path: str) -> tuple[EscalationLevel, ...]:
        items = self.sequence(value, path)
        levels: list[EscalationLevel] = []
        failed = False
        for i, item in enumerate(items):
            below = levels[-1] if levels else None
            try:
                levels.append(self._level(item, f"{path}[{i}]", i, below))
            except _UnreadableError:
                failed = True
        if failed:
            # A level that cannot be read would shift every later index; the ladder is reported, not kept.
            raise _UnreadableError()
        return tuple(levels)

    def _level(self, value: object, path: str, index: int, below: EscalationLevel | None) -> EscalationLevel:
        before = len(self.problems)
        raw = self.mapping(value, path, _LEVEL_KEYS)
        if "level" in raw:
            number = raw["level"]
            if isinstance(number, bool) or not isinstance(number, int):
                self.error(f"{path}.level", f"must be a whole number, not {_short(number)}")
            elif number != index:
                self.error(
                    f"{path}.level", f"is {number} but this is level {index}, its position in the list"
                )
        wait = 0
        if "wait" in raw:
            wait = self.kept(lambda: self.minutes(raw["wait"], f"{path}.wait"), 0)
        elif index > 0:
            self.error(
                f"{path}.wait", f"is required: minutes after the incident starts, 1–{MAX_WAIT_MINUTES}"
            )
        severities = below.severities if below else ALL_SEVERITIES
        if "severities" in raw:
            severities = self.kept(
                lambda: self._severities(raw["severities"], f"{path}.severities"), severities
            )
        statuses = below.statuses if below else frozenset({Status.OPEN})
        if "statuses" in raw:
            statuses = self.kept(lambda: self._statuses(raw["statuses"], f"{path}.statuses"), statuses)
        repeat_raw = raw.get("repeat")
        repeat = (
            None
            if repeat_raw is None
            else self.kept(lambda: self.minutes(repeat_raw, f"{path}.repeat"), None)
        )
        channels: dict[str, tuple[Channel, ...]] = {}
        if "channels" in raw:
            channels = self.kept(lambda: self._level_channels(raw["channels"], f"{path}.channels"), {})
        add: tuple[Target, ...] = ()
        if "add" in raw:
            add = self.kept(
                lambda: tuple(
                    self.each(self.sequence(raw["add"], f"{path}.add"), f"{path}.add", self._target)
                ),
                (),
            )
        if len(self.problems) > before:
            raise _UnreadableError()
        return EscalationLevel(
            wait=wait, severities=severities, statuses=statuses, repeat=repeat, channels=channels, add=add
        )

    def _severities(self, value: object, path: str) -> frozenset[Severity]:
        items = self.sequence(value, path)
        return frozenset(
            Severity(self.choice(s, path, [v.value for v in Severity], "severity")) for s in items
        )

    def _statuses(self, value: object, path: str) -> frozenset[Status]:
        items = self.sequence(value, path)
        return frozenset(Status(self.choice(s, path, [v.value for v in Status], "status")) for s in items)

    def _level_channels(self, value: object, path: str) -> dict[str, tuple[Channel, ...]]:
        if isinstance(value, dict):
            result: dict[str, tuple[Channel, ...]] = {}
            for key, item in value.items():
                person = self.string(key, path)
                result[person] = self.channels(item, f"{path}.{person}")
            return result
        listed = self.channels(value, path)
        return {"*": listed} if listed else {}

    def _target(self, value: object, path: str) -> Target:
        raw = self.mapping(value, path, ("target", "channels"), ("target", "channels"))
        return Target(
            target=self.string(raw.get("target"), f"{path}.target"),
            channels=self.channels(raw.get("channels"), f"{path}.channels"),
        )

    def _override_raw(self, value: object, path: str) -> tuple[str, str, str, datetime, datetime]:
        raw = self.mapping(value, path, _OVERRIDE_KEYS, _OVERRIDE_KEYS)
        rule = self.string(raw.get("rule"), f"{path}.rule")
        person = self.string(raw.get("person"), f"{path}.person")
        start = self.moment(raw.get("start"), f"{path}.start")
        end = self.moment(raw.get("end"), f"{path}.end")
        return path, rule, person, start, end

    def _override(
        self, raw: tuple[str, str, str, datetime, datetime], zones: Mapping[str, str]
    ) -> Override | None:
        """Resolves wall-clock bounds in the rule's zone (an unknown rule is reported by the checks)."""
        _path, rule, person, start, end = raw
        name = zones.get(rule, "UTC")
        tz = timeutil.zone(name) if timeutil.is_zone(name) else timeutil.zone("UTC")
        return Override(
            rule=rule, person=person, start=timeutil.to_instant(start, tz), end=timeutil.to_instant(end, tz)
        )

    def _integration(self, value: object, path: str) -> Integration:
        raw = self.mapping(value, path, _INTEGRATION_KEYS, ("id", "name", "kind"), secrets="NAME")
        ident = self._id(raw, path)
        name = self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), "")
        kind = self.choice(raw.get("kind"), f"{path}.kind", INTEGRATION_KINDS, "integration kind")
        mapping: dict[str, Severity] = self.kept(
            lambda: self._severity_mapping(raw.get("severity_mapping"), f"{path}.severity_mapping"), {}
        )
        token = self.kept(lambda: self._token(raw.get("token"), f"{path}.token"), None)
        heartbeat = self.kept(lambda: read_heartbeat(self, raw.get("heartbeat"), f"{path}.heartbeat"), None)
        return Integration(
            id=ident,
            name=name,
            kind=_integration_kind(kind),
            token=token,
            severity_mapping=mapping,
            heartbeat_timeout=heartbeat,
        )

    def _token(self, value: object, path: str) -> str | None:
        """SPEC §11: a migrated integration keeps its source's token (only migration writes one)."""
        token = self.optional_string(value, path)
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise self.error(path, f"a token needs at least {MIN_TOKEN_LENGTH} characters")
        return token

    def _severity_mapping(self, value: object, path: str) -> dict[str, Severity]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(path, "must be a mapping from severity label to P0–P4")
        result: dict[str, Severity] = {}
        for key, item in value.items():
            label = self.string(key, path)
            result[label] = Severity(
                self.choice(item, f"{path}.{label}", [v.value for v in Severity], "severity")
            )
        return result

    def _settings(self, value: object) -> Settings:
        if value is None:
            return Settings()
        raw = self.mapping(value, "settings", ("station", "twilio", "smtp"), secrets="NAME")
        return Settings(
            station=self.kept(lambda: self._station(raw.get("station")), StationSettings()),
            twilio=self.kept(lambda: self._twilio(raw.get("twilio")), TwilioSettings()),
            smtp=self.kept(lambda: self._smtp(raw.get("smtp")), SmtpSettings()),
        )

    def _station(self, value: object) -> StationSettings:
        if value is None:
            return StationSettings()
        path = "settings.station"
        raw = self.mapping(value, path, ("listen", "public_url", "lease_seconds"), secrets="NAME")
        lease = raw.get("lease_seconds", StationSettings().lease_seconds)
        if isinstance(lease, bool) or not isinstance(lease, int):
            raise self.error(f"{path}.lease_seconds", f"must be whole seconds, not {_short(lease)}")
        return StationSettings(
            listen=self.string(raw.get("listen", _DEFAULT_LISTEN), f"{path}.listen"),
            public_url=self.optional_string(raw.get("public_url"), f"{path}.public_url"),
            lease_seconds=lease,
        )

    def _twilio(self, value: object) -> TwilioSettings:
        if value is None:
            return TwilioSettings()
        path = "settings.twilio"
        raw = self.mapping(
            value, path, ("account_sid", "from_number", "api_base_url"), secrets="twilio.auth_token"
        )
        return TwilioSettings(
            account_sid=self.optional_string(raw.get("account_sid"), f"{path}.account_sid"),
            from_number=self.phone(raw.get("from_number"), f"{path}.from_number"),
            api_base_url=self.optional_string(raw.get("api_base_url"), f"{path}.api_base_url"),
        )

    def _smtp(self, value: object) -> SmtpSettings:
        if value is None:
            return SmtpSettings()
        path = "settings.smtp"
        raw = self.mapping(
            value, path, ("host", "port", "security", "username", "sender"), secrets="smtp.password"
        )
        port = raw.get("port", _DEFAULT_SMTP_PORT)
        if isinstance(port, bool) or not isinstance(port, int):
            raise self.error(f"{path}.port", f"must be a port number, not {_short(port)}")
        security = self.choice(
            raw.get("security", _DEFAULT_SMTP_SECURITY), f"{path}.security", SMTP_SECURITIES, "security"
        )
        return SmtpSettings(
            host=self.optional_string(raw.get("host"), f"{path}.host"),
            port=port,
            security=_smtp_security(security),
            username=self.optional_string(raw.get("username"), f"{path}.username"),
            sender=self.optional_string(raw.get("sender"), f"{path}.sender"),
        )


def _rotation_period(value: str) -> RotationPeriod:
    for period in ROTATION_PERIODS:
        if period == value:
            return period
    raise ValueError(value)


def _combine(value: str) -> Combine:
    return "all" if value == "all" else "first"


def _integration_kind(value: str) -> IntegrationKind:
    for kind in INTEGRATION_KINDS:
        if kind == value:
            return kind
    raise ValueError(value)


def _smtp_security(value: str) -> Literal["tls", "starttls", "none"]:
    if value == "tls":
        return "tls"
    if value == "none":
        return "none"
    return "starttls"


def _related(path: str, reported: Sequence[str]) -> bool:
    """Whether a semantic finding at `path` is a consequence of a shape error already reported."""
    for other in reported:
        for a, b in ((path, other), (other, path)):
            if a == b or b.startswith((a + ".", a + "[")):
                return True
    return False


def validate_document(doc: object) -> tuple[Configuration | None, list[Problem]]:
    """From what `yaml.safe_load` returned to a Configuration (None if there is any error) and problems.

    Shape and type problems are found while reading; then `validate_configuration`'s checks run on
    what could be read, leaving out findings at paths where reading already failed.
    """
    reader = _DocumentReader()
    try:
        config, paths = reader.document(doc)
    except _UnreadableError:
        return None, reader.problems
    shape = reader.problems
    reported = [p.path for p in shape]
    semantic = [p for p in _Checker(config, paths).run() if not _related(p.path, reported)]
    problems = shape + semantic
    return (None if has_errors(problems) else config), problems
