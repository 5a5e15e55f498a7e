"""The paging station's presence on the desktop: tray icon, desktop notifications and the alarm.

The tray icon shows how many incidents are open (not yet acknowledged), drawn onto the icon. Each
new incident pops a desktop notification. While a P0 or P1 incident is open the alarm sounds,
looped, until someone acknowledges it; "Mute alarm" silences it for the incidents open now, and
a new P0/P1 incident sounds it again (a station muted for good would miss the next page). A
notification that failed is announced and listed in the tray menu. Closing the main window only
hides it: the engine keeps paging until "Quit" in the tray menu. Quit (from the tray or the File
menu) asks once first while this desktop is paging — running the engine or the webhook intake —
since it stops paging here; a signal (logout, service manager) quits without asking.

Signals:
    message_shown(str, str): a desktop notification (title, body) was shown.
    alarm_changed(bool): the alarm started (True) or stopped (False).
    show_requested(): the user asked for the window (tray click, menu, a notification's action).
    incident_requested(int): the user asked to see an incident (a failed page in the tray menu,
        a click on an incident's desktop notification).
    quitting(): "Quit" was chosen; the engine is being stopped.
"""

from __future__ import annotations

import logging
import wave
import weakref
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib.resources import as_file
from importlib.resources.abc import Traversable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QThread, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon, QWidget

from oncall_desktop.domain import Severity, Status
from oncall_desktop.engine.notifiers import CHANNEL_WORDS
from oncall_desktop.incident import Incident, NotificationRecord
from oncall_desktop.resources import alarm_wav
from oncall_desktop.views.app_icon import icon_pixmap
from oncall_desktop.views.colours import STATUS_COLOURS
from oncall_desktop.views.incidents_model import SEVERITY_ORDER

log = logging.getLogger(__name__)

ALARM_SEVERITIES = frozenset({Severity.P0, Severity.P1})
ICON_SIZE = 64
BADGE = QRectF(19, 19, 38, 38)  # with its failed ring, just inside the icon
QUIET_BADGE = QRectF(38, 38, 20, 20)
MESSAGE_MS = 10_000
MAX_LISTED_FAILURES = 10
MAX_LISTED_NEW = 5
ANNOUNCE_DELAY_MS = 150
FAILED_COLOUR = QColor("#ffc400")
MUTED_COLOUR = QColor("#546e7a")


def tray_icon(open_count: int, working: int, failed: bool, muted: bool) -> QIcon:
    """The tray icon: the app's icon with a badge on its lower right corner.

    The badge is red with the number of open incidents (slate grey while their alarm is muted),
    amber with the number being worked on when all are acknowledged, and a small green dot when
    the station is quiet. A thick yellow ring round the badge marks failed notifications. The
    badge covers most of the icon, so its number stays readable at 22 px.
    """
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawPixmap(0, 0, icon_pixmap(ICON_SIZE))
    if open_count:
        colour, number = (MUTED_COLOUR if muted else STATUS_COLOURS[Status.OPEN]), open_count
    elif working:
        colour, number = STATUS_COLOURS[Status.WORKING], working
    else:
        colour, number = STATUS_COLOURS[Status.RESOLVED], 0
    badge = BADGE if number else QUIET_BADGE
    outline = QRectF(badge).adjusted(-4, -4, 4, 4)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(FAILED_COLOUR if failed else QColor("#ffffff"))
    painter.drawEllipse(outline.adjusted(-3, -3, 3, 3) if failed else outline)
    painter.setBrush(colour)
    painter.drawEllipse(badge)
    if number:
        text = str(number) if number < 100 else "99+"
        font = QFont()
        font.setBold(True)
        font.setPixelSize({1: 32, 2: 25}.get(len(text), 17))
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


class AlarmSound:
    """The looped alarm WAV through QtMultimedia, or nothing where there is no audio.

    The WAV ships inside the package and is read through importlib.resources; it is checked (a
    readable WAV) whether or not it can be played, and `--verbose` logs where it came from. QtMultimedia
    (PySide6-Addons) needs the system's audio libraries (libpulse); headless CI boxes have neither
    those nor an output device, so the sound is optional and the alarm's state is kept apart from it.
    """

    def __init__(self, source: Traversable | None = None, parent: QObject | None = None) -> None:
        self.effect: Any = None
        source = source if source is not None else alarm_wav()
        files = ExitStack()  # a real file for as long as the sound may play (a temporary one from a zip)
        weakref.finalize(self, files.close)
        try:
            path = files.enter_context(as_file(source))
            with wave.open(str(path)) as wav:
                seconds = wav.getnframes() / wav.getframerate()
        except (OSError, EOFError, wave.Error) as error:
            log.warning("no alarm sound: %s is not a readable WAV file (%s)", source, error)
            return
        log.info("alarm sound: %s (%.2f s)", path, seconds)
        if QGuiApplication.platformName() == "offscreen":
            # Nobody listens to an offscreen app (tests, screenshots), and QtMultimedia would only
            # warn about the missing sound server there.
            log.info("no alarm sound on the offscreen platform")
            return
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except (ImportError, OSError) as error:
            log.info("no alarm sound: QtMultimedia is unavailable (%s)", error)
            return
        if not QMediaDevices.audioOutputs():
            log.info("no alarm sound: no audio output device")
            return
        effect = QSoundEffect(parent)
        effect.setSource(QUrl.fromLocalFile(str(path)))
        effect.setLoopCount(QSoundEffect.Loop.Infinite.value)
        effect.setVolume(1.0)
        self.effect = effect

    @property
    def available(self) -> bool:
        return self.effect is not None

    def play(self) -> None:
        if self.effect is not None and not self.effect.isPlaying():
            self.effect.play()

    def stop(self) -> None:
        if self.effect is not None:
            self.effect.stop()


class StationPresence(QObject):
    """Tray icon, desktop notifications and the P0/P1 alarm of the station running in this app."""

    message_shown = Signal(str, str)
    alarm_changed = Signal(bool)
    show_requested = Signal()
    incident_requested = Signal(int)
    quitting = Signal()

    def __init__(self, parent: QObject | None = None, sound: AlarmSound | None = None) -> None:
        super().__init__(parent)
        self.sound = sound if sound is not None else AlarmSound(parent=self)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        """The station's clock: an incident a maintenance window holds neither sounds nor pops up
        until the window ends (SPEC §13: it pages nobody)."""
        self._open: tuple[Incident, ...] = ()
        self._working = 0
        self._alarming: frozenset[int] = frozenset()
        self._announced: set[int] = set()
        self._baseline_taken = False
        self._muted = False
        self._alarm_on = False
        self._failures: list[NotificationRecord] = []
        self._titles: dict[int, str] = {}
        self._window: QWidget | None = None
        self._quitting = False
        self._told_about_tray = False
        self._shutdown: list[Callable[[], None]] = []
        self._stopped = False
        self._quit_on_last_window_closed: bool | None = None
        self._engine_here: bool | None = None
        self._intake_status = ""
        self._intake_here = False
        self._asking = False
        self.confirm_quit: Callable[[], bool] = self._confirm_quit
        """Asks whether to quit although this desktop is paging; True: quit."""
        self._message_incident: int | None = None
        self.urgent_notifier: Callable[[Incident], bool] | None = None
        """Shows a new P0/P1 incident as a system notification with actions; False: not shown,
        the tray message stands in (`desktop_notifications`)."""
        self._pending: list[Incident] = []
        self._announce_timer = QTimer(self)
        self._announce_timer.setSingleShot(True)
        self._announce_timer.setInterval(ANNOUNCE_DELAY_MS)
        self._announce_timer.timeout.connect(self._flush_announcements)
        self.page: QWidget | None = None
        """The Incidents page, once `install_station` added it."""
        self.engine_thread: QThread | None = None
        """The escalation engine's thread, while the station runs one."""

        self.tray = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.show_action = QAction("Show oncall-desktop", self)
        self.show_action.triggered.connect(self.show_window)
        self.mute_action = QAction("Mute alarm", self)
        self.mute_action.setCheckable(True)
        self.mute_action.toggled.connect(self.set_muted)
        self.failures_menu = QMenu("Failed notifications")
        self.clear_failures_action = QAction("Clear this list", self)
        self.clear_failures_action.triggered.connect(self.clear_failures)
        self.quit_action = QAction("Quit (stop paging)", self)
        self.quit_action.triggered.connect(self.request_quit)
        self.menu.addAction(self.show_action)
        self.menu.addSeparator()
        self.menu.addAction(self.mute_action)
        self.menu.addMenu(self.failures_menu)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._activated)
        self.tray.messageClicked.connect(self._message_clicked)
        self._update_tray()
        self.tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        """Whether the desktop has a tray; without one, closing the window minimizes it instead."""
        # Offscreen and on desktops without a tray the icon stays hidden; its state is still kept.
        if self.tray_available:
            self.tray.show()

    # -- state ----------------------------------------------------------------------------------

    @property
    def open_count(self) -> int:
        """Incidents open (not acknowledged): the number on the icon."""
        return len(self._open)

    @property
    def alarm_active(self) -> bool:
        """True while the alarm is going off (whether or not a sound device can play it)."""
        return self._alarm_on

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def alarming(self) -> tuple[Incident, ...]:
        """The open P0/P1 incidents the alarm is about, most severe and oldest first."""
        urgent = [i for i in self._open if i.id in self._alarming]
        return tuple(sorted(urgent, key=lambda i: (SEVERITY_ORDER[i.severity], i.id)))

    @property
    def failures(self) -> tuple[NotificationRecord, ...]:
        return tuple(self._failures)

    # -- inputs ---------------------------------------------------------------------------------

    def update_incidents(self, incidents: Sequence[Incident]) -> None:
        """The current incidents (any order, any statuses): recount, and sound or stop the alarm."""
        self._titles.update({i.id: i.title for i in incidents})
        self._open = tuple(i for i in incidents if i.status == Status.OPEN)
        self._working = sum(1 for i in incidents if i.status == Status.WORKING)
        now = self.now()
        alarming = frozenset(
            i.id for i in self._open if i.severity in ALARM_SEVERITIES and not i.held_at(now)
        )
        if alarming - self._alarming and self._muted:
            self.mute_action.setChecked(False)  # a new P0/P1 incident sounds the alarm again
        self._alarming = alarming
        if self._baseline_taken:
            for incident in sorted(incidents, key=lambda i: i.id):
                if incident.status == Status.OPEN:
                    self.announce_incident(incident)
        # Incidents already there when the station starts are not announced one by one.
        self._announced.update(i.id for i in incidents if not i.held_at(now))
        self._baseline_taken = True
        self._update_alarm()
        self._update_tray()

    def announce_incident(self, incident: Incident) -> None:
        """A desktop notification for a new incident, once per incident.

        Incidents arriving together (an alert storm) share one notification, so the desktop is
        not buried under a pile of them; clicking it shows the most severe.
        """
        if incident.id in self._announced or incident.held_at(self.now()):
            return  # a held incident is announced when its maintenance window ends
        self._announced.add(incident.id)
        self._titles[incident.id] = incident.title
        self._pending.append(incident)
        if not self._stopped and not self._announce_timer.isActive():
            self._announce_timer.start()

    def _flush_announcements(self) -> None:
        pending = sorted(self._pending, key=lambda i: (SEVERITY_ORDER[i.severity], i.id))
        self._pending.clear()
        notify = self.urgent_notifier
        if notify is not None:
            pending = [i for i in pending if not (i.severity in ALARM_SEVERITIES and notify(i))]
        if not pending:
            return
        worst = pending[0]
        icon = (
            QSystemTrayIcon.MessageIcon.Critical
            if worst.severity in ALARM_SEVERITIES
            else QSystemTrayIcon.MessageIcon.Warning
        )
        if len(pending) == 1:
            tags = ", ".join(worst.tags)
            body = f"#{worst.id} {worst.title}" + (f"\n{tags}" if tags else "")
            self._show_message(f"{worst.severity.value} incident", body, icon, worst.id)
            return
        lines = [f"{i.severity.value} #{i.id} {i.title}" for i in pending[:MAX_LISTED_NEW]]
        if len(pending) > MAX_LISTED_NEW:
            lines.append(f"… and {len(pending) - MAX_LISTED_NEW} more")
        self._show_message(f"{len(pending)} new incidents", "\n".join(lines), icon, worst.id)

    def notification_failed(self, record: NotificationRecord) -> None:
        """A page that did not go out: announce it and list it in the tray menu."""
        self._failures.insert(0, record)
        del self._failures[MAX_LISTED_FAILURES:]
        self._show_message(
            "Notification failed",
            f"{CHANNEL_WORDS[record.channel]} to {record.person} for #{record.incident_id}"
            f" {self._titles.get(record.incident_id, '')}: {record.error or 'failed'}".rstrip(),
            QSystemTrayIcon.MessageIcon.Warning,
            record.incident_id,
        )
        self._update_tray()

    def set_engine_running_here(self, running: bool) -> None:
        """Whether this app holds the engine lease (another station may run the engine instead)."""
        self._engine_here = running
        self._update_tray()

    def set_intake_status(self, text: str, running: bool = False) -> None:
        """One line about the webhook intake: where it listens (`running`), or why it does not."""
        self._intake_status = text
        self._intake_here = running
        self._update_tray()

    @property
    def paging_here(self) -> bool:
        """Whether quitting stops paging: this desktop runs the engine or the webhook intake."""
        return not self._stopped and (self._engine_here is True or self._intake_here)

    def clear_failures(self) -> None:
        self._failures.clear()
        self._update_tray()

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        if self.mute_action.isChecked() != muted:
            self.mute_action.setChecked(muted)
        self._update_alarm()
        self._update_tray()

    # -- window and shutdown --------------------------------------------------------------------

    def keep_running_on_close(self, window: QWidget) -> None:
        """Closing `window` hides it while the station runs; "Quit" in the tray closes it for real."""
        self._window = window
        window.installEventFilter(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self._quit_on_last_window_closed = app.quitOnLastWindowClosed()
            app.setQuitOnLastWindowClosed(False)

    def on_shutdown(self, shutdown: Callable[[], None]) -> None:
        """Run `shutdown` (e.g. stop the engine thread) when the station shuts down or quits."""
        self._shutdown.append(shutdown)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        running = not (self._quitting or self._stopped)
        if watched is self._window and event.type() == QEvent.Type.Close and running:
            event.ignore()
            if self.tray_available:
                self._window.hide()
                text = "The station runs on in the tray. Choose Quit in its menu to stop it."
            else:
                # Without a tray there would be no way back to a hidden window.
                self._window.showMinimized()
                text = "The station runs on; its window is minimized. Quit from the tray menu to stop it."
            if not self._told_about_tray:
                self._told_about_tray = True
                self._show_message(
                    "oncall-desktop keeps paging", text, QSystemTrayIcon.MessageIcon.Information
                )
            return True
        return super().eventFilter(watched, event)

    def show_window(self) -> None:
        self.show_requested.emit()
        if self._window is not None:
            window = self._window
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
            window.show()
            window.raise_()
            window.activateWindow()

    def shutdown(self) -> None:
        """Stop the alarm, the engine and the polling, and take the icon out of the tray."""
        if self._stopped:
            return
        self._stopped = True
        self._announce_timer.stop()
        self._update_alarm()
        for shutdown in self._shutdown:
            shutdown()
        self.tray.hide()
        if not self._quitting:
            self._restore_quit_on_last_window_closed()

    def request_quit(self) -> None:
        """Quit as the user asked (tray or File menu): first, once, ask while this desktop is paging.
        Keeping it paging hides the window to the tray (or minimizes it, without a tray)."""
        if self._quitting or self._asking:
            return
        if self.paging_here:
            self._asking = True
            try:
                keep = not self.confirm_quit()
            finally:
                self._asking = False
            if keep:
                if self._window is not None:
                    self._window.close()  # to the tray: the event filter keeps the station running
                return
        self.quit()

    def _confirm_quit(self) -> bool:
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Quit oncall-desktop?")
        box.setText("This desktop is paging. Quit stops paging here.")
        where = "the tray" if self.tray_available else "a minimized window"
        box.setInformativeText(
            "Nobody is escalated or paged from this desktop and alerts sent to it are refused until it "
            f"runs again. To keep paging, keep it running in {where} instead."
        )
        quit_button = box.addButton("Quit and stop paging", QMessageBox.ButtonRole.DestructiveRole)
        keep_button = box.addButton("Keep paging", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep_button)
        box.exec()
        return box.clickedButton() is quit_button

    def quit(self) -> None:
        """Shut the station down, close the window for real and end the application."""
        if self._quitting:
            return
        self._quitting = True
        self.quitting.emit()
        self.shutdown()
        # Close while Qt still does not quit on the last window: that would post a second Quit
        # event, which outlives this event loop and ends the next one the moment it starts.
        if self._window is not None:
            self._window.removeEventFilter(self)
            self._window.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()
        self._restore_quit_on_last_window_closed()

    def _restore_quit_on_last_window_closed(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and self._quit_on_last_window_closed is not None:
            app.setQuitOnLastWindowClosed(self._quit_on_last_window_closed)

    # -- internals ------------------------------------------------------------------------------

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_window()

    def _show_message(
        self, title: str, body: str, icon: QSystemTrayIcon.MessageIcon, incident_id: int | None = None
    ) -> None:
        self._message_incident = incident_id
        self.tray.showMessage(title, body, icon, MESSAGE_MS)
        self.message_shown.emit(title, body)

    def _update_alarm(self) -> None:
        on = bool(self._alarming) and not self._muted and not self._stopped
        if on == self._alarm_on:
            return
        self._alarm_on = on
        if on:
            self.sound.play()
        else:
            self.sound.stop()
        self.alarm_changed.emit(on)

    def _update_tray(self) -> None:
        muted = self._muted and bool(self._alarming)
        self.tray.setIcon(tray_icon(len(self._open), self._working, bool(self._failures), muted))
        lines = [f"oncall-desktop: {self.open_count} open, {self._working} acknowledged"]
        urgent = [i for i in self._open if i.severity in ALARM_SEVERITIES]
        lines.extend(f"{i.severity.value} #{i.id} {i.title}" for i in urgent[:5])
        if self._alarm_on:
            lines.append("Alarm sounding until acknowledged")
        elif muted:
            lines.append("Alarm muted")
        if self._failures:
            lines.append(f"⚠ {len(self._failures)} failed notification(s)")
        if self._engine_here is False:
            lines.append("Not escalating here: another station holds the engine lease")
        if self._intake_status:
            lines.append(self._intake_status)
        self.tray.setToolTip("\n".join(lines))
        self.mute_action.setEnabled(bool(self._alarming) or self._muted)
        self.failures_menu.clear()
        self.failures_menu.setTitle(
            f"⚠ Failed notifications ({len(self._failures)})" if self._failures else "Failed notifications"
        )
        self.failures_menu.setEnabled(bool(self._failures))
        for record in self._failures:
            action = self.failures_menu.addAction(
                f"#{record.incident_id}: {CHANNEL_WORDS[record.channel]} to {record.person}"
                f" — {record.error or 'failed'}"
            )
            action.triggered.connect(lambda _=False, i=record.incident_id: self.request_incident(i))
        if self._failures:
            self.failures_menu.addSeparator()
            self.failures_menu.addAction(self.clear_failures_action)

    def request_incident(self, incident_id: int) -> None:
        """Show the window with `incident_id` (the Incidents page selects it)."""
        self.show_window()
        self.incident_requested.emit(incident_id)

    def _message_clicked(self) -> None:
        if self._message_incident is None:
            self.show_window()
        else:
            self.request_incident(self._message_incident)
