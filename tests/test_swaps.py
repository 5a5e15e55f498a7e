"""Swap requests (SPEC §12): asked from "My on-call", answered by the colleague in theirs; accepting
writes the override; every request's history stays. End to end with two desktops (two windows on two
stores) sharing one PostgreSQL store, and the store's compare-and-set when both answer at once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from oncall_desktop.domain import Channel, Configuration, EscalationLevel, Layer, OnCallRule, Person, Rotation
from oncall_desktop.store import Store
from oncall_desktop.store.errors import ConflictError
from oncall_desktop.swaps import SwapRequest, swap_problem
from oncall_desktop.views.main_window import MainWindow

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)  # a Friday; Ann is on primary until Monday 09:00


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def configuration() -> Configuration:
    people = tuple(Person(p, p.title(), f"{p}@example.com", timezone="UTC") for p in ("ann", "ben", "cat"))
    primary = OnCallRule(
        "primary",
        "Primary",
        "UTC",
        layers=(
            Layer(
                personnel=("ann", "ben", "cat"), rotation=Rotation("weekly", 1, time(9), date(2026, 3, 23))
            ),
        ),
        escalation=(EscalationLevel(channels={"*": (Channel.EMAIL,)}, repeat=5),),
    )
    return Configuration(people=people, rules=(primary,))


SATURDAY = SwapRequest("primary", "ann", "ben", utc(3, 28), utc(3, 29), "family visit")


def test_a_swap_must_be_a_span_of_your_own_coming_shift() -> None:
    config = configuration()
    assert swap_problem(config, SATURDAY, NOW) is None
    assert "within your own shift" in (
        swap_problem(config, SwapRequest("primary", "ben", "cat", utc(3, 28), utc(3, 29)), NOW) or ""
    )
    assert "begun already" in (
        swap_problem(config, SwapRequest("primary", "ann", "ben", utc(3, 27), utc(3, 28)), NOW) or ""
    )
    assert "someone other" in (
        swap_problem(config, SwapRequest("primary", "ann", "ann", utc(3, 28), utc(3, 29)), NOW) or ""
    )
    assert "within your own shift" in (
        swap_problem(config, SwapRequest("primary", "ann", "ben", utc(3, 28), utc(3, 31)), NOW) or ""
    )


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(os.environ["ONCALL_DESKTOP_DB"])
    opened.replace_configuration(configuration())
    yield opened
    opened.close()


def test_answers_are_compare_and_set_and_history_stays(store: Store) -> None:
    asked = store.swaps.ask(SATURDAY, NOW)
    assert asked.id is not None
    assert asked.state == "pending"
    with pytest.raises(ConflictError, match="only ben can answer"):
        store.swaps.accept(asked.id, "cat", NOW)
    accepted = store.swaps.accept(asked.id, "ben", NOW)
    assert accepted.state == "accepted"
    (override,) = store.load_configuration().overrides
    assert (override.person, override.start, override.end, override.id) == (
        "ben",
        utc(3, 28),
        utc(3, 29),
        accepted.override_id,
    )
    with pytest.raises(ConflictError, match="accepted meanwhile"):
        store.swaps.decline(asked.id, "ben", NOW)
    with pytest.raises(ConflictError, match="accepted meanwhile"):
        store.swaps.withdraw(asked.id, "ann", NOW)
    # Unanswered until its span began: expired, and kept.
    late = store.swaps.ask(SwapRequest("primary", "ann", "cat", utc(3, 29), utc(3, 30)), NOW)
    revision = store.revision()
    assert store.swaps.expire(NOW) == 0
    assert store.revision() == revision  # nothing to expire: no write other desktops would reload for
    assert store.swaps.expire(utc(3, 29, 1)) == 1
    assert store.swaps.get(late.id or 0).state == "expired"
    assert [r.state for r in store.swaps.requests("ann")] == ["expired", "accepted"]
    assert [r.state for r in store.swaps.requests("cat")] == ["expired"]


def polled(window: MainWindow) -> bool:
    """What the window's revision poll does on its timer (every couple of seconds), done now."""
    window._poll_revision()
    return True


def _window(qtbot: QtBot, store: Store, tmp_path: Path, me: str) -> MainWindow:
    settings = QSettings(str(tmp_path / f"{me}.ini"), QSettings.Format.IniFormat)
    settings.setValue("me", me)
    window = MainWindow(store, now=lambda: NOW, settings=settings)
    qtbot.addWidget(window)
    return window


@pytest.mark.qt
@pytest.mark.postgres
def test_two_desktops_on_one_postgresql_store_swap_a_shift(
    qtbot: QtBot, tmp_path: Path, postgres_database_url: str
) -> None:
    ann_store = Store.open(postgres_database_url)
    ben_store = Store.open(postgres_database_url)
    try:
        ann_store.replace_configuration(configuration())
        ann = _window(qtbot, ann_store, tmp_path, "ann")
        ben = _window(qtbot, ben_store, tmp_path, "ben")
        # Ann, in her "My on-call", selects her shift and asks Ben to take Saturday.
        page = ann.swaps_page
        assert page.shifts.count() >= 1
        assert page.shifts.item(0).text().startswith("Primary: Mon 23 Mar 09:00")
        page.shifts.setCurrentRow(0)
        page.ask_swap = lambda shift: SwapRequest(
            shift.rule, "ann", "ben", utc(3, 28), utc(3, 29), "family visit"
        )
        page.ask_selected()
        assert page.outgoing.count() == 1
        # Ben's desktop picks it up at its next poll and shows it in his "My on-call".
        qtbot.waitUntil(lambda: polled(ben) and ben.swaps_page.incoming.count() == 1, timeout=5000)
        assert ben.swaps_page.incoming.item(0).text() == (
            "Ann asks you to take Primary: Sat 28 Mar 00:00 – Sun 29 Mar 00:00 — “family visit”"
        )
        ben.swaps_page.incoming.setCurrentRow(0)
        ben.swaps_page.answer_selected("accept")
        (override,) = ben_store.load_configuration().overrides
        assert (override.rule, override.person, override.start, override.end) == (
            "primary",
            "ben",
            utc(3, 28),
            utc(3, 29),
        )
        assert ben.calendar_model.config.overrides == (override,)
        # Ann sees the answer, and the history on both sides keeps it.
        qtbot.waitUntil(lambda: polled(ann) and ann.swaps_page.history.count() == 1, timeout=5000)
        assert ann.swaps_page.outgoing.count() == 0
        assert ann.swaps_page.history.item(0).text().startswith("Accepted: You asked Ben to take Primary")
        assert ben.swaps_page.history.item(0).text().startswith("Accepted: Ann asked you to take Primary")
        # Undo on Ben's desktop takes the answer back (and the override), for both.
        ben.undo_stack.undo()
        assert ben_store.load_configuration().overrides == ()
        qtbot.waitUntil(lambda: polled(ann) and ann.swaps_page.outgoing.count() == 1, timeout=5000)
        # Declining leaves a note for the asker.
        ben.swaps_page.incoming.setCurrentRow(0)
        ben.swaps_page.ask_note = lambda request: "I'm away that weekend"
        ben.swaps_page.answer_selected("decline")
        qtbot.waitUntil(lambda: polled(ann) and ann.swaps_page.history.count() == 1, timeout=5000)
        assert ann.swaps_page.history.item(0).text().endswith("(I'm away that weekend)")
        ben.undo_stack.undo()
        qtbot.waitUntil(lambda: polled(ann) and ann.swaps_page.outgoing.count() == 1, timeout=5000)
        # Both answer at once: exactly one answer holds.
        (request,) = ann_store.swaps.requests("ann")
        assert request.id is not None
        ann_store.swaps.withdraw(request.id, "ann", NOW)
        with pytest.raises(ConflictError, match="withdrawn meanwhile"):
            ben_store.swaps.accept(request.id, "ben", NOW)
        assert ben_store.load_configuration().overrides == ()
        ann.close()
        ben.close()
    finally:
        ann_store.close()
        ben_store.close()
