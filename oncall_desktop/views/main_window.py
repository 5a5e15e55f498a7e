"""The main window: rules and roster on the left, the calendar on the right, editing with undo.

Other features plug in through `add_page`, the menus (`file_menu`, `edit_menu`, `view_menu`,
`rules_menu`, `help_menu`) and the one `undo_stack`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QPoint, QRectF, QSettings, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from oncall_desktop.demo import demo_configuration
from oncall_desktop.domain import DEFAULT_RULE_ID, Configuration, OnCallRule, Override, Person, Team
from oncall_desktop.store import Store
from oncall_desktop.summaries import override_made
from oncall_desktop.views.calendar_model import LOCAL_ZONE, VIEW_MODES, Block, CalendarModel, ViewMode
from oncall_desktop.views.calendar_widget import CalendarWidget
from oncall_desktop.views.commands import (
    AddOverride,
    ChangeOverride,
    Delete,
    DeleteOverride,
    OverrideIds,
    Save,
)
from oncall_desktop.views.details import DetailsPanel
from oncall_desktop.views.go_to_date import DateButton
from oncall_desktop.views.lazy_page import LazyPage
from oncall_desktop.views.models import ID_ROLE, PeopleTableModel, RosterModel, RuleListModel, TeamListModel
from oncall_desktop.views.time_off_panel import TimeOffPanel
from oncall_desktop.views.zone_picker import ZonePicker

if TYPE_CHECKING:
    from oncall_desktop.views.integrations_view import IntegrationsPage
    from oncall_desktop.views.maintenance_view import MaintenancePage
    from oncall_desktop.views.reports_view import ReportsView
    from oncall_desktop.views.rule_editor import RuleEditorDialog
    from oncall_desktop.views.swaps_page import SwapsPage

REVISION_POLL_MS = 3000
IMPORT_SOURCES = (("grafana-oncall", "Grafana OnCall"), ("opsgenie", "Opsgenie"), ("pagerduty", "PagerDuty"))
"""File ▸ Import from …: each source's id (`oncall_desktop.migration`, loaded on first use) and name."""


def is_empty(config: Configuration) -> bool:
    """No people and no custom rules: what a fresh store looks like."""
    return not config.people and all(rule.is_default for rule in config.rules)


class MainWindow(QMainWindow):
    """The on-call calendar and everything that edits what it shows.

    Signals:
        zone_changed(object): the calendar now shows this `ZoneInfo`; other pages follow it.
    """

    zone_changed = Signal(object)

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], datetime] | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.now = now or (lambda: datetime.now(UTC))
        self.settings: QSettings = settings or QSettings()
        self.setWindowTitle("oncall-desktop")
        self.undo_stack = QUndoStack(self)
        # Commands pushed by other editors (the ladder editor) change the store without telling us.
        # (A method, not a lambda: Qt drops the connection when the window goes, so clearing the
        # stack as it is destroyed asks nothing of a store that may be closed by then.)
        self.undo_stack.indexChanged.connect(self._undo_index_changed)
        self.override_ids = OverrideIds()
        self.config = Configuration()
        self.revision = -1
        self.ask_person: Callable[[str, datetime, datetime], str | None] = self._ask_person

        self.calendar_model = CalendarModel(now=self.now, parent=self)
        self.calendar = CalendarWidget(self.calendar_model)
        self.details = DetailsPanel()
        self.details.float_over(self.calendar)
        self.rule_model = RuleListModel(self)
        self.roster_model = RosterModel(self)
        self.people_model = PeopleTableModel(self)
        self.team_model = TeamListModel(self)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.tabs.addTab(self._calendar_page(), "Calendar")
        self.tabs.addTab(self._people_page(), "People && teams")
        # Built when first shown or asked for (the properties below), not for the first paint.
        self._integrations = LazyPage(self._new_integrations_page)
        self.tabs.addTab(self._integrations, "Integrations")
        self._maintenance = LazyPage(self._new_maintenance_page)
        self.tabs.addTab(self._maintenance, "Maintenance")
        self._reports = LazyPage(self._new_reports_page)
        self.tabs.addTab(self._reports, "Reports")
        self._swaps = LazyPage(self._new_swaps_page)
        self.tabs.addTab(self._swaps, "My on-call")
        self._build_toolbar()
        self._build_menus()

        self.calendar.block_selected.connect(self._block_selected)
        self.calendar.override_requested.connect(self._override_requested)
        self.calendar.override_changed.connect(self.change_override)
        self.calendar.override_delete_requested.connect(self.delete_override)
        self.details.delete_requested.connect(self.delete_override)
        self.details.closed.connect(lambda: self.calendar.select(None))
        self.calendar_model.changed.connect(self._model_changed)
        self.rule_model.visibility_changed.connect(
            lambda: self.calendar_model.set_hidden_rules(self.rule_model.hidden)
        )

        # The zone in force stays on the right; the left says what the last action did.
        self.zone_status = QLabel()
        self.statusBar().addPermanentWidget(self.zone_status)
        self.statusBar().showMessage(
            "Drag a person from the roster onto the calendar, or drag across a free span, to add an override"
        )
        self._restore_settings()
        self.reload()
        if str(self.settings.value("calendar/mine") or "false") == "true" and self.me() is not None:
            self.mine_action.setChecked(True)
        self._poll = QTimer(self)
        self._poll.setInterval(REVISION_POLL_MS)
        self._poll.timeout.connect(self._poll_revision)
        self._poll.start()

    # -- the pages built on first use ------------------------------------------------------------

    @property
    def integrations_page(self) -> IntegrationsPage:
        return cast("IntegrationsPage", self._integrations.page())

    @property
    def maintenance_page(self) -> MaintenancePage:
        return cast("MaintenancePage", self._maintenance.page())

    @property
    def reports_page(self) -> ReportsView:
        return cast("ReportsView", self._reports.page())

    @property
    def swaps_page(self) -> SwapsPage:
        return cast("SwapsPage", self._swaps.page())

    def _new_integrations_page(self) -> QWidget:
        from oncall_desktop.views.integrations_view import IntegrationsPage

        page = IntegrationsPage(self.store, self._push, self.reload, self._failed, now=self.now)
        page.set_configuration(self.config)
        return page

    def _new_maintenance_page(self) -> QWidget:
        from oncall_desktop.views.maintenance_view import MaintenancePage

        page = MaintenancePage(self.store, self._push, self.reload, self._failed, now=self.now)
        page.set_configuration(self.config)
        return page

    def _new_reports_page(self) -> QWidget:
        from oncall_desktop.views.reports_view import ReportsView

        return ReportsView(self.store, lambda: self.config, self.now)

    def _new_swaps_page(self) -> QWidget:
        from oncall_desktop.views.swaps_page import SwapsPage

        page = SwapsPage(self.store, self._push, self.reload, self._failed, self.now, self.me, self.choose_me)
        page.set_configuration(self.config)
        return page

    def show_tab(self, title: str) -> None:
        """Bring the tab called `title` ("Integrations", "Reports", …) to the front."""
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index).replace("&&", "&") == title:
                self.tabs.setCurrentIndex(index)
                return
        raise KeyError(title)

    def _refresh_pages(self) -> None:
        """The configuration changed: the pages built so far show it."""
        if self._integrations.built is not None:
            self.integrations_page.set_configuration(self.config)
        if self._maintenance.built is not None:
            self.maintenance_page.set_configuration(self.config)
        if self._reports.built is not None:
            self.reports_page.refresh()
        if self._swaps.built is not None:
            self.swaps_page.set_configuration(self.config)

    # -- building --------------------------------------------------------------------------------

    def _calendar_page(self) -> QWidget:
        self.rule_list = QListView()
        self.rule_list.setModel(self.rule_model)
        self.rule_list.setAlternatingRowColors(True)
        self.rule_list.setWordWrap(True)
        self.rule_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.rule_list.customContextMenuRequested.connect(self._rule_context_menu)
        self.rule_list.doubleClicked.connect(lambda _index: self.edit_rule(self.current_rule_id()))
        self.rule_list.selectionModel().currentChanged.connect(self._rule_changed)
        buttons = QHBoxLayout()
        self.new_rule_button = QPushButton("New…")
        self.edit_rule_button = QPushButton("Edit…")
        self.ladder_button = QPushButton("Edit escalation ladder…")
        self.delete_rule_button = QPushButton("Delete")
        self.new_rule_button.clicked.connect(lambda: self.edit_rule(None))
        self.edit_rule_button.clicked.connect(lambda: self.edit_rule(self.current_rule_id()))
        self.ladder_button.clicked.connect(lambda: self.edit_ladder(self.current_rule_id()))
        self.delete_rule_button.clicked.connect(lambda: self.delete_rule(self.current_rule_id()))
        for button in (
            self.new_rule_button,
            self.edit_rule_button,
            self.ladder_button,
            self.delete_rule_button,
        ):
            buttons.addWidget(button)
        self.roster = QListView()
        self.roster.setModel(self.roster_model)
        self.roster.setDragEnabled(True)
        self.roster.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.roster.setToolTip("Drag a person onto the calendar to put them on call there")
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(QLabel("<b>On-call rules</b> (untick to hide on the calendar)"))
        column.addWidget(self.rule_list, 3)
        column.addLayout(buttons)
        column.addWidget(QLabel("<b>Roster</b> — drag a person onto the calendar for an override"))
        column.addWidget(self.roster, 2)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.calendar)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([340, 1060])
        return self.splitter

    def _people_page(self) -> QWidget:
        self.people_table = QTableView()
        self.people_table.setModel(self.people_model)
        self.people_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.people_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.people_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.people_table.doubleClicked.connect(
            lambda _index: self.edit_person(self._current(self.people_table))
        )
        self.team_list = QListView()
        self.team_list.setModel(self.team_model)
        self.team_list.doubleClicked.connect(lambda _index: self.edit_team(self._current(self.team_list)))
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("<b>People</b>"))
        layout.addWidget(self.people_table, 3)
        layout.addLayout(
            self._buttons(
                ("Add person…", lambda: self.edit_person(None)),
                ("Edit person…", lambda: self.edit_person(self._current(self.people_table))),
                ("Delete person", lambda: self._delete("person", self._current(self.people_table))),
                ("Export shifts…", lambda: self.export_ical(self._current(self.people_table))),
            )
        )
        layout.addWidget(QLabel("<b>Teams</b>"))
        layout.addWidget(self.team_list, 1)
        layout.addLayout(
            self._buttons(
                ("Add team…", lambda: self.edit_team(None)),
                ("Edit team…", lambda: self.edit_team(self._current(self.team_list))),
                ("Delete team", lambda: self._delete("team", self._current(self.team_list))),
            )
        )
        self.time_off_panel = TimeOffPanel(
            self.store, self.override_ids, self._push, self.reload, self._failed, self.now
        )
        self.people_table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self.time_off_panel.set_person(self._current(self.people_table))
        )
        beside = QSplitter()
        beside.addWidget(page)
        beside.addWidget(self.time_off_panel)
        beside.setStretchFactor(0, 1)
        beside.setSizes([760, 640])
        return beside

    @staticmethod
    def _buttons(*specs: tuple[str, Callable[[], object]]) -> QHBoxLayout:
        row = QHBoxLayout()
        for text, slot in specs:
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        return row

    @staticmethod
    def _current(view: QAbstractItemView) -> str | None:
        index = view.currentIndex()
        return index.siblingAtColumn(0).data(ID_ROLE) if index.isValid() else None

    def _build_toolbar(self) -> None:
        bar = QToolBar("Calendar")
        bar.setObjectName("calendar-toolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Time zone: "))
        self.zone_picker = ZonePicker()
        self.zone_picker.zone_chosen.connect(self.set_zone)
        bar.addWidget(self.zone_picker)
        bar.addSeparator()
        self.today_action = bar.addAction("Today", self.calendar_model.go_today)
        self.previous_action = bar.addAction("◀", lambda: self.calendar_model.step(-1))
        self.next_action = bar.addAction("▶", lambda: self.calendar_model.step(1))
        self.today_action.setShortcut(QKeySequence("Ctrl+T"))
        self.previous_action.setShortcut(QKeySequence("Alt+Left"))
        self.next_action.setShortcut(QKeySequence("Alt+Right"))
        # On the calendar itself PageUp, PageDown and Home do the same (CalendarWidget.keyPressEvent).
        self.today_action.setToolTip("Today (Home on the calendar, Ctrl+T)")
        self.previous_action.setToolTip("Previous (PageUp on the calendar, Alt+Left)")
        self.next_action.setToolTip("Next (PageDown on the calendar, Alt+Right)")
        self.title_button = DateButton()
        self.title_button.setMinimumWidth(220)
        self.title_button.date_chosen.connect(self.go_to_date)
        bar.addWidget(self.title_button)
        self.go_to_date_action = QAction("Go to date…", self)
        self.go_to_date_action.setShortcut(QKeySequence("Ctrl+G"))
        self.go_to_date_action.triggered.connect(self.title_button.open_popup)
        self.addAction(self.go_to_date_action)
        bar.addSeparator()
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[str, QAction] = {}
        for i, mode in enumerate(VIEW_MODES):
            action = bar.addAction(mode.capitalize())
            action.setCheckable(True)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _checked=False, m=mode: self.calendar_model.set_mode(m))
            self.mode_group.addAction(action)
            self.mode_actions[mode] = action
        bar.addSeparator()
        self.mine_action = bar.addAction("My on-call")
        self.mine_action.setCheckable(True)
        self.mine_action.setToolTip("Show only my shifts (who I am: View ▸ Who am I…); off: all on-call")
        self.mine_action.toggled.connect(self.set_mine)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        self.file_menu = menu.addMenu("&File")
        self.edit_menu = menu.addMenu("&Edit")
        self.view_menu = menu.addMenu("&View")
        self.rules_menu = menu.addMenu("&Rules")
        self.help_menu = menu.addMenu("&Help")
        self.file_menu.addAction("Export shifts to iCal…", lambda: self.export_ical(None))
        self.file_menu.addAction("Import shifts from iCal…", self.import_ical)
        self.file_menu.addAction("Calendar feeds…", self.manage_feeds)
        self.file_menu.addSeparator()
        for source, label in IMPORT_SOURCES:
            self.file_menu.addAction(f"Import from {label}…", partial(self.import_from, source))
        self.file_menu.addSeparator()
        self.file_menu.addAction("Settings…", self.open_settings)
        self.file_menu.addSeparator()
        # The station (when installed) reconnects this to its own Quit, which also stops paging.
        self.quit_action = self.file_menu.addAction("Quit", self.close)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self.edit_menu.addSeparator()
        self.edit_menu.addAction("Delete selected override (Del)", self._delete_selected)
        for action in (self.today_action, self.previous_action, self.next_action, self.go_to_date_action):
            self.view_menu.addAction(action)
        self.view_menu.addSeparator()
        for action in self.mode_actions.values():
            self.view_menu.addAction(action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.mine_action)
        self.view_menu.addAction("Who am I…", self.choose_me)
        self.rules_menu.addAction("New rule…", lambda: self.edit_rule(None))
        self.rules_menu.addAction("Edit rule…", lambda: self.edit_rule(self.current_rule_id()))
        self.rules_menu.addAction("Edit escalation ladder…", lambda: self.edit_ladder(self.current_rule_id()))
        self.rules_menu.addAction("Delete rule", lambda: self.delete_rule(self.current_rule_id()))
        self.help_menu.addAction(
            "About",
            lambda: QMessageBox.about(
                self, "oncall-desktop", "On-call schedule planning and paging.\nEvery time is stored in UTC."
            ),
        )

    # The dialogs are imported when first opened: iCal, the keyring, Twilio and the phone number
    # rules they need would otherwise load before the calendar's first paint.

    def open_settings(self) -> None:
        from oncall_desktop.views.settings_dialog import open_settings

        open_settings(self.store, self)

    def export_ical(self, person_id: str | None) -> None:
        """File → Export, or one person's shifts from the people list."""
        from oncall_desktop.views.ical_dialogs import ExportDialog

        ExportDialog(self.store, self, person=person_id, zone_name=self.calendar_model.tz.key).exec()

    def import_ical(self) -> None:
        # The rule is chosen in the dialog itself, never taken from whichever rule is selected here.
        from oncall_desktop.views.ical_dialogs import ImportDialog

        dialog = ImportDialog(
            self.store, self, undo_stack=self.undo_stack, override_ids=self.override_ids, refresh=self.reload
        )
        dialog.overrides_imported.connect(
            lambda count: self.statusBar().showMessage(
                f"Imported {count} override{'s' if count != 1 else ''} (Edit ▸ Undo takes them back)"
            )
        )
        dialog.exec()

    def import_from(self, source: str) -> None:
        """File ▸ Import from Grafana OnCall / Opsgenie / PagerDuty (SPEC §11)."""
        from oncall_desktop.views.migrate_wizard import MigrateWizard

        wizard = MigrateWizard(
            self.store, source, self._push, self.override_ids, self.reload, self._failed, self.now, self
        )
        wizard.imported.connect(self.statusBar().showMessage)
        wizard.exec()

    def manage_feeds(self) -> None:
        from oncall_desktop.views.ical_dialogs import FeedsDialog

        FeedsDialog(self.store, self, zone_name=self.calendar_model.tz.key).exec()

    def add_page(self, widget: QWidget, title: str) -> int:
        """Add a page (incidents, settings, …) next to the calendar; returns its tab index."""
        return self.tabs.addTab(widget, title)

    # -- state -----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the configuration again and refresh every model (keeps the selected rule)."""
        selected = self.current_rule_id()
        self.config = self.store.load_configuration()
        self.revision = self.store.revision()
        self.rule_model.set_configuration(self.config)
        self.roster_model.set_people(self.config.people)
        self.people_model.set_people(self.config.people)
        self.team_model.set_configuration(self.config)
        self._refresh_pages()
        self.time_off_panel.set_configuration(self.config)
        self.calendar_model.set_hidden_rules(self.rule_model.hidden)
        self.calendar_model.set_configuration(self.config, self.revision)
        row = self.rule_model.row_of(selected) if selected else -1
        self.rule_list.setCurrentIndex(self.rule_model.index(max(row, 0), 0))
        self._update_actions()

    def _undo_index_changed(self, _index: int) -> None:
        self._poll_revision()

    def _poll_revision(self) -> None:
        """Pick up edits made elsewhere (the CLI, another station on the same database)."""
        if self.revision >= 0 and self.store.revision() != self.revision:
            self.reload()

    def go_to_date(self, day: date) -> None:
        """Show the month, week or day holding `day` (in the calendar's zone)."""
        self.calendar_model.set_anchor(day)
        self.calendar.setFocus()

    def _model_changed(self) -> None:
        model = self.calendar_model
        self.title_button.set_title(model.title(), model.anchor, model.now().astimezone(model.tz).date())
        self.mode_actions[model.mode].setChecked(True)
        now = model.now().astimezone(model.tz)
        self.zone_status.setText(f"Times shown in {model.tz.key} (now {now:%H:%M %Z}, UTC{now:%z})")

    def _update_actions(self) -> None:
        rule_id = self.current_rule_id()
        custom = rule_id is not None and rule_id != DEFAULT_RULE_ID
        self.delete_rule_button.setEnabled(custom)
        self.ladder_button.setEnabled(rule_id is not None)
        self.edit_rule_button.setEnabled(rule_id is not None)

    def current_rule_id(self) -> str | None:
        index = self.rule_list.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def _rule_changed(self, *_args: object) -> None:
        self._update_actions()

    def set_zone(self, choice: str) -> None:
        before = self.calendar_model.tz
        self.calendar_model.set_zone(choice)
        if self.calendar_model.tz != before:
            self.zone_changed.emit(self.calendar_model.tz)
        self.zone_picker.set_zone(choice)
        recent = [choice, *[z for z in self.zone_picker.recent if z != choice]]
        self.zone_picker.set_recent(recent)
        self.calendar.recent_zones = [z for z in self.zone_picker.recent if z != LOCAL_ZONE]

    def set_mine(self, mine: bool) -> None:
        me = self.me()
        if mine and me is None:
            me = self.choose_me()
            if me is None:
                self.mine_action.setChecked(False)
                return
        self.calendar_model.set_person_filter(me if mine else None)

    def me(self) -> str | None:
        value = self.settings.value("me")
        return str(value) if value and self.config.person(str(value)) else None

    def choose_me(self) -> str | None:
        """Ask who "I" am (the "My on-call" filter); remembered in the settings."""
        people = list(self.config.people)
        if not people:
            return None
        names = [f"{p.name} ({p.id})" for p in people]
        current = next((i for i, p in enumerate(people) if p.id == self.me()), 0)
        name, ok = QInputDialog.getItem(
            self, "Who am I?", "The calendar's “My on-call” shows:", names, current, False
        )
        if not ok:
            return None
        me = people[names.index(name)].id
        self.settings.setValue("me", me)
        if self.mine_action.isChecked():
            self.calendar_model.set_person_filter(me)
        return me

    # -- overrides -------------------------------------------------------------------------------

    def _failed(self, reason: str) -> None:
        QMessageBox.warning(self, "Not saved", reason)

    def _push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    def _ask_person(self, rule_id: str, start: datetime, end: datetime) -> str | None:
        people = list(self.config.people)
        if not people:
            return None
        tz = self.calendar_model.tz
        rule = self.config.rule(rule_id)
        names = [p.name for p in people]
        name, ok = QInputDialog.getItem(
            self,
            "New override",
            f"Who is on call for {rule.name if rule else rule_id}\n"
            f"{start.astimezone(tz):%a %-d %b %H:%M} – {end.astimezone(tz):%a %-d %b %H:%M} ({tz.key})?",
            names,
            0,
            False,
        )
        return people[names.index(name)].id if ok else None

    def _override_requested(self, rule_id: str, person_id: str, start: datetime, end: datetime) -> None:
        if not person_id:
            chosen = self.ask_person(rule_id, start, end)
            if chosen is None:
                return
            person_id = chosen
        self.add_override(Override(rule_id, person_id, start, end))

    def add_override(self, override: Override) -> None:
        rule = self.config.rule(override.rule)
        if rule is None or self.config.person(override.person) is None:
            return
        if not rule.has_personnel:
            self.statusBar().showMessage(
                f"{rule.name} has no personnel: an override there would change nothing"
            )
            return
        command = AddOverride(self.store, self.override_ids, override, self.reload, self._failed)
        self._push(command)
        if not command.isObsolete():
            self.statusBar().showMessage(override_made(self.config, override, self.calendar_model.tz))

    def change_override(self, override: Override, start: datetime, end: datetime) -> None:
        self._push(
            ChangeOverride(
                self.store,
                self.override_ids,
                override,
                replace(override, start=start, end=end),
                self.reload,
                self._failed,
            )
        )

    def delete_override(self, override: Override) -> None:
        self._push(DeleteOverride(self.store, self.override_ids, override, self.reload, self._failed))
        self.details.hide()

    def _delete_selected(self) -> None:
        block = self.calendar.selected
        if block is not None and block.override is not None:
            self.delete_override(block.override)

    def _block_selected(self, block: Block | None) -> None:
        rects = self.calendar.span_rects(block.rule, block.start, block.end) if block else []
        beside = rects[0].united(rects[-1]) if rects else None
        clicked = self.calendar.clicked_at
        if clicked is not None:
            beside = QRectF(clicked, QSizeF(1, 1))  # keep clear of where the user is looking
        self.details.show_block(block, self.calendar_model, beside)

    # -- rules, people, teams --------------------------------------------------------------------

    def _rule_context_menu(self, pos: QPoint) -> None:
        index = self.rule_list.indexAt(pos)
        if not index.isValid():
            return
        rule_id = index.data(ID_ROLE)
        menu = QMenu(self)
        menu.addAction("Edit rule…", lambda: self.edit_rule(rule_id))
        menu.addAction("Edit escalation ladder…", lambda: self.edit_ladder(rule_id))
        delete = menu.addAction("Delete rule", lambda: self.delete_rule(rule_id))
        delete.setEnabled(rule_id != DEFAULT_RULE_ID)
        menu.exec(self.rule_list.viewport().mapToGlobal(pos))

    def edit_rule(self, rule_id: str | None) -> RuleEditorDialog:
        """Open the rule editor (a new rule for None); Save stores the rule as one undoable step."""
        from oncall_desktop.views.rule_editor import RuleEditorDialog

        before = self.config.rule(rule_id) if rule_id else None
        dialog = RuleEditorDialog(self.config, before, self, now=self.now)
        dialog.accepted.connect(lambda: self.save_rule(before, dialog.rule()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def save_rule(self, before: OnCallRule | None, after: OnCallRule) -> None:
        if before != after:
            self._push(Save(self.store, before, after, self.reload, self._failed))
            self.statusBar().showMessage(
                f"{'Added' if before is None else 'Saved'} rule {after.name} (Ctrl+Z undoes it)"
            )

    def edit_ladder(self, rule_id: str | None) -> None:
        if rule_id is None:
            return
        from oncall_desktop.views.ladder_editor import LadderEditorDialog

        LadderEditorDialog(
            self.store, rule_id, undo_stack=self.undo_stack, parent=self, failed=self._failed
        ).exec()
        self.reload()

    def delete_rule(self, rule_id: str | None) -> None:
        if rule_id is None or rule_id == DEFAULT_RULE_ID:
            return
        self._delete("rule", rule_id)

    def _delete(self, kind: str, item_id: str | None) -> None:
        if item_id:
            self._push(Delete(self.store, self.override_ids, kind, item_id, self.reload, self._failed))

    def edit_person(self, person_id: str | None) -> None:
        from oncall_desktop.views.editors import PersonEditorDialog

        before = self.config.person(person_id) if person_id else None
        dialog = PersonEditorDialog(self.config, before, self)
        accepted = dialog.exec()
        dialog.chat.shutdown()
        if accepted:
            self.save_person(before, dialog.person(), dialog.chat_urls())

    def save_person(self, before: Person | None, after: Person, chat: tuple[str, str] | None = None) -> None:
        if chat is not None:
            from oncall_desktop.views.person_chat import SavePersonChat

            self._push(SavePersonChat(self.store, before, after, chat, self.reload, self._failed))
        elif before != after:
            self._push(Save(self.store, before, after, self.reload, self._failed))

    def edit_team(self, team_id: str | None) -> None:
        from oncall_desktop.views.editors import TeamEditorDialog

        before = self.config.team(team_id) if team_id else None
        dialog = TeamEditorDialog(self.config, before, self)
        if dialog.exec():
            self.save_team(before, dialog.team())

    def save_team(self, before: Team | None, after: Team) -> None:
        if before != after:
            self._push(Save(self.store, before, after, self.reload, self._failed))

    # -- first run -------------------------------------------------------------------------------

    def offer_demo(self, ask: Callable[[], bool] | None = None) -> bool:
        """On an empty store, offer the demo team; True when it was loaded."""
        if not is_empty(self.store.load_configuration()):
            return False
        if not (ask or self._ask_demo)():
            return False
        self.store.replace_configuration(demo_configuration(self.now()))
        self.reload()
        return True

    def _ask_demo(self) -> bool:
        box = QMessageBox(self)
        box.setWindowTitle("Welcome to oncall-desktop")
        box.setText("There is nobody here yet.")
        box.setInformativeText(
            "Load a demo team of 8 on three continents with 4 on-call rules to look around, "
            "or start with an empty configuration."
        )
        load = box.addButton("Load demo team", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Start empty", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is load

    # -- settings --------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        recent = s.value("calendar/recent_zones") or []
        self.zone_picker.set_recent([str(z) for z in (recent if isinstance(recent, list) else [recent])])
        self.calendar.recent_zones = [z for z in self.zone_picker.recent if z != LOCAL_ZONE]
        zone_choice = str(s.value("calendar/zone") or LOCAL_ZONE)
        if not self.zone_picker.is_valid(zone_choice):
            zone_choice = LOCAL_ZONE
        self.calendar_model.set_zone(zone_choice)
        self.zone_picker.set_zone(zone_choice)
        self.calendar_model.set_mode(view_mode(str(s.value("calendar/mode") or "month")))
        self.calendar_model.go_today()
        self._model_changed()

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("calendar/zone", self.calendar_model.zone_choice)
        s.setValue("calendar/mode", self.calendar_model.mode)
        s.setValue("calendar/mine", "true" if self.mine_action.isChecked() else "false")
        s.setValue("calendar/recent_zones", self.zone_picker.recent)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._poll.stop()
        if self._integrations.built is not None:
            self.integrations_page.shutdown()
        self.save_settings()
        super().closeEvent(event)


def view_mode(value: str) -> ViewMode:
    return "week" if value == "week" else "day" if value == "day" else "month"
