"""Acknowledging and resolving by SMS reply (SPEC §4).

Each paging SMS carries a short code per phone number and open incident: reply `1a` to acknowledge
incident code 1, `1r` to resolve it; a bare `a` / `r` acts on the number's latest incident. Replies
arrive by polling Twilio's message list (no public URL needed) and, when the station has a public URL,
by webhook too; the message SID is recorded before the reply is applied, so the same reply is never
applied twice, whichever path sees it first. Every reply gets a confirmation SMS.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from oncall_desktop.domain import Configuration
from oncall_desktop.engine.twilio_account import TwilioAccess, TwilioNotConfiguredError
from oncall_desktop.station_address import InvalidNumberError, e164
from oncall_desktop.store import Store, StoreError

log = logging.getLogger(__name__)

Action = Literal["acknowledge", "resolve"]
REPLY = re.compile(r"^\s*(?P<code>\d{1,4})?\s*(?P<action>a|ack|acknowledge|r|res|resolve)\s*[.!]?\s*$", re.I)
POLL_OVERLAP = timedelta(minutes=5)
FIRST_POLL_LOOKBACK = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class InboundSms:
    sid: str
    from_number: str
    body: str
    sent_at: datetime | None


def parse_reply(body: str) -> tuple[int | None, Action] | None:
    """`1a` → (1, acknowledge), `r` → (None, resolve); None if it is no reply code."""
    match = REPLY.match(body)
    if match is None:
        return None
    code = int(match["code"]) if match["code"] else None
    action: Action = "acknowledge" if match["action"].lower().startswith("a") else "resolve"
    return code, action


def person_for_phone(config: Configuration, phone: str) -> str | None:
    """The id of the person paged at (or owning) this number."""
    for person in config.people:
        for number in (person.oncall_phone, person.phone):
            try:
                if number and e164(number) == phone:
                    return person.id
            except InvalidNumberError:
                continue
    return None


class SmsReplies:
    """Applies inbound replies exactly once and confirms each by SMS."""

    def __init__(self, store: Store, access: TwilioAccess) -> None:
        self.store = store
        self.access = access

    def handle(self, message: InboundSms, now: datetime) -> str | None:
        """Apply one inbound SMS; the confirmation text, or None if this SID was already handled."""
        try:
            phone = e164(message.from_number)
        except InvalidNumberError:
            phone = message.from_number
        if not self.store.paging.claim_reply(message.sid, phone, message.sent_at, now):
            return None
        outcome = self._apply(phone, message.body, now)
        self.store.paging.reply_handled(message.sid, outcome)
        self._confirm(phone, outcome)
        return outcome

    def _apply(self, phone: str, body: str, now: datetime) -> str:
        parsed = parse_reply(body)
        if parsed is None:
            return "Not understood. Reply with the code from the page: 1a to acknowledge, 1r to resolve."
        code, action = parsed
        incident_id = self.store.paging.incident_for_reply(phone, code)
        if incident_id is None:
            which = f"with code {code} " if code is not None else ""
            return f"No open incident {which}was paged to this number."
        by = person_for_phone(self.access.config.get(), phone)
        try:
            if action == "acknowledge":
                incident = self.store.incidents.acknowledge(incident_id, now, by)
                verb = "Acknowledged"
            else:
                incident = self.store.incidents.resolve(incident_id, now, by)
                verb = "Resolved"
        except StoreError as error:
            return f"#{incident_id}: {error}."
        log.info("incident %s %s by SMS reply from %s", incident_id, verb.lower(), by or phone)
        return f"{verb} #{incident.id}: {incident.title[:100]}"

    def _confirm(self, phone: str, text: str) -> None:
        try:
            client, settings = self.access.client()
            client.messages.create(to=phone, from_=settings.from_number, body=text)
        except TwilioNotConfiguredError as error:
            log.warning("no confirmation SMS sent: %s", error)
        except Exception as error:  # the reply is applied; a lost confirmation must not undo that
            log.warning("confirmation SMS to %s failed: %s", phone, type(error).__name__)


class ReplyPoller:
    """Fetches inbound SMS to the station's number from Twilio's message list (works behind NAT)."""

    def __init__(self, store: Store, access: TwilioAccess, replies: SmsReplies | None = None) -> None:
        self.store = store
        self.access = access
        self.replies = replies or SmsReplies(store, access)

    def _since(self, now: datetime) -> datetime:
        latest = self.store.paging.latest_reply_sent_at()
        return latest - POLL_OVERLAP if latest is not None else now - FIRST_POLL_LOOKBACK

    def poll_once(self, now: datetime) -> int:
        """Apply every new inbound reply; how many were applied. TwilioNotConfiguredError if it cannot."""
        client, settings = self.access.client()
        since = self._since(now)
        applied = 0
        found = client.messages.list(to=settings.from_number, date_sent_after=since, limit=200)
        for message in sorted(found, key=lambda m: (m.date_sent or now, m.sid or "")):
            if message.direction != "inbound" or not message.sid or message.from_ is None:
                continue
            if message.date_sent is not None and message.date_sent < since:
                continue
            inbound = InboundSms(message.sid, message.from_, message.body or "", message.date_sent)
            if self.replies.handle(inbound, now) is not None:
                applied += 1
        return applied
