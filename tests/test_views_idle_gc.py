"""Garbage collection from the event loop: never in the middle of a paint, never in another thread."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from oncall_desktop.views.idle_gc import IdleGarbageCollector

pytestmark = pytest.mark.qt


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


@pytest.fixture
def parent() -> Iterator[QObject]:
    owner = QObject()
    yield owner
    gc.enable()


def test_cycles_are_collected_by_the_event_loop_and_not_by_allocations(qtbot: QtBot, parent: QObject) -> None:
    collector = IdleGarbageCollector(parent, interval_ms=10)
    assert not gc.isenabled()
    node = _Node()
    gone = weakref.ref(node)
    del node
    # Far more allocations than Python's first threshold: automatic collection would have run.
    kept = [[] for _ in range(gc.get_threshold()[0] * 3)]
    assert gone() is not None
    qtbot.waitUntil(lambda: gone() is None)
    del kept
    collector.stop()
    assert gc.isenabled()


def test_nothing_is_collected_before_a_threshold_is_passed(parent: QObject) -> None:
    collector = IdleGarbageCollector(parent)
    gc.collect()
    assert collector.collect_due() is None
    kept = [[] for _ in range(gc.get_threshold()[0] + 1)]
    assert collector.collect_due() == 0
    del kept
    collector.stop()


def test_stop_leaves_collection_off_when_it_was_off_before(parent: QObject) -> None:
    gc.disable()
    collector = IdleGarbageCollector(parent)
    collector.stop()
    assert not gc.isenabled()
