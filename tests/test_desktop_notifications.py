"""A new P0/P1 incident raises a system notification with Acknowledge and Resolve through the
freedesktop Notifications service on the session bus (a fake one here, on the test's private bus);
pressing Acknowledge acknowledges the incident in the store. Less urgent incidents, and desktops
without such a service, get the tray message; an incident a maintenance window holds waits for its
end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import MaintenanceWindow, MatchConditions, Severity, Status
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.engine import EscalationEngine
from oncall_desktop.store import Store
from oncall_desktop.views.desktop_notifications import DesktopNotifications
from oncall_desktop.views.station_install import install_station
from tests.fake_notifications import FakeNotifications
from tests.test_views_incidents import T0, open_incident
from tests.test_views_station import Window
from tests.test_views_station import clock as clock  # the fixtures
from tests.test_views_station import store as store
from tests.test_views_station import window as window

pytestmark = [
    pytest.mark.qt,
    pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)\(\)"),
]


@pytest.fixture
def service() -> Iterator[FakeNotifications]:
    fake = FakeNotifications().start()
    yield fake
    fake.stop()


def test_a_p0_notification_acknowledges_and_resolves_from_its_buttons(
    qtbot: QtBot, service: FakeNotifications, window: Window, store: Store, clock: FakeClock
) -> None:
    window.settings.setValue("me", "bob")
    presence = install_station(window, store, clock=clock, start_engine=False)
    messages: list[str] = []
    presence.message_shown.connect(lambda title, _body: messages.append(title))
    page = presence.page
    assert page is not None
    try:
        page.refresh()  # the baseline: nothing announced
        urgent = open_incident(store, "Payments API 503", Severity.P0, T0, ("service:payments",))
        page.refresh()
        qtbot.waitUntil(lambda: len(service.shown) == 1, timeout=5000)
        [shown] = service.shown
        assert (shown.app, shown.summary) == ("oncall-desktop", f"P0 incident #{urgent.id}")
        assert shown.body == "Payments API 503\nservice:payments"
        assert shown.actions[:4] == ["acknowledge", "Acknowledge", "resolve", "Resolve"]
        assert shown.hints["urgency"] == ("y", 2)
        assert messages == []  # no tray message as well
        service.invoke(shown.id, "acknowledge")
        qtbot.waitUntil(lambda: store.incidents.get(urgent.id).status == Status.WORKING, timeout=5000)
        assert store.incidents.get(urgent.id).acknowledged_by == "bob"
        service.invoke(shown.id, "resolve")
        qtbot.waitUntil(lambda: store.incidents.get(urgent.id).status == Status.RESOLVED, timeout=5000)
        minor = open_incident(store, "Disk 80% full", Severity.P3, T0)
        page.refresh()
        qtbot.waitUntil(lambda: messages == ["P3 incident"], timeout=5000)
        assert len(service.shown) == 1
        assert minor.id != urgent.id
        service.invoke(99, "acknowledge")  # another program's notification: nothing happens
        assert service.refused == []
    finally:
        presence.shutdown()


def test_without_the_service_the_tray_message_stands_in(
    qtbot: QtBot, window: Window, store: Store, clock: FakeClock
) -> None:
    assert not DesktopNotifications(enabled=None).available  # no service on this private bus
    presence = install_station(window, store, clock=clock, start_engine=False)
    messages: list[str] = []
    presence.message_shown.connect(lambda title, _body: messages.append(title))
    page = presence.page
    assert page is not None
    try:
        page.refresh()
        open_incident(store, "Payments API 503", Severity.P1, T0)
        page.refresh()
        qtbot.waitUntil(lambda: messages == ["P1 incident"], timeout=5000)
    finally:
        presence.shutdown()


def test_a_held_incident_neither_sounds_nor_pops_up_until_its_window_ends(
    qtbot: QtBot, service: FakeNotifications, window: Window, store: Store, clock: FakeClock
) -> None:
    end = T0 + timedelta(minutes=30)
    held_db = MatchConditions("all", ("service:db",))
    store.save_maintenance([MaintenanceWindow("db upgrade", T0 - timedelta(hours=1), end, held_db)])
    presence = install_station(window, store, clock=clock, start_engine=False)
    messages: list[str] = []
    presence.message_shown.connect(lambda title, _body: messages.append(title))
    page = presence.page
    assert page is not None
    try:
        page.refresh()
        urgent = open_incident(store, "Replica lag", Severity.P0, T0, ("service:db",))
        minor = open_incident(store, "Disk 80% full", Severity.P3, T0)
        engine = EscalationEngine(store, holder="held-test", clock=clock)
        engine.tick(clock.now())
        assert store.incidents.get(urgent.id).held_at(clock.now())
        assert not store.incidents.get(minor.id).held_at(clock.now())
        page.refresh()
        # Arriving together, both would share one announcement: the P3 comes alone.
        qtbot.waitUntil(lambda: messages == ["P3 incident"], timeout=5000)
        assert service.shown == []
        assert not presence.alarm_active
        clock.set(end)
        engine.tick(clock.now())
        engine.release(5)
        page.refresh()
        qtbot.waitUntil(lambda: len(service.shown) == 1, timeout=5000)
        assert service.shown[0].summary == f"P0 incident #{urgent.id}"
        assert presence.alarm_active
    finally:
        presence.shutdown()
