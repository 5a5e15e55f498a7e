"""Stable, distinguishable colours for people, and the colours of an incident's status."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from PySide6.QtGui import QColor

from oncall_desktop.domain import Person, Status

# Open is red, acknowledged (working) brown-amber, resolved green: the incident list and the tray agree.
STATUS_COLOURS = {
    Status.OPEN: QColor("#c62828"),
    Status.WORKING: QColor("#a05a00"),
    Status.RESOLVED: QColor("#2e7d32"),
}

# Kenneth Kelly's twenty colours of maximum contrast (white and black left out for the background
# and text, plus two darker extras), in his order: the first ones are the most distinct.
PALETTE: tuple[str, ...] = (
    "#875692",
    "#f38400",
    "#a1caf1",
    "#be0032",
    "#c2b280",
    "#848482",
    "#008856",
    "#e68fac",
    "#0067a5",
    "#f99379",
    "#604e97",
    "#f6a600",
    "#b3446c",
    "#dcd300",
    "#882d17",
    "#8db600",
    "#654522",
    "#e25822",
    "#2b3d26",
    "#1f3a93",
)

GAP_COLOUR = QColor("#f0a000")
NOW_COLOUR = QColor("#e00000")


def person_colours(people: Iterable[Person]) -> dict[str, QColor]:
    """A colour per person: `Person.colour` when set, else a palette slot picked by a hash of the id.

    Collisions move to the next free slot (people taken in id order), so up to twenty people never
    share a colour and a person keeps theirs while the team stays the same.
    """
    chosen: dict[str, QColor] = {}
    taken: set[int] = set()
    for person in sorted(people, key=lambda p: p.id):
        if person.colour and QColor(person.colour).isValid():
            chosen[person.id] = QColor(person.colour)
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
