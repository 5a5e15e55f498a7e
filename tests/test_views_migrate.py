"""File ▸ Import from Grafana OnCall / Opsgenie / PagerDuty (issue 15): the wizard reads a local fake
of the source's API off the GUI thread, shows what it creates and leaves out, and applies it as one
undoable command — at once on an empty store, after saying it replaces the configuration otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from oncall_desktop import configfile
from oncall_desktop.domain import StationSettings
from oncall_desktop.migration import http
from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from oncall_desktop.views.main_window import MainWindow
from oncall_desktop.views.migrate_wizard import MigrateWizard
from tests.fake_sources import TOKENS, FakeSource
from tests.helpers_station import configured_store

pytestmark = pytest.mark.qt

NOW = utc(2027, 3, 15, 9)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    yield opened
    opened.close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSource]:
    monkeypatch.setattr(http, "wait", lambda _seconds: None)
    server = FakeSource("grafana-oncall", ("users",))
    yield server
    server.close()


def window_for(qtbot: QtBot, store: Store, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(store, now=lambda: NOW, settings=settings)
    qtbot.addWidget(main)
    return main


def wizard_for(qtbot: QtBot, window: MainWindow) -> MigrateWizard:
    wizard = MigrateWizard(
        window.store,
        "grafana-oncall",
        window._push,
        window.override_ids,
        window.reload,
        window._failed,
        lambda: NOW,
        window,
    )
    qtbot.addWidget(wizard)
    return wizard


def read(qtbot: QtBot, wizard: MigrateWizard, url: str, token: str) -> object:
    wizard.url.setText(url)
    wizard.token.setText(token)
    with qtbot.waitSignal(wizard.fetched, timeout=15_000) as done:
        wizard.fetch_button.click()
        assert wizard.token.text() == "", "the token leaves the field as the read starts"
    return done.args[0]


def tree_texts(wizard: MigrateWizard) -> list[str]:
    found = []
    for i in range(wizard.tree.topLevelItemCount()):
        top = wizard.tree.topLevelItem(i)
        found.append(top.text(0))
        for j in range(top.childCount()):
            child = top.child(j)
            found.append(f"{child.text(0)} | {child.text(1)}")
            found.extend(
                f"{child.child(k).text(0)} | {child.child(k).text(1)}" for k in range(child.childCount())
            )
    return found


def test_import_on_an_empty_store_is_one_undoable_command(
    qtbot: QtBot, store: Store, fake: FakeSource, tmp_path: Path
) -> None:
    window = window_for(qtbot, store, tmp_path)
    labels = [a.text() for a in window.file_menu.actions()]
    assert {"Import from Grafana OnCall…", "Import from Opsgenie…", "Import from PagerDuty…"} <= set(labels)
    wizard = wizard_for(qtbot, window)
    read(qtbot, wizard, fake.url, TOKENS["grafana-oncall"])
    assert wizard.pages.currentIndex() == 1
    assert "Compared with Grafana OnCall's own schedule for the next four weeks: 0 differences in " in (
        wizard.summary.text()
    )
    texts = tree_texts(wizard)
    assert "Rule Payments | 4 layers; 3 escalation levels; matches service:payments" in texts
    assert "Layer Evening checks (wed) | Europe/Berlin; weekly turns: alice, carol, bob" in texts
    assert "Integration Prod Alertmanager | alertmanager; keeps its token and URL path" in texts
    assert any(t.startswith("Not carried over (") for t in texts)
    assert any("schedule Imported calendar | an iCal schedule" in t for t in texts)
    assert "replaces" not in wizard.replace_warning.text()
    assert wizard.apply_button.text() == "Import"

    wizard.apply_button.click()
    config = store.load_configuration()
    assert [p.id for p in config.people] == ["alice", "bob", "carol", "dave"]
    assert [r.id for r in config.rules] == ["payments", "default"]
    assert TOKENS["grafana-oncall"] not in configfile.dump(config, tokens=True)
    assert window.undo_stack.undoText() == "Import from Grafana OnCall"
    window.undo_stack.undo()
    assert store.load_configuration().people == ()
    window.undo_stack.redo()
    assert len(store.load_configuration().people) == 4


def test_import_over_a_configuration_says_it_replaces_it_and_keeps_the_settings(
    qtbot: QtBot, fake: FakeSource, tmp_path: Path
) -> None:
    store = configured_store(os.environ["ONCALL_DESKTOP_DB"])
    try:
        settings = store.load_configuration().settings
        store.save_settings(replace(settings, station=StationSettings(listen="127.0.0.1:9191")))
        before = store.load_configuration()
        window = window_for(qtbot, store, tmp_path)
        wizard = wizard_for(qtbot, window)
        asked: list[str] = []
        answers = iter([False, True])

        def confirm(_title: str, question: str) -> bool:
            asked.append(question)
            return next(answers)

        wizard.confirm = confirm
        read(qtbot, wizard, fake.url, TOKENS["grafana-oncall"])
        assert wizard.replace_warning.text().startswith("This replaces your configuration (")
        assert wizard.apply_button.text() == "Replace configuration…"
        wizard.apply_button.click()
        assert asked
        assert "This replaces your configuration" in asked[0]
        assert store.load_configuration() == before, "declined: nothing changes"
        wizard.apply_button.click()
        after = store.load_configuration()
        assert [p.id for p in after.people] == ["alice", "bob", "carol", "dave"]
        assert after.settings.station.listen == "127.0.0.1:9191"
        window.undo_stack.undo()
        assert store.load_configuration().people == before.people
    finally:
        store.close()


def test_a_refused_token_is_said_on_the_first_step(
    qtbot: QtBot, store: Store, fake: FakeSource, tmp_path: Path
) -> None:
    window = window_for(qtbot, store, tmp_path)
    wizard = wizard_for(qtbot, window)
    result = read(qtbot, wizard, fake.url, "not-the-token")
    assert isinstance(result, str)
    assert wizard.pages.currentIndex() == 0
    assert "the token was refused (HTTP 401)" in wizard.status.text()
    assert store.load_configuration().people == ()


def test_a_difference_from_the_source_schedule_is_listed_before_importing(
    qtbot: QtBot, store: Store, fake: FakeSource, tmp_path: Path
) -> None:
    def without_the_second_shift(key: str, body: Any) -> Any:
        if key != "schedules/SPAY/final_shifts" or body["current_page_number"] != 1:
            return body
        return dict(body, results=[body["results"][0], *body["results"][2:]])

    fake.altered = without_the_second_shift
    wizard = wizard_for(qtbot, window_for(qtbot, store, tmp_path))
    read(qtbot, wizard, fake.url, TOKENS["grafana-oncall"])
    assert "1 difference in" in wizard.summary.text()
    texts = tree_texts(wizard)
    assert "Differences from Grafana OnCall's schedule (1)" in texts
    (line,) = [t for t in texts if t.startswith("Payments | schedule Payments: ")]
    assert line.endswith("only in the migrated rule")
