"""The engine's handoff reminders (SPEC §12), sent exactly once like pages.

Each tick (while this station holds the lease): plan the reminders coming due from the schedule into
the reminders outbox; send the due ones — each checked first against the schedule as it is now (a
shift an override or an edit moved away, or one already begun, is cancelled, saying why) and then
claimed, sent and recorded under the lease epoch on the channel's own pool, as a page is; and settle
with the provider any reminder a dead station claimed but never recorded (an SMS found in Twilio's
list by the reminder's number in its text is recorded as sent; an email, which cannot be asked
about, is sent again marked as possibly repeated).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from oncall_desktop.domain import Channel, Configuration, Severity
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.dispatch import Senders, claim_margin
from oncall_desktop.engine.email_notifier import sender_domain
from oncall_desktop.engine.notifiers import SERVICES, Delivery, DeliveryResult, Notifier
from oncall_desktop.incident import SendOutcome, StaleClaim
from oncall_desktop.reminders import Reminder, planned_reminders, reminder_text, shift_still_begins
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store, StoreError
from oncall_desktop.store.outbox import Fence

log = logging.getLogger(__name__)

PLAN_AHEAD = timedelta(minutes=15)
PLAN_EVERY = timedelta(minutes=5)
CATCH_UP = timedelta(days=1)
"""After a station was down, reminders that came due meanwhile still go (late) while their shift
has not begun; those due over a day ago are not planned any more."""
BATCH = 100


class HandoffReminders:
    def __init__(
        self,
        store: Store,
        senders: Senders,
        clock: Clock,
        real_clock: Callable[[], datetime],
        notifier_for: Callable[[Channel], Notifier],
    ) -> None:
        self.store = store
        self.senders = senders
        self.clock = clock
        self.real_clock = real_clock
        self.notifier_for = notifier_for
        self._planned_for: tuple[int, datetime] | None = None

    def tick(
        self,
        fence: Fence,
        now: datetime,
        config: Configuration,
        schedules: Schedules,
        timeout: timedelta,
        revision: int,
    ) -> None:
        if not any(rule.reminders for rule in config.rules):
            return
        try:
            self._plan(now, config, schedules, revision)
            self._recover(fence, config, timeout)
            self._send_due(fence, now, config, schedules, timeout)
        except StoreError as error:
            log.warning("handoff reminders: %s (tried again next tick)", error)

    def next_due(self) -> datetime | None:
        return self.store.reminders.next_due()

    # -- planning -------------------------------------------------------------------------------

    def _plan(self, now: datetime, config: Configuration, schedules: Schedules, revision: int) -> None:
        """Every few minutes, and at once after the configuration changed."""
        last = self._planned_for
        if last is not None and last[0] == revision and last[1] <= now < last[1] + PLAN_EVERY:
            return
        planned = planned_reminders(config, schedules, now - CATCH_UP, now + PLAN_AHEAD, now)
        self.store.reminders.plan(planned)
        self._planned_for = (revision, now)

    # -- sending --------------------------------------------------------------------------------

    def _send_due(
        self, fence: Fence, now: datetime, config: Configuration, schedules: Schedules, timeout: timedelta
    ) -> None:
        for reminder in self.store.reminders.due(now, BATCH):
            if reminder.shift_start <= now:
                self.store.reminders.cancel(reminder.id, "the shift began before the reminder could be sent")
                continue
            end = shift_still_begins(schedules, reminder.rule, reminder.person, reminder.shift_start)
            if end is None:
                self.store.reminders.cancel(reminder.id, "the shift was changed away since it was planned")
                continue
            text = reminder_text(
                config, reminder.rule, reminder.person, reminder.shift_start, end, reminder.id
            )
            notifier = self.notifier_for(reminder.channel)
            if notifier.in_transaction:
                result = notifier.send(_delivery(reminder, config, text, timeout, now))
                error = None if result.state == "sent" else result.error or "failed"
                if result.notices:  # the timeline notifier standing in for a service not set up
                    error = f"not sent: {SERVICES[reminder.channel]} is not set up in Settings"
                self.store.reminders.record_inline(fence, reminder.id, now, error)
                continue
            self.senders.submit_once(
                (reminder.channel, f"reminder-{reminder.id}"),
                partial(self._send, fence, reminder, config, text, notifier, timeout),
            )

    def _send(
        self,
        fence: Fence,
        reminder: Reminder,
        config: Configuration,
        text: str,
        notifier: Notifier,
        timeout: timedelta,
    ) -> None:
        settings = config.settings
        sender = settings.smtp.sender or settings.smtp.username
        claimed = self.store.reminders.claim(
            Fence(fence.holder, fence.epoch, self.real_clock()),
            reminder.id,
            lease_margin=claim_margin(timeout),
            message_domain=sender_domain(sender) if reminder.channel == Channel.EMAIL and sender else None,
        )
        if claimed is None:
            return  # sent meanwhile, or the lease is not ours with time to spare
        at = self.clock.now()
        try:
            result = notifier.send(_delivery(claimed, config, text, timeout, at))
        except Exception as error:  # a notifier bug must not leave the reminder claimed for ever
            log.exception("notifier failed on a reminder")
            result = DeliveryResult.failed(f"{type(error).__name__}: {error}")
        retry_at = at + (result.retry_after or timedelta(seconds=30)) if result.state == "retry" else None
        outcome = SendOutcome(
            result.state, at, provider_id=result.provider_id, error=result.error, retry_at=retry_at
        )
        if not self.store.reminders.record(fence, claimed.id, outcome):
            log.warning("reminder R%d (%s) was not recorded: the lease moved on", claimed.id, outcome.state)

    # -- after a station died mid-send ------------------------------------------------------------

    def _recover(self, fence: Fence, config: Configuration, timeout: timedelta) -> None:
        window = claim_margin(timeout)
        real = self.real_clock()
        for stale in self.store.reminders.stale(fence.epoch):
            if stale.claimed_at is not None and stale.claimed_at + window > real:
                continue  # its sender may still be waiting for the provider's answer
            notifier = self.notifier_for(stale.channel)
            self.senders.submit_once(
                (stale.channel, f"reminder-{stale.id}"),
                partial(self._settle, fence, stale, notifier, config, window),
            )

    def _settle(
        self, fence: Fence, stale: Reminder, notifier: Notifier, config: Configuration, window: timedelta
    ) -> None:
        claim = StaleClaim(
            notification_ids=(),
            incident_ids=(),
            person=stale.person,
            channel=stale.channel,
            address=stale.address,
            claimed_at=stale.claimed_at,
            claimed_by=None,
            epoch=stale.claim_epoch,
            level=0,
            message_id=stale.message_id,
        )
        try:
            found = notifier.reconcile(claim, config.settings, window)
        except Exception as error:
            log.warning("reminder R%d: cannot ask the provider now (%s); asking again later", stale.id, error)
            return
        live = Fence(fence.holder, fence.epoch, self.real_clock())
        if found == "unknowable":
            self.store.reminders.settle_stale(live, stale, found_at=None, possibly_repeated=True)
            return
        marker = f"(reminder R{stale.id})"
        match = next((f for f in found if f.text is not None and marker in f.text), None)
        if match is not None:
            self.store.reminders.settle_stale(live, stale, found_at=match.at, provider_id=match.provider_id)
        else:
            self.store.reminders.settle_stale(live, stale, found_at=None)


def _delivery(
    reminder: Reminder, config: Configuration, text: str, timeout: timedelta, at: datetime
) -> Delivery:
    person = config.person(reminder.person)
    return Delivery(
        notification_ids=(),
        incident_id=0,
        incident_title=text,
        severity=Severity.P4,
        rule=reminder.rule,
        person=reminder.person,
        person_name=person.name if person else reminder.person,
        channel=reminder.channel,
        address=reminder.address,
        level=0,
        repeat=0,
        handover=False,
        scheduled_at=reminder.scheduled_at,
        late=at - reminder.scheduled_at > timedelta(minutes=5),
        attempt=reminder.attempts + 1,
        timeout=timeout,
        settings=config.settings,
        message_id=reminder.message_id,
        possibly_repeated=reminder.possibly_repeated,
        reminder=text,
    )
