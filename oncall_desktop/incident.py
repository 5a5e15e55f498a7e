"""Incidents, their timelines and their notifications as immutable values (SPEC §2, §4, §10).

The store hands these out and takes them in; the engine, the CLI and the views speak only these, so
none of them sees a database row. What a webhook payload says (`IntakeResult`) is here too: intake
parses into it and the store groups it into incidents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from oncall_desktop.domain import Channel, Severity, Status, StatusChange

AlertState = Literal["firing", "resolved"]


@dataclass(frozen=True, slots=True)
class IncomingAlert:
    fingerprint: str
    state: AlertState
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """One payload: the alerts of group `group_key`, and the incident they would open.

    `opens` says whether the payload may open an incident (it carries a firing alert); a payload of
    resolved alerts only acts on an incident that is already open.
    """

    group_key: str
    title: str
    description: str
    severity: Severity
    tags: tuple[str, ...]
    alerts: tuple[IncomingAlert, ...]
    link: str | None = None
    image_url: str | None = None

    @property
    def opens(self) -> bool:
        return any(alert.state == "firing" for alert in self.alerts)


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    """What one payload did: the incident it opened or touched (None if it touched none)."""

    incident_id: int | None
    opened: bool = False
    resolved: bool = False


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as stored. `paged` is None until the engine first planned it, then whether
    anybody is notified of it (SPEC §9: an unpaged incident is shown as such)."""

    id: int
    title: str
    description: str
    severity: Severity
    status: Status
    tags: tuple[str, ...]
    integration: str | None
    dedup_key: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    link: str | None = None
    image_url: str | None = None
    paged: bool | None = None
    maintenance: str | None = None
    held_until: datetime | None = None

    def held_at(self, now: datetime) -> bool:
        """Whether a maintenance window holds the incident at `now` (SPEC §13: "in maintenance")."""
        return self.held_until is not None and now < self.held_until and self.status != Status.RESOLVED

    def status_changes(self) -> tuple[StatusChange, ...]:
        """The incident's status history in the planner's terms."""
        changes = []
        if self.acknowledged_at is not None:
            changes.append(StatusChange(self.acknowledged_at, Status.WORKING, self.acknowledged_by))
        if self.resolved_at is not None:
            changes.append(StatusChange(self.resolved_at, Status.RESOLVED))
        return tuple(changes)


TimelineKind = str
"""`created`, `alert`, `acknowledged`, `resolved`, `notified`, `failed`, `retrying`, `level`,
`unpaged`, `planning`, `notice`, … — what happened, for filtering and colouring."""


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One line of an incident's timeline; `person`, `channel` and `level` where they apply."""

    at: datetime
    kind: TimelineKind
    actor: str | None
    message: str
    person: str | None = None
    channel: Channel | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A timeline line to append (the store stamps the incident)."""

    incident_id: int
    at: datetime
    kind: TimelineKind
    message: str
    actor: str | None = None
    person: str | None = None
    channel: Channel | None = None
    level: int | None = None


NotificationState = Literal["pending", "sending", "sent", "failed", "cancelled"]


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """A notification in the outbox or sent.

    `state`: pending (due or waiting for a retry), sending (claimed by a station under lease epoch
    `claim_epoch`: the provider may or may not have it), sent, failed (for good) or cancelled.
    """

    id: int
    incident_id: int
    person: str
    channel: Channel
    address: str | None
    rule: str | None
    level: int
    repeat: int
    handover: bool
    scheduled_at: datetime
    state: NotificationState
    sent_at: datetime | None
    late: bool
    provider_id: str | None
    error: str | None
    attempts: int = 0
    claim_epoch: int | None = None
    possibly_repeated: bool = False


@dataclass(frozen=True, slots=True)
class PlannedPage:
    """A notification the engine puts into the outbox (the planner's `PlannedNotification` plus
    the address it will go to, fixed when planned)."""

    incident_id: int
    person: str
    channel: Channel
    address: str | None
    rule: str | None
    level: int
    repeat: int
    handover: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class IncidentPlan:
    """What one planning of one incident decided, written in one transaction with the others.

    `next_due` None means escalation is over for good (resolved). `events` are timeline lines
    (level entries, unpaged, planning problems); `paged` sets the incident's flag when not None.
    """

    incident_id: int
    pages: tuple[PlannedPage, ...]
    planned_until: datetime
    next_due: datetime | None
    revision: int
    events: tuple[NewEvent, ...] = ()
    paged: bool | None = None
    problem: str | None = None
    held: tuple[str, datetime] | None = None
    """A maintenance window found holding the incident at its first planning: (name, its end)."""


@dataclass(frozen=True, slots=True)
class DueIncident:
    """An incident whose planning is due, with where planning stopped last time."""

    incident: Incident
    planned_until: datetime | None
    revision: int
    problem: str | None = None

    @property
    def is_new(self) -> bool:
        return self.revision == -1


@dataclass(frozen=True, slots=True)
class SmsPage:
    """One incident named in an SMS (a bundle names each incident once)."""

    incident_id: int
    severity: Severity
    title: str
    rule: str | None
    code: int


@dataclass(frozen=True, slots=True)
class InlineOutcome:
    """A notification whose notifier only writes the timeline, as it is to be recorded: sent (or
    failed with `error`) with its lines, no provider involved."""

    notification_id: int
    late: bool
    events: tuple[NewEvent, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """Notifications a station claimed for one send (several for a bundled SMS), with what their
    notifier needs that the store knows: reply codes, the acknowledge token, the Message-ID."""

    notification_ids: tuple[int, ...]
    epoch: int
    claimed_at: datetime
    pages: tuple[SmsPage, ...] = ()
    ack_token: str | None = None
    message_id: str | None = None
    possibly_repeated: bool = False


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """How one claimed send went, to record: `sent` (with the provider's id), `retry` at
    `retry_at`, `failed` for good, or `unknown` (left claimed for reconciling with the provider);
    `at` is the attempt's own time."""

    state: Literal["sent", "retry", "failed", "unknown"]
    at: datetime
    provider_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    events: tuple[NewEvent, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class DueNotification:
    """A pending notification whose time (or retry) has come, with its incident."""

    notification: NotificationRecord
    incident: Incident


@dataclass(frozen=True, slots=True)
class StaleClaim:
    """Notifications claimed for one send under an epoch that is no longer current: the station that
    claimed them stopped before saying how the send went. `claimed_at` is real time."""

    notification_ids: tuple[int, ...]
    incident_ids: tuple[int, ...]
    person: str
    channel: Channel
    address: str | None
    claimed_at: datetime | None
    claimed_by: str | None
    epoch: int | None
    level: int
    message_id: str | None
