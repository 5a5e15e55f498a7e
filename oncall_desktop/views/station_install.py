"""One call that turns the main window into a paging station: `install_station(window, store)`.

It adds the Incidents page, starts the escalation engine's worker on its QThread, puts the station
in the tray, and wires them together. The engine talks to the GUI only through queued signals and
the store; the GUI wakes the engine after an acknowledgement so escalation stops at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget

from oncall_desktop.domain import Status
from oncall_desktop.engine.clock import Clock, SystemClock
from oncall_desktop.engine.notifiers import Notifier
from oncall_desktop.engine.qt_worker import EngineThread, EngineWorker
from oncall_desktop.engine.station import BackgroundIntake
from oncall_desktop.incident import Incident, NotificationRecord
from oncall_desktop.store import Store, StoreError
from oncall_desktop.views.desktop_notifications import DesktopNotifications
from oncall_desktop.views.incidents_view import IncidentsPage
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.station_presence import StationPresence

log = logging.getLogger(__name__)

POLL_MS = 5_000
"""How often the station looks for changes made elsewhere (an `ack` on the CLI, another station)."""

REFRESH_DELAY_MS = 100
QUEUED = Qt.ConnectionType.QueuedConnection


class StationWiring(QObject):
    """Connects the engine worker, the Incidents page and the tray; owned by the presence.

    Changes the engine reports reload the page, and every reload updates the tray. While the window
    is hidden in the tray a cheap poll of the open incidents still notices acknowledgements made
    elsewhere, so the alarm stops whoever acknowledged.

    Signals:
        alerts_ingested: emitted from the intake server's thread after alerts were stored; queued to
            this thread, where it wakes the engine and reloads the page.
    """

    alerts_ingested = Signal()

    def __init__(
        self,
        page: IncidentsPage,
        presence: StationPresence,
        engine: EngineThread | None,
        station_label: QLabel | None = None,
    ) -> None:
        super().__init__(presence)
        self.page = page
        self.presence = presence
        self.engine = engine
        self.station_label = station_label
        self._holds_lease = False
        self._open_seen: frozenset[tuple[int, Status]] | None = None
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.poll_store)
        # A busy engine reports after every tick; reload the page once per burst, not per report.
        self.refresh_soon = QTimer(self)
        self.refresh_soon.setSingleShot(True)
        self.refresh_soon.setInterval(REFRESH_DELAY_MS)
        self.refresh_soon.timeout.connect(page.refresh)

        page.incidents_loaded.connect(self._loaded)
        page.incident_acted.connect(self.wake_engine)
        self.alerts_ingested.connect(self.wake_engine, QUEUED)
        self.alerts_ingested.connect(self.refresh_soon.start, QUEUED)
        presence.incident_requested.connect(self.show_incident)
        presence.alarm_changed.connect(self._alarm_changed)
        page.alarm_bar.mute_button.clicked.connect(lambda: presence.set_muted(True))
        if engine is not None:
            worker = engine.worker
            worker.incident_opened.connect(self._incident_opened, QUEUED)
            worker.notification_failed.connect(self._notification_failed, QUEUED)
            worker.incidents_changed.connect(self.refresh_soon.start, QUEUED)
            worker.lease_changed.connect(presence.set_engine_running_here, QUEUED)
            worker.lease_changed.connect(self._lease_changed, QUEUED)

    def start(self) -> None:
        self.page.refresh()
        if self.engine is not None:
            self.presence.set_engine_running_here(False)  # until the worker's first tick takes the lease
            self.show_station()
            self.engine.start()
        self.poll.start()

    def shutdown(self) -> None:
        """Stop polling and the engine thread (stop, quit(), wait())."""
        self.poll.stop()
        self.refresh_soon.stop()
        self.page.refresh_timer.stop()
        if self.engine is not None:
            self.engine.shutdown()

    def act_on_notification(self, incident_id: int, action: str) -> None:
        """A system notification's Acknowledge, Resolve or Show, as on the Incidents page."""
        page = self.page
        if action == "show":
            self.presence.show_window()
            self.show_incident(incident_id)
            return
        me = page.me if page.me and page.store.load_configuration().person(page.me) else None
        try:
            if action == "acknowledge":
                page.store.incidents.acknowledge(incident_id, page.clock.now(), me)
            else:
                page.store.incidents.resolve(incident_id, page.clock.now(), me)
        except StoreError as error:
            log.warning("incident %s not changed from its notification: %s", incident_id, error)
        page.refresh()
        self.wake_engine()

    def wake_engine(self) -> None:
        if self.engine is not None and self.engine.thread.isRunning():
            self.engine.wake()

    def poll_store(self) -> None:
        """Reload the page if the open incidents changed behind the engine's back; say which station
        holds the engine now."""
        current = frozenset((i.id, i.status) for i in self.page.store.incidents.newest(Status.OPEN))
        if current != self._open_seen:
            self.page.refresh()
        self.show_station()

    def _lease_changed(self, holds: bool) -> None:
        self._holds_lease = holds
        self.show_station()

    def show_station(self) -> None:
        """The status bar's station line: this station's id and where the engine runs (SPEC §10)."""
        if self.station_label is None or self.engine is None:
            return
        here = self.engine.worker.engine.holder
        if self._holds_lease:
            text, tip = f"Station {here} · runs the engine", "This desktop escalates every incident."
        else:
            lease = self.page.store.lease.state()
            holder = lease.holder if lease is not None else None
            if holder is None or holder == here:
                text, tip = f"Station {here} · engine starting", "Waiting for the engine lease."
            else:
                text = f"Station {here} · engine on {holder}"
                tip = f"Station {holder} escalates; this desktop takes over if it stops."
        self.station_label.setText(text)
        self.station_label.setToolTip(tip)

    def show_incident(self, incident_id: int) -> None:
        """Bring the Incidents page forward with `incident_id` selected (all filters opened up)."""
        stack = self.page.parentWidget()
        if isinstance(stack, QStackedWidget):
            stack.setCurrentWidget(self.page)
        if self.page.model.row_of(incident_id) < 0:
            self.page.refresh()  # the engine's report may be ahead of the page's next reload
        if not self.page.select_incident(incident_id):
            for box in (*self.page.status_boxes.values(), *self.page.severity_boxes.values()):
                box.setChecked(True)
            self.page.search.clear()
            self.page.select_incident(incident_id)

    def _loaded(self, loaded: tuple[Incident, ...]) -> None:
        self._open_seen = frozenset((i.id, i.status) for i in loaded if i.status == Status.OPEN)
        self.presence.update_incidents(loaded)
        self._alarm_changed(self.presence.alarm_active)

    def _alarm_changed(self, on: bool) -> None:
        self.page.alarm_bar.show_alarm(self.presence.alarming if on else ())

    def _incident_opened(self, incident: Incident) -> None:
        self.presence.announce_incident(incident)

    def _notification_failed(self, record: NotificationRecord) -> None:
        # Temporary failures come back as pending and are retried; only a page that is lost for
        # good is worth a desktop notification.
        if record.state == "failed":
            self.presence.notification_failed(record)


def install_station(
    window: MainWindow,
    store: Store,
    *,
    clock: Clock | None = None,
    start_engine: bool = True,
    notifiers: Sequence[Notifier] = (),
    listen: str | None = None,
) -> StationPresence:
    """Add the Incidents page to `window` (via `window.add_page`), run the engine on a QThread and
    show the station in the tray. Closing the window then hides it; the tray's Quit stops the
    engine (quit() then wait()) and ends the app; `presence.shutdown()` stops it all without quitting.

    With `listen` (HOST:PORT) the station's HTTP server (webhook intake, calendar feeds, Twilio
    callbacks) runs too, on its own thread; if the address is taken (say `oncall-desktop serve`
    already runs there) the tray says so and the app goes on without it.
    """
    clock = clock or SystemClock()
    page = IncidentsPage(store, clock, window.settings, tz=window.calendar_model.tz)
    window.zone_changed.connect(page.set_zone)  # timeline times in the calendar's zone
    window.add_page(page, "Incidents")
    presence = StationPresence(window)
    presence.now = clock.now
    engine = EngineThread(EngineWorker(store, clock, notifiers)) if start_engine else None
    station_label = QLabel()
    window.statusBar().addPermanentWidget(station_label)
    wiring = StationWiring(page, presence, engine, station_label)
    presence.page = page
    presence.engine_thread = engine.thread if engine is not None else None
    presence.on_shutdown(wiring.shutdown)
    desktop = DesktopNotifications(presence)
    if desktop.available:
        presence.urgent_notifier = desktop.notify
    desktop.action_invoked.connect(wiring.act_on_notification)
    presence.on_shutdown(desktop.close)
    presence.keep_running_on_close(window)
    wiring.start()
    if listen is not None:
        _start_intake(store, listen, clock, wiring, presence)
    return presence


def _start_intake(
    store: Store, listen: str, clock: Clock, wiring: StationWiring, presence: StationPresence
) -> None:
    try:
        intake = BackgroundIntake(store, listen, clock, lambda _outcomes: wiring.alerts_ingested.emit())
        intake.start()
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        presence.set_intake_status(f"Webhook intake not running on {listen}: {reason}")
        return
    presence.set_intake_status(f"Webhook intake on http://{intake.host}:{intake.port}", running=True)
    presence.on_shutdown(intake.stop)
