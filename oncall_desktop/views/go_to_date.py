"""The calendar's title as a go-to-date control: click it (or Ctrl+G) for a small month calendar,
pick a day, and the calendar shows it.

Signals:
    DateButton.date_chosen(object): the `date` picked in the popup.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QCalendarWidget, QMenu, QToolButton, QWidget, QWidgetAction


class DateButton(QToolButton):
    """A flat, bold title that opens a month calendar under it."""

    date_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setStyleSheet(
            "QToolButton { font-weight: bold; font-size: 14pt; padding: 0 10px; }"
            "QToolButton::menu-indicator { image: none; width: 0; }"
        )
        self.setToolTip("Go to a date (Ctrl+G) · PageUp/PageDown: previous/next · Home: today")
        self.popup_calendar = QCalendarWidget()
        self.popup_calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.popup_calendar.setGridVisible(True)
        self.popup_calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.ISOWeekNumbers)
        self.popup_calendar.clicked.connect(self._picked)
        self.popup_calendar.activated.connect(self._picked)  # Enter on the keyboard
        self.popup = QMenu(self)
        action = QWidgetAction(self.popup)
        action.setDefaultWidget(self.popup_calendar)
        self.popup.addAction(action)
        self.popup.aboutToShow.connect(lambda: self.popup_calendar.setFocus())
        self.setMenu(self.popup)
        self._today: date | None = None

    def set_title(self, text: str, shown: date, today: date) -> None:
        """Show `text`; the popup opens on `shown` with `today` marked."""
        self.setText(f"{text} ▾")
        self.popup_calendar.setSelectedDate(QDate(shown.year, shown.month, shown.day))
        if today != self._today:
            bold = QTextCharFormat()
            bold.setFontWeight(700)
            bold.setFontUnderline(True)
            if self._today is not None:
                self.popup_calendar.setDateTextFormat(_qdate(self._today), QTextCharFormat())
            self.popup_calendar.setDateTextFormat(_qdate(today), bold)
            self._today = today

    def open_popup(self) -> None:
        self.showMenu()

    def _picked(self, value: QDate) -> None:
        self.popup.hide()
        self.date_chosen.emit(date(value.year(), value.month(), value.day()))


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)
