"""A local fake of Twilio's REST API for tests, used through the real `twilio` client.

It records outbound Messages and Calls and lists them (filtered by To, From and DateSent> /
StartTime>, as Twilio does: the station reconciles against them after a crash), lists inbound
replies for the polling path, plays a call's TwiML (fetched from the station like Twilio does, with a
valid `X-Twilio-Signature`) and presses keys by POSTing signed Gather callbacks. It can also post
signed inbound-SMS webhooks, fail requests on demand (`fail_next`), take a request and then not
answer for a while (`hang_next`: Twilio has the message, the client times out), or refuse numbers
(`invalid_numbers`). It may run in its own process (`python -m tests.fake_twilio`), so a test can
kill the station around it.

`ServerThread` runs any aiohttp application on 127.0.0.1 in a background thread, so synchronous code
under test (the engine's `tick`, the `twilio` client) can talk to it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import requests
from aiohttp import web
from twilio.request_validator import RequestValidator


class ServerThread:
    """An aiohttp application served on 127.0.0.1:<free port> from its own event loop thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._stop())
        self.loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def start(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("test server did not start")
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@dataclass
class Call:
    sid: str
    to: str
    from_: str
    url: str | None
    twiml: str | None
    said: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: format_datetime(datetime.now(UTC), usegmt=True))


@dataclass
class Played:
    """What a call said, and the Gather it ended in (if any)."""

    said: list[str]
    gather_action: str | None


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str, number: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number
        self.messages: list[dict[str, Any]] = []  # outbound, as created
        self.inbound: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self.invalid_numbers: set[str] = set()
        self.failures: list[tuple[int, int, str]] = []
        self.hangs: list[float] = []
        self.latency = 0.0  # seconds before every create request is answered (a slow Twilio)
        self.hanging = 0
        self.requests = 0
        self._ids = itertools.count(1)
        app = web.Application()
        base = "/2010-04-01/Accounts/{sid}"
        app.router.add_post(f"{base}/Messages.json", self._create_message)
        app.router.add_get(f"{base}/Messages.json", self._list_messages)
        app.router.add_post(f"{base}/Calls.json", self._create_call)
        app.router.add_get(f"{base}/Calls.json", self._list_calls)
        self.server = ServerThread(app)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.url

    def fail_next(self, status: int, code: int = 20500, message: str = "fake failure") -> None:
        self.failures.append((status, code, message))

    def hang_next(self, seconds: float) -> None:
        """The next create request is taken (the message or call exists) but answered after `seconds`."""
        self.hangs.append(seconds)

    async def _answer_late(self) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.hangs:
            seconds = self.hangs.pop(0)
            self.hanging += 1
            try:
                await asyncio.sleep(seconds)
            finally:
                self.hanging -= 1

    # -- the REST API ---------------------------------------------------------------------------

    def _check(self, request: web.Request) -> web.Response | None:
        self.requests += 1
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        if self.failures:
            status, code, message = self.failures.pop(0)
            return _error(status, code, message)
        return None

    def _sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):032x}"

    async def _create_message(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        form = await request.post()
        to = str(form["To"])
        if to in self.invalid_numbers:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        message = _message(self._sid("SM"), to, str(form["From"]), str(form["Body"]), "outbound-api")
        self.messages.append(message)
        await self._answer_late()
        return web.json_response(message, status=201)

    async def _list_messages(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        found = _filtered([*self.messages, *self.inbound], request, "DateSent>", "date_sent")
        return web.json_response(
            {"messages": found, "next_page_uri": None, "page": 0, "page_size": 50, "uri": request.path_qs}
        )

    async def _list_calls(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        calls = [
            {
                "sid": c.sid,
                "to": c.to,
                "from": c.from_,
                "status": "completed",
                "date_created": c.created,
                "start_time": c.created,
            }
            for c in self.calls
        ]
        found = _filtered(calls, request, "StartTime>", "start_time")
        return web.json_response(
            {"calls": found, "next_page_uri": None, "page": 0, "page_size": 50, "uri": request.path_qs}
        )

    async def _create_call(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        form = await request.post()
        to = str(form["To"])
        if to in self.invalid_numbers:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        url = form.get("Url")
        inline = form.get("Twiml")
        call = Call(
            self._sid("CA"), to, str(form["From"]), str(url) if url else None, str(inline) if inline else None
        )
        self.calls.append(call)
        await self._answer_late()
        return web.json_response(
            {"sid": call.sid, "to": to, "from": call.from_, "status": "queued"}, status=201
        )

    # -- what a phone does ----------------------------------------------------------------------

    def receive_sms(self, from_: str, body: str, at: datetime) -> str:
        """A reply arrives at our number; the polling path finds it in the message list."""
        sid = self._sid("SM")
        message = _message(sid, self.number, from_, body, "inbound", at)
        self.inbound.append(message)
        return sid

    def signed_post(self, url: str, params: dict[str, str], token: str | None = None) -> requests.Response:
        """POST like Twilio does: form parameters, signed with the auth token."""
        signature = RequestValidator(token or self.auth_token).compute_signature(url, params)
        return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)

    def sms_webhook(
        self, station_url: str, from_: str, body: str, sid: str | None = None
    ) -> requests.Response:
        params = {"MessageSid": sid or self._sid("SM"), "From": from_, "To": self.number, "Body": body}
        params["AccountSid"] = self.account_sid
        return self.signed_post(f"{station_url}/twilio/sms", params)

    def play(self, call: Call) -> Played:
        """Answer the call: fetch its TwiML from the station (or take it inline) and read it."""
        if call.url is not None:
            response = self.signed_post(call.url, self._call_params(call))
            response.raise_for_status()
            document = response.text
        else:
            assert call.twiml is not None
            document = call.twiml
        played = _read(document)
        call.said.extend(played.said)
        return played

    def press(self, call: Call, digits: str, gather_action: str) -> Played:
        """Press keys at the Gather: Twilio POSTs `Digits` to its action URL."""
        response = self.signed_post(gather_action, {**self._call_params(call), "Digits": digits})
        response.raise_for_status()
        played = _read(response.text)
        call.said.extend(played.said)
        return played

    def _call_params(self, call: Call) -> dict[str, str]:
        return {
            "CallSid": call.sid,
            "AccountSid": self.account_sid,
            "From": call.from_,
            "To": call.to,
            "CallStatus": "in-progress",
            "Direction": "outbound-api",
        }


def _message(
    sid: str, to: str, from_: str, body: str, direction: str, at: datetime | None = None
) -> dict[str, Any]:
    when = format_datetime((at or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    return {
        "sid": sid,
        "to": to,
        "from": from_,
        "body": body,
        "status": "received" if direction == "inbound" else "queued",
        "direction": direction,
        "date_sent": when,
        "date_created": when,
        "num_segments": "1",
    }


def _filtered(
    items: list[dict[str, Any]], request: web.Request, after_key: str, at_key: str
) -> list[dict[str, Any]]:
    """Twilio's list filters: To, From, and a lower bound on a time (`DateSent>`, `StartTime>`)."""
    found = [
        item
        for item in items
        if item["to"] == request.query.get("To", item["to"])
        and item["from"] == request.query.get("From", item["from"])
    ]
    after = request.query.get(after_key)
    if after:
        bound = datetime.fromisoformat(after.replace("Z", "+00:00"))
        if bound.tzinfo is None:
            bound = bound.replace(tzinfo=UTC)
        found = [item for item in found if parsedate_to_datetime(item[at_key]) >= bound]
    return found


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "status": status}, status=status)


def _read(document: str) -> Played:
    root = ET.fromstring(document)
    said = [element.text or "" for element in root.iter("Say")]
    gather = root.find("Gather")
    return Played(said, gather.get("action") if gather is not None else None)
