"""The station's routes for Twilio and for email acknowledge links (issue 6).

- `POST /twilio/voice?incident=&person=`: the call's TwiML (read the incident, gather one key);
- `POST /twilio/voice/gather?incident=&person=`: the key: 1 acknowledges, 2 resolves, others repeat;
- `POST /twilio/sms`: an inbound SMS reply (the webhook path; polling covers stations without one);
- `GET /ack/<token>` shows the incident and a button, `POST /ack/<token>` acknowledges it.

Every Twilio request is verified with twilio's `RequestValidator` against the public URL it was sent
to (`settings.station.public_url` + path and query): unsigned or wrongly signed → 403, nothing changes.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from oncall_desktop.domain import Status
from oncall_desktop.engine import twiml
from oncall_desktop.engine.clock import Clock
from oncall_desktop.engine.delivery import LiveConfiguration
from oncall_desktop.engine.email_notifier import ACK_PATH
from oncall_desktop.engine.sms_replies import InboundSms, SmsReplies
from oncall_desktop.engine.twilio_account import TwilioAccess
from oncall_desktop.engine.twilio_notifier import GATHER_PATH, VOICE_PATH, call_query
from oncall_desktop.store import NotFoundError, Store, StoreError

log = logging.getLogger(__name__)

SMS_PATH = "/twilio/sms"
T = TypeVar("T")


class TwilioWebhooks:
    def __init__(self, store: Store, clock: Clock, access: TwilioAccess) -> None:
        self.store = store
        self.clock = clock
        self.access = access
        self.replies = SmsReplies(store, access)

    async def _blocking(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    async def _verified(self, request: web.Request) -> dict[str, str] | None:
        """The request's form parameters if Twilio signed it with our auth token, else None."""
        token, public = await self._blocking(lambda: (self.access.auth_token(), self.access.public_url()))
        signature = request.headers.get("X-Twilio-Signature")
        if not token or not public or not signature:
            return None
        form = await request.post()
        params = {key: value for key, value in form.items() if isinstance(value, str)}
        if not RequestValidator(token).validate(f"{public}{request.path_qs}", params, signature):
            return None
        return params

    def _ids(self, request: web.Request) -> tuple[int, str | None, str | None] | None:
        incident = request.query.get("incident", "")
        if not incident.isdigit():
            return None
        return int(incident), request.query.get("person"), request.query.get("rule")

    # -- voice ----------------------------------------------------------------------------------

    def _call_twiml(self, incident_id: int, person: str | None, rule: str | None) -> VoiceResponse:
        incident = self.store.incidents.get(incident_id)
        public = self.access.public_url()
        gather = f"{public}{GATHER_PATH}?{call_query(incident_id, person, rule)}" if public else None
        return twiml.call(incident.id, incident.severity.value, incident.title, rule, gather)

    async def voice(self, request: web.Request) -> web.Response:
        if await self._verified(request) is None:
            return _forbidden()
        ids = self._ids(request)
        if ids is None:
            return _xml(twiml.done("This call has no incident. Goodbye."))
        try:
            response = await self._blocking(partial(self._call_twiml, *ids))
        except NotFoundError:
            return _xml(twiml.done("This incident no longer exists. Goodbye."))
        return _xml(response)

    def _key(self, incident_id: int, person: str | None, rule: str | None, digits: str) -> VoiceResponse:
        now = self.clock.now()
        try:
            if digits == "1":
                self.store.incidents.acknowledge(incident_id, now, person)
                log.info("incident %s acknowledged by phone keypress (%s)", incident_id, person)
                return twiml.done(f"Incident {incident_id} acknowledged. Goodbye.")
            if digits == "2":
                self.store.incidents.resolve(incident_id, now, person)
                log.info("incident %s resolved by phone keypress (%s)", incident_id, person)
                return twiml.done(f"Incident {incident_id} resolved. Goodbye.")
        except StoreError as error:
            return twiml.done(f"{error}. Goodbye.")
        if not digits:
            return twiml.done(twiml.NO_KEY)
        return self._call_twiml(incident_id, person, rule)

    async def gather(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if params is None:
            return _forbidden()
        ids = self._ids(request)
        if ids is None:
            return _xml(twiml.done("This call has no incident. Goodbye."))
        digits = params.get("Digits", "").strip()
        return _xml(await self._blocking(partial(self._key, *ids, digits)))

    # -- SMS ------------------------------------------------------------------------------------

    async def sms(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if params is None:
            return _forbidden()
        sid, sender = params.get("MessageSid") or params.get("SmsSid"), params.get("From")
        if sid and sender:
            message = InboundSms(sid, sender, params.get("Body", ""), self.clock.now())
            await self._blocking(partial(self.replies.handle, message, self.clock.now()))
        return web.Response(text="<?xml version='1.0' encoding='UTF-8'?><Response/>", content_type="text/xml")

    # -- acknowledge links ----------------------------------------------------------------------

    async def ack_page(self, request: web.Request) -> web.Response:
        link = await self._blocking(partial(self.store.paging.ack_link_target, request.match_info["token"]))
        if link is None:
            return _page(404, "Unknown link", "<p>This acknowledge link is not known to the station.</p>")
        incident = await self._blocking(partial(self.store.incidents.get, link[0]))
        title = f"[{incident.severity.value}] #{incident.id} {html.escape(incident.title)}"
        if incident.status != Status.OPEN:
            return _page(200, title, f"<p>This incident is {incident.status.value}.</p>")
        form = '<form method="post"><button type="submit">Acknowledge</button></form>'
        return _page(200, title, form)

    def _ack(self, token: str) -> str | None:
        link = self.store.paging.ack_link_target(token)
        if link is None:
            return None
        try:
            incident = self.store.incidents.acknowledge(link[0], self.clock.now(), link[1])
        except StoreError as error:
            return str(error)
        log.info("incident %s acknowledged by email link (%s)", incident.id, link[1])
        return f"Incident #{incident.id} acknowledged."

    async def ack(self, request: web.Request) -> web.Response:
        outcome = await self._blocking(partial(self._ack, request.match_info["token"]))
        if outcome is None:
            return _page(404, "Unknown link", "<p>This acknowledge link is not known to the station.</p>")
        return _page(200, "Acknowledge", f"<p>{html.escape(outcome)}</p>")


def _forbidden() -> web.Response:
    return web.Response(status=403, text="forbidden: missing or wrong X-Twilio-Signature\n")


def _xml(response: VoiceResponse) -> web.Response:
    return web.Response(text=str(response), content_type="text/xml")


def _page(status: int, title: str, body: str) -> web.Response:
    text = (
        f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    )
    return web.Response(status=status, text=text, content_type="text/html")


def add_routes(app: web.Application, store: Store, clock: Clock, access: TwilioAccess | None = None) -> None:
    """Add the Twilio webhook and acknowledge-link routes to the station's application."""
    hooks = TwilioWebhooks(store, clock, access or TwilioAccess(LiveConfiguration(store)))
    app.router.add_post(VOICE_PATH, hooks.voice)
    app.router.add_post(GATHER_PATH, hooks.gather)
    app.router.add_post(SMS_PATH, hooks.sms)
    app.router.add_get(f"{ACK_PATH}{{token}}", hooks.ack_page)
    app.router.add_post(f"{ACK_PATH}{{token}}", hooks.ack)
