"""Python's cyclic garbage collection, moved from "whenever allocations pass a threshold" to the
GUI thread's event loop.

Left automatic, a collection starts in whichever thread happens to allocate at that moment: in the
middle of a calendar repaint (a full collection over the cached layouts takes 10–20 ms, a dropped
frame), or in the engine's or the intake's thread, where it may finalise Qt objects that belong to
the GUI thread. While the app runs, automatic collection is off; a timer looks at the allocation
counts a few times a second and collects the generations that are due, between two events.
Reference counting frees everything that is not in a cycle at once, as always.

The generations are collected when their counts pass Python's thresholds, without Python's extra
rule that puts off a full collection until the long-lived objects have grown by a quarter: a full
collection then runs about once a minute under steady allocation, between events.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 500


class IdleGarbageCollector(QObject):
    """Runs due garbage collections from the event loop; `stop()` hands collection back to Python."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int | None:
        """Collect the oldest generation whose count has passed its threshold, as Python would have;
        the generation collected, or None when nothing was due."""
        counts = gc.get_count()
        # A threshold of 0 never makes its generation due (Python 3.14's incremental collector has
        # no third threshold and reports 0 for it).
        due = [g for g in range(3) if self._thresholds[g] and counts[g] > self._thresholds[g]]
        if not due:
            return None
        generation = due[-1]
        gc.collect(generation)
        return generation

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
