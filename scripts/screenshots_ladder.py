"""Render the escalation ladder editor offscreen to docs/screenshots/ladder-*.png.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_ladder.py
Uses a throwaway SQLite store with the SPEC's seed ladder (A at T+0 by SMS and email, +B at T+5 by
voice, +C at T+15, +D at T+30 repeating every 10 minutes) on a weekly rotation in Europe/Berlin.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    OnCallRule,
    Person,
    Rotation,
    Severity,
    Target,
    Team,
)
from oncall_desktop.store import Store
from oncall_desktop.views.ladder_editor import LadderEditorDialog

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SMS, VOICE, EMAIL = Channel.SMS, Channel.VOICE, Channel.EMAIL


def configuration() -> Configuration:
    people = (
        Person("alice", "Alice Chen", "alice@example.com", "+14155550101", colour="#6a1b9a"),
        Person("bob", "Bob Müller", "bob@example.com", "+4915112345678", colour="#00838f"),
        Person("carol", "Carol Diaz", "carol@example.com", "+14155550103", colour="#ef6c00"),
        Person("dave", "Dave Okafor", "dave@example.com", None, colour="#283593"),
        Person("erin", "Erin Sato", "erin@example.com", "+81312345678", colour="#ad1457"),
    )
    ladder = (
        EscalationLevel(channels={"*": (SMS, EMAIL)}),
        EscalationLevel(wait=5, add=(Target("carol", (VOICE,)),)),
        EscalationLevel(
            wait=15,
            severities=frozenset({Severity.P0, Severity.P1, Severity.P2}),
            add=(Target("dave", (EMAIL,)),),
        ),
        EscalationLevel(
            wait=30,
            severities=frozenset({Severity.P0, Severity.P1}),
            repeat=10,
            add=(Target("team:leads", (SMS, VOICE)),),
        ),
    )
    rule = OnCallRule(
        "payments",
        "Payments primary",
        "Europe/Berlin",
        layers=(
            Layer(personnel=("alice", "bob"), rotation=Rotation("weekly", 1, time(9, 0), date(2026, 1, 5))),
        ),
        escalation=ladder,
    )
    default = OnCallRule(
        "default",
        "Default",
        "UTC",
        layers=(Layer(personnel=("erin",)),),
        escalation=(EscalationLevel(channels={"*": (EMAIL,)}),),
    )
    teams = (Team("leads", "Leads", ("erin", "carol")),)
    return Configuration(people=people, teams=teams, rules=(rule, default))


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/oncall.db")
        store.replace_configuration(configuration())
        dialog = LadderEditorDialog(store, "payments")
        dialog.resize(1400, 900)
        preview = dialog.editor.preview
        preview.set_severity(Severity.P1)
        preview.set_start(datetime(2026, 3, 11, 13, 0, tzinfo=UTC))
        preview.refresh()
        dialog.editor.validate()
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(OUT / "ladder-editor.png"))

        # Monday 09:00 Berlin: Alice hands over to Bob ten minutes into the incident.
        preview.set_start(datetime(2026, 3, 16, 8, 0, tzinfo=UTC) - timedelta(minutes=10))
        preview.set_horizon(1)
        preview.refresh()
        app.processEvents()
        dialog.grab().save(str(OUT / "ladder-preview-handover.png"))

        # Invalid edits: a repeat as long as the wait to the next level, a wait that does not increase.
        editor = dialog.editor
        editor.cards[1].repeat.setValue(10)
        editor.cards[3].wait.setValue(12)
        editor.cards[2].chips[0].toggles.buttons[SMS].click()
        dialog.save()
        preview.refresh()
        app.processEvents()
        dialog.grab().save(str(OUT / "ladder-errors.png"))
        dialog.done(0)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
