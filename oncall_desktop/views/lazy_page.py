"""A tab whose page is built the first time it is shown or asked for (SPEC §14).

The window's first paint then builds, and imports, only the calendar it shows: the Integrations,
Maintenance, Reports and My on-call pages (and what they import: QtCharts, the validator, urllib)
come when a user opens them, or when the program asks for them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazyPage(QWidget):
    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self.built: QWidget | None = None
        """The page, once it is built; None before."""
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def page(self) -> QWidget:
        """The page, built now if it was not."""
        if self.built is None:
            self.built = self._build()
            self._layout.addWidget(self.built)
            self.built.show()  # (built in our showEvent, it would miss the show of our children)

        return self.built

    def showEvent(self, event: QShowEvent) -> None:
        self.page()
        super().showEvent(event)
