"""SMS and voice calls through Twilio (issue 6), to a person's `oncall_phone`, else `phone`.

An SMS says severity, title, rule and the reply code (a bundle names each incident once with its
code); a call reads the incident and gathers one key (TwiML fetched from the station when it has a
public URL, else inline and telling how to acknowledge in the app). Failures follow `delivery`'s
policy. After a station died between claiming and recording a send, `reconcile` looks for it in
Twilio's own message or call list (by recipient and time) before the engine sends it again.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioRestException

from oncall_desktop.domain import Channel, Settings
from oncall_desktop.engine import twiml
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.delivery import is_temporary_http, temporary_failure
from oncall_desktop.engine.notifiers import Delivery, DeliveryResult, Found, ReconcileResult
from oncall_desktop.engine.twilio_account import (
    TwilioAccess,
    TwilioNotConfiguredError,
    explain,
)
from oncall_desktop.incident import SmsPage, StaleClaim
from oncall_desktop.station_address import InvalidNumberError, e164

log = logging.getLogger(__name__)

TITLE_CHARS = 90
BUNDLE_LISTED = 3
VOICE_PATH = "/twilio/voice"
GATHER_PATH = "/twilio/voice/gather"
CLOCK_SKEW = timedelta(seconds=30)
"""How far Twilio's clock and ours may disagree when matching a claimed send to Twilio's records."""


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


def bundle_text(pages: tuple[SmsPage, ...]) -> str:
    """One SMS for several held-back pages, naming each incident once with its reply code."""
    listed = "; ".join(
        f"[{p.severity.value}] #{p.incident_id} {p.title[:40]} ({p.code}a)" for p in pages[:BUNDLE_LISTED]
    )
    more = f"; and {len(pages) - BUNDLE_LISTED} more" if len(pages) > BUNDLE_LISTED else ""
    return (
        f"{len(pages)} incidents (SMS limit reached, bundled): {listed}{more}. "
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
    """Sends SMS and voice deliveries through the `twilio` client; touches no store."""

    def __init__(self, clock: Clock, access: TwilioAccess) -> None:
        self.clock = clock
        self.access = access

    @property
    def channels(self) -> frozenset[Channel]:
        return frozenset({Channel.SMS, Channel.VOICE})

    @property
    def in_transaction(self) -> bool:
        return False

    def ready(self, settings: Settings) -> bool:
        return bool(settings.twilio.account_sid)

    def send(self, delivery: Delivery) -> DeliveryResult:
        now = self.clock.now()
        try:
            number = e164(delivery.address)
        except InvalidNumberError as error:
            return DeliveryResult.failed(f"{delivery.person_name}: {error}")
        try:
            if delivery.channel == Channel.SMS:
                return self._sms(delivery, number)
            return self._call(delivery, number)
        except TwilioNotConfiguredError as error:
            return DeliveryResult.failed(str(error))
        except TwilioRestException as error:
            reason = explain(error)
            if is_temporary_http(error.status):
                return temporary_failure(delivery, reason, now)
            return DeliveryResult.failed(reason)
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as error:
            return temporary_failure(delivery, explain(error), now)  # the request never reached Twilio
        except requests.ConnectionError as error:
            if "NewConnectionError" in repr(error) or "Connection refused" in str(error):
                return temporary_failure(delivery, explain(error), now)
            return DeliveryResult.unknown(f"{explain(error)} after sending the request")
        except requests.RequestException as error:  # a read time-out: Twilio may have it
            seconds = delivery.timeout.total_seconds()
            return DeliveryResult.unknown(f"{explain(error)} (no answer within {seconds:g} s)")

    def _sms(self, delivery: Delivery, number: str) -> DeliveryResult:
        client, settings = self.access.client(delivery.settings.twilio, delivery.timeout)
        if delivery.reminder is not None:
            body = delivery.reminder
        elif delivery.bundled:
            body = bundle_text(delivery.pages)
        else:
            code = delivery.pages[0].code if delivery.pages else 0
            body = sms_text(delivery, code)
        message = client.messages.create(to=number, from_=settings.from_number, body=body)
        return DeliveryResult.sent(message.sid or None)

    def _call(self, delivery: Delivery, number: str) -> DeliveryResult:
        client, settings = self.access.client(delivery.settings.twilio, delivery.timeout)
        public = delivery.settings.station.public_url
        if public:
            query = call_query(delivery.incident_id, delivery.person, delivery.rule)
            call = client.calls.create(
                to=number, from_=settings.from_number, url=f"{public.rstrip('/')}{VOICE_PATH}?{query}"
            )
            return DeliveryResult.sent(call.sid)
        response = twiml.call(
            delivery.incident_id, delivery.severity.value, delivery.incident_title, delivery.rule, None
        )
        call = client.calls.create(to=number, from_=settings.from_number, twiml=str(response))
        return DeliveryResult.sent(
            call.sid, notices=("no public URL set: the call cannot take a keypress acknowledgement",)
        )

    def reconcile(self, stale: StaleClaim, settings: Settings, window: timedelta) -> ReconcileResult:
        """What Twilio's lists hold that the claim may have sent: messages (or calls) to the same
        number from ours, created within `window` after the claim (allowing for clock skew)."""
        if stale.claimed_at is None or not stale.address:
            return []
        number = e164(stale.address)
        client, twilio_settings = self.access.client(settings.twilio)
        earliest = stale.claimed_at - CLOCK_SKEW
        latest = stale.claimed_at + window + CLOCK_SKEW
        # Twilio filters by day (YYYY-MM-DD, newest first); the exact window is checked here.
        day = earliest.astimezone(UTC).date().isoformat()
        if stale.channel == Channel.SMS:
            found = client.messages.list(
                to=number, from_=twilio_settings.from_number, date_sent_after=day, limit=200
            )
            candidates = [(m.sid, m.date_created or m.date_sent, m.body) for m in found]
        else:
            calls = client.calls.list(
                to=number, from_=twilio_settings.from_number, start_time_after=day, limit=200
            )

            candidates = [(c.sid, c.date_created or c.start_time, None) for c in calls]
        matches = sorted(
            (at.astimezone(UTC), sid, text)
            for sid, at, text in candidates
            if sid and at is not None and earliest <= at.astimezone(UTC) <= latest
        )
        return [Found(sid, self.clock.at_real(at), text) for at, sid, text in matches]
