"""The main window end to end: first run, undoable edits through the store, the CLI sees them,
reopening keeps them, and the window's choices persist."""

from __future__ import annotations

import gc
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel
from pytestqt.qtbot import QtBot

from oncall_desktop import cli
from oncall_desktop.domain import Configuration, Layer, OnCallRule, Person, Rotation, Team
from oncall_desktop.store import Store
from oncall_desktop.views.calendar_widget import PERSON_MIME, CalendarWidget
from oncall_desktop.views.editors import PersonEditorDialog, TeamEditorDialog
from oncall_desktop.views.main_window import MainWindow

pytestmark = [
    pytest.mark.qt,
    # QDrag*Event(QPoint, ...) works on every PySide6 we support; 6.12 prefers QPointF and says so.
    pytest.mark.filterwarnings("ignore:Function.*QDrag(Enter|Move)Event.*deprecated:DeprecationWarning"),
]

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def without_override_ids(config: Configuration) -> Configuration:
    return replace(config, overrides=tuple(replace(o, id=None) for o in config.overrides))


class App:
    """Opens windows on one SQLite file with one settings file, like restarting the app."""

    def __init__(self, qtbot: QtBot, tmp_path: Path) -> None:
        self.qtbot = qtbot
        self.url = os.environ["ONCALL_DESKTOP_DB"]
        self.settings_path = str(tmp_path / "settings.ini")
        self.stores: list[Store] = []
        self.windows: list[MainWindow] = []

    def open(self) -> MainWindow:
        store = Store.open(self.url)
        self.stores.append(store)
        settings = QSettings(self.settings_path, QSettings.Format.IniFormat)
        window = MainWindow(store, now=lambda: NOW, settings=settings)
        self.qtbot.addWidget(window)
        self.windows.append(window)
        return window

    def close(self, window: MainWindow) -> None:
        window.close()
        window.store.close()

    def shutdown(self) -> None:
        for window in self.windows:
            window.close()
        for store in self.stores:
            store.close()


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[App]:
    opened = App(qtbot, tmp_path)
    yield opened
    opened.shutdown()


@pytest.fixture
def window(app: App) -> MainWindow:
    window = app.open()
    assert window.offer_demo(ask=lambda: True)
    window.set_zone("Europe/Berlin")
    window.calendar_model.set_mode("week")
    window.calendar_model.set_anchor(date(2026, 3, 25))
    window.resize(1400, 900)
    return window


def schedule_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert cli.main(["schedule", *args, "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def y_of(calendar: CalendarWidget, column: int, hours: float) -> float:
    top = calendar.hour_labels(column)[0][0]
    return top + hours * (calendar.hour_labels(column)[1][0] - top)


def drop_person(calendar: CalendarWidget, person: str, pos: QPointF) -> None:
    mime = QMimeData()
    mime.setData(PERSON_MIME, person.encode())
    buttons, mods, action = (
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.DropAction.CopyAction,
    )
    QApplication.sendEvent(calendar, QDragEnterEvent(pos.toPoint(), action, mime, buttons, mods))
    QApplication.sendEvent(calendar, QDropEvent(pos, action, mime, buttons, mods))


def mouse_drag(calendar: CalendarWidget, start: QPointF, end: QPointF) -> None:
    left, none, mods = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    for kind, pos, buttons in (
        (QEvent.Type.MouseButtonPress, start, left),
        (QEvent.Type.MouseMove, end, left),
        (QEvent.Type.MouseButtonRelease, end, none),
    ):
        QApplication.sendEvent(
            calendar, QMouseEvent(kind, pos, calendar.mapToGlobal(pos), left, buttons, mods)
        )


# -- first run ---------------------------------------------------------------------------------


def test_an_empty_store_offers_the_demo_team_once(app: App) -> None:
    window = app.open()
    assert not window.offer_demo(ask=lambda: False)
    assert window.rule_model.rowCount() == 1
    assert window.offer_demo(ask=lambda: True)
    assert window.rule_model.rowCount() == 6
    assert window.roster_model.rowCount() == 8
    assert window.calendar.painted_blocks()

    def never() -> bool:
        raise AssertionError("asked again")

    assert not window.offer_demo(ask=never)


# -- overrides ---------------------------------------------------------------------------------


def test_a_dropped_person_becomes_an_override_the_cli_reports_and_undo_removes_exactly(
    window: MainWindow, capsys: pytest.CaptureFixture[str]
) -> None:
    before = window.store.load_configuration()
    span = ["--start", "2026-03-25T13:00:00Z", "--end", "2026-03-25T14:00:00Z", "--rule", "primary"]
    rotation_person = schedule_json(capsys, *span)["intervals"][0]["person"]
    lane = window.calendar.lane_rect(2, 0)  # Wednesday, Platform primary
    drop_person(window.calendar, "wei", QPointF(lane.center().x(), y_of(window.calendar, 2, 14.5)))
    assert schedule_json(capsys, *span)["intervals"] == [
        {
            "rule": "primary",
            "person": "wei",
            "start": "2026-03-25T13:00:00Z",
            "end": "2026-03-25T14:00:00Z",
            "layer": None,
        }
    ]
    assert window.undo_action.text() == "&Undo Add override"
    window.undo_action.trigger()
    assert window.store.load_configuration() == before
    assert schedule_json(capsys, *span)["intervals"][0]["person"] == rotation_person
    window.redo_action.trigger()
    assert schedule_json(capsys, *span)["intervals"][0]["person"] == "wei"


def test_drag_selecting_a_span_asks_who_and_stores_the_override(window: MainWindow) -> None:
    asked: list[tuple[str, datetime, datetime]] = []

    def ask(rule: str, start: datetime, end: datetime) -> str:
        asked.append((rule, start, end))
        return "hana"

    window.ask_person = ask
    x = window.calendar.lane_rect(1, 1).center().x()  # Tuesday, Platform secondary
    mouse_drag(
        window.calendar, QPointF(x, y_of(window.calendar, 1, 2.2)), QPointF(x, y_of(window.calendar, 1, 5.8))
    )
    assert asked == [("secondary", utc(2026, 3, 24, 1), utc(2026, 3, 24, 5))]
    stored = window.store.load_configuration().overrides
    assert [(o.rule, o.person, o.start, o.end) for o in stored if o.person == "hana"] == [
        (*asked[0][:1], "hana", *asked[0][1:])
    ]


def test_moving_resizing_and_deleting_overrides_each_undo_exactly(window: MainWindow) -> None:
    store = window.store
    original = store.load_configuration()
    override = next(o for o in original.overrides if o.rule == "primary")
    friday_x = window.calendar.lane_rect(4, 0).center().x()
    mouse_drag(
        window.calendar,
        QPointF(friday_x, y_of(window.calendar, 4, 12)),
        QPointF(friday_x, y_of(window.calendar, 4, 15)),
    )
    moved = next(o for o in store.load_configuration().overrides if o.id == override.id)
    assert (moved.start, moved.end) == (
        override.start + timedelta(hours=3),
        override.end + timedelta(hours=3),
    )
    after_move = store.load_configuration()
    saturday_x = window.calendar.lane_rect(5, 0).center().x()
    end_y = y_of(window.calendar, 5, 12)  # the moved override now ends on Saturday at 12:00 Berlin
    mouse_drag(
        window.calendar, QPointF(saturday_x, end_y - 1), QPointF(saturday_x, y_of(window.calendar, 5, 18))
    )
    resized = next(o for o in store.load_configuration().overrides if o.id == override.id)
    assert resized.end == moved.end + timedelta(hours=6)

    pos = QPointF(friday_x, y_of(window.calendar, 4, 12))
    mouse_drag(window.calendar, pos, pos)  # a click selects
    assert window.details.isVisibleTo(window)
    QApplication.sendEvent(
        window.calendar, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
    )
    assert all(o.person != "priya" for o in store.load_configuration().overrides)

    window.undo_stack.undo()  # the deletion
    assert without_override_ids(store.load_configuration()) == without_override_ids(
        replace(
            after_move,
            overrides=tuple(
                replace(o, end=resized.end) if o.id == override.id else o for o in after_move.overrides
            ),
        )
    )
    window.undo_stack.undo()  # the resize, on the re-added override
    assert without_override_ids(store.load_configuration()) == without_override_ids(after_move)
    window.undo_stack.undo()  # the move
    assert without_override_ids(store.load_configuration()) == without_override_ids(original)
    assert window.undo_stack.index() == 0


# -- rules, people, teams ----------------------------------------------------------------------


def test_rule_edits_and_deletion_undo_to_the_exact_previous_state(window: MainWindow) -> None:
    store = window.store
    original = store.load_configuration()
    primary = original.rule("primary")
    assert primary is not None
    window.save_rule(primary, replace(primary, name="Platform primary (EU)"))
    assert window.rule_model.index(0).data().startswith("Platform primary (EU)\n")
    new_rule = OnCallRule(
        "payments",
        "Payments",
        "Asia/Tokyo",
        layers=(Layer(personnel=("hana", "wei"), rotation=Rotation("daily", 1, time(9), date(2026, 3, 2))),),
        escalation=primary.escalation,
    )
    window.save_rule(None, new_rule)
    assert store.load_configuration().rule("payments") == new_rule
    before_delete = store.load_configuration()
    window.delete_rule("primary")
    assert store.load_configuration().rule("primary") is None
    assert all(o.rule != "primary" for o in store.load_configuration().overrides)
    window.undo_stack.undo()
    assert without_override_ids(store.load_configuration()) == without_override_ids(before_delete)
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert without_override_ids(store.load_configuration()) == without_override_ids(original)


def test_the_default_rule_cannot_be_deleted(window: MainWindow) -> None:
    window.rule_list.setCurrentIndex(window.rule_model.index(window.rule_model.row_of("default")))
    assert not window.delete_rule_button.isEnabled()
    window.delete_rule("default")
    assert window.undo_stack.count() == 0
    assert window.store.load_configuration().rule("default") is not None


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note on showing a window
def test_rule_editor_shows_the_validator_next_to_the_field_and_refuses_to_save(
    window: MainWindow, qtbot: QtBot
) -> None:
    dialog = window.edit_rule("primary")
    qtbot.addWidget(dialog)
    assert dialog.errors() == []
    dialog.zone_picker.setCurrentText("Mars/Olympus")
    assert "unknown time zone 'Mars/Olympus'" in dialog.messages["timezone"].text()
    assert not dialog.save()
    assert dialog.isVisible()
    dialog.zone_picker.setCurrentText("Europe/Paris")
    dialog.windows.add.click()
    assert dialog.errors() == []
    rule = dialog.rule()
    assert rule.timezone == "Europe/Paris"
    assert [(w.days, w.start, w.end) for w in rule.windows] == [((0, 1, 2, 3, 4), time(9), time(17))]
    assert rule.escalation == window.store.load_configuration().rule("primary").escalation  # type: ignore[union-attr]
    assert dialog.save()
    assert window.store.load_configuration().rule("primary") == rule
    window.undo_stack.undo()
    assert window.store.load_configuration().rule("primary").timezone == "Europe/Berlin"  # type: ignore[union-attr]


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note on showing a window
def test_a_new_rule_with_a_taken_id_shows_one_error_on_the_id(window: MainWindow, qtbot: QtBot) -> None:
    dialog = window.edit_rule(None)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Another")
    dialog.commands.set_name("Another")
    for taken in ("primary", "default"):
        dialog.id_edit.textEdited.emit(taken)
        lines = dialog.messages["id"].text().split("<br>")
        assert len(lines) == 1, lines
        assert "✖" in lines[0]
        assert not dialog.save()


def test_person_editor_checks_e164_and_adding_a_person_is_undoable(window: MainWindow, qtbot: QtBot) -> None:
    before = window.store.load_configuration()
    dialog = PersonEditorDialog(before, None, window)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    offered = dialog.edits["colour"].text()  # the colour a newcomer keeps, one nobody has
    assert offered not in {p.colour for p in before.people}
    dialog.edits["id"].setText("zoe")
    dialog.edits["name"].setText("Zoë Ng")
    dialog.edits["phone"].setText("+1 415 555 0101")
    assert "write +14155550101" in dialog.messages["phone"].text()
    assert not ok.isEnabled()
    dialog.edits["phone"].setText("+14155550101")
    dialog.zone_picker.setCurrentText("Australia/Sydney")
    assert ok.isEnabled()
    dialog.edits["id"].setText("lukas")
    assert dialog.messages["id"].text().startswith("error: duplicate id 'lukas'")
    assert len(dialog.messages["id"].text().splitlines()) == 1
    dialog.edits["id"].setText("zoë ng")
    assert dialog.messages["id"].text().startswith("error: 'zoë ng' is not an id")
    assert len(dialog.messages["id"].text().splitlines()) == 1
    dialog.edits["colour"].setText("red")
    assert dialog.messages["colour"].text().startswith("error: 'red' is not a colour")
    assert not ok.isEnabled()
    dialog.edits["colour"].setText(offered)
    dialog.edits["id"].setText("zoe")
    window.save_person(None, dialog.person())
    assert window.roster_model.rowCount() == 9
    assert window.store.load_configuration().person("zoe") == Person(
        "zoe", "Zoë Ng", phone="+14155550101", timezone="Australia/Sydney", colour=offered
    )
    window.undo_stack.undo()
    assert window.store.load_configuration() == before


def test_team_editor_and_deleting_a_used_person_is_refused(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = window.store.load_configuration()
    dialog = TeamEditorDialog(config, None, window)
    qtbot.addWidget(dialog)
    dialog.id_edit.setText("sre")
    assert dialog.messages["id"].text().startswith("error: duplicate id 'sre'")
    assert len(dialog.messages["id"].text().splitlines()) == 1
    dialog.id_edit.setText("apac")
    dialog.name_edit.setText("APAC")
    dialog.members_edit.setText("hana, ghost")
    assert "unknown person 'ghost'" in dialog.messages["members"].text()
    dialog.members_edit.setText("hana, wei")
    window.save_team(None, dialog.team())
    assert window.store.load_configuration().team("apac") == Team("apac", "APAC", ("hana", "wei"))
    reasons: list[str] = []
    monkeypatch.setattr(window, "_failed", reasons.append)
    window._delete("person", "lukas")
    assert reasons
    assert "still used" in reasons[0]
    assert window.undo_stack.count() == 1
    assert window.store.load_configuration().person("lukas") is not None


def test_an_undo_the_store_refuses_is_reported_and_the_window_shows_what_is_stored(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    reasons: list[str] = []
    monkeypatch.setattr(window, "_failed", reasons.append)
    window.save_person(None, Person("zoe", "Zoë Ng"))
    assert window.roster_model.rowCount() == 9
    other = Store.open(os.environ["ONCALL_DESKTOP_DB"])  # another process removes her meanwhile
    try:
        other.delete_person("zoe")
    finally:
        other.close()

    window.undo_stack.undo()
    assert reasons == ["no person 'zoe'"]
    assert window.roster_model.rowCount() == 8
    window.undo_stack.redo()
    zoe = window.store.load_configuration().person("zoe")
    assert zoe is not None
    assert replace(zoe, colour=None) == Person("zoe", "Zoë Ng")
    assert window.roster_model.rowCount() == 9


def test_ladder_button_opens_the_ladder_editor_on_the_shared_undo_stack(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    import oncall_desktop.views.ladder_editor as ladder_editor

    opened: list[tuple[object, ...]] = []

    class FakeLadderEditor:
        def __init__(
            self, store: Store, rule_id: str, *, undo_stack: object, parent: object, failed: object
        ) -> None:
            opened.append((store, rule_id, undo_stack, parent, failed))

        def exec(self) -> int:
            rule = store.load_configuration().rule("primary")
            assert rule is not None
            store.save_rule(replace(rule, escalation=rule.escalation[:2]))
            return 1

    store = window.store
    monkeypatch.setattr(ladder_editor, "LadderEditorDialog", FakeLadderEditor)
    window.rule_list.setCurrentIndex(window.rule_model.index(0))
    window.ladder_button.click()
    assert opened == [(store, "primary", window.undo_stack, window, window._failed)]
    assert window.rule_model.index(0).data().endswith("ladder: 2 levels (hover to read it)")
    ladder = window.rule_model.index(0).data(Qt.ItemDataRole.ToolTipRole).splitlines()[1:]
    assert len(ladder) == 2
    assert "Team leads" in ladder[1]
    assert "SRE" not in "\n".join(ladder)


# -- persistence -------------------------------------------------------------------------------


def test_closing_and_reopening_keeps_every_edit(app: App, window: MainWindow) -> None:
    primary = window.config.rule("primary")
    assert primary is not None
    window.save_rule(primary, replace(primary, name="Primary, renamed"))
    window.save_person(None, Person("zoe", "Zoë Ng", email="zoe@example.com"))
    lane = window.calendar.lane_rect(2, 1)
    drop_person(window.calendar, "zoe", QPointF(lane.center().x(), y_of(window.calendar, 2, 10.5)))
    edited = window.store.load_configuration()
    app.close(window)

    again = app.open()
    assert again.store.load_configuration() == edited
    assert again.rule_model.index(0).data().startswith("Primary, renamed")
    again.calendar_model.set_mode("week")
    again.calendar_model.set_anchor(date(2026, 3, 25))
    assert any(p.block.person == "zoe" and p.block.override for p in again.calendar.painted_blocks())


def test_zone_view_mode_my_toggle_and_recent_zones_persist(app: App, window: MainWindow) -> None:
    window.set_zone("Asia/Tokyo")
    window.set_zone("America/New_York")
    window.settings.setValue("me", "lukas")
    window.mine_action.setChecked(True)
    assert {p.block.person for p in window.calendar.painted_blocks()} == {"lukas"}
    window.calendar_model.set_mode("day")
    window.resize(720, 540)  # within the offscreen screen, which restoreGeometry clamps to
    app.close(window)

    again = app.open()
    assert again.calendar_model.tz.key == "America/New_York"
    assert again.zone_picker.current_zone() == "America/New_York"
    assert again.zone_picker.recent[:3] == ["America/New_York", "Asia/Tokyo", "Europe/Berlin"]
    assert [again.zone_picker.itemText(i) for i in range(3)] == ["Local", "America/New_York", "Asia/Tokyo"]
    assert again.calendar_model.mode == "day"
    assert again.mine_action.isChecked()
    assert again.calendar_model.person_filter == "lukas"
    assert (again.width(), again.height()) == (720, 540)


def test_edits_made_elsewhere_show_up(app: App, window: MainWindow) -> None:
    other = Store.open(app.url)
    try:
        rule = other.load_configuration().rule("secondary")
        assert rule is not None
        other.save_rule(replace(rule, name="Secondary (from the CLI)"))
    finally:
        other.close()
    window._poll_revision()
    assert window.rule_model.index(1).data().startswith("Secondary (from the CLI)")


def test_other_features_plug_into_pages_and_menus(window: MainWindow) -> None:
    index = window.add_page(QLabel("incidents"), "Incidents")
    assert window.tabs.tabText(index) == "Incidents"
    titles = [
        m.title()
        for m in (window.file_menu, window.edit_menu, window.view_menu, window.rules_menu, window.help_menu)
    ]
    assert titles == ["&File", "&Edit", "&View", "&Rules", "&Help"]
    assert window.undo_action.shortcut().toString() == "Ctrl+Z"
    assert window.redo_action.shortcut().toString() == "Ctrl+Shift+Z"


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note on showing a window
def test_the_app_without_a_subcommand_opens_the_window_and_offers_the_demo(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QTimer

    from oncall_desktop.domain import Settings, StationSettings
    from oncall_desktop.views import app as desktop_app
    from oncall_desktop.views.station_presence import StationPresence
    from tests.helpers_station import free_port

    port = free_port()
    with Store.open(os.environ["ONCALL_DESKTOP_DB"]) as prepared:
        prepared.save_settings(Settings(station=StationSettings(listen=f"127.0.0.1:{port}")))
    shown: list[MainWindow] = []
    tabs: list[str] = []
    collecting: list[bool] = []

    def accept_demo(window: MainWindow) -> bool:
        shown.append(window)
        collecting.append(gc.isenabled())
        tabs.extend(window.tabs.tabText(i) for i in range(window.tabs.count()))
        # The station keeps running in the tray when the window closes; File → Quit ends it all.
        QTimer.singleShot(0, window.quit_action.trigger)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the station's webhook intake is listening
        return True

    monkeypatch.setattr(MainWindow, "_ask_demo", accept_demo)
    asked: list[bool] = []  # the station is paging (its intake runs): Quit asks once before it stops
    monkeypatch.setattr(StationPresence, "_confirm_quit", lambda _self: asked.append(True) or True)
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    monkeypatch.setattr(qapp, "setOrganizationName", lambda _name: None)
    monkeypatch.setattr(qapp, "setApplicationName", lambda _name: None)
    assert cli.main([]) == 0
    assert len(shown) == 1
    assert asked == [True]
    assert collecting == [False]  # garbage is collected by the event loop while the app runs…
    assert gc.isenabled()  # …and automatically again once it has quit
    assert "Incidents" in tabs
    assert desktop_app.ORGANIZATION == "oncall-desktop"
    store = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    try:
        assert len(store.load_configuration().people) == 8
    finally:
        store.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()  # Quit stopped the intake


def test_redoing_an_add_and_a_move_reaches_the_same_stored_state(window: MainWindow) -> None:
    from oncall_desktop.domain import Override

    original = window.store.load_configuration()
    window.add_override(Override("secondary", "wei", utc(2026, 3, 24, 8), utc(2026, 3, 24, 12)))
    added = next(o for o in window.store.load_configuration().overrides if o.rule == "secondary")
    window.change_override(added, added.start + timedelta(hours=2), added.end + timedelta(hours=3))
    moved = without_override_ids(window.store.load_configuration())
    window.delete_override(
        replace(added, start=added.start + timedelta(hours=2), end=added.end + timedelta(hours=3))
    )
    for _ in range(3):
        window.undo_stack.undo()
    assert window.store.load_configuration() == original
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert without_override_ids(window.store.load_configuration()) == moved
    window.undo_stack.redo()
    assert all(o.rule != "secondary" for o in window.store.load_configuration().overrides)
