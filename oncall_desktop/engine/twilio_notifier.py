"""SMS and voice calls through Twilio (issue 6), to a person's `oncall_phone`, else `phone`.

An SMS says severity, title, rule and the reply code; a call reads the incident and gathers one key
(TwiML fetched from the station when it has a public URL, else inline and telling how to acknowledge
in the app). Failures follow `delivery`'s policy: temporary ones retry with backoff, permanent ones
fail onto the incident's timeline; SMS over the per-number rate limit wait and go out bundled.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlencode

import requests
from sqlalchemy import Select, select
from twilio.base.exceptions import TwilioRestException

from oncall_desktop.domain import Channel
from oncall_desktop.engine import twiml
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.delivery import SmsRateLimit, is_temporary_http, temporary_failure
from oncall_desktop.engine.incidents import write_session
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, Journal, describe
from oncall_desktop.engine.sms_replies import reply_code
from oncall_desktop.engine.twilio_account import TwilioAccess, TwilioNotConfiguredError, explain
from oncall_desktop.station_address import InvalidNumberError, e164
from oncall_desktop.store import Store
from oncall_desktop.store.models import IncidentRow, NotificationRow
from oncall_desktop.store.notify_models import SmsBundleRow

log = logging.getLogger(__name__)

TITLE_CHARS = 90
BUNDLE_LISTED = 3
VOICE_PATH = "/twilio/voice"
GATHER_PATH = "/twilio/voice/gather"


def call_query(incident_id: int, person: str | None, rule: str | None) -> str:
    """The query string naming a call's incident, person and rule in the voice webhooks' URLs."""
    values = {"incident": str(incident_id), "person": person, "rule": rule}
    return urlencode({key: value for key, value in values.items() if value})


def sms_text(delivery: Delivery, code: int) -> str:
    """One page, short enough for one or two SMS segments."""
    title = delivery.incident_title[:TITLE_CHARS]
    rule = f" ({delivery.rule})" if delivery.rule else ""
    lead = "Handover: you are now on call for " if delivery.handover else ""
    return (
        f"{lead}[{delivery.severity.value}] #{delivery.incident_id} {title}{rule}. "
        f"Reply {code}a to acknowledge, {code}r to resolve."
    )


def bundle_text(pages: list[tuple[int, str, str, int]]) -> str:
    """One SMS for several held-back pages: (incident id, severity, title, code) each."""
    listed = "; ".join(
        f"[{sev}] #{iid} {title[:40]} ({code}a)" for iid, sev, title, code in pages[:BUNDLE_LISTED]
    )
    more = f"; and {len(pages) - BUNDLE_LISTED} more" if len(pages) > BUNDLE_LISTED else ""
    return (
        f"{len(pages)} pages (rate limit reached, bundled): {listed}{more}. "
        f"Reply <code>a to acknowledge, <code>r to resolve; a bare a acts on the latest."
    )


TEST_SMS = "oncall-desktop test message: SMS paging from this station works."
TEST_CALL = "This is a test call from the on-call station. Phone paging works. Goodbye."


def send_test_sms(access: TwilioAccess, to: str) -> str:
    """Send a test SMS with the current settings; its SID. Raises on any failure."""
    client, settings = access.client()
    return str(client.messages.create(to=e164(to), from_=settings.from_number, body=TEST_SMS).sid)


def place_test_call(access: TwilioAccess, to: str) -> str:
    """Place a test call that says one sentence; its SID. Raises on any failure."""
    client, settings = access.client()
    response = twiml.done(TEST_CALL)
    return str(client.calls.create(to=e164(to), from_=settings.from_number, twiml=str(response)).sid)


class TwilioNotifier:
    """Sends SMS and voice deliveries through the `twilio` client."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        access: TwilioAccess,
        rate_limit: SmsRateLimit | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.access = access
        self.rate_limit = rate_limit or SmsRateLimit()

    @property
    def channels(self) -> frozenset[Channel]:
        """SMS and voice while an account is set in the (live) settings; none before."""
        return frozenset({Channel.SMS, Channel.VOICE}) if self.access.settings().account_sid else frozenset()

    @property
    def in_transaction(self) -> bool:
        return False

    def send(self, delivery: Delivery, journal: Journal) -> DeliveryResult:
        now = self.clock.now()
        try:
            number = e164(delivery.address)
        except InvalidNumberError as error:
            return DeliveryResult.failed(f"{delivery.person_name}: {error}")
        try:
            if delivery.channel == Channel.SMS:
                return self._sms(delivery, number, journal, now)
            return self._call(delivery, number, journal)
        except TwilioNotConfiguredError as error:
            return DeliveryResult.failed(str(error))
        except TwilioRestException as error:
            reason = explain(error)
            if is_temporary_http(error.status):
                return temporary_failure(self.store, delivery, reason, now)
            return DeliveryResult.failed(reason)
        except requests.RequestException as error:
            return temporary_failure(self.store, delivery, explain(error), now)

    # -- SMS ------------------------------------------------------------------------------------

    def _sms(self, delivery: Delivery, number: str, journal: Journal, now: datetime) -> DeliveryResult:
        bundled = self._bundled_in(delivery.notification_id)
        if bundled is not None:
            journal("notified", f"{describe(delivery)}: included in a bundled SMS")
            return DeliveryResult.sent(bundled)
        address = delivery.address or number
        room, wait = self.rate_limit.room(self.store, address, now)
        if room == 0:
            minutes = int(self.rate_limit.window.total_seconds() // 60)
            return DeliveryResult.retry(
                f"held back: at most {self.rate_limit.max_messages} SMS per {minutes} minutes to {number}; "
                "will go out bundled",
                wait,
            )
        client, settings = self.access.client()
        others = self._held_back(delivery, address, now) if room == 1 else []
        if others:
            pages = [(delivery.incident_id, delivery.severity.value, delivery.incident_title, 0), *others]
            pages = [
                (iid, sev, title, reply_code(self.store, number, iid, now)) for iid, sev, title, _ in pages
            ]
            body = bundle_text(pages)
        else:
            body = sms_text(delivery, reply_code(self.store, number, delivery.incident_id, now))
        message = client.messages.create(to=number, from_=settings.from_number, body=body)
        sid = message.sid or ""
        if others:
            self._mark_bundled(delivery, address, now, sid)
            journal("notified", f"{describe(delivery)}: bundled SMS with {len(others)} more pages")
        return DeliveryResult.sent(sid)

    def _bundled_in(self, notification_id: int) -> str | None:
        with self.store.session() as session:
            return session.scalar(
                select(SmsBundleRow.provider_id).where(SmsBundleRow.notification_id == notification_id)
            )

    def _others_query(self, delivery: Delivery, address: str, now: datetime) -> Select[int, int, str, str]:
        covered = select(SmsBundleRow.notification_id)
        return (
            select(NotificationRow.id, IncidentRow.id, IncidentRow.severity, IncidentRow.title)
            .join(IncidentRow, IncidentRow.id == NotificationRow.incident_id)
            .where(NotificationRow.channel == Channel.SMS.value)
            .where(NotificationRow.address == address)
            .where(NotificationRow.state.in_(("pending", "sending")))
            .where(NotificationRow.scheduled_at <= now)
            .where(NotificationRow.id != delivery.notification_id)
            .where(NotificationRow.id.not_in(covered))
            .order_by(NotificationRow.scheduled_at, NotificationRow.id)
        )

    def _held_back(self, delivery: Delivery, address: str, now: datetime) -> list[tuple[int, str, str, int]]:
        with self.store.session() as session:
            rows = session.execute(self._others_query(delivery, address, now)).all()
        return [(iid, severity, title, 0) for _nid, iid, severity, title in rows]

    def _mark_bundled(self, delivery: Delivery, address: str, now: datetime, sid: str) -> None:
        with write_session(self.store) as session:
            ids = [nid for nid, *_ in session.execute(self._others_query(delivery, address, now)).all()]
            session.add_all(SmsBundleRow(notification_id=nid, provider_id=sid, bundled_at=now) for nid in ids)

    # -- voice ----------------------------------------------------------------------------------

    def _call(self, delivery: Delivery, number: str, journal: Journal) -> DeliveryResult:
        client, settings = self.access.client()
        public = self.access.public_url()
        if public is not None:
            query = call_query(delivery.incident_id, delivery.person, delivery.rule)
            call = client.calls.create(
                to=number, from_=settings.from_number, url=f"{public}{VOICE_PATH}?{query}"
            )
        else:
            response = twiml.call(
                delivery.incident_id, delivery.severity.value, delivery.incident_title, delivery.rule, None
            )
            call = client.calls.create(to=number, from_=settings.from_number, twiml=str(response))
            journal("notice", "no public URL set: the call cannot take a keypress acknowledgement")
        return DeliveryResult.sent(call.sid)
