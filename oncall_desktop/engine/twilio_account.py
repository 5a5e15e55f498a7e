"""The station's Twilio account: settings from the store, the auth token from the OS keyring, and a
`twilio` REST client pointed at `settings.twilio.api_base_url` when one is set (proxies, tests)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from oncall_desktop import secrets
from oncall_desktop.domain import TwilioSettings
from oncall_desktop.engine.delivery import ConfigurationSource
from oncall_desktop.station_address import InvalidNumberError, e164

log = logging.getLogger(__name__)

SecretLookup = Callable[[str], str | None]
HTTP_TIMEOUT_SECONDS = 10.0
"""For test sends from Settings; pages use the engine's time-out, below its lease (SPEC §10)."""


def explain(error: Exception) -> str:
    """One line for people about a failed Twilio (or other test) request; never holds the auth token."""
    if isinstance(error, TwilioRestException):
        return f"Twilio refused ({error.status}, code {error.code}): {error.msg}"
    if isinstance(error, requests.RequestException):
        return f"Twilio unreachable: {type(error).__name__}"
    if isinstance(error, TwilioNotConfiguredError | secrets.SecretsError):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class TwilioNotConfiguredError(Exception):
    """Something the station needs to reach Twilio is missing; the message says what and where."""


class TwilioAccess:
    def __init__(
        self,
        config: ConfigurationSource,
        secret: SecretLookup = secrets.get_secret,
        timeout: float = HTTP_TIMEOUT_SECONDS,
    ) -> None:
        self.config = config
        self._secret = secret
        self._timeout = timeout
        self._keyring_warned = False

    def settings(self) -> TwilioSettings:
        return self.config.settings().twilio

    def public_url(self) -> str | None:
        url = self.config.settings().station.public_url
        return url.rstrip("/") if url else None

    def auth_token(self) -> str | None:
        """The auth token, or None if unset or the keyring is unusable (logged once, until it
        works again: the message names the keyring's problem, never a secret)."""
        try:
            token = self._secret(secrets.TWILIO_AUTH_TOKEN)
        except secrets.SecretsError as error:
            if not self._keyring_warned:
                log.warning("Twilio webhooks are refused (403) until the auth token can be read: %s", error)
                self._keyring_warned = True
            return None
        self._keyring_warned = False
        return token

    def client(
        self, settings: TwilioSettings | None = None, timeout: timedelta | None = None
    ) -> tuple[Client, TwilioSettings]:
        """A REST client for `settings` (default: the live ones) whose requests time out after
        `timeout` (default: this access's), and the settings with `from_number` in E.164."""
        settings = settings or self.settings()
        missing = [
            label
            for label, value in (
                ("account SID", settings.account_sid),
                ("sender number", settings.from_number),
            )
            if not value
        ]
        if missing:
            raise TwilioNotConfiguredError(f"Twilio is not set up: no {' and no '.join(missing)} in Settings")
        try:
            sender = e164(settings.from_number)
        except InvalidNumberError as error:
            raise TwilioNotConfiguredError(f"Twilio sender number: {error}") from None
        try:
            token = self._secret(secrets.TWILIO_AUTH_TOKEN)
        except secrets.SecretsError as error:
            raise TwilioNotConfiguredError(str(error)) from None
        if not token:
            raise TwilioNotConfiguredError(
                "Twilio is not set up: no auth token in the OS keyring "
                "(Settings, or `oncall-desktop secrets set twilio.auth_token`)"
            )
        seconds = timeout.total_seconds() if timeout is not None else self._timeout
        client = Client(settings.account_sid, token, http_client=TwilioHttpClient(timeout=seconds))
        if settings.api_base_url:
            # Every API domain builds its URLs from `base_url`; only the core API (Messages, Calls) is used.
            client.api.base_url = settings.api_base_url.rstrip("/")
        return client, replace(settings, from_number=sender)
