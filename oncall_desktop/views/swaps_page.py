"""The "My on-call" tab: my coming shifts, and swap requests (SPEC §12).

Select one of your shifts and ask a colleague to take a span of it; requests asked of you wait here
for Accept or Decline (accepting puts the colleague on call for the span: an override); your own
pending requests can be withdrawn; every request's history stays listed. On a shared store another
desktop sees a request or an answer at its next poll (every change moves the configuration revision).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop import timeutil
from oncall_desktop.domain import Configuration, Interval
from oncall_desktop.planning import person_zone
from oncall_desktop.store import Store
from oncall_desktop.swaps import SwapRequest, shifts_of, swap_problem
from oncall_desktop.views.planning_commands import AnswerSwap, AskSwap

AHEAD = timedelta(weeks=6)
STATE_WORDS = {
    "pending": "waiting for an answer",
    "accepted": "accepted",
    "declined": "declined",
    "withdrawn": "withdrawn",
    "expired": "expired",
}


class SwapDialog(QDialog):
    """The span of the shift to hand over, the colleague, a note; checked as it is edited."""

    def __init__(
        self,
        config: Configuration,
        me: str,
        shift: Interval,
        now: datetime,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.config, self.me, self.shift, self.now = config, me, shift, now
        rule = config.rule(shift.rule)
        self.setWindowTitle(f"Ask a colleague to take {rule.name if rule else shift.rule}")
        self.tz = person_zone(config.person(me))
        self.start = QDateTimeEdit(
            _qdt(max(shift.start, now.replace(second=0, microsecond=0) + timedelta(minutes=1)))
        )
        self.end = QDateTimeEdit(_qdt(shift.end))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            edit.setTimeZone(QTimeZone(str(getattr(self.tz, "key", "UTC")).encode()))
            edit.dateTimeChanged.connect(lambda _v: self.check())
        self.colleague = QComboBox()
        candidates = [p for p in (rule and config.rule_people(rule)) or () if p != me]
        candidates += [p.id for p in config.people if p.id != me and p.id not in candidates]
        for pid in candidates:
            self.colleague.addItem(config.display_name(pid), pid)
        self.colleague.currentIndexChanged.connect(lambda _i: self.check())
        self.note = QLineEdit()
        self.note.setPlaceholderText("e.g. I'm travelling that day")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c0392b")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Ask")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        form.addRow("Colleague", self.colleague)
        form.addRow("Note", self.note)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.check()

    def request(self) -> SwapRequest:
        return SwapRequest(
            rule=self.shift.rule,
            requester=self.me,
            colleague=str(self.colleague.currentData() or ""),
            start=_instant(self.start.dateTime()),
            end=_instant(self.end.dateTime()),
            note=self.note.text().strip(),
        )

    def check(self) -> None:
        problem = swap_problem(self.config, self.request(), self.now)
        self.problem.setText(problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)


class SwapsPage(QWidget):
    def __init__(
        self,
        store: Store,
        push: Callable[[QUndoCommand], None],
        refresh: Callable[[], None],
        failed: Callable[[str], None],
        now: Callable[[], datetime],
        me: Callable[[], str | None],
        choose_me: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store, self.push, self.refresh_store, self.failed = store, push, refresh, failed
        self.now, self.me, self._choose_me = now, me, choose_me
        self.config = Configuration()
        self.ask_swap: Callable[[Interval], SwapRequest | None] = self._ask_swap
        self.ask_note: Callable[[SwapRequest], str | None] = self._ask_note

        self.title = QLabel()
        self.who_button = QPushButton("Who am I?…")
        self.who_button.clicked.connect(self.choose_me)
        self.shifts = QListWidget()
        self.ask_button = QPushButton("Ask a colleague to take it…")
        self.ask_button.clicked.connect(self.ask_selected)
        self.incoming = QListWidget()
        self.accept_button = QPushButton("Accept")
        self.decline_button = QPushButton("Decline")
        self.accept_button.clicked.connect(lambda: self.answer_selected("accept"))
        self.decline_button.clicked.connect(lambda: self.answer_selected("decline"))
        self.outgoing = QListWidget()
        self.withdraw_button = QPushButton("Withdraw")
        self.withdraw_button.clicked.connect(lambda: self.answer_selected("withdraw"))
        self.history = QListWidget()

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.who_button)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>My shifts</b> (the next six weeks)"), 0, 0)
        grid.addWidget(self.shifts, 1, 0)
        grid.addLayout(_row(self.ask_button), 2, 0)
        grid.addWidget(QLabel("<b>Asked of me</b>"), 0, 1)
        grid.addWidget(self.incoming, 1, 1)
        grid.addLayout(_row(self.accept_button, self.decline_button), 2, 1)
        grid.addWidget(QLabel("<b>My requests</b>"), 3, 0)
        grid.addWidget(self.outgoing, 4, 0)
        grid.addLayout(_row(self.withdraw_button), 5, 0)
        grid.addWidget(QLabel("<b>History</b>"), 3, 1)
        grid.addWidget(self.history, 4, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        for view in (self.shifts, self.incoming, self.outgoing):
            view.currentRowChanged.connect(lambda _r: self._enable())
        for view in (self.incoming, self.outgoing, self.history):
            view.setWordWrap(True)
        self._show()

    def set_configuration(self, config: Configuration) -> None:
        self.config = config
        self._show()

    def choose_me(self) -> None:
        self._choose_me()
        self._show()

    # -- showing ---------------------------------------------------------------------------------

    def _show(self) -> None:
        me = self.me()
        for view in (self.shifts, self.incoming, self.outgoing, self.history):
            view.clear()
        if me is None:
            self.title.setText("Choose who you are to see your shifts and swap requests.")
            self._enable()
            return
        person = self.config.person(me)
        tz = person_zone(person)
        self.title.setText(f"<b>{person.name if person else me}</b> — times in {getattr(tz, 'key', tz)}")
        now = self.now()
        self.store.swaps.expire(now)
        for shift in shifts_of(self.config, me, now, now + AHEAD):
            if shift.end <= now:
                continue
            rule = self.config.rule(shift.rule)
            item = QListWidgetItem(
                f"{rule.name if rule else shift.rule}: {_span(shift.start, shift.end, tz)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, shift)
            self.shifts.addItem(item)
        for request in self.store.swaps.requests(me):
            if request.open and request.colleague == me:
                self._add(self.incoming, request, tz, f"{self._name(request.requester)} asks you to take")
            elif request.open:
                self._add(self.outgoing, request, tz, f"You asked {self._name(request.colleague)} to take")
            else:
                self._add(self.history, request, tz, self._history_line(request, me))
        self._enable()

    def _name(self, pid: str) -> str:
        return self.config.display_name(pid)

    def _history_line(self, request: SwapRequest, me: str) -> str:
        asker = "You" if request.requester == me else self._name(request.requester)
        target = "you" if request.colleague == me else self._name(request.colleague)
        return f"{STATE_WORDS[request.state].capitalize()}: {asker} asked {target} to take"

    def _add(self, view: QListWidget, request: SwapRequest, tz: object, lead: str) -> None:
        rule = self.config.rule(request.rule)
        text = f"{lead} {rule.name if rule else request.rule}: {_span(request.start, request.end, tz)}"
        if request.note:
            text += f" — “{request.note}”"
        if request.answer:
            text += f" ({request.answer})"
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, request)
        view.addItem(item)

    def _enable(self) -> None:
        me = self.me() is not None
        self.ask_button.setEnabled(me and self.shifts.currentRow() >= 0)
        self.accept_button.setEnabled(me and self.incoming.currentRow() >= 0)
        self.decline_button.setEnabled(me and self.incoming.currentRow() >= 0)
        self.withdraw_button.setEnabled(me and self.outgoing.currentRow() >= 0)

    # -- edits -------------------------------------------------------------------------------------

    def _ask_swap(self, shift: Interval) -> SwapRequest | None:
        me = self.me()
        if me is None:
            return None
        dialog = SwapDialog(self.config, me, shift, self.now(), self)
        return dialog.request() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask_selected(self) -> None:
        me = self.me()
        if me is None or self.shifts.currentRow() < 0:
            return
        shift: Interval = self.shifts.currentItem().data(Qt.ItemDataRole.UserRole)
        request = self.ask_swap(shift)
        if request is None:
            return
        problem = swap_problem(self.config, request, self.now())
        if problem is not None:
            self.failed(problem)
            return
        self.push(AskSwap(self.store, request, self.now, self.refresh_store, self.failed))

    def answer_selected(self, answer: Literal["accept", "decline", "withdraw"]) -> None:
        me = self.me()
        view = self.outgoing if answer == "withdraw" else self.incoming
        if me is None or view.currentRow() < 0:
            return
        request: SwapRequest = view.currentItem().data(Qt.ItemDataRole.UserRole)
        note = ""
        if answer == "decline":
            asked = self.ask_note(request)
            if asked is None:
                return
            note = asked
        self.push(
            AnswerSwap(self.store, request, answer, me, self.now, self.refresh_store, self.failed, note)
        )

    def _ask_note(self, request: SwapRequest) -> str | None:
        text, ok = QInputDialog.getText(
            self, "Decline swap", f"A note for {self._name(request.requester)} (optional):"
        )
        return text.strip() if ok else None


def _row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def _span(start: datetime, end: datetime, tz: object) -> str:
    lo, hi = start.astimezone(tz), end.astimezone(tz)  # type: ignore[arg-type]
    same = lo.date() == hi.date()
    return f"{lo:%a %-d %b %H:%M} – {hi:%H:%M}" if same else f"{lo:%a %-d %b %H:%M} – {hi:%a %-d %b %H:%M}"


def _qdt(instant: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(instant.timestamp() * 1000))


def _instant(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, tz=timeutil.zone("UTC"))
