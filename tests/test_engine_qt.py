"""The engine as a worker QObject on a QThread: signals arrive queued on the GUI thread, time is the
injected fake clock, and shutdown stops the thread and gives the lease back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QThread, Slot
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import Channel
from oncall_desktop.engine.clock import FakeClock
from oncall_desktop.engine.intake import parse
from oncall_desktop.engine.qt_worker import EngineThread, EngineWorker
from oncall_desktop.incident import Incident, NotificationRecord
from oncall_desktop.store import Store
from tests.helpers_station import configured_store, integration

pytestmark = pytest.mark.qt
T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = configured_store(f"sqlite:///{tmp_path / 'qt.db'}")
    yield store
    store.close()


class Recorder(QObject):
    """Lives on the GUI thread, like a view: records what arrives and on which thread."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[Incident] = []
        self.sent: list[NotificationRecord] = []
        self.threads: set[QThread] = set()

    @Slot(object)
    def incident_opened(self, incident: Incident) -> None:
        self.opened.append(incident)

    @Slot(object)
    def notification_sent(self, record: NotificationRecord) -> None:
        self.sent.append(record)
        self.threads.add(QThread.currentThread())


def test_worker_escalates_on_its_thread_and_signals_the_gui_thread(qtbot: QtBot, store: Store) -> None:
    hook = integration(store, "hook")
    body = json.dumps({"title": "Checkout down", "severity": "P1", "alert_uid": "c"}).encode()
    incident_id = store.incidents.ingest(hook.id, parse(hook, body), T).incident_id
    clock = FakeClock(T)
    worker = EngineWorker(store, clock, max_idle=timedelta(minutes=10))
    engine_thread = EngineThread(worker)
    recorder = Recorder()
    worker.incident_opened.connect(recorder.incident_opened)
    worker.notification_sent.connect(recorder.notification_sent)
    sent = recorder.sent
    try:
        # waitUntil, not waitSignal: a blocker's slot would run on the emitting (engine) thread
        engine_thread.start()
        qtbot.waitUntil(lambda: len(sent) == 2, timeout=10_000)
        assert [i.id for i in recorder.opened] == [incident_id]
        assert {(n.person, n.channel) for n in sent} == {("alice", Channel.SMS), ("alice", Channel.EMAIL)}
        assert recorder.threads == {QThread.currentThread()}
        lease = store.lease.state()
        assert lease is not None
        assert lease.holder == worker.engine.holder

        clock.advance(timedelta(minutes=5))
        engine_thread.wake()
        qtbot.waitUntil(lambda: len(sent) == 4, timeout=10_000)
        assert {n.repeat for n in sent[2:]} == {1}
    finally:
        engine_thread.shutdown()
    assert not engine_thread.thread.isRunning()
    lease = store.lease.state()
    assert lease is not None
    assert lease.holder is None  # released: another station can take over at once
