"""The escalation engine: the planner (SPEC §3) run in real time against the store (SPEC §9, §10).

Each `tick(now)`:
1. says this station is alive, and takes or renews the engine lease (one engine per store; a new
   holder gets a new fencing epoch) — renewing at most once every `RENEW_EVERY` of real time;
2. reloads the configuration when the store's revision moved, and then re-plans every incident;
3. plans each incident whose next due instant has come, each on its own (`planning`): an incident
   that cannot be planned with its rules is paged through the default rule meanwhile, says so on
   its timeline and in `status`, and never stops the others; the plans go to the outbox in one
   transaction, or one by one if that fails;
4. settles sends a dead station (or a provider that never answered) left claimed, by asking the
   provider (`reconcile`) before anything is sent again;
5. hands due notifications to the per-channel senders (`dispatch`), applying the SMS limit.
The engine knows no Qt and no threads of its own but the senders'; `station` and `qt_worker` call
`tick` on their loops, at least every `MAX_IDLE`, so the lease is renewed while sends are in flight.
Ticks come far more often than that when intake wakes the engine for every new incident: the lease,
the heartbeat watch (in engine time) and the stale claims (minutes old before they matter) are
looked at once per `RENEW_EVERY`, so such a tick only plans and dispatches.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from oncall_desktop.domain import Channel, Configuration, Status
from oncall_desktop.engine.clock import Clock, SystemClock, clock_spec
from oncall_desktop.engine.dispatch import (
    Senders,
    SendJob,
    Sent,
    build_delivery,
    claim_margin,
    describe_group,
    send_timeout,
    to_outcome,
    with_outcome,
)
from oncall_desktop.engine.heartbeats import check_heartbeats
from oncall_desktop.engine.notifiers import DeliveryResult, Notifier, TimelineNotifier
from oncall_desktop.engine.planning import fallback_schedules, plan_incident
from oncall_desktop.engine.reconcile import reconcile_number
from oncall_desktop.engine.reminders import HandoffReminders
from oncall_desktop.incident import (
    Claim,
    DueIncident,
    DueNotification,
    Incident,
    IncidentPlan,
    InlineOutcome,
    NewEvent,
    NotificationRecord,
    SendOutcome,
    StaleClaim,
)
from oncall_desktop.schedule import Schedules
from oncall_desktop.sms_limit import SmsRateLimit
from oncall_desktop.store import Store, StoreError
from oncall_desktop.store.lease import Tenure
from oncall_desktop.store.outbox import Fence

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(seconds=60)
PLAN_HORIZON = timedelta(hours=1)
BATCH = 500
PROBLEM_RETRY = timedelta(minutes=1)
STATION_HEARTBEAT = timedelta(seconds=2)
MAX_IDLE = timedelta(seconds=1)
RENEW_EVERY = timedelta(seconds=1)
"""Well inside the shortest lease (validation's `LEASE_SECONDS`) and `status`'s healthy tick."""


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did. `next_due` is when the engine next has work (None: nothing scheduled);
    `more` says a batch limit was hit and another tick should follow at once. `sent` and `failed`
    are the sends that finished since the last tick (a failed one is `pending` when it is retried)."""

    now: datetime
    holds_lease: bool
    opened: tuple[Incident, ...] = ()
    sent: tuple[NotificationRecord, ...] = ()
    failed: tuple[NotificationRecord, ...] = ()
    planned: int = 0
    next_due: datetime | None = None
    more: bool = False
    problems: tuple[tuple[int, str], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.opened or self.sent or self.failed or self.planned)


def next_delay(
    report: TickReport | None, now: datetime, speed: float = 1.0, max_idle: timedelta = MAX_IDLE
) -> timedelta:
    """How long (real time) to wait before the next tick: at once if a batch was cut short, else
    until the next due instant (on a clock running `speed` times real time), but never longer than
    `max_idle` (configuration changes, the lease, new incidents); `max_idle` after a failed tick."""
    if report is not None and report.more:
        return timedelta(0)
    if report is None or report.next_due is None:
        return max_idle
    return max(timedelta(0), min(max_idle, (report.next_due - now) / speed))


def new_station_id() -> str:
    """Host name, process id and a random part: unique even for two containers that share a host
    name and both run as process 1."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def real_now() -> datetime:
    return datetime.now(UTC)


class EscalationEngine:
    """Escalates the store's unresolved incidents; call `tick()` whenever `next_due` comes (or on
    a short interval, and whenever intake opened an incident)."""

    def __init__(
        self,
        store: Store,
        notifiers: Sequence[Notifier] = (),
        *,
        holder: str | None = None,
        clock: Clock | None = None,
        real_clock: Callable[[], datetime] = real_now,
        lease_ttl: timedelta | None = None,
        late_after: timedelta = LATE_AFTER,
        horizon: timedelta = PLAN_HORIZON,
        sms_limit: SmsRateLimit | None = None,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.real_clock = real_clock
        self.notifiers: tuple[Notifier, ...] = (*notifiers, TimelineNotifier(unset_services=bool(notifiers)))
        self.holder = holder or new_station_id()
        self.lease_ttl = lease_ttl
        self.late_after = late_after
        self.horizon = horizon
        self.sms_limit = sms_limit or SmsRateLimit()
        self.senders = Senders(store, self.clock, real_clock, on_progress)
        self.started_at = real_clock()
        self._tenure: Tenure | None = None
        self._renewed_at: datetime | None = None
        self._heartbeats_at: datetime | None = None
        self._revision: int | None = None
        self._config = Configuration()
        self._schedules = Schedules(self._config)
        self._fallback = fallback_schedules(self._config)
        self._last_seen: datetime | None = None
        self._problems_logged: set[tuple[int, str]] = set()
        self._problems: tuple[tuple[int, str], ...] = ()
        self._inline: list[Sent] = []
        self.reminders = HandoffReminders(store, self.senders, self.clock, real_clock, self._notifier)

    @property
    def holds_lease(self) -> bool:
        return self._tenure is not None

    @property
    def epoch(self) -> int | None:
        return self._tenure.epoch if self._tenure is not None else None

    @property
    def configuration(self) -> Configuration:
        return self._config

    def ttl(self) -> timedelta:
        return self.lease_ttl or timedelta(seconds=self._config.settings.station.lease_seconds)

    def send_timeout(self) -> timedelta:
        return send_timeout(self.ttl())

    def release(self, timeout: float = 30.0) -> None:
        """Stop: let sends in flight finish (each has a time-out), then give the lease up so another
        station can take over at once, and say this station is gone."""
        self.senders.shutdown(timeout)
        if self._tenure is not None:
            self.store.lease.release(self.holder, self._tenure.epoch)
            self._tenure = None
            self._renewed_at = None
        try:
            self.store.lease.gone(self.holder)
        except StoreError as error:
            log.warning("could not say this station stopped: %s", error)

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait for the sends in flight to finish (tests, shutdown)."""
        return self.senders.wait(timeout)

    # -- one tick -------------------------------------------------------------------------------

    def tick(self, now: datetime) -> TickReport:
        real = self.real_clock()
        self._say_alive(real)
        self._refresh_configuration(now)
        renew = self._renew_due(real)
        if renew:
            tenure = self.store.lease.acquire(self.holder, self.epoch, real, self.ttl())
            if tenure is None:
                if self._tenure is not None:
                    log.warning("engine lease lost to another station (epoch %d)", self._tenure.epoch)
                self._tenure = None
                self._renewed_at = None
                return TickReport(now, holds_lease=False)
            if tenure.new:
                log.info("this station (%s) runs the engine now, lease epoch %d", self.holder, tenure.epoch)
                self.store.outbox.reconfigured(self._revision or 0, now)
            self._tenure = tenure
            self._renewed_at = real
        else:
            assert self._tenure is not None
            tenure = replace(self._tenure, new=False)
        fence = Fence(self.holder, tenure.epoch, real)
        if self._heartbeats_at is None or not timedelta(0) <= now - self._heartbeats_at < RENEW_EVERY:
            self._watch_heartbeats(now)
            self._heartbeats_at = now
        opened, planned, more_planning, problems_moved = self._plan_due(now)
        if problems_moved or tenure.new:
            self._problems = tuple(self.store.outbox.problems())
        if renew:
            self._recover(fence, real)
        more_sending = self._dispatch(fence, now)
        self.reminders.tick(
            fence, now, self._config, self._schedules, self.send_timeout(), self._revision or 0
        )
        finished = [*self._inline, *self.senders.take_finished()]
        self._inline = []
        return TickReport(
            now=now,
            holds_lease=True,
            opened=opened,
            sent=tuple(f.record for f in finished if f.outcome.state == "sent"),
            failed=tuple(f.record for f in finished if f.outcome.state != "sent"),
            planned=planned,
            next_due=min(
                (t for t in (self.store.outbox.next_due(), self.reminders.next_due()) if t is not None),
                default=None,
            ),
            more=more_planning or more_sending,
            problems=self._problems,
        )

    def _renew_due(self, real: datetime) -> bool:
        """Whether this tick takes or renews the lease: not held, or last renewed `RENEW_EVERY`
        ago (or the real clock went back)."""
        if self._tenure is None or self._renewed_at is None:
            return True
        return not timedelta(0) <= real - self._renewed_at < RENEW_EVERY

    def _say_alive(self, real: datetime) -> None:
        if self._last_seen is not None and real - self._last_seen < STATION_HEARTBEAT:
            return
        self.store.lease.seen(self.holder, real, self.started_at, clock_spec(self.clock))
        self._last_seen = real

    # -- configuration --------------------------------------------------------------------------

    def _refresh_configuration(self, now: datetime) -> None:
        revision = self.store.revision()
        if revision == self._revision:
            return
        self._config = self.store.load_configuration()
        self._schedules = Schedules(self._config)
        self._fallback = fallback_schedules(self._config)
        self._revision = revision
        if self._tenure is not None:
            self.store.outbox.reconfigured(revision, now)

    def _watch_heartbeats(self, now: datetime) -> None:
        """Open an incident for each integration whose heartbeat lapsed (SPEC §13)."""
        try:
            check_heartbeats(self.store, self._config.integrations, now)
        except StoreError as error:
            log.warning("heartbeats could not be checked: %s", error)

    # -- planning -------------------------------------------------------------------------------

    def _plan_due(self, now: datetime) -> tuple[tuple[Incident, ...], int, bool, bool]:
        """(incidents opened, pages planned, whether more are due, whether the incidents the
        engine cannot plan may have changed: a plan with a problem, one that failed to be stored,
        or one for an incident that had a problem)."""
        due = self.store.outbox.due_for_planning(now, BATCH)
        if not due:
            return (), 0, False, False
        # An incident never planned has nothing in the outbox yet.
        have = self.store.outbox.planned_keys([d for d in due if not d.is_new])
        plans = [self._plan_one(d, now, have) for d in due]
        saved = self._save(plans, due, now)
        opened = tuple(d.incident for d, ok in zip(due, saved, strict=True) if ok and d.is_new)
        pages = sum(len(p.pages) for p, ok in zip(plans, saved, strict=True) if ok)
        had_problems = {incident_id for incident_id, _ in self._problems}
        moved = any(
            not ok or p.problem is not None or d.problem is not None or p.incident_id in had_problems
            for d, p, ok in zip(due, plans, saved, strict=True)
        )

        return opened, pages, len(due) == BATCH, moved

    def _plan_one(
        self, due: DueIncident, now: datetime, have: set[tuple[int, str, Channel, datetime]]
    ) -> IncidentPlan:
        revision = self._revision or 0
        try:
            return plan_incident(due, self._schedules, now, self.horizon, revision, have)
        except Exception as error:
            reason = f"cannot plan with its rules ({type(error).__name__}: {error})"
            self._log_problem(due.incident.id, reason)
        try:
            fallback = plan_incident(
                replace(due, problem=None), self._fallback, now, self.horizon, revision, have
            )
            note = f"{reason}; paging through the default rule meanwhile"
        except Exception as error:
            note = f"{reason}, nor with the default rule ({type(error).__name__}: {error}); nobody is paged"
            self._log_problem(due.incident.id, note)
            fallback = IncidentPlan(
                due.incident.id, (), due.planned_until or now, now + PROBLEM_RETRY, revision, paged=False
            )
        events = fallback.events
        if due.problem != note:
            events = (*events, NewEvent(due.incident.id, now, "planning", note))
        retry = now + PROBLEM_RETRY  # try its own rules again soon
        next_due = min(fallback.next_due, retry) if fallback.next_due is not None else None
        return replace(fallback, events=events, problem=note, next_due=next_due)

    def _save(self, plans: Sequence[IncidentPlan], due: Sequence[DueIncident], now: datetime) -> list[bool]:
        """Save every plan in one transaction; if that fails, each alone, so one incident's failure
        is that incident's alone (it is marked, and tried again in a minute)."""
        try:
            self.store.outbox.save_plans(plans)
            return [True] * len(plans)
        except StoreError as error:
            if len(plans) == 1:
                return [self._save_problem(plans[0], due[0], now, error)]
        saved = []
        for plan, one in zip(plans, due, strict=True):
            try:
                self.store.outbox.save_plans([plan])
                saved.append(True)
            except StoreError as error:
                saved.append(self._save_problem(plan, one, now, error))
        return saved

    def _save_problem(self, plan: IncidentPlan, due: DueIncident, now: datetime, error: StoreError) -> bool:
        reason = f"its notifications could not be stored: {error}"
        self._log_problem(plan.incident_id, reason)
        marked = IncidentPlan(
            plan.incident_id,
            (),
            due.planned_until or due.incident.created_at,
            now + PROBLEM_RETRY,
            due.revision,
            events=(NewEvent(plan.incident_id, now, "planning", reason),) if due.problem != reason else (),
            problem=reason,
        )
        try:
            self.store.outbox.save_plans([marked])
        except StoreError:
            log.warning("incident %s: %s (not even the problem could be stored)", plan.incident_id, reason)
        return False

    def _log_problem(self, incident_id: int, reason: str) -> None:
        key = (incident_id, reason)
        if key not in self._problems_logged:
            self._problems_logged.add(key)
            log.error("incident %s %s", incident_id, reason)

    # -- after a station died mid-send ------------------------------------------------------------

    def _recover(self, fence: Fence, real: datetime) -> None:
        """Ask the providers about sends claimed under an older epoch (or that got no answer),
        one number at a time (`reconcile`)."""
        window = claim_margin(self.send_timeout())
        by_number: dict[tuple[Channel, str], list[StaleClaim]] = {}
        for stale in self.store.outbox.stale_claims(fence.epoch):
            if stale.claimed_at is not None and stale.claimed_at + window > real:
                continue  # its sender may still be waiting for the provider's answer
            by_number.setdefault((stale.channel, stale.address or ""), []).append(stale)
        for key, claims in by_number.items():
            notifier = self._notifier(key[0])
            job = partial(
                reconcile_number,
                self.store,
                self.clock,
                fence,
                notifier,
                claims,
                self._config.settings,
                window,
            )
            self.senders.submit_once(key, job)

    # -- dispatching ----------------------------------------------------------------------------

    def _notifier(self, channel: Channel) -> Notifier:
        settings = self._config.settings
        return next(n for n in self.notifiers if channel in n.channels and n.ready(settings))

    def _dispatch(self, fence: Fence, now: datetime) -> bool:
        due = self.store.outbox.due(now, BATCH, skip=self.senders.in_flight())
        resolved = [d.notification.id for d in due if d.incident.status == Status.RESOLVED]
        self.store.outbox.cancel(resolved, "the incident was resolved before it was sent")
        waiting = [d for d in due if d.incident.status != Status.RESOLVED]
        sms: dict[str, list[DueNotification]] = {}
        inline: list[tuple[DueNotification, Notifier]] = []
        for item in waiting:
            note = item.notification
            notifier = self._notifier(note.channel)
            if notifier.in_transaction:
                inline.append((item, notifier))
            elif note.channel == Channel.SMS and note.address:
                sms.setdefault(note.address, []).append(item)
            else:
                self.senders.submit_send(self._job(fence, notifier, [item], now))
        self._send_inline(fence, inline, now)
        self._dispatch_sms(fence, sms, now)
        return len(due) == BATCH

    def _dispatch_sms(self, fence: Fence, by_number: dict[str, list[DueNotification]], now: datetime) -> None:
        """Each number's due SMS as the limit lets them out: one message each while there is room,
        the last one carrying all still waiting; the rest wait until room opens."""
        if not by_number:
            return
        notifier = self._notifier(Channel.SMS)
        limit = self.sms_limit
        recent = self.store.outbox.recent_sms(by_number, now - limit.window)
        for number, items in by_number.items():
            if self.senders.busy_address(Channel.SMS, number):
                continue  # its last message is still going out: decide once it is recorded
            sent = recent.get(number, [])
            groups = limit.split(items, limit.room(sent, now))
            for group in groups:
                self.senders.submit_send(self._job(fence, notifier, group, now))
            held = items[sum(len(g) for g in groups) :]
            if held:
                until = limit.next_room([*sent, *([now] * len(groups))], now)
                self.store.outbox.defer(
                    [d.notification.id for d in held],
                    until,
                    f"held back: {limit.describe()}; goes out bundled when room opens",
                )

    def _job(
        self, fence: Fence, notifier: Notifier, group: Sequence[DueNotification], now: datetime
    ) -> SendJob:
        late = self._late(group[0].notification, now)
        return SendJob(fence, notifier, tuple(group), self._config, late, self.send_timeout())

    def _late(self, note: NotificationRecord, now: datetime) -> bool:
        return now - note.scheduled_at > self.late_after

    def _send_inline(
        self, fence: Fence, items: Sequence[tuple[DueNotification, Notifier]], now: datetime
    ) -> None:
        """Notifiers that only write the timeline: every such page of this dispatch sent, then all
        recorded in one transaction (nothing left the station, so nothing is in doubt)."""
        done: list[tuple[DueNotification, SendOutcome]] = []
        records: list[InlineOutcome] = []
        for item, notifier in items:
            note = item.notification
            late = self._late(note, now)
            claim = Claim((note.id,), fence.epoch, fence.real_now)
            delivery = build_delivery([item], self._config, claim, late, self.send_timeout())
            result = notifier.send(delivery)
            error = None if result.state == "sent" else result.error or "failed"
            outcome = to_outcome(
                delivery, [item], result if error is None else DeliveryResult.failed(error), now
            )
            done.append((item, outcome))
            records.append(InlineOutcome(note.id, late, tuple(outcome.events), error))
        recorded = self.store.outbox.record_inline(fence, now, records)
        for item, outcome in done:
            if item.notification.id in recorded:
                self._inline.append(Sent(with_outcome(item.notification, outcome), outcome))
            else:
                log.warning("%s was not recorded: the lease moved on", describe_group([item]))
