"""How a due notification reaches a person: the `Notifier` interface, the timeline notifier, and the
words every timeline line and log uses.

The engine hands a notifier a frozen `Delivery` holding everything the send needs (the store was
asked once, when the notification was claimed) and gets a `DeliveryResult` back; the notifier never
touches the store. A notifier that only writes the timeline (`in_transaction`) is recorded in the
same transaction that marks the notification sent, so it is exactly once without a claim. One that
talks to the outside world (Twilio, SMTP) runs between the claim and the record; if the station dies
in between, the next engine asks the notifier's `reconcile` whether the provider has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from oncall_desktop.domain import Channel, Settings, Severity
from oncall_desktop.incident import SmsPage, StaleClaim
from oncall_desktop.timeutil import format_instant


@dataclass(frozen=True, slots=True)
class Delivery:
    """Everything a notifier needs to page one person once (an SMS bundle: several `pages`)."""

    notification_ids: tuple[int, ...]
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
    attempt: int = 1
    timeout: timedelta = timedelta(seconds=3)
    """For each provider operation (connect, answer): the claim left lease time for two of them."""
    settings: Settings = field(default_factory=Settings)
    pages: tuple[SmsPage, ...] = ()
    tags: tuple[str, ...] = ()
    ack_url: str | None = None
    message_id: str | None = None
    possibly_repeated: bool = False
    reminder: str | None = None
    """A handoff reminder's text (SPEC §12): then there is no incident, and this is the whole message."""

    @property
    def notification_id(self) -> int:
        return self.notification_ids[0]

    @property
    def bundled(self) -> bool:
        return len(self.pages) > 1


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """`sent`, `retry` (a temporary failure: try again after `retry_after`), `failed` (for good) or
    `unknown` (the provider may have it: it took the request but never answered; the engine asks
    it before sending again). `notices` are timeline lines the send adds (e.g. a call without a
    keypress acknowledgement)."""

    state: Literal["sent", "retry", "failed", "unknown"]
    provider_id: str | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    notices: tuple[str, ...] = ()

    @classmethod
    def sent(cls, provider_id: str | None = None, notices: tuple[str, ...] = ()) -> DeliveryResult:
        return cls("sent", provider_id=provider_id, notices=notices)

    @classmethod
    def retry(cls, error: str, after: timedelta) -> DeliveryResult:
        return cls("retry", error=error, retry_after=after)

    @classmethod
    def failed(cls, error: str) -> DeliveryResult:
        return cls("failed", error=error)

    @classmethod
    def unknown(cls, error: str) -> DeliveryResult:
        return cls("unknown", error=error)


@dataclass(frozen=True, slots=True)
class Found:
    """A message or call the provider has that a dead station's claim may have sent: sent at `at`
    as `provider_id`; `text` is an SMS's body (None for a call)."""

    provider_id: str
    at: datetime
    text: str | None = None


ReconcileResult = list[Found] | Literal["unknowable"]
"""What the provider holds that the claim may have sent, oldest first (the engine skips those other
notifications already recorded; none left: it is sent again), or `unknowable` when the provider
cannot be asked (email): it is sent again marked as possibly repeated."""


class Notifier(Protocol):
    """Sends deliveries on some channels while its service is set up in the settings."""

    @property
    def channels(self) -> frozenset[Channel]: ...

    @property
    def in_transaction(self) -> bool:
        """True if `send` only writes the timeline (so it may run inside the recording transaction)."""
        ...

    def ready(self, settings: Settings) -> bool:
        """Whether `settings` set this notifier's service up (else the timeline notifier takes over)."""
        ...

    def send(self, delivery: Delivery) -> DeliveryResult: ...

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        """Whether the provider received the send `stale` claimed (within `window` of its claim);
        raises when the provider cannot be reached now (the engine asks again later)."""
        ...


CHANNEL_WORDS = {
    Channel.SMS: "SMS",
    Channel.VOICE: "phone call",
    Channel.EMAIL: "email",
    Channel.CHAT: "chat",
}
SERVICES = {Channel.SMS: "Twilio", Channel.VOICE: "Twilio", Channel.EMAIL: "SMTP", Channel.CHAT: "Apprise"}


def describe(delivery: Delivery) -> str:
    """'notified Alice Chen by SMS (+14155550101), level 1' and so on, for logs."""
    what = "handover notice to" if delivery.handover else "notified"
    address = f" ({delivery.address})" if delivery.address else ""
    repeat = f", repeat {delivery.repeat}" if delivery.repeat else ""
    late = ", late" if delivery.late else ""
    return (
        f"{what} {delivery.person_name} by {CHANNEL_WORDS[delivery.channel]}{address}, "
        f"level {delivery.level}{repeat}{late}"
    )


def sent_line(delivery: Delivery, at: datetime, provider_id: str | None, incident_id: int) -> str:
    """The timeline line of a page that went out: who, how, when (the attempt's own time), and
    the provider's id; a bundle names the other incidents it carried."""
    what = "handover notice to" if delivery.handover else "notified"
    address = f" ({delivery.address})" if delivery.address else ""
    repeat = f", repeat {delivery.repeat}" if delivery.repeat else ""
    late = f", late (due {format_instant(delivery.scheduled_at)})" if delivery.late else ""
    provider = f" [{SERVICES[delivery.channel]} {provider_id}]" if provider_id else ""
    others = [f"#{p.incident_id}" for p in delivery.pages if p.incident_id != incident_id]
    bundle = f", in one SMS with {', '.join(others)} (SMS limit reached)" if others else ""
    repeated = (
        ", possibly repeated (the station stopped while sending it before)"
        if delivery.possibly_repeated
        else ""
    )
    how = f"by {CHANNEL_WORDS[delivery.channel]}{address} at {format_instant(at)}, level {delivery.level}"
    return f"{what} {delivery.person_name} {how}{repeat}{late}{bundle}{repeated}{provider}"


def failed_line(delivery: Delivery, error: str) -> str:
    address = f" ({delivery.address})" if delivery.address else ""
    return (
        f"{CHANNEL_WORDS[delivery.channel]} to {delivery.person_name}{address} failed: {error}; "
        f"level {delivery.level}, not sent"
    )


def unknown_line(delivery: Delivery, error: str) -> str:
    address = f" ({delivery.address})" if delivery.address else ""
    service = SERVICES[delivery.channel]
    return (
        f"{CHANNEL_WORDS[delivery.channel]} to {delivery.person_name}{address}: {error}; checking with "
        f"{service} whether it went out before sending it again"
    )


def retry_line(delivery: Delivery, error: str, after: timedelta) -> str:
    address = f" ({delivery.address})" if delivery.address else ""
    seconds = int(after.total_seconds())
    wait = f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
    return (
        f"{CHANNEL_WORDS[delivery.channel]} to {delivery.person_name}{address} not sent yet: {error}; "
        f"retrying in {wait}"
    )


class TimelineNotifier:
    """Writes each notification to the incident's timeline; the station's notifier of last resort.

    With `unset_services`, each line says the channel's service is not set up (the paging station
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

    def ready(self, settings: Settings) -> bool:
        return True

    def send(self, delivery: Delivery) -> DeliveryResult:
        if self._unset_services:
            service = SERVICES[delivery.channel]
            return DeliveryResult.sent(
                notices=(f"written to the incident timeline only ({service} is not set up in Settings)",)
            )
        return DeliveryResult.sent()

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        return []
