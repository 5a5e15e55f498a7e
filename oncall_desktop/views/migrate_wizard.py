"""File ▸ Import from Grafana OnCall / Opsgenie / PagerDuty (SPEC §11, issue 15): the API's URL and a
token, read off the GUI thread; then what will be created and what is not carried over, and one
undoable command that puts it in the store.

The token is used for that one read and never kept: the field is cleared as soon as the read starts
and nothing writes it anywhere. On a store that already holds a configuration, the import says that
it replaces it and asks before doing so. The station's settings (listen address, Twilio, SMTP) are
kept: the sources know nothing of them.

The read also compares the next four weeks with the source's own final schedule (SPEC §11's
`--verify`) and lists every difference with the rest.

Signals:
    fetched(object): the read finished, with a `Migration` or the reason it failed (a `str`).
    imported(str): the configuration was replaced; the text is for the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent, QUndoCommand
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.domain import Configuration
from oncall_desktop.migration.common import SOURCE_NAMES, SOURCES, Migration
from oncall_desktop.migration.http import MigrationError
from oncall_desktop.migration.sources import api_source, config_file, migrate
from oncall_desktop.migration.verify import Verification, verify
from oncall_desktop.store import Store
from oncall_desktop.views.commands import Failed, OverrideIds, Refresh, StoreCommand

URL_HINTS = {
    "grafana-oncall": "the API URL its settings page shows, e.g. https://oncall.example.com",
    "opsgenie": "https://api.opsgenie.com (or https://api.eu.opsgenie.com)",
    "pagerduty": "https://api.pagerduty.com",
}
DEFAULT_URLS = {
    "grafana-oncall": "",
    "opsgenie": "https://api.opsgenie.com",
    "pagerduty": "https://api.pagerduty.com",
}
ERROR_STYLE = "color: #c62828;"


class ImportConfiguration(StoreCommand):
    """Replace the stored configuration with an imported one; undo puts back what was there."""

    def __init__(
        self,
        store: Store,
        ids: OverrideIds,
        config: Configuration,
        source: str,
        refresh: Refresh,
        failed: Failed | None = None,
    ) -> None:
        super().__init__(f"Import from {SOURCE_NAMES[source]}", store, refresh, failed)
        self.ids = ids
        self.config = config
        self.snapshot: Configuration | None = None

    def apply(self) -> None:
        self.snapshot = self.store.load_configuration()
        self.store.replace_configuration(replace(self.config, settings=self.snapshot.settings))

    def revert(self) -> None:
        assert self.snapshot is not None
        self.store.replace_configuration(self.snapshot)
        # The overrides came back with fresh ids; earlier commands on the stack know the old ones.
        fresh = {(o.rule, o.person, o.start, o.end): o.id for o in self.store.load_configuration().overrides}
        for old in self.snapshot.overrides:
            now = fresh.get((old.rule, old.person, old.start, old.end))
            if old.id is not None and now is not None and now != old.id:
                self.ids.moved(old.id, now)


def replaced_items(config: Configuration) -> list[str]:
    """What an import would replace, in words ("3 rules", "5 people", …); empty for an empty store."""
    custom = [r for r in config.rules if not r.is_default]
    default = next((r for r in config.rules if r.is_default), None)
    counts = [
        (len(custom), "rule", "rules"),
        (len(config.people), "person", "people"),
        (len(config.teams), "team", "teams"),
        (len(config.overrides), "override", "overrides"),
        (len(config.integrations), "integration", "integrations"),
    ]
    found = [_count(n, one, many) for n, one, many in counts if n]
    if default is not None and default.has_personnel:
        found.append("the default rule's personnel")
    return found


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class _Outcome(QObject):
    finished = Signal(object)


@dataclass(frozen=True, slots=True)
class _Read:
    """What the read brought: the migration, and its check against the source's own schedule (or
    why that check could not be made)."""

    migration: Migration
    config: Configuration
    verification: Verification | None
    not_verified: str | None = None


def _read_source(key: str, url: str, token: str, now: datetime) -> _Read:
    """Read, map, write and read back (what `config apply` of the file would store), and compare
    that with the source's own schedule."""
    source = api_source(key, url, token)
    migration = migrate(key, source, now)
    _text, config = config_file(migration)
    try:
        return _Read(migration, config, verify(source, replace(migration, config=config), now))
    except MigrationError as error:
        return _Read(migration, config, None, str(error))


class _Fetch(QRunnable):
    def __init__(self, read: Callable[[], _Read], outcome: _Outcome) -> None:
        super().__init__()
        self.read = read
        self.outcome = outcome

    def run(self) -> None:
        try:
            result: _Read | str = self.read()
        except MigrationError as error:
            result = str(error)
        except Exception as error:  # never let a bad answer take the window down
            result = f"the answer could not be read ({type(error).__name__}: {error})"
        self.outcome.finished.emit(result)


class MigrateWizard(QDialog):
    """Two steps: where to read from, then what the import creates and leaves out."""

    fetched = Signal(object)
    imported = Signal(str)

    def __init__(
        self,
        store: Store,
        source: str,
        push: Callable[[QUndoCommand], None],
        ids: OverrideIds,
        refresh: Refresh,
        failed: Failed | None = None,
        now: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.push = push
        self.ids = ids
        self.refresh = refresh
        self.failed = failed
        self.now = now or (lambda: datetime.now(UTC))
        self.confirm: Callable[[str, str], bool] = self._confirm
        self.migration: Migration | None = None
        self.verification: Verification | None = None
        self.not_verified: str | None = None
        self.config: Configuration | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._outcome = _Outcome(self)
        self._outcome.finished.connect(self._fetched)
        self.setWindowTitle("Import configuration")
        self.setMinimumSize(720, 520)
        self.resize(920, 600)

        self.source = QComboBox()
        for key in SOURCES:
            self.source.addItem(SOURCE_NAMES[key], key)
        self.source.setCurrentIndex(SOURCES.index(source))
        self.url = QLineEdit()
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("used once for this import, never stored")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fetch_button = QPushButton("Read configuration")
        self.fetch_button.setDefault(True)
        self.fetch_button.clicked.connect(self.fetch)
        connect = QWidget()
        form = QFormLayout(connect)
        form.addRow("From", self.source)
        form.addRow("API URL", self.url)
        form.addRow("", self.hint)
        form.addRow("API token", self.token)
        note = QLabel(
            "The import reads people, teams, schedules with their layers and overrides, escalation "
            "chains and integrations. Nothing changes here until you confirm on the next step."
        )
        note.setWordWrap(True)
        form.addRow("", note)
        row = QHBoxLayout()
        row.addWidget(self.fetch_button)
        row.addStretch(1)
        form.addRow("", row)
        form.addRow("", self.status)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Item", "Details"])
        self.tree.setColumnWidth(0, 260)
        self.tree.setWordWrap(True)
        self.replace_warning = QLabel()
        self.replace_warning.setWordWrap(True)
        self.replace_warning.setStyleSheet("font-weight: bold;")
        review = QWidget()
        column = QVBoxLayout(review)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.summary)
        column.addWidget(self.tree, 1)
        column.addWidget(self.replace_warning)

        self.pages = QStackedWidget()
        self.pages.addWidget(connect)
        self.pages.addWidget(review)
        self.buttons = QDialogButtonBox()
        self.back_button = self.buttons.addButton("Back", QDialogButtonBox.ButtonRole.ResetRole)
        self.apply_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.back_button.clicked.connect(lambda: self._show_page(0))
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)
        self.source.currentIndexChanged.connect(self._source_changed)
        self._source_changed()
        self._show_page(0)
        # What is still missing has the focus: Grafana OnCall's URL is the user's own; the others'
        # are filled in, so the token comes first.
        (self.token if self.url.text() else self.url).setFocus()

    def source_key(self) -> str:
        key: str = self.source.currentData()
        return key

    def _source_changed(self, *_args: object) -> None:
        key = self.source_key()
        self.hint.setText(URL_HINTS[key])
        self.url.setPlaceholderText(URL_HINTS[key])
        if not self.url.text().strip() or self.url.text().strip() in DEFAULT_URLS.values():
            self.url.setText(DEFAULT_URLS[key])

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.back_button.setVisible(index == 1)
        self.apply_button.setVisible(index == 1)
        self.fetch_button.setDefault(index == 0)

    def fetch(self) -> None:
        """Read the source on the pool's thread; the token leaves the field as the read starts."""
        if self.pool.activeThreadCount():
            return
        key, url, token = self.source_key(), self.url.text().strip(), self.token.text().strip()
        if not url or not token:
            self._say("Give the API URL and a token.", error=True)
            return
        self.token.clear()
        self.fetch_button.setEnabled(False)
        self.source.setEnabled(False)
        self._say(f"Reading {SOURCE_NAMES[key]} at {url} …", error=False)
        now = self.now()

        self.pool.start(_Fetch(lambda: _read_source(key, url, token, now), self._outcome))

    def _fetched(self, found: _Read | str) -> None:
        self.fetch_button.setEnabled(True)
        self.source.setEnabled(True)
        if isinstance(found, str):
            self._say(f"Not read: {found}. Check the URL and the token, and try again.", error=True)
            self.fetched.emit(found)
            return
        result, config = found.migration, found.config
        self.migration, self.config = result, config
        self._say("", error=False)
        self.verification, self.not_verified = found.verification, found.not_verified
        self._fill_review(result, config)
        self._show_page(1)
        self.fetched.emit(result)

    def _say(self, text: str, error: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def _fill_review(self, migration: Migration, config: Configuration) -> None:
        report = migration.summary()
        name = SOURCE_NAMES[migration.source]
        counts = ", ".join(
            _count(report[key], one, many)
            for key, one, many in (
                ("people", "person", "people"),
                ("teams", "team", "teams"),
                ("rules", "rule", "rules"),
                ("overrides", "override", "overrides"),
                ("integrations", "integration", "integrations"),
            )
        )
        left_out = _count(len(migration.skipped), "item is", "items are")
        if self.verification is not None:
            checked = self.verification
            found = _count(len(checked.differences), "difference", "differences")
            verdict = f"{found} in {_count(checked.shifts, 'shift', 'shifts')}"
            if checked.differences:
                verdict += ", each listed below"
            check = f"Compared with {name}'s own schedule for the next four weeks: {verdict}."
        else:
            check = f"Not compared with {name}'s own schedule: {self.not_verified}."
        self.summary.setText(
            f"From {name}: {counts}. {left_out} not carried over (or only approximately), each "
            f"with its reason.\n{check}"
        )
        self.tree.clear()
        created = QTreeWidgetItem(self.tree, ["Will be created", ""])
        for person in config.people:
            reach = ", ".join(x for x in (person.email, person.phone) if x) or "no address"
            QTreeWidgetItem(created, [f"Person {person.name}", reach])
        for team in config.teams:
            QTreeWidgetItem(created, [f"Team {team.name}", ", ".join(team.members) or "no members"])
        for rule in config.rules:
            if rule.is_default:
                continue
            match = "; matches " + ", ".join(rule.match.conditions) if rule.match.conditions else ""
            layers = _count(len(rule.layers), "layer", "layers")
            ladder = _count(len(rule.escalation), "escalation level", "escalation levels")
            rule_item = QTreeWidgetItem(created, [f"Rule {rule.name}", f"{layers}; {ladder}{match}"])
            for layer in rule.layers:
                zone = layer.timezone or rule.timezone
                turns = f"{layer.rotation.period} turns" if layer.rotation else "together"
                people = ", ".join(dict.fromkeys(layer.personnel))
                QTreeWidgetItem(
                    rule_item, [f"Layer {layer.name or '(unnamed)'}", f"{zone}; {turns}: {people}"]
                )
        if config.overrides:
            QTreeWidgetItem(created, [_count(len(config.overrides), "override", "overrides"), ""])
        for integration in config.integrations:
            kept = "keeps its token and URL path" if integration.token else "gets a new URL"
            QTreeWidgetItem(created, [f"Integration {integration.name}", f"{integration.kind}; {kept}"])
        skipped = QTreeWidgetItem(self.tree, [f"Not carried over ({len(migration.skipped)})", ""])
        for item in migration.skipped:
            QTreeWidgetItem(skipped, [f"{item.kind} {item.id}", item.reason])
        if self.verification is not None and self.verification.differences:
            differences = self.verification.differences
            group = QTreeWidgetItem(
                self.tree, [f"Differences from {name}'s schedule ({len(differences)})", ""]
            )
            for difference in differences:
                QTreeWidgetItem(group, [difference.schedule, difference.describe(migration.source)])
        self.tree.expandAll()
        rows = QTreeWidgetItemIterator(self.tree)
        while rows.value():  # a detail too long for its column is read in full on hover
            rows.value().setToolTip(1, rows.value().text(1))
            rows += 1
        replaced = replaced_items(self.store.load_configuration())
        if replaced:
            self.replace_warning.setText(
                f"This replaces your configuration ({', '.join(replaced)}). Incidents and settings are kept; "
                "Edit ▸ Undo brings the configuration back."
            )
            self.apply_button.setText("Replace configuration…")
        else:
            self.replace_warning.setText("Edit ▸ Undo takes the import back.")
            self.apply_button.setText("Import")

    def apply(self) -> None:
        """One undoable command; on a store with a configuration, only after saying it replaces it."""
        if self.migration is None or self.config is None:
            return
        replaced = replaced_items(self.store.load_configuration())
        if replaced and not self.confirm(
            "Replace your configuration?",
            f"This replaces your configuration — {', '.join(replaced)} — with what was read from "
            f"{SOURCE_NAMES[self.migration.source]}. Incidents and settings are kept. Edit ▸ Undo brings "
            "the configuration back.",
        ):
            return
        command = ImportConfiguration(
            self.store, self.ids, self.config, self.migration.source, self.refresh, self.failed
        )
        self.push(command)
        if command.isObsolete():
            return
        report = self.migration.summary()
        self.imported.emit(
            f"Imported from {SOURCE_NAMES[self.migration.source]}: {report['people']} people, "
            f"{report['rules']} rules, {len(self.migration.skipped)} items not carried over "
            "(Edit ▸ Undo takes it back)"
        )
        self.accept()

    def _confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def done(self, result: int) -> None:
        self.pool.waitForDone()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.pool.waitForDone()
        super().closeEvent(event)
