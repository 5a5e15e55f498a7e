"""The per-number SMS limit (SPEC §10), one rule for the engine and for `simulate`.

At most `max_messages` SMS go to one number in any `window` (Twilio's carriers throttle and bundle
beyond that). An SMS due while the number has no room waits; when room opens, or when more SMS are
waiting than there is room for, the last message the room allows carries every page still waiting,
as one bundle naming each incident once. So the SMS `simulate` lists are the ones a phone receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from oncall_desktop.domain import Channel, PlannedNotification

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SmsRateLimit:
    """At most `max_messages` SMS to one number per `window`."""

    max_messages: int = 5
    window: timedelta = timedelta(minutes=10)

    def room(self, sent: Sequence[datetime], now: datetime) -> int:
        """How many more SMS may go to the number at `now`, given when earlier ones went."""
        recent = sum(1 for at in sent if now - self.window < at <= now)
        return max(0, self.max_messages - recent)

    def next_room(self, sent: Sequence[datetime], now: datetime) -> datetime:
        """When the number next has room (now, if it has some)."""
        recent = sorted(at for at in sent if now - self.window < at <= now)
        if len(recent) < self.max_messages:
            return now
        return recent[len(recent) - self.max_messages] + self.window

    def split(self, waiting: Sequence[T], room: int) -> list[list[T]]:
        """The messages that go out now for `waiting` pages (oldest first): one each while there is
        room, the last one the room allows carrying the rest; none without room."""
        if room <= 0 or not waiting:
            return []
        if len(waiting) <= room:
            return [[page] for page in waiting]
        return [[page] for page in waiting[: room - 1]] + [list(waiting[room - 1 :])]

    def describe(self) -> str:
        minutes = int(self.window.total_seconds() // 60)
        return f"at most {self.max_messages} SMS per {minutes} minutes to one number"


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One SMS a phone receives: at `at`, carrying `pages` (more than one: a bundle)."""

    at: datetime
    person: str
    pages: tuple[PlannedNotification, ...]

    @property
    def bundled(self) -> bool:
        return len(self.pages) > 1


def apply_limit(
    notes: Sequence[PlannedNotification], limit: SmsRateLimit
) -> list[PlannedNotification | SmsMessage]:
    """The planner's notifications as they reach people: every non-SMS notification as it is, and
    each person's SMS as the messages the limit lets through (sorted by time, person, channel).
    A bundled message is an `SmsMessage`; an SMS sent on its own stays a `PlannedNotification`
    (at its send instant, which is later than planned when it had to wait)."""
    out: list[PlannedNotification | SmsMessage] = [n for n in notes if n.channel != Channel.SMS]
    by_person: dict[str, list[PlannedNotification]] = {}
    for note in notes:
        if note.channel == Channel.SMS:
            by_person.setdefault(note.person, []).append(note)
    for person, sms in by_person.items():
        for message in _messages(person, sorted(sms, key=lambda n: n.at), limit):
            out.append(
                message.pages[0] if not message.bundled and message.pages[0].at == message.at else message
            )
    return sorted(out, key=_order)


def _messages(person: str, sms: list[PlannedNotification], limit: SmsRateLimit) -> list[SmsMessage]:
    messages: list[SmsMessage] = []
    sent: list[datetime] = []
    waiting: list[PlannedNotification] = []
    index = 0
    t = sms[0].at if sms else None
    while t is not None:
        while index < len(sms) and sms[index].at <= t:
            waiting.append(sms[index])
            index += 1
        groups = limit.split(waiting, limit.room(sent, t))
        for group in groups:
            messages.append(SmsMessage(t, person, tuple(group)))
            sent.append(t)
        waiting = waiting[sum(len(group) for group in groups) :]
        candidates = []
        if index < len(sms):
            candidates.append(sms[index].at)
        if waiting:
            candidates.append(limit.next_room(sent, t))
        t = min(candidates) if candidates else None
    return messages


def _order(item: PlannedNotification | SmsMessage) -> tuple[datetime, str, str]:
    if isinstance(item, SmsMessage):
        return (item.at, item.person, Channel.SMS.value)
    return (item.at, item.person, item.channel.value)
