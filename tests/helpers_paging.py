"""Shared by the paging tests: a configured store, the fake Twilio, the station's routes on a real
port and an engine on a fake clock — all in-process, secrets from a dict unless a test uses the keyring."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from oncall_desktop import secrets
from oncall_desktop.domain import Settings, SmtpSettings, StationSettings, TwilioSettings
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.delivery import LiveConfiguration
from oncall_desktop.engine.email_notifier import EmailNotifier
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.engine.intake import parse
from oncall_desktop.engine.notifiers import Notifier
from oncall_desktop.engine.server import create_app
from oncall_desktop.engine.twilio_account import SecretLookup, TwilioAccess
from oncall_desktop.engine.twilio_notifier import TwilioNotifier
from oncall_desktop.engine.twilio_webhooks import add_routes
from oncall_desktop.store import Store
from tests.fake_twilio import FakeTwilio, ServerThread
from tests.helpers_station import configured_store, integration

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-token-3f9a1c7e5b2d"
STATION_NUMBER = "+14155550100"
ALICE = "+14155550101"
CAROL = "+14155550103"
SMTP_PASSWORD = "smtp-pass-8d41e0b6a2"


@dataclass
class Paging:
    store: Store
    clock: FakeClock
    fake: FakeTwilio
    station: ServerThread
    access: TwilioAccess
    engine: EscalationEngine

    def open_incident(self, title: str = "Checkout down", key: str = "k", severity: str = "P1") -> int:
        hook = integration(self.store, "hook")
        body = {"title": title, "severity": severity, "alert_uid": key}
        outcome = self.store.incidents.ingest(
            hook.id, parse(hook, json.dumps(body).encode()), self.clock.now()
        )
        assert outcome.incident_id is not None
        return outcome.incident_id

    def tick(self, advance: timedelta = timedelta(0)) -> None:
        """Advance the clock, tick, and wait for the sends the tick started."""
        self.clock.advance(advance)
        self.engine.tick(self.clock.now())
        assert self.engine.settle(20)

    def set_public_url(self, url: str | None) -> None:
        settings = self.store.load_configuration().settings
        self.store.save_settings(replace(settings, station=replace(settings.station, public_url=url)))

    def status(self, incident_id: int) -> str:
        return self.store.incidents.get(incident_id).status.value


@contextmanager
def paging(
    db_url: str,
    secret: SecretLookup | None = None,
    smtp: SmtpSettings | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Iterator[Paging]:
    """Twilio always (against the fake); email through `smtp` when given."""
    store = configured_store(db_url)
    clock = FakeClock(T)
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, STATION_NUMBER).start()
    lookup = secret or {secrets.TWILIO_AUTH_TOKEN: AUTH_TOKEN, secrets.SMTP_PASSWORD: SMTP_PASSWORD}.get
    access = TwilioAccess(LiveConfiguration(store), secret=lookup, timeout=5)
    app = create_app(store, clock)
    add_routes(app, store, clock, access)
    station = ServerThread(app).start()
    store.save_settings(
        Settings(
            station=StationSettings(listen="127.0.0.1:8080", public_url=station.url),
            twilio=TwilioSettings(ACCOUNT_SID, STATION_NUMBER, fake.base_url),
            smtp=smtp or SmtpSettings(),
        )
    )
    notifiers: list[Notifier] = [TwilioNotifier(clock, access)]
    if smtp is not None:
        notifiers.append(EmailNotifier(clock, access.config, lookup, ssl_context, timeout=5))
    engine = EscalationEngine(store, notifiers, clock=clock)
    try:
        yield Paging(store, clock, fake, station, access, engine)
    finally:
        engine.release(10)
        station.stop()
        fake.stop()
        store.close()
