"""Real paging wired into a station: the notifiers, the webhook routes and the SMS-reply poller.

The station calls `build_notifiers` for the engine and `attach` on its aiohttp application; both read
settings from the store (reloaded when they change) and secrets from the OS keyring when needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import requests
from aiohttp import web
from twilio.base.exceptions import TwilioRestException

from oncall_desktop.engine.chat_notifier import ChatNotifier
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.delivery import LiveConfiguration
from oncall_desktop.engine.email_notifier import EmailNotifier
from oncall_desktop.engine.notifiers import Notifier
from oncall_desktop.engine.sms_replies import ReplyPoller
from oncall_desktop.engine.troubles import Trouble
from oncall_desktop.engine.twilio_account import TwilioAccess, TwilioNotConfiguredError, explain
from oncall_desktop.engine.twilio_notifier import TwilioNotifier
from oncall_desktop.engine.twilio_webhooks import add_routes
from oncall_desktop.store import Store

log = logging.getLogger(__name__)

POLL_INTERVAL_SECONDS = 15.0


def build_notifiers(store: Store, clock: Clock, access: TwilioAccess | None = None) -> list[Notifier]:
    """Twilio (SMS, voice) and SMTP email, each taking its channels while the engine's settings set
    its service up: set one up while the station runs and the next page goes out through it. Until
    then the engine writes a channel's notifications to the incident timeline only, in the recording
    transaction, and each entry says so; a set-up service missing its secret fails each notification
    with the reason."""
    access = access or TwilioAccess(LiveConfiguration(store))
    settings = access.config.settings()
    if settings.twilio.account_sid:
        try:
            access.client()
        except TwilioNotConfiguredError as error:  # say so at start, not only at the first page
            log.warning("SMS and calls will fail until this is fixed: %s", error)
    else:
        log.warning("Twilio is not set up: SMS and calls are written to the incident timeline only")
    if not settings.smtp.host:
        log.warning("SMTP is not set up: email notifications are written to the incident timeline only")
    return [TwilioNotifier(clock, access), EmailNotifier(clock, access.config), ChatNotifier(clock)]


async def poll_replies(poller: ReplyPoller, clock: Clock, interval: float = POLL_INTERVAL_SECONDS) -> None:
    """Poll Twilio for SMS replies every `interval` seconds, for ever."""
    loop = asyncio.get_running_loop()
    trouble = Trouble(log, "polling Twilio for SMS replies")
    not_set_up = False
    while True:
        try:
            applied = await loop.run_in_executor(None, poller.poll_once, clock.now())
            if applied:
                log.info("applied %d SMS replies", applied)
            trouble.ok()
            not_set_up = False
        except TwilioNotConfiguredError as error:
            if not not_set_up:
                log.info("not polling for SMS replies: %s", error)
                not_set_up = True
        except (TwilioRestException, requests.RequestException) as error:  # try again next round
            trouble.failed(explain(error))
        except Exception as error:  # a bug: keep polling, with the traceback once
            trouble.failed(f"{type(error).__name__}: {error}", traceback=True)
        await asyncio.sleep(interval)


def attach(app: web.Application, store: Store, clock: Clock, access: TwilioAccess | None = None) -> None:
    """Add the Twilio webhook and acknowledge-link routes, and poll for SMS replies while the app runs."""
    access = access or TwilioAccess(LiveConfiguration(store))
    add_routes(app, store, clock, access)
    poller = ReplyPoller(store, access)

    async def polling(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(poll_replies(poller, clock))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(polling)
