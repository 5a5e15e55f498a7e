"""The Integrations page: where alerts come in (SPEC §2, §4).

Add an integration (Alertmanager, Grafana Alerting or a generic webhook), see and copy its full
intake URL, rotate its token, delete it, and send a test alert to the station's own intake. Every
change is an undoable command on the window's stack; the test alert runs off the GUI thread and says
what the station answered, or that no station is listening.

Signals:
    IntegrationsPage.test_alert_finished(object): a test alert's `SendOutcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QUndoCommand
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import INTEGRATION_KINDS, Configuration, Integration, IntegrationKind
from oncall_desktop.integrations import (
    KIND_LABELS,
    SendOutcome,
    heartbeat_url,
    integration_url,
    new_integration_id,
    send_test_alert,
)
from oncall_desktop.reach_validation import format_duration
from oncall_desktop.store import Store
from oncall_desktop.timeutil import format_instant
from oncall_desktop.views.commands import AddIntegration, DeleteIntegration, RotateIntegrationToken

_Index = QModelIndex | QPersistentModelIndex
ERROR_STYLE = "color: #c62828;"
OK_STYLE = "color: #2e7d32;"

SETUP_HINTS: dict[IntegrationKind, str] = {
    "alertmanager": (
        "In <code>alertmanager.yml</code>, add a receiver with <code>webhook_configs: [{url: URL, "
        "send_resolved: true}]</code> and route alerts to it."
    ),
    "grafana_alerting": (
        "In Grafana: Alerting ▸ Contact points ▸ Add contact point ▸ Webhook, with this URL "
        "(method POST); then use the contact point in a notification policy."
    ),
    "webhook": (
        "POST a JSON object to this URL: <code>title</code>, <code>message</code>, <code>severity</code> "
        "(P0–P4 or critical/warning/…), <code>tags</code>, <code>alert_uid</code> to group, "
        "<code>state: ok</code> to resolve."
    ),
}


class IntegrationsModel(QAbstractTableModel):
    """The integrations in their order: name, kind (by its label), full intake URL, heartbeat timeout."""

    COLUMNS = ("Name", "Kind", "Intake URL", "Heartbeat")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.integrations: list[Integration] = []
        self.urls: list[str] = []

    def set_integrations(self, integrations: Sequence[Integration], urls: Sequence[str]) -> None:
        self.beginResetModel()
        self.integrations = list(integrations)
        self.urls = list(urls)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.integrations)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.integrations):
            return None
        integration = self.integrations[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (
                integration.name,
                KIND_LABELS[integration.kind],
                self.urls[index.row()],
                heartbeat_label(integration),
            )[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return integration.id
        return None


def heartbeat_label(integration: Integration) -> str:
    timeout = integration.heartbeat_timeout
    return f"every {format_duration(timeout)}" if timeout is not None else "off"


class NewIntegrationDialog(QDialog):
    """Name and kind of a new integration; its id follows the name until edited. The core's
    validator names what is wrong under the field; OK stays disabled while anything is."""

    def __init__(self, config: Configuration, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New integration")
        self.config = config
        self.name = QLineEdit()
        self.name.setPlaceholderText("Prod Alertmanager")
        self.kind = QComboBox()
        for kind in INTEGRATION_KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.ident = QLineEdit()
        self.ident.setPlaceholderText("follows the name")
        self._id_edited = False
        self.ident.textEdited.connect(self._id_typed)
        self.name.textChanged.connect(self._name_changed)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Kind:", self.kind)
        form.addRow("ID:", self.ident)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())
        self.revalidate()

    def _id_typed(self, _text: str) -> None:
        self._id_edited = True
        self.revalidate()

    def _name_changed(self, name: str) -> None:
        if not self._id_edited:
            taken = [i.id for i in self.config.integrations]
            self.ident.setText(new_integration_id(name, taken) if name.strip() else "")
        self.revalidate()

    def integration(self) -> Integration:
        kind: IntegrationKind = self.kind.currentData()
        return Integration(self.ident.text().strip(), self.name.text().strip(), kind)

    def problems(self) -> list[str]:
        from oncall_desktop.validation import validate_configuration  # with the dialog, not the window

        integration = self.integration()

        index = len(self.config.integrations)
        config = Configuration(integrations=(*self.config.integrations, integration))
        prefix = f"integrations[{index}]"
        labels = {f"{prefix}.id": "ID", f"{prefix}.name": "Name", prefix: "ID"}
        return [
            f"{labels.get(p.path, p.path)}: {p.reason}"
            for p in validate_configuration(config)
            if p.level == "error" and (p.path == prefix or p.path.startswith(prefix + "."))
        ]

    def revalidate(self) -> None:
        found = self.problems() if self.name.text().strip() else ["Name: give the integration a name"]
        self.message.setText("\n".join(found))
        self.message.setVisible(bool(found) and bool(self.name.text().strip()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)


class _Outcome(QObject):
    finished = Signal(object)


class _SendTestAlert(QRunnable):
    def __init__(self, send: Callable[[], SendOutcome], outcome: _Outcome) -> None:
        super().__init__()
        self.send = send
        self.outcome = outcome

    def run(self) -> None:
        self.outcome.finished.emit(self.send())


class IntegrationsPage(QWidget):
    """Every integration with its intake URL, and what can be done with one."""

    test_alert_finished = Signal(object)

    def __init__(
        self,
        store: Store,
        push: Callable[[QUndoCommand], None],
        refresh: Callable[[], None],
        failed: Callable[[str], None],
        now: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.push = push
        self.refresh = refresh
        self.failed = failed
        self.now = now or (lambda: datetime.now(UTC))
        self.config = Configuration()
        self.confirm: Callable[[str, str], bool] = self._confirm
        self.new_integration: Callable[[], Integration | None] = self._ask_new_integration
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._outcome = _Outcome(self)
        self._outcome.finished.connect(self._test_alert_done)

        self.model = IntegrationsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.copy_url())

        self.add_button = QPushButton("Add integration…")
        self.add_button.clicked.connect(self.add_integration)
        self.rotate_button = QPushButton("Rotate token…")
        self.rotate_button.setToolTip("Give it a new secret token: the current URL stops working")
        self.rotate_button.clicked.connect(self.rotate_token)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete_integration)
        self.test_button = QPushButton("Send test alert")
        self.test_button.setToolTip("POST a test alert to the station's intake on its listen address")
        self.test_button.clicked.connect(self.send_test_alert)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.rotate_button, self.delete_button, self.test_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setPlaceholderText("Select an integration to see its intake URL")
        self.copy_button = QPushButton("Copy URL")
        self.copy_button.clicked.connect(self.copy_url)
        url_row = QHBoxLayout()
        url_row.addWidget(QLabel("Intake URL:"))
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.copy_button)
        self.heartbeat_url = QLineEdit()
        self.heartbeat_url.setReadOnly(True)
        self.heartbeat_url.setPlaceholderText("Select an integration to see its heartbeat URL")
        self.copy_heartbeat_button = QPushButton("Copy URL")
        self.copy_heartbeat_button.setObjectName("copy_heartbeat")
        self.copy_heartbeat_button.clicked.connect(self.copy_heartbeat_url)
        heartbeat_row = QHBoxLayout()
        heartbeat_row.addWidget(QLabel("Heartbeat URL:"))
        heartbeat_row.addWidget(self.heartbeat_url, 1)
        heartbeat_row.addWidget(self.copy_heartbeat_button)
        self.heartbeat = QLabel()
        self.heartbeat.setWordWrap(True)
        self.heartbeat.setTextFormat(Qt.TextFormat.RichText)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.reach = QLabel()
        self.reach.setWordWrap(True)
        self.reach.setStyleSheet("color: #555;")
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        intro = QLabel(
            "<b>Integrations</b> — where alerts come in. Give each alert source its own integration and "
            "point it at the integration's intake URL (the same shapes as Grafana OnCall's)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(url_row)
        layout.addWidget(self.hint)
        layout.addLayout(heartbeat_row)
        layout.addWidget(self.heartbeat)
        layout.addWidget(self.reach)
        layout.addWidget(self.status)
        self._selection_changed()

    # -- state ----------------------------------------------------------------------------------

    def set_configuration(self, config: Configuration) -> None:
        """Show `config`'s integrations (with the tokens the store holds); keeps the selection."""
        chosen = self.selected()
        self.config = config
        integrations = self.store.integrations()
        self.model.set_integrations(integrations, [self._url(i) for i in integrations])
        ids = [i.id for i in integrations]
        if chosen is not None and chosen.id in ids:
            self.table.selectRow(ids.index(chosen.id))
        station = config.settings.station
        self.reach.setText(
            f"These URLs use the public URL {station.public_url}."
            if station.public_url
            else f"No public URL is set (Settings ▸ Public URL), so these URLs work where "
            f"{station.listen} reaches the station."
        )
        self._selection_changed()

    def _url(self, integration: Integration) -> str:
        try:
            return integration_url(self.config.settings, integration)
        except ValueError as error:
            return f"(no URL: {error})"

    def _heartbeat_url(self, integration: Integration) -> str:
        try:
            return heartbeat_url(self.config.settings, integration)
        except ValueError as error:
            return f"(no URL: {error})"

    def _heartbeat_text(self, integration: Integration) -> str:
        timeout = integration.heartbeat_timeout
        if timeout is None:
            return (
                "No heartbeat is expected. To page when this source goes quiet, give the integration "
                "<code>heartbeat: {timeout: 10m}</code> in the config file and have the source call "
                "this URL more often than that (Alertmanager: route its Watchdog alert here)."
            )
        last = self.store.heartbeats.last_beats([integration.id]).get(integration.id)
        seen = f"last beat {format_instant(last)}" if last is not None else "no beat yet"
        return (
            f"Expects a heartbeat at least every <b>{format_duration(timeout)}</b>, else a P1 incident "
            f"“no heartbeat from {escape(integration.name)}” opens; the next beat resolves it ({seen})."
        )

    def selected(self) -> Integration | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.model.integrations):
            return None
        return self.model.integrations[rows[0].row()]

    def select(self, integration_id: str) -> None:
        ids = [i.id for i in self.model.integrations]
        if integration_id in ids:
            self.table.selectRow(ids.index(integration_id))

    def _selection_changed(self, *_args: object) -> None:
        chosen = self.selected()
        buttons = (self.rotate_button, self.delete_button, self.test_button, self.copy_button)
        for button in (*buttons, self.copy_heartbeat_button):
            button.setEnabled(chosen is not None)
        self.url.setText(self._url(chosen) if chosen else "")
        self.hint.setText(SETUP_HINTS[chosen.kind] if chosen else "")
        self.heartbeat_url.setText(self._heartbeat_url(chosen) if chosen else "")
        self.heartbeat.setText(self._heartbeat_text(chosen) if chosen else "")
        if self.pool.activeThreadCount():
            self.test_button.setEnabled(False)

    # -- actions --------------------------------------------------------------------------------

    def add_integration(self) -> None:
        integration = self.new_integration()
        if integration is None:
            return
        self.push(AddIntegration(self.store, integration, self.refresh, self.failed))
        self.select(integration.id)
        chosen = self.selected()
        if chosen is not None:
            self._say(f"Added {chosen.name}: give its source the intake URL below.", ok=True)

    def _ask_new_integration(self) -> Integration | None:
        dialog = NewIntegrationDialog(self.config, self)
        return dialog.integration() if dialog.exec() else None

    def copy_url(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        QGuiApplication.clipboard().setText(self._url(chosen))
        self._say(f"Copied the intake URL of {chosen.name} to the clipboard.", ok=True)

    def copy_heartbeat_url(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        QGuiApplication.clipboard().setText(self._heartbeat_url(chosen))
        self._say(f"Copied the heartbeat URL of {chosen.name} to the clipboard.", ok=True)

    def rotate_token(self) -> None:
        chosen = self.selected()
        if chosen is None or not self.confirm(
            "Rotate token",
            f"Give {chosen.name} a new token? Its current URL stops working at once: every alert "
            "source using it needs the new URL. (Edit ▸ Undo brings the old token back.)",
        ):
            return
        self.push(RotateIntegrationToken(self.store, chosen, self.refresh, self.failed))
        self._say(f"{chosen.name} has a new token: copy the new URL to its alert source.", ok=True)

    def delete_integration(self) -> None:
        chosen = self.selected()
        if chosen is None or not self.confirm(
            "Delete integration",
            f"Delete {chosen.name}? Alerts sent to its URL are refused from now on; its incidents stay. "
            "(Edit ▸ Undo brings it back with the same URL.)",
        ):
            return
        position = [i.id for i in self.model.integrations].index(chosen.id)
        self.push(DeleteIntegration(self.store, chosen, position, self.refresh, self.failed))
        self._say(f"Deleted {chosen.name}.", ok=True)

    def send_test_alert(self) -> None:
        chosen = self.selected()
        if chosen is None or not self.confirm(
            "Send test alert",
            f"Send a test alert to {chosen.name}? The station opens a real incident from it (severity "
            "info: P3 unless the integration maps it otherwise) and pages whoever is on call for it.",
        ):
            return
        settings = self.store.load_configuration().settings
        now = self.now()
        self._say(f"Sending a test alert to the station on {settings.station.listen}…", ok=None)
        self.test_button.setEnabled(False)
        self.pool.start(_SendTestAlert(lambda: send_test_alert(settings, chosen, now), self._outcome))

    def _test_alert_done(self, outcome: SendOutcome) -> None:
        self._say(outcome.message, ok=outcome.ok)
        self._selection_changed()
        self.test_alert_finished.emit(outcome)

    def _say(self, text: str, *, ok: bool | None) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("" if ok is None else OK_STYLE if ok else ERROR_STYLE)

    def _confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Wait for a test alert in flight (at most its time-out)."""
        self.pool.waitForDone()
