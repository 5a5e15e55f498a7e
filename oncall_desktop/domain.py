"""The on-call domain of SPEC §2 as immutable values.

Everything else (the store, the scheduler, the planner, the views) speaks in these types. They hold
no behaviour beyond small derived properties; the rules live in `schedule`, `routing`, `planner`
and `validation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Literal, NamedTuple


class Severity(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Status(StrEnum):
    """Incident status; it only moves forward: open → working → resolved."""

    OPEN = "open"
    WORKING = "working"
    RESOLVED = "resolved"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]


_STATUS_RANK = {Status.OPEN: 0, Status.WORKING: 1, Status.RESOLVED: 2}


class Channel(StrEnum):
    SMS = "sms"
    VOICE = "voice"
    EMAIL = "email"
    CHAT = "chat"


ALL_SEVERITIES: frozenset[Severity] = frozenset(Severity)
LADDER_STATUSES: frozenset[Status] = frozenset({Status.OPEN, Status.WORKING})
DEFAULT_RULE_ID = "default"
DEFAULT_RULE_NAME = "Default"
TEAM_PREFIX = "team:"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

RotationPeriod = Literal["hours", "daily", "weekly", "monthly"]
Combine = Literal["first", "all"]
COMBINE_MODES: tuple[Combine, ...] = ("first", "all")
ROTATION_PERIODS: tuple[RotationPeriod, ...] = ("hours", "daily", "weekly", "monthly")
IntegrationKind = Literal["alertmanager", "grafana_alerting", "webhook"]
INTEGRATION_KINDS: tuple[IntegrationKind, ...] = ("alertmanager", "grafana_alerting", "webhook")
MIN_TOKEN_LENGTH = 16  # SPEC §11: an integration token given in a config file or kept from a source


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    oncall_email: str | None = None
    oncall_phone: str | None = None
    timezone: str | None = None
    colour: str | None = None
    chat: bool = False
    """Whether the person has chat URLs in the keyring (SPEC §13: the URLs themselves are secrets)."""
    holidays: str | None = None  # SPEC §12: an ISO country code, `XX-YY` with a subdivision

    @property
    def paging_phone(self) -> str | None:
        return self.oncall_phone or self.phone

    @property
    def paging_email(self) -> str | None:
        return self.oncall_email or self.email


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly window: on each listed day (0 = Monday) from `start`; may cross midnight.

    `start == end` means 24 hours.
    """

    days: tuple[int, ...]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Rotation:
    period: RotationPeriod
    every: int
    handoff: time
    anchor: date


@dataclass(frozen=True, slots=True)
class Layer:
    """Where a rule's on-call people come from (SPEC §8): personnel, an optional rotation, and optional
    weekly windows and effective span that restrict it, all wall-clock in the layer's own zone.

    `timezone` None means the rule's zone. The unnamed layer (`name == ""`) is the one a v1 rule with
    top-level `personnel`/`rotation` is made of.
    """

    name: str = ""
    timezone: str | None = None
    personnel: tuple[str, ...] = ()
    rotation: Rotation | None = None
    windows: tuple[Window, ...] = ()
    effective_start: datetime | None = None
    effective_end: datetime | None = None

    @property
    def is_plain(self) -> bool:
        """Whether this layer is nothing but personnel and rotation (what v1's short form can say)."""
        return (
            not self.name
            and self.timezone is None
            and not self.windows
            and self.effective_start is None
            and self.effective_end is None
        )


@dataclass(frozen=True, slots=True)
class MatchConditions:
    mode: Literal["all", "any"] = "all"
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """A person id, or `team:<id>`, added by an escalation level with its own channels."""

    target: str
    channels: tuple[Channel, ...]

    @property
    def is_team(self) -> bool:
        return self.target.startswith(TEAM_PREFIX)


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    """One rung of a ladder.

    Level 0 uses `channels` (person id → channels, `"*"` for everyone else) for the rule's on-call
    personnel; higher levels use `add`.
    """

    wait: int = 0
    severities: frozenset[Severity] = ALL_SEVERITIES
    statuses: frozenset[Status] = frozenset({Status.OPEN})
    repeat: int | None = None
    channels: Mapping[str, tuple[Channel, ...]] = field(default_factory=dict)
    add: tuple[Target, ...] = ()

    def channels_for(self, person_id: str) -> tuple[Channel, ...]:
        if person_id in self.channels:
            return self.channels[person_id]
        return self.channels.get("*", ())

    def applies(self, severity: Severity, status: Status) -> bool:
        return severity in self.severities and status in self.statuses


@dataclass(frozen=True, slots=True)
class HandoffReminders:
    """SPEC §12: each person whose shift begins is reminded `before_minutes` ahead on `channels`."""

    before_minutes: int
    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True)
class TimeOff:
    """`person` is away during [start, end) (UTC instants); it never changes the schedule (SPEC §12)."""

    person: str
    start: datetime
    end: datetime
    note: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class OnCallRule:
    """An on-call rule. Effective bounds are naive (wall-clock in `timezone`) or aware (an instant).

    Its people on call come from `layers` (highest priority first), combined `first` (the first
    layer with someone on call) or `all` (the union). A rule always has at least one layer; a v1 rule
    is one plain layer.
    """

    id: str
    name: str
    timezone: str
    effective_start: datetime | None = None
    effective_end: datetime | None = None
    windows: tuple[Window, ...] = ()
    match: MatchConditions = MatchConditions()
    layers: tuple[Layer, ...] = (Layer(),)
    combine: Combine = "first"
    escalation: tuple[EscalationLevel, ...] = ()
    reminders: HandoffReminders | None = None

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_RULE_ID

    @property
    def is_tagged(self) -> bool:
        return bool(self.match.conditions)

    @property
    def has_personnel(self) -> bool:
        """Whether any layer lists someone (a rule without personnel never covers and has no ladder)."""
        return any(layer.personnel for layer in self.layers)


@dataclass(frozen=True, slots=True)
class Override:
    """`person` is on call for `rule` during [start, end) (UTC instants)."""

    rule: str
    person: str
    start: datetime
    end: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Integration:
    id: str
    name: str
    kind: IntegrationKind
    token: str | None = None
    severity_mapping: Mapping[str, Severity] = field(default_factory=dict)
    heartbeat_timeout: int | None = None
    """Seconds without a heartbeat after which an incident opens (SPEC §13); None: no heartbeat."""


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A planned quiet time (SPEC §13): matching incidents opened in [start, end) page nobody until
    `end`. Bounds are naive (wall-clock in the station's zone) or aware (an instant); no conditions
    means every incident."""

    name: str
    start: datetime
    end: datetime
    match: MatchConditions = MatchConditions()


@dataclass(frozen=True, slots=True)
class StationSettings:
    """`lease_seconds`: how long the engine lease lasts (SPEC §10); a standby takes over within it
    plus 5 s of the holder dying."""

    listen: str = "127.0.0.1:8080"
    public_url: str | None = None
    lease_seconds: int = 15


@dataclass(frozen=True, slots=True)
class TwilioSettings:
    account_sid: str | None = None
    from_number: str | None = None
    api_base_url: str | None = None


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    station: StationSettings = StationSettings()
    twilio: TwilioSettings = TwilioSettings()
    smtp: SmtpSettings = SmtpSettings()


@dataclass(frozen=True, slots=True)
class Configuration:
    """The whole configuration of SPEC §6: what `config apply` replaces and `config dump` prints."""

    people: tuple[Person, ...] = ()
    teams: tuple[Team, ...] = ()
    rules: tuple[OnCallRule, ...] = ()
    overrides: tuple[Override, ...] = ()
    integrations: tuple[Integration, ...] = ()
    settings: Settings = Settings()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    time_off: tuple[TimeOff, ...] = ()

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def rule(self, rule_id: str) -> OnCallRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def display_name(self, target: str) -> str:
        """What a user calls a person id or a `team:<id>` entry: the name, or the id when unknown."""
        if target.startswith(TEAM_PREFIX):
            team = self.team(target[len(TEAM_PREFIX) :])
            return team.name if team else target
        person = self.person(target)
        return person.name if person else target

    def overrides_for(self, rule_id: str) -> tuple[Override, ...]:
        return tuple(o for o in self.overrides if o.rule == rule_id)

    def expand(self, entry: str) -> tuple[str, ...]:
        """Person ids an entry stands for: a person, or a team's members in team order."""
        if entry.startswith(TEAM_PREFIX):
            team = self.team(entry[len(TEAM_PREFIX) :])
            return team.members if team else ()
        return (entry,)

    def slots(self, layer: Layer) -> tuple[str, ...]:
        """A layer's personnel expanded into rotation slots (a person listed twice takes two)."""
        return tuple(pid for entry in layer.personnel for pid in self.expand(entry))

    def rule_people(self, rule: OnCallRule) -> tuple[str, ...]:
        """Everyone a rule's layers can put on call, each once, in layer order."""
        return tuple(dict.fromkeys(pid for layer in rule.layers for pid in self.slots(layer)))


class Interval(NamedTuple):
    """One final-schedule interval: `person` is on call for `rule` during [start, end).

    `layer` names the layer that put them there when one named layer did so throughout (None when
    layers or an override took turns, or the rule's one layer has no name).

    Schedules produce these by the thousand, so they are named tuples: several times cheaper to
    make than frozen dataclasses.
    """

    rule: str
    person: str
    start: datetime
    end: datetime
    override: bool = False
    layer: str | None = None


class Gap(NamedTuple):
    """The rule is on duty during [start, end) with nobody on call."""

    rule: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    status: Status
    by: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedNotification:
    """One notification the planner (and so the engine) sends. Dedup key: (person, channel, at)."""

    at: datetime
    person: str
    channel: Channel
    level: int
    rule: str
    repeat: int
    handover: bool = False


def is_short_form(rule: OnCallRule) -> bool:
    """Whether the rule is written as v1 wrote it: top-level `personnel` and `rotation`, no `layers`.

    That is a rule of one plain layer (no name, zone, windows or span of its own) combined `first`;
    the file's paths then name `rules[i].personnel`, otherwise `rules[i].layers[j].personnel`.
    """
    return len(rule.layers) == 1 and rule.layers[0].is_plain and rule.combine == "first"


def sorted_severities(values: frozenset[Severity]) -> list[Severity]:
    """Severities in P0..P4 order, as the file and the messages list them."""
    order = list(Severity)
    return sorted(values, key=order.index)


def sorted_statuses(values: frozenset[Status]) -> list[Status]:
    """Statuses in the order an incident moves through them."""
    return sorted(values, key=lambda status: status.rank)
