"""Handoff reminders (SPEC §12): each person whose shift begins is told, `before` ahead, on the rule's
reminder channels; never for a shift shorter than an hour, and not for a shift changed away since.

A *shift* is a final-schedule interval: its person is on call from its start (an override too). The
engine plans the reminders coming due from the schedule, stores them in the reminders outbox (one per
rule, person, channel and shift start), and before sending each checks that the shift still begins
then; one that does not is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from oncall_desktop.domain import Channel, Configuration
from oncall_desktop.schedule import Schedules
from oncall_desktop.timeutil import format_in_zone, zone

MIN_SHIFT = timedelta(hours=1)
ReminderState = Literal["pending", "sending", "sent", "failed", "cancelled"]


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    rule: str
    person: str
    channel: Channel
    address: str | None
    shift_start: datetime
    shift_end: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class Reminder:
    """A stored reminder and where its delivery stands."""

    id: int
    rule: str
    person: str
    channel: Channel
    address: str | None
    shift_start: datetime
    scheduled_at: datetime
    state: ReminderState
    attempts: int = 0
    claim_epoch: int | None = None
    claimed_at: datetime | None = None
    message_id: str | None = None
    possibly_repeated: bool = False
    sent_at: datetime | None = None
    provider_id: str | None = None
    error: str | None = None


def address_for(config: Configuration, person_id: str, channel: Channel) -> str | None:
    person = config.person(person_id)
    if person is None:
        return None
    return person.paging_email if channel == Channel.EMAIL else person.paging_phone


def planned_reminders(
    config: Configuration, schedules: Schedules, due_from: datetime, due_until: datetime, now: datetime
) -> list[PlannedReminder]:
    """The reminders due in [due_from, due_until) for shifts that have not begun at `now`."""
    found: list[PlannedReminder] = []
    for rule in config.rules:
        settings = rule.reminders
        if settings is None or not rule.has_personnel:
            continue
        before = timedelta(minutes=settings.before_minutes)
        start, end = due_from + before, due_until + before
        intervals, _gaps = schedules.rules[rule.id].intervals(start, end, clip=False)
        for interval in intervals:
            at = interval.start - before
            if not (start <= interval.start < end) or interval.start <= now:
                continue
            if interval.end - interval.start < MIN_SHIFT:
                continue
            for channel in settings.channels:
                found.append(
                    PlannedReminder(
                        rule.id,
                        interval.person,
                        channel,
                        address_for(config, interval.person, channel),
                        interval.start,
                        interval.end,
                        at,
                    )
                )
    return found


def shift_still_begins(
    schedules: Schedules, rule_id: str, person: str, shift_start: datetime
) -> datetime | None:
    """The shift's end if `person` still begins a shift of at least an hour on the rule at
    `shift_start`, else None (an override or an edit moved it away)."""
    rule = schedules.rules.get(rule_id)
    if rule is None or rule.rule.reminders is None:
        return None
    intervals, _gaps = rule.intervals(shift_start, shift_start + MIN_SHIFT, clip=False)
    for interval in intervals:
        if (
            interval.person == person
            and interval.start == shift_start
            and interval.end - interval.start >= MIN_SHIFT
        ):
            return interval.end
    return None


def reminder_text(
    config: Configuration, rule_id: str, person_id: str, start: datetime, end: datetime, ident: int
) -> str:
    """What the reminder says: the rule, the shift in the person's zone, and its number (so a
    provider's copy can be matched to it after a crash)."""
    rule = config.rule(rule_id)
    person = config.person(person_id)
    tz = zone(person.timezone) if person is not None and person.timezone else zone("UTC")
    name = rule.name if rule is not None and rule.name else rule_id
    return (
        f"On-call reminder: your {name} shift begins {format_in_zone(start, tz)} "
        f"and ends {format_in_zone(end, tz)} (reminder R{ident})"
    )
