"""How a due notification reaches a person: the `Notifier` interface and the timeline notifier.

The engine hands a notifier a frozen `Delivery` and gets a `DeliveryResult` back. A notifier that
only writes to the store (`in_transaction = True`, like `TimelineNotifier`) runs inside the
transaction that records the notification as sent, so a crash can neither lose nor repeat it. A
notifier that talks to the outside world (Twilio, SMTP) runs between two transactions: the engine
claims the notification first (pending → sending) and records the result after, so a crash in
between leaves it `sending`, which the engine later marks failed instead of sending it again —
at most once, because a second page is worse than an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from oncall_desktop.domain import Channel, Severity

Journal = Callable[[str, str], None]
"""Appends (kind, message) to the incident's timeline, in the recording transaction."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """Everything a notifier needs to page one person once."""

    notification_id: int
    incident_id: int
    incident_title: str
    severity: Severity
    rule: str | None
    person: str
    person_name: str
    channel: Channel
    address: str | None
    level: int
    repeat: int
    handover: bool
    scheduled_at: datetime
    late: bool


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """`sent`, `retry` (a temporary failure: try again after `retry_after`) or `failed` (for good)."""

    state: Literal["sent", "retry", "failed"]
    provider_id: str | None = None
    error: str | None = None
    retry_after: timedelta | None = None

    @classmethod
    def sent(cls, provider_id: str | None = None) -> DeliveryResult:
        return cls("sent", provider_id=provider_id)

    @classmethod
    def retry(cls, error: str, after: timedelta) -> DeliveryResult:
        return cls("retry", error=error, retry_after=after)

    @classmethod
    def failed(cls, error: str) -> DeliveryResult:
        return cls("failed", error=error)


class Notifier(Protocol):
    """Sends deliveries on some channels, and says what it did through `journal` (the timeline
    entry people read: "notified Alice Chen by SMS (+1…)"); failures are journalled by the engine."""

    @property
    def channels(self) -> frozenset[Channel]: ...

    @property
    def in_transaction(self) -> bool:
        """True if `send` only writes through `journal` (so it may run inside a transaction)."""
        ...

    def send(self, delivery: Delivery, journal: Journal) -> DeliveryResult: ...


CHANNEL_WORDS = {Channel.SMS: "SMS", Channel.VOICE: "phone call", Channel.EMAIL: "email"}


def describe(delivery: Delivery) -> str:
    """'notified Alice Chen by SMS (+14155550101), level 1' and so on, for timelines and logs."""
    what = "handover notice to" if delivery.handover else "notified"
    address = f" ({delivery.address})" if delivery.address else ""
    repeat = f", repeat {delivery.repeat}" if delivery.repeat else ""
    late = ", late" if delivery.late else ""
    return (
        f"{what} {delivery.person_name} by {CHANNEL_WORDS[delivery.channel]}{address}, "
        f"level {delivery.level}{repeat}{late}"
    )


SERVICES = {Channel.SMS: "Twilio", Channel.VOICE: "Twilio", Channel.EMAIL: "SMTP"}


class TimelineNotifier:
    """Writes each notification to the incident's timeline; the station's notifier of last resort.

    With `unset_services`, each entry says the channel's service is not set up (the paging station
    puts one after its real notifiers, which take a channel only while their service is set up)."""

    def __init__(
        self, channels: frozenset[Channel] = frozenset(Channel), unset_services: bool = False
    ) -> None:
        self._channels = channels
        self._unset_services = unset_services

    @property
    def channels(self) -> frozenset[Channel]:
        return self._channels

    @property
    def in_transaction(self) -> bool:
        return True

    def send(self, delivery: Delivery, journal: Journal) -> DeliveryResult:
        what = describe(delivery)
        if self._unset_services:
            service = SERVICES[delivery.channel]
            what += f": written to the incident timeline only ({service} is not set up in Settings)"
        journal("notified", what)
        return DeliveryResult.sent()
