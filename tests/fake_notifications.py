"""A fake freedesktop Notifications service (`org.freedesktop.Notifications`) on the session bus
(the test's private one: scripts/test.sh runs pytest inside dbus-run-session), with jeepney on its own
thread: it keeps what `Notify` was called with, and can press a notification's action button."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
SIGNATURE = "susssasa{sv}i"


@dataclass
class Shown:
    id: int
    app: str
    summary: str
    body: str
    actions: list[str]
    hints: dict[str, Any]
    signature: str


@dataclass
class FakeNotifications:
    shown: list[Shown] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._outbox: list[Any] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeNotifications:
        self._thread.start()
        assert self._ready.wait(10), "the fake notification service did not start"
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def invoke(self, notification_id: int, action: str) -> None:
        """Press `action` on a notification, as the user would."""
        address = DBusAddress(PATH, interface=NAME)
        signal = new_signal(address, "ActionInvoked", "us", (notification_id, action))
        with self._lock:
            self._outbox.append(signal)

    def _run(self) -> None:
        with open_dbus_connection(bus="SESSION") as conn:
            conn.send_and_get_reply(message_bus.RequestName(NAME, 4), timeout=5)
            self._ready.set()
            while not self._stop.is_set():
                with self._lock:
                    waiting, self._outbox = self._outbox, []
                for message in waiting:
                    conn.send(message)
                try:
                    msg = conn.receive(timeout=0.05)
                except TimeoutError:
                    continue
                if msg.header.message_type != MessageType.method_call:
                    continue
                member = msg.header.fields.get(HeaderFields.member)
                signature = msg.header.fields.get(HeaderFields.signature, "")
                if member == "Notify":
                    if signature != SIGNATURE:  # as strict as GDBus-based services
                        self.refused.append(signature)
                        conn.send(new_error(msg, "org.freedesktop.DBus.Error.InvalidArgs", "s", (signature,)))
                        continue
                    app, _replaces, _icon, summary, body, actions, hints, _timeout = msg.body
                    shown = Shown(len(self.shown) + 1, app, summary, body, actions, hints, signature)
                    self.shown.append(shown)
                    conn.send(new_method_return(msg, "u", (shown.id,)))
                elif member == "GetCapabilities":
                    conn.send(new_method_return(msg, "as", (["actions", "body"],)))
                else:
                    unknown = "org.freedesktop.DBus.Error.UnknownMethod"
                    conn.send(new_error(msg, unknown, "s", (member or "",)))
