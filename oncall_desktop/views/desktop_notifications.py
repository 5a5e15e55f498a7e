"""System notifications with Acknowledge and Resolve for new P0/P1 incidents (issue 17).

On Linux the freedesktop Notifications service (`org.freedesktop.Notifications` on the session
bus: GNOME, KDE, dunst, mako, …) shows them with action buttons, and says on the bus which one was
pressed (`ActionInvoked`), which QtDBus delivers on the Qt event loop. Elsewhere, or where no such
service runs, the station's tray message stands in (without actions; clicking it shows the incident).

The `Notify` call itself goes out through jeepney (the pure-Python D-Bus library the keyring uses
on Linux): its `replaces_id` is a D-Bus `uint32`, and PySide6's QtDBus can only marshal a Python
int as a 16-bit or 32-bit signed integer, which strict services (GDBus-based ones) refuse.

Signals:
    DesktopNotifications.action_invoked(int, str): an incident's notification action
        (`acknowledge`, `resolve` or `show`) was chosen.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from oncall_desktop.incident import Incident

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
APP_NAME = "oncall-desktop"
ACTIONS = ("acknowledge", "Acknowledge", "resolve", "Resolve", "default", "Show incident")
URGENCY = ("y", 2)
"""The `urgency` hint, critical: such notifications stay until dismissed."""
CALL_TIMEOUT_SECONDS = 3.0


class DesktopNotifications(QObject):
    """Raises one system notification per urgent incident and reports its actions."""

    action_invoked = Signal(int, str)

    def __init__(self, parent: QObject | None = None, *, enabled: bool | None = None) -> None:
        super().__init__(parent)
        self._shown: dict[int, int] = {}  # notification id → incident id
        self._connection: Any = None
        self._bus: Any = None
        self.available = False
        if enabled is False or (enabled is None and not sys.platform.startswith("linux")):
            return
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            return
        bus = QDBusConnection.sessionBus()
        interface = bus.interface() if bus.isConnected() else None
        if interface is None or not interface.isServiceRegistered(SERVICE).value():
            return
        self._bus = bus
        # PySide6's stubs say the slot is bytes; at run time it takes only a str.
        invoked, closed = "2_invoked(uint,QString)", "2_closed(uint,uint)"
        connected = bus.connect(SERVICE, PATH, INTERFACE, "ActionInvoked", self, invoked)  # type: ignore[call-overload]
        bus.connect(SERVICE, PATH, INTERFACE, "NotificationClosed", self, closed)  # type: ignore[call-overload]
        self.available = bool(connected)

    def notify(self, incident: Incident) -> bool:
        """Show the incident's notification; False if it could not be shown (the caller falls
        back to the tray message)."""
        if not self.available:
            return False
        summary = f"{incident.severity.value} incident #{incident.id}"
        tags = ", ".join(incident.tags)
        body = incident.title + (f"\n{tags}" if tags else "")
        try:
            notification_id = self._call_notify(summary, body)
        except Exception as error:  # the service went away, refused, or timed out
            log.warning("no system notification for incident %s: %s", incident.id, error)
            return False
        self._shown[notification_id] = incident.id
        return True

    def _call_notify(self, summary: str, body: str) -> int:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        if self._connection is None:
            self._connection = open_dbus_connection(bus="SESSION")
        address = DBusAddress(PATH, bus_name=SERVICE, interface=INTERFACE)
        message = new_method_call(
            address,
            "Notify",
            "susssasa{sv}i",
            (
                APP_NAME,
                0,
                "dialog-warning",
                summary,
                body,
                list(ACTIONS),
                {"urgency": URGENCY},
                0,
            ),
        )
        reply = self._connection.send_and_get_reply(message, timeout=CALL_TIMEOUT_SECONDS)
        if reply.header.message_type.name == "error":
            raise RuntimeError(str(reply.body[0]) if reply.body else "refused")
        return int(reply.body[0])

    @Slot("uint", str)
    def _invoked(self, notification_id: int, key: str) -> None:
        incident_id = self._shown.get(notification_id)
        if incident_id is None:
            return  # another program's notification
        action = {"acknowledge": "acknowledge", "resolve": "resolve"}.get(key, "show")
        self.action_invoked.emit(incident_id, action)

    @Slot("uint", "uint")
    def _closed(self, notification_id: int, _reason: int) -> None:
        self._shown.pop(notification_id, None)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
