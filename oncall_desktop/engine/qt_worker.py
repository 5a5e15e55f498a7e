"""The escalation engine inside the app: a worker QObject on its own QThread.

The only engine module that knows Qt. The worker owns an `EscalationEngine` and a single-shot
QTimer; after each tick, the engine's `next_delay` (shared with the headless station) says when to
tick again. It talks to the GUI only through queued signals carrying frozen dataclasses, and the GUI
talks to it only through the store (acknowledge, resolve) and `wake()`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from oncall_desktop.engine.clock import Clock, clock_speed
from oncall_desktop.engine.engine import MAX_IDLE, EscalationEngine, TickReport, next_delay
from oncall_desktop.engine.notifiers import Notifier
from oncall_desktop.engine.troubles import Trouble
from oncall_desktop.store import Store, StoreError

log = logging.getLogger(__name__)


class EngineWorker(QObject):
    """Runs the engine's ticks on the thread it was moved to.

    Signals:
        incident_opened(Incident): the engine started escalating a new incident.
        notification_sent(NotificationRecord): a notification went out.
        notification_failed(NotificationRecord): a notification failed for good, or will be retried.
        incidents_changed(): incidents or their notifications changed; views should refresh.
        lease_changed(bool): this app now runs (True) or no longer runs (False) the engine.
        problems_changed(tuple): incidents the engine cannot plan with their rules, (id, reason) each.
    """

    incident_opened = Signal(object)
    notification_sent = Signal(object)
    notification_failed = Signal(object)
    incidents_changed = Signal()
    lease_changed = Signal(bool)
    problems_changed = Signal(object)

    def __init__(
        self,
        store: Store,
        clock: Clock,
        notifiers: Sequence[Notifier] = (),
        max_idle: timedelta = MAX_IDLE,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.max_idle = max_idle
        self.engine = EscalationEngine(store, notifiers, clock=clock, on_progress=self._send_finished)
        self._timer: QTimer | None = None
        self._holds_lease = False
        self._problems: tuple[tuple[int, str], ...] = ()
        self._trouble = Trouble(log, "engine ticks fail")

    def _send_finished(self) -> None:
        """Called on a sender's thread: tick on ours to record and report it."""
        QMetaObject.invokeMethod(self, "wake", Qt.ConnectionType.QueuedConnection)

    @Slot()
    def start(self) -> None:
        """Begin ticking (call on the worker's thread, e.g. from QThread.started)."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.tick)
        self.tick()

    @Slot()
    def wake(self) -> None:
        """Tick now (after the GUI acknowledged or resolved something, or on a test's fake clock)."""
        self.tick()

    @Slot()
    def stop(self) -> None:
        """Stop ticking and release the lease; runs on the worker's thread."""
        if self._timer is not None:
            self._timer.stop()
            self._timer.setParent(None)  # destroyed here, on its own thread, not later by the GUI's
            self._timer = None
        self.engine.release()

    @Slot()
    def tick(self) -> None:
        if self._timer is None:
            return
        report: TickReport | None = None
        try:
            report = self.engine.tick(self.clock.now())
            self._trouble.ok()
        except StoreError as error:  # the database: locked, unreachable, full — said once
            self._trouble.failed(f"{error}; retrying every second")
        except Exception as error:  # a bug: with its traceback, once
            self._trouble.failed(f"{type(error).__name__}: {error}; retrying every second", traceback=True)
        if report is not None:
            self._publish(report)
        delay = next_delay(report, self.clock.now(), clock_speed(self.clock), self.max_idle)
        self._timer.start(int(delay / timedelta(milliseconds=1)))

    def _publish(self, report: TickReport) -> None:
        if report.holds_lease != self._holds_lease:
            self._holds_lease = report.holds_lease
            self.lease_changed.emit(report.holds_lease)
        for incident in report.opened:
            self.incident_opened.emit(incident)
        for sent in report.sent:
            self.notification_sent.emit(sent)
        for failed in report.failed:
            self.notification_failed.emit(failed)
        if report.holds_lease and report.problems != self._problems:
            self._problems = report.problems
            self.problems_changed.emit(report.problems)
        if report.changed:
            self.incidents_changed.emit()


class EngineThread:
    """Owns the worker and its QThread: `start()`, then `shutdown()` (stop, quit(), wait())."""

    def __init__(self, worker: EngineWorker) -> None:
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("escalation-engine")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.start)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        QMetaObject.invokeMethod(self.worker, "wake", Qt.ConnectionType.QueuedConnection)

    def shutdown(self) -> None:
        if self.thread.isRunning():
            QMetaObject.invokeMethod(self.worker, "stop", Qt.ConnectionType.BlockingQueuedConnection)
            self.thread.quit()
            self.thread.wait()
