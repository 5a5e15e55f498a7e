"""The Reports tab's placeholder: QtCharts and the report itself load the first time the tab is shown,
so the calendar's first paint never waits for them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from oncall_desktop.domain import Configuration
from oncall_desktop.store import Store


class ReportsPage(QWidget):
    def __init__(
        self,
        store: Store,
        configuration: Callable[[], Configuration],
        now: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.configuration = configuration
        self.now = now
        self.view: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def ensure_view(self) -> QWidget:
        if self.view is None:
            from oncall_desktop.views.reports_view import ReportsView

            self.view = ReportsView(self.store, self.configuration, self.now)
            self._layout.addWidget(self.view)
            self.view.show()
        return self.view

    def refresh(self) -> None:
        """The configuration changed: a shown report is worked out again."""
        if self.view is not None:
            self.view.refresh()  # type: ignore[attr-defined]

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_view()
        super().showEvent(event)
