"""The station in the app: tray count, desktop notifications, the P0/P1 alarm and its mute, failed
notifications in the tray, closing to the tray and quitting — with the real engine worker on its
QThread on a fake clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import Severity, Status
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.notifiers import Notifier
from oncall_desktop.store import Store
from oncall_desktop.views import station_install
from oncall_desktop.views.calendar_model import CalendarModel
from oncall_desktop.views.incidents_view import IncidentsPage
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.station_install import install_station
from oncall_desktop.views.station_presence import AlarmSound, StationPresence, tray_icon
from tests.test_views_incidents import T0, FailingVoice, open_incident, station_configuration

pytestmark = [
    pytest.mark.qt,
    # The offscreen platform cannot size or raise windows and says so; nothing to do with the station.
    pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)\(\)"),
]


class Window(QMainWindow):
    """What `install_station` needs of the main window: `add_page`, its settings and the zone the
    calendar shows (with `zone_changed`)."""

    zone_changed = Signal(object)

    def __init__(self, settings: QSettings) -> None:
        super().__init__()
        self.settings = settings
        self.calendar_model = CalendarModel()
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self.tabs.addTab(QWidget(), "Calendar")

    def add_page(self, widget: QWidget, title: str) -> int:
        return self.tabs.addTab(widget, title)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    opened.replace_configuration(station_configuration())
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Window:
    main = Window(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(main)
    main.show()
    return main


class Station:
    """Starts stations for a test and checks that each one leaves no thread or timer running."""

    def __init__(self, window: Window, store: Store, clock: FakeClock) -> None:
        self.window, self.store, self.clock = window, store, clock
        self.started: list[StationPresence] = []

    def start(
        self, notifiers: tuple[Notifier, ...] = (), engine: bool = True, tray: bool = True
    ) -> StationPresence:
        """Install a station; `tray` says whether the desktop has a tray (offscreen has none)."""
        presence = install_station(
            self.window, self.store, clock=self.clock, start_engine=engine, notifiers=notifiers
        )
        presence.tray_available = tray
        self.started.append(presence)
        return presence

    def check_stopped(self) -> None:
        for presence in self.started:
            presence.shutdown()
            assert presence.engine_thread is None or presence.engine_thread.isFinished()
            running = [*self.window.findChildren(QTimer), *presence.findChildren(QTimer)]
            assert not [t for t in running if t.isActive()]
            assert not presence.alarm_active


@pytest.fixture
def station(window: Window, store: Store, clock: FakeClock) -> Iterator[Station]:
    stations = Station(window, store, clock)
    yield stations
    stations.check_stopped()


def page_of(presence: StationPresence) -> IncidentsPage:
    assert isinstance(presence.page, IncidentsPage)
    return presence.page


def test_the_incidents_page_is_added_to_the_window(station: Station, window: Window) -> None:
    presence = station.start(engine=False)
    assert window.tabs.tabText(1) == "Incidents"
    assert window.tabs.widget(1) is presence.page


def test_a_new_incident_counts_on_the_tray_and_pops_a_notification(
    qtbot: QtBot, station: Station, store: Store
) -> None:
    presence = station.start()
    assert presence.open_count == 0
    quiet = presence.tray.icon().pixmap(64).toImage()
    with qtbot.waitSignal(presence.message_shown, timeout=10_000) as shown:
        open_incident(store, "Disk 85% full", Severity.P2, T0)  # the engine picks it up on its next tick
    assert shown.args == ["P2 incident", "#1 Disk 85% full"]
    qtbot.waitUntil(lambda: presence.open_count == 1, timeout=10_000)
    assert "1 open, 0 acknowledged" in presence.tray.toolTip()
    assert presence.tray.icon().pixmap(64).toImage() != quiet
    assert tray_icon(1, 0, False, False).pixmap(64).toImage() == presence.tray.icon().pixmap(64).toImage()
    assert not presence.alarm_active  # P2: no alarm
    # The engine paged Alice, and the page shows it.
    qtbot.waitUntil(lambda: page_of(presence).model.rowCount() == 1 and "Alice" in _paged(presence))


def _paged(presence: StationPresence) -> str:
    return page_of(presence).model.summaries()[0].paged_text()


def test_a_p1_incident_sounds_the_alarm_until_acknowledged_in_the_app(
    qtbot: QtBot, station: Station, store: Store, clock: FakeClock
) -> None:
    presence = station.start()
    with qtbot.waitSignal(presence.alarm_changed, timeout=10_000) as changed:
        incident = open_incident(store, "Checkout latency p99 above 2 s", Severity.P1, T0)
    assert changed.args == [True]
    assert presence.alarm_active
    assert "Alarm sounding until acknowledged" in presence.tray.toolTip()
    page = page_of(presence)
    page.ask_acknowledger = lambda *_: ("alice", True)
    assert page.select_incident(incident.id)
    clock.set(T0 + timedelta(minutes=2))
    with qtbot.waitSignal(presence.alarm_changed) as changed:
        page.details.acknowledge_button.click()
    assert changed.args == [False]
    assert not presence.alarm_active
    assert presence.open_count == 0
    assert store.incidents.get(incident.id).status == Status.WORKING
    assert presence.engine_thread is not None
    assert presence.engine_thread.isRunning()


def test_acknowledging_elsewhere_stops_the_alarm_while_the_window_is_hidden(
    qtbot: QtBot, station: Station, store: Store, window: Window, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(station_install, "POLL_MS", 20)
    presence = station.start(engine=False)
    incident = open_incident(store, "Payments API 503", Severity.P0, T0)
    qtbot.waitUntil(lambda: presence.alarm_active, timeout=10_000)
    window.close()
    assert window.isHidden()
    store.incidents.acknowledge(incident.id, T0 + timedelta(minutes=1), "bob")  # `oncall-desktop ack`
    qtbot.waitUntil(lambda: not presence.alarm_active, timeout=10_000)
    assert presence.open_count == 0


def test_mute_silences_the_alarm_until_the_next_urgent_incident(
    qtbot: QtBot, station: Station, store: Store
) -> None:
    presence = station.start(engine=False)
    page = page_of(presence)
    assert not presence.mute_action.isEnabled()  # nothing to mute
    open_incident(store, "Payments API 503", Severity.P0, T0)
    page.refresh()
    assert presence.alarm_active
    assert presence.mute_action.isEnabled()
    presence.mute_action.trigger()
    assert presence.muted
    assert not presence.alarm_active
    assert "Alarm muted" in presence.tray.toolTip()
    open_incident(store, "Disk 85% full", Severity.P2, T0 + timedelta(minutes=1))
    page.refresh()
    assert presence.muted
    assert not presence.alarm_active
    open_incident(store, "Checkout down", Severity.P1, T0 + timedelta(minutes=2))
    page.refresh()
    assert not presence.muted
    assert presence.alarm_active
    presence.mute_action.trigger()
    presence.mute_action.trigger()  # unmuting by hand sounds it again
    assert presence.alarm_active


def test_a_failed_notification_shows_in_the_tray(
    qtbot: QtBot, station: Station, store: Store, window: Window
) -> None:
    presence = station.start(notifiers=(FailingVoice(),))
    assert not presence.failures_menu.isEnabled()
    # Created 10 minutes ago: level 1 (Bob, phone call) is due at once and fails.
    with qtbot.waitSignal(
        presence.message_shown,
        timeout=10_000,
        check_params_cb=lambda title, _: title == "Notification failed",
    ) as shown:
        open_incident(store, "Payments API 503", Severity.P0, T0 - timedelta(minutes=10))
    assert shown.args[1] == "phone call to bob for #1 Payments API 503: carrier rejected the number"
    assert [f.person for f in presence.failures] == ["bob"]
    assert presence.failures_menu.isEnabled()
    listed = [a.text() for a in presence.failures_menu.actions() if a.text()]
    assert listed[0] == "#1: phone call to bob — carrier rejected the number"
    assert "⚠ 1 failed notification(s)" in presence.tray.toolTip()
    # Picking it in the menu brings the incident forward.
    window.close()
    next(a for a in presence.failures_menu.actions() if a.text() == listed[0]).trigger()
    assert window.isVisible()
    assert window.tabs.currentWidget() is presence.page
    assert page_of(presence).selected_id() == 1
    presence.clear_failures_action.trigger()
    assert not presence.failures
    assert not presence.failures_menu.isEnabled()


def test_closing_the_window_hides_it_and_the_engine_keeps_running(
    qtbot: QtBot, station: Station, store: Store, window: Window
) -> None:
    presence = station.start()
    thread = presence.engine_thread
    assert thread is not None
    qtbot.waitUntil(thread.isRunning)
    with qtbot.waitSignal(presence.message_shown) as shown:
        window.close()
    assert shown.args[0] == "oncall-desktop keeps paging"
    assert window.isHidden()
    assert thread.isRunning()
    # The engine still escalates: a new incident reaches the tray while the window is hidden.
    open_incident(store, "Payments API 503", Severity.P0, T0)
    qtbot.waitUntil(lambda: presence.open_count == 1 and presence.alarm_active, timeout=10_000)
    presence.show_action.trigger()
    assert window.isVisible()


def test_quit_in_the_tray_stops_the_engine_thread_and_closes_the_window(
    qtbot: QtBot, station: Station, store: Store, window: Window
) -> None:
    presence = station.start()
    thread = presence.engine_thread
    assert thread is not None
    qtbot.waitUntil(thread.isRunning)
    open_incident(store, "Payments API 503", Severity.P0, T0)
    qtbot.waitUntil(lambda: presence.alarm_active, timeout=10_000)
    asked: list[bool] = []
    presence.confirm_quit = lambda: asked.append(True) or True
    with qtbot.waitSignal(presence.alarm_changed) as changed:
        presence.quit_action.trigger()
    assert asked == [True]  # it was paging: Quit asked once
    assert changed.args == [False]
    assert thread.isFinished()
    assert window.isHidden()
    assert not [t for t in presence.findChildren(QTimer) if t.isActive()]
    # The lease is released: another station can take over at once.
    lease = store.lease.state()
    assert lease is not None
    assert lease.holder is None


class RecordingSound(AlarmSound):
    """Stands in for the speaker: records what the alarm asked it to do."""

    def __init__(self) -> None:
        self.effect = None
        self.calls: list[str] = []

    def play(self) -> None:
        self.calls.append("play")

    def stop(self) -> None:
        self.calls.append("stop")


def test_the_alarm_sound_plays_while_the_alarm_is_on(qtbot: QtBot, store: Store) -> None:
    sound = RecordingSound()
    presence = StationPresence(sound=sound)
    urgent = open_incident(store, "Payments API 503", Severity.P0, T0)
    presence.update_incidents([urgent])
    assert sound.calls == ["play"]
    presence.set_muted(True)
    presence.set_muted(False)
    assert sound.calls == ["play", "stop", "play"]
    presence.update_incidents([store.incidents.acknowledge(urgent.id, T0, "alice")])
    assert sound.calls == ["play", "stop", "play", "stop"]
    assert not AlarmSound().available  # offscreen: no sound, yet the alarm's state is kept


def test_install_station_on_the_real_main_window_offers_me_when_acknowledging(
    qtbot: QtBot, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "main.ini"), QSettings.Format.IniFormat)
    settings.setValue("me", "bob")  # View ▸ Who am I…
    main = MainWindow(store, settings=settings)
    qtbot.addWidget(main)
    presence = install_station(main, store, clock=clock, start_engine=False)
    try:
        assert main.tabs.tabText(main.tabs.count() - 1) == "Incidents"
        page = page_of(presence)
        assert page.me == "bob"
        incident = open_incident(store, "Payments API 503", Severity.P0, T0)
        page.refresh()
        offered: list[str | None] = []
        page.ask_acknowledger = lambda _parent, _people, me: (offered.append(me), ("bob", True))[1]
        page.select_incident(incident.id)
        page.details.acknowledge_button.click()
        assert offered == ["bob"]
        assert store.incidents.get(incident.id).acknowledged_by == "bob"
    finally:
        presence.shutdown()


def test_the_tray_and_status_bar_say_which_station_runs_the_engine(
    qtbot: QtBot, station: Station, store: Store, clock: FakeClock, window: Window
) -> None:
    other = store.lease.acquire("other-station:42:ab12cd", None, datetime.now(UTC), timedelta(seconds=30))
    assert other is not None
    presence = station.start()
    (line,) = [w for w in window.statusBar().findChildren(QLabel) if w.text().startswith("Station ")]
    assert "another station holds the engine lease" in presence.tray.toolTip()
    qtbot.waitUntil(lambda: line.text().endswith(" · engine on other-station:42:ab12cd"), timeout=10_000)
    store.lease.release("other-station:42:ab12cd", other.epoch)  # it shut down: this app takes over
    qtbot.waitUntil(lambda: "another station" not in presence.tray.toolTip(), timeout=10_000)
    lease = store.lease.state()
    assert lease is not None
    assert lease.holder not in (None, "other-station:42:ab12cd")
    qtbot.waitUntil(lambda: line.text() == f"Station {lease.holder} · runs the engine", timeout=10_000)


def test_without_a_tray_closing_minimizes_the_window_instead(
    qtbot: QtBot, station: Station, window: Window
) -> None:
    presence = station.start(engine=False, tray=False)
    window.close()
    assert window.isMinimized()
    assert not window.isHidden()
    presence.show_action.trigger()
    assert not window.isMinimized()


def test_clicking_an_incidents_desktop_notification_shows_it(
    qtbot: QtBot, station: Station, store: Store, window: Window
) -> None:
    presence = station.start(engine=False)
    page = page_of(presence)
    page.status_boxes[Status.OPEN].setChecked(False)  # filtered out: the click opens the filters up
    open_incident(store, "Disk 85% full", Severity.P2, T0)
    incident = open_incident(store, "Payments API 503", Severity.P0, T0 + timedelta(minutes=1))
    window.close()
    with qtbot.waitSignal(presence.message_shown):
        page.refresh()
    presence.tray.messageClicked.emit()  # on the last message: the P0's
    assert window.isVisible()
    assert window.tabs.currentWidget() is page
    assert page.selected_id() == incident.id


def test_incidents_arriving_together_share_one_desktop_notification(
    qtbot: QtBot, station: Station, store: Store
) -> None:
    presence = station.start(engine=False)
    for minute, (title, severity) in enumerate(
        [("Disk 85% full", Severity.P2), ("Payments API 503", Severity.P0), ("Kafka lag", Severity.P1)]
    ):
        open_incident(store, title, severity, T0 + timedelta(minutes=minute))
    shown: list[tuple[str, str]] = []
    presence.message_shown.connect(lambda title, body: shown.append((title, body)))
    page_of(presence).refresh()
    qtbot.waitUntil(lambda: bool(shown))
    assert shown == [("3 new incidents", "P0 #2 Payments API 503\nP1 #3 Kafka lag\nP2 #1 Disk 85% full")]


def test_the_page_shows_the_alarm_with_its_own_mute_button(
    qtbot: QtBot, station: Station, store: Store
) -> None:
    presence = station.start(engine=False)
    page = page_of(presence)
    open_incident(store, "Disk 85% full", Severity.P2, T0)
    page.refresh()
    assert page.alarm_bar.isHidden()
    open_incident(store, "Kafka lag", Severity.P1, T0 + timedelta(minutes=1))
    open_incident(store, "Payments API 503", Severity.P0, T0 + timedelta(minutes=2))
    page.refresh()
    assert not page.alarm_bar.isHidden()
    assert (
        page.alarm_bar.text.text()
        == "Alarm sounding: P0 #3 Payments API 503 and 1 more — acknowledge to stop it"
    )
    qtbot.mouseClick(page.alarm_bar.mute_button, Qt.MouseButton.LeftButton)
    assert presence.muted
    assert presence.mute_action.isChecked()
    assert page.alarm_bar.isHidden()


def test_quit_while_paging_asks_once_and_keeping_it_hides_the_window_to_the_tray(
    qtbot: QtBot, station: Station, window: Window, store: Store
) -> None:
    presence = station.start()
    thread = presence.engine_thread
    assert thread is not None
    qtbot.waitUntil(lambda: presence.paging_here, timeout=10_000)  # the engine took the lease here
    asked: list[bool] = []

    def keep_paging() -> bool:
        asked.append(True)
        presence.request_quit()  # a second Quit (the tray's) while the question is open: no second one
        return False

    presence.confirm_quit = keep_paging
    with qtbot.waitSignal(presence.message_shown):
        presence.quit_action.trigger()
    assert asked == [True]
    assert window.isHidden()  # kept running in the tray
    assert thread.isRunning()
    held = store.lease.state()
    assert held is not None
    assert held.holder is not None

    presence.confirm_quit = lambda: asked.append(True) or True
    presence.request_quit()
    assert asked == [True, True]
    assert thread.isFinished()
    released = store.lease.state()
    assert released is not None
    assert released.holder is None


def test_quit_asks_nothing_when_this_desktop_is_not_paging(station: Station, window: Window) -> None:
    presence = station.start(engine=False)
    assert not presence.paging_here

    def never() -> bool:
        raise AssertionError("asked")

    presence.confirm_quit = never
    presence.request_quit()
    assert window.isHidden()
