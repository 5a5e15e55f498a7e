"""Sending claimed notifications, each channel on its own threads (SPEC §10).

A send is one job: claim the notification (compare-and-set under the lease epoch, just before the
send — never a batch claimed ahead), call the provider, record the outcome under the same epoch.
Each channel has its own pool, so a hung provider delays only its own channel; every provider call
has a time-out below the lease, and the engine renews the lease on its own thread meanwhile.
Reconciling a dead station's claims with the provider runs on the same pools.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from oncall_desktop.domain import Channel, Configuration
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.email_notifier import ack_url, sender_domain
from oncall_desktop.engine.notifiers import (
    CHANNEL_WORDS,
    Delivery,
    DeliveryResult,
    Notifier,
    failed_line,
    retry_line,
    sent_line,
    unknown_line,
)
from oncall_desktop.incident import (
    Claim,
    DueNotification,
    NewEvent,
    NotificationRecord,
    NotificationState,
    SendOutcome,
)
from oncall_desktop.store import Store
from oncall_desktop.store.outbox import Fence

log = logging.getLogger(__name__)

WORKERS_PER_CHANNEL = 4


def send_timeout(lease: timedelta) -> timedelta:
    """Each provider operation's time-out: a fifth of the lease, so that a send (connect, then
    answer) fits in the lease left at its claim with room to spare (SPEC §10)."""
    return lease / 5


def claim_margin(timeout: timedelta) -> timedelta:
    """The lease time a claim must leave: the whole send, and a second more."""
    return 2 * timeout + timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class SendJob:
    """One message to claim, send and record: one notification, or the SMS of a bundle."""

    fence: Fence
    notifier: Notifier
    group: Sequence[DueNotification]
    config: Configuration
    late: bool
    timeout: timedelta


@dataclass(frozen=True, slots=True)
class Sent:
    """A finished send as the engine reports it (for the app's tray and desktop notifications)."""

    record: NotificationRecord
    outcome: SendOutcome


class Senders:
    """The per-channel pools and the jobs running on them."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        real_clock: Callable[[], datetime],
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.real_clock = real_clock
        self.on_done = on_done
        self._pools: dict[Channel, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        self._in_flight: dict[int, Future[None]] = {}
        self._addresses: dict[tuple[Channel, str], int] = {}
        self._reconciling: set[tuple[Channel, str]] = set()
        self._reconcile_jobs: set[Future[None]] = set()
        self._finished: list[Sent] = []

    # -- what is going on ---------------------------------------------------------------------

    def in_flight(self) -> set[int]:
        with self._lock:
            return set(self._in_flight)

    def busy_address(self, channel: Channel, address: str | None) -> bool:
        with self._lock:
            return address is not None and self._addresses.get((channel, address), 0) > 0

    def take_finished(self) -> list[Sent]:
        with self._lock:
            finished, self._finished = self._finished, []
        return finished

    def idle(self) -> bool:
        with self._lock:
            return not self._in_flight

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every job has finished; False if `timeout` (seconds) ran out first."""
        with self._lock:
            futures = list(self._in_flight.values()) + list(self._reconcile_jobs)
        _done, pending = wait_futures(futures, timeout=timeout)
        return not pending

    def shutdown(self, timeout: float = 30.0) -> None:
        self.wait(timeout)
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    # -- sending ------------------------------------------------------------------------------

    def submit_send(self, job: SendJob) -> None:
        """Claim, send and record one message for `job.group` (one notification, or an SMS bundle)."""
        first = job.group[0].notification
        key = (first.channel, first.address or "")
        ids = [due.notification.id for due in job.group]
        with self._lock:
            if any(i in self._in_flight for i in ids):
                return
            self._addresses[key] = self._addresses.get(key, 0) + 1
            future = self._pool(first.channel).submit(self._send_job, job)
            for notification_id in ids:
                self._in_flight[notification_id] = future
        future.add_done_callback(lambda _f: self._done(ids, key))

    def _done(self, ids: Sequence[int], key: tuple[Channel, str]) -> None:
        with self._lock:
            for notification_id in ids:
                self._in_flight.pop(notification_id, None)
            left = self._addresses.get(key, 1) - 1
            if left > 0:
                self._addresses[key] = left
            else:
                self._addresses.pop(key, None)
        if self.on_done is not None:
            self.on_done()

    def _pool(self, channel: Channel) -> ThreadPoolExecutor:
        pool = self._pools.get(channel)
        if pool is None:
            pool = ThreadPoolExecutor(WORKERS_PER_CHANNEL, thread_name_prefix=f"send-{channel.value}")
            self._pools[channel] = pool
        return pool

    def _send_job(self, job: SendJob) -> None:
        try:
            self._send(job)
        except Exception:
            log.exception("sending %s failed", describe_group(job.group))

    def _send(self, job: SendJob) -> None:
        first = job.group[0].notification
        settings = job.config.settings
        public = settings.station.public_url
        sender = settings.smtp.sender or settings.smtp.username
        claim = self.store.outbox.claim(
            Fence(job.fence.holder, job.fence.epoch, self.real_clock()),
            [d.notification.id for d in job.group],
            engine_now=self.clock.now(),
            lease_margin=claim_margin(job.timeout),
            late=job.late,
            sms_phone=first.address if first.channel == Channel.SMS and first.address else None,
            ack_link=first.channel in (Channel.EMAIL, Channel.CHAT) and bool(public),
            message_domain=sender_domain(sender) if first.channel == Channel.EMAIL and sender else None,
        )
        if claim is None:
            return  # sent meanwhile by another job, or the lease is not ours (with time to spare)
        delivery = build_delivery(job.group, job.config, claim, job.late, job.timeout)
        attempt_at = self.clock.now()
        try:
            result = job.notifier.send(delivery)
        except Exception as error:  # a notifier bug must not leave the page claimed for ever
            log.exception("notifier failed")
            result = DeliveryResult.failed(f"{type(error).__name__}: {error}")
        outcome = to_outcome(delivery, job.group, result, attempt_at)
        if not self.store.outbox.record(job.fence, claim, outcome):
            log.warning(
                "the outcome of %s (%s) was not recorded: the lease moved to another station, "
                "which checks with the provider",
                describe_group(job.group),
                outcome.state,
            )
            return
        with self._lock:
            for due in job.group:
                self._finished.append(Sent(with_outcome(due.notification, outcome), outcome))

    # -- other jobs on the channels' pools ---------------------------------------------------------

    def submit_once(self, key: tuple[Channel, str], job: Callable[[], None]) -> None:
        """Run `job` on `key`'s channel pool unless a job for `key` is running (reconciling a
        number's interrupted sends runs once at a time per number)."""
        with self._lock:
            if key in self._reconciling:
                return
            self._reconciling.add(key)
            future = self._pool(key[0]).submit(job)
            self._reconcile_jobs.add(future)
        future.add_done_callback(lambda f: self._once_done(key, f))

    def _once_done(self, key: tuple[Channel, str], future: Future[None]) -> None:
        with self._lock:
            self._reconciling.discard(key)
            self._reconcile_jobs.discard(future)
        if self.on_done is not None:
            self.on_done()


def build_delivery(
    group: Sequence[DueNotification], config: Configuration, claim: Claim, late: bool, timeout: timedelta
) -> Delivery:
    settings = config.settings
    first = group[0]
    note, incident = first.notification, first.incident
    person = config.person(note.person)
    public = settings.station.public_url
    return Delivery(
        notification_ids=claim.notification_ids,
        incident_id=incident.id,
        incident_title=incident.title,
        severity=incident.severity,
        rule=note.rule,
        person=note.person,
        person_name=person.name if person else note.person,
        channel=note.channel,
        address=note.address,
        level=note.level,
        repeat=note.repeat,
        handover=note.handover,
        scheduled_at=note.scheduled_at,
        late=late,
        attempt=note.attempts + 1,
        timeout=timeout,
        settings=settings,
        pages=claim.pages,
        tags=incident.tags,
        ack_url=ack_url(public, claim.ack_token) if public and claim.ack_token else None,
        message_id=claim.message_id,
        possibly_repeated=claim.possibly_repeated,
    )


def to_outcome(
    delivery: Delivery, group: Sequence[DueNotification], result: DeliveryResult, at: datetime
) -> SendOutcome:
    """The outcome to record, with a timeline line on each incident the message carried."""
    events: list[NewEvent] = []
    incidents = list(dict.fromkeys(d.incident.id for d in group))
    for incident_id in incidents:
        if result.state == "sent":
            text = sent_line(delivery, at, result.provider_id, incident_id)
            if result.notices:
                text += ": " + "; ".join(result.notices)
            kind = "notified"
        elif result.state == "retry":
            text = retry_line(
                delivery, result.error or "temporary failure", result.retry_after or timedelta(0)
            )
            kind = "retrying"
        elif result.state == "unknown":
            text = unknown_line(delivery, result.error or "no answer")
            kind = "retrying"
        else:
            text = failed_line(delivery, result.error or "failed")
            kind = "failed"
        events.append(
            NewEvent(
                incident_id,
                at,
                kind,
                text,
                person=delivery.person,
                channel=delivery.channel,
                level=delivery.level,
            )
        )
    retry_at = at + (result.retry_after or timedelta(seconds=30)) if result.state == "retry" else None
    return SendOutcome(
        result.state,
        at,
        provider_id=result.provider_id,
        error=result.error,
        retry_at=retry_at,
        events=tuple(events),
    )


def describe_group(group: Sequence[DueNotification]) -> str:
    first = group[0].notification
    return (
        f"{CHANNEL_WORDS[first.channel]} to {first.person} ({', '.join(f'#{d.incident.id}' for d in group)})"
    )


def with_outcome(record: NotificationRecord, outcome: SendOutcome) -> NotificationRecord:
    states: dict[str, NotificationState] = {
        "sent": "sent",
        "retry": "pending",
        "unknown": "sending",
        "failed": "failed",
    }
    state = states[outcome.state]
    return replace(
        record,
        state=state,
        sent_at=outcome.at if outcome.state == "sent" else record.sent_at,
        provider_id=outcome.provider_id or record.provider_id,
        error=outcome.error,
    )
