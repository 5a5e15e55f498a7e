"""Stable, distinguishable colours for people, and the colours of an incident's status."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from PySide6.QtGui import QColor

from oncall_desktop.domain import Person, Status
from oncall_desktop.person_colours import PALETTE

# Open is red, acknowledged (working) brown-amber, resolved green: the incident list and the tray agree.
STATUS_COLOURS = {
    Status.OPEN: QColor("#c62828"),
    Status.WORKING: QColor("#a05a00"),
    Status.RESOLVED: QColor("#2e7d32"),
}

GAP_COLOUR = QColor("#f0a000")
NOW_COLOUR = QColor("#e00000")


def person_colours(people: Iterable[Person]) -> dict[str, QColor]:
    """A colour per person: `Person.colour`, which the store gives everyone it saves.

    People not (yet) stored without one, as in a preview, get a palette slot picked by a hash of
    the id, moving to the next slot no one else holds.
    """
    chosen: dict[str, QColor] = {}
    people = sorted(people, key=lambda p: p.id)
    stored = {p.id: QColor(p.colour) for p in people if p.colour and QColor(p.colour).isValid()}
    taken = {i for i, hex_colour in enumerate(PALETTE) if QColor(hex_colour) in stored.values()}
    for person in people:
        if person.id in stored:
            chosen[person.id] = stored[person.id]
            continue
        slot = zlib.crc32(person.id.encode()) % len(PALETTE)
        for step in range(len(PALETTE)):
            candidate = (slot + step) % len(PALETTE)
            if candidate not in taken:
                slot = candidate
                break
        taken.add(slot)
        chosen[person.id] = QColor(PALETTE[slot])
    return chosen


def text_colour(background: QColor) -> QColor:
    """Black or white, whichever reads better on `background`."""
    r, g, b = background.redF(), background.greenF(), background.blueF()
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return QColor("#111111") if luminance > 0.55 else QColor("#ffffff")


def fallback_colour(person_id: str) -> QColor:
    """A colour for an id the configuration does not know (a person deleted meanwhile)."""
    return QColor(PALETTE[zlib.crc32(person_id.encode()) % len(PALETTE)])
