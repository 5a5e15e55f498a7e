"""The iCal dialogs: export to a file, import after a preview, create/copy/revoke feed URLs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import icalendar
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import Layer, OnCallRule
from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from oncall_desktop.views.ical_dialogs import ExportDialog, FeedsDialog, ImportDialog
from tests.test_ical_export import team_config

pytestmark = pytest.mark.qt
DATA = Path(__file__).parent / "data" / "ical"
NOW = utc(2026, 3, 12, 10)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    config = team_config()
    cover = OnCallRule("cover", "Cover", "Europe/Berlin", layers=(Layer(personnel=("alice",)),))
    with Store.open(f"sqlite:///{tmp_path / 'views.sqlite'}") as opened:
        opened.replace_configuration(replace(config, rules=(cover, *config.rules)))
        yield opened


def cell(dialog: ImportDialog, row: int, column: int) -> str:
    return str(dialog.model.index(row, column).data())


def test_import_previews_then_stores_only_on_apply(qtbot: QtBot, qtmodeltester: object, store: Store) -> None:
    before = store.load_configuration().overrides
    dialog = ImportDialog(store, path=str(DATA / "google.ics"), rule="cover", now=NOW)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)  # type: ignore[attr-defined]
    rows = [[cell(dialog, r, c) for c in range(6)] for r in range(dialog.model.rowCount())]
    assert rows[0][:4] == ["Add", "Alice Chen", "Mon 16 Mar 2026 09:00 CET", "Tue 17 Mar 2026 09:00 CET"]
    assert rows[3][2] == "Mon 30 Mar 2026 09:00 CEST"
    assert rows[-1][0] == "Skip"
    assert rows[-1][4:] == ["Team sync", "no attendee, email or name of a known person"]
    assert "Apply adds 5 overrides to Cover" in dialog.summary.text()
    assert store.load_configuration().overrides == before

    with qtbot.waitSignal(dialog.overrides_imported) as imported:
        dialog.apply_button.click()
    assert imported.args == [5]
    stored = store.load_configuration().overrides_for("cover")
    assert [(o.person, o.start, o.end) for o in stored] == [
        ("alice", utc(2026, 3, 16, 8), utc(2026, 3, 17, 8)),
        ("bob", utc(2026, 3, 20, 17), utc(2026, 3, 21, 7)),
        ("alice", utc(2026, 3, 23, 8), utc(2026, 3, 24, 8)),
        ("alice", utc(2026, 3, 30, 7), utc(2026, 3, 31, 7)),
        ("alice", utc(2026, 4, 6, 7), utc(2026, 4, 7, 7)),
    ]


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # the offscreen error box
def test_import_of_a_broken_file_shows_the_reason_and_changes_nothing(qtbot: QtBot, store: Store) -> None:
    revision = store.revision()
    dialog = ImportDialog(store, path=str(DATA / "broken.ics"), rule="cover", now=NOW)
    qtbot.addWidget(dialog)
    assert dialog.error_box is not None
    assert "line 5: VEVENT DTSTART" in dialog.error_box.text()
    dialog.error_box.close()
    assert not dialog.apply_button.isEnabled()
    assert dialog.model.rowCount() == 0
    assert store.revision() == revision


def test_import_limited_to_days(qtbot: QtBot, store: Store) -> None:
    dialog = ImportDialog(store, path=str(DATA / "google.ics"), rule="cover", now=NOW)
    qtbot.addWidget(dialog)
    dialog.span.start.setDate(dialog.span.start.date().addDays(8))  # Fri 20 Mar
    dialog.span.last.setDate(dialog.span.start.date().addDays(3))  # Mon 23 Mar
    dialog.limit.setChecked(True)
    assert [cell(dialog, r, 1) for r in range(dialog.model.rowCount())] == ["Bob Stone", "Alice Chen", "—"]
    assert "Apply adds 2 overrides" in dialog.summary.text()


def test_overlaps_with_existing_overrides_are_shown(qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    first = ImportDialog(store, path=str(DATA / "google.ics"), rule="cover", now=NOW)
    qtbot.addWidget(first)
    first.apply()
    overlapping = tmp_path / "overlap.ics"
    overlapping.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260320T180000Z\r\nDTEND:20260321T000000Z\r\n"
        "SUMMARY:Carol Diaz\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    again = ImportDialog(store, path=str(overlapping), rule="cover", now=NOW)
    qtbot.addWidget(again)
    assert [cell(again, 0, c) for c in (0, 1, 5)] == [
        "Add (overlaps)",
        "Carol Diaz",
        "overlaps existing override of Bob Stone",
    ]
    assert again.apply_button.isEnabled()


def test_export_dialog_writes_the_chosen_persons_shifts(qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    dialog = ExportDialog(store, person="carol", now=NOW, zone_name="Europe/Berlin")
    qtbot.addWidget(dialog)
    assert dialog.choice() == ("carol", None)
    target = tmp_path / "carol.ics"
    dialog.path.setText(str(target))
    dialog.export_button.click()
    events = icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert {str(e["X-ONCALL-PERSON"]) for e in events} == {"carol"}
    assert dialog.status.text() == f"Wrote {len(events)} shifts to {target}."
    dialog.by_rule.setChecked(True)
    dialog.rule.setCurrentIndex(dialog.rule.findData("payments"))
    assert dialog.choice() == (None, "payments")
    dialog.path.setText(str(tmp_path / "missing-dir" / "x.ics"))
    assert not dialog.export()
    assert dialog.status.text().startswith("Cannot write")


def test_feeds_dialog_creates_copies_and_revokes(qtbot: QtBot, store: Store) -> None:
    dialog = FeedsDialog(store, confirm=lambda _question: True, zone_name="Europe/Berlin")
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 0
    dialog.target.setCurrentIndex(dialog.target.findData("person:bob"))
    with qtbot.waitSignal(dialog.feeds_changed):
        feed = dialog.create_feed()
    url = f"http://127.0.0.1:8080/ical/{feed.token}.ics"
    assert QApplication.clipboard().text() == url
    assert dialog.model.index(0, 1).data() == "Bob Stone"
    assert dialog.model.index(0, 3).data() == url
    with qtbot.waitSignal(dialog.feeds_changed):
        dialog.revoke_button.click()
    assert dialog.model.rowCount() == 0
    assert store.feeds.by_token(feed.token) is None


# -- issue 13: the rule is chosen explicitly, the preview comes first, one undoable import ----------


def _press_enter(widget: QWidget) -> None:
    QTest.keyClick(widget, Qt.Key.Key_Return)


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, shown dialog
def test_enter_in_the_path_field_never_imports_and_the_rule_must_be_chosen(
    qtbot: QtBot, store: Store
) -> None:
    before = store.load_configuration().overrides
    dialog = ImportDialog(store, now=NOW)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.rule.currentIndex() == -1  # no rule until the user picks one
    assert dialog.rule.placeholderText() == "Choose the rule…"
    dialog.path.setFocus()
    QTest.keyClicks(dialog.path, str(DATA / "google.ics"))
    _press_enter(dialog.path)
    assert dialog.isVisible()
    assert dialog.model.rowCount() == 0
    assert "Choose the rule" in dialog.summary.text()
    assert not dialog.apply_button.isEnabled()
    dialog.rule.setCurrentIndex(dialog.rule.findData("cover"))
    assert "Apply adds 5 overrides to Cover" in dialog.summary.text()  # the preview, first
    dialog.path.setFocus()
    _press_enter(dialog.path)
    _press_enter(dialog.path)
    assert dialog.isVisible()
    assert "Apply adds 5 overrides to Cover" in dialog.summary.text()
    assert store.load_configuration().overrides == before
    # Editing the path forgets the preview: Apply waits for the new one.
    QTest.keyClicks(dialog.path, "x")
    assert not dialog.apply_button.isEnabled()
    assert dialog.model.rowCount() == 0


def test_the_import_is_one_undoable_command(qtbot: QtBot, store: Store) -> None:
    before = store.load_configuration()
    stack = QUndoStack()
    refreshed: list[int] = []
    dialog = ImportDialog(
        store,
        path=str(DATA / "google.ics"),
        rule="cover",
        now=NOW,
        undo_stack=stack,
        refresh=lambda: refreshed.append(1),
    )
    qtbot.addWidget(dialog)
    dialog.apply_button.click()
    assert stack.count() == 1
    assert stack.undoText() == "Import 5 overrides to Cover"
    assert len(store.load_configuration().overrides_for("cover")) == 5
    assert refreshed
    stack.undo()
    assert store.load_configuration() == before
    stack.redo()
    assert len(store.load_configuration().overrides_for("cover")) == 5
    stack.undo()
    assert store.load_configuration() == before


def test_the_window_opens_the_import_without_choosing_a_rule(
    qtbot: QtBot, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QSettings

    from oncall_desktop.views.main_window import MainWindow

    window = MainWindow(store, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.rule_list.setCurrentIndex(window.rule_model.index(0))
    assert window.current_rule_id() == "cover"
    opened: list[ImportDialog] = []
    monkeypatch.setattr(ImportDialog, "exec", lambda self: opened.append(self) or 0)
    window.import_ical()
    (dialog,) = opened
    assert dialog.rule_id() is None
    assert dialog.undo_stack is window.undo_stack
