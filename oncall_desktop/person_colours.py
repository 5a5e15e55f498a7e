"""Each person's colour on the calendar (SPEC §2): stored with the person, so adding someone never
recolours anyone else. A new person gets the first palette colour nobody has yet."""

from __future__ import annotations

import colorsys
import re
from collections.abc import Iterable

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

_HEX = re.compile(r"#[0-9a-fA-F]{6}\Z")
_GOLDEN = 0.618033988749895


def is_colour(value: str) -> bool:
    """`#rrggbb`."""
    return bool(_HEX.match(value))


def next_colour(taken: Iterable[str | None]) -> str:
    """The first palette colour not in `taken`; past twenty people, hues spread by the golden angle
    (still none equal to one taken)."""
    used = {c.lower() for c in taken if c}
    for colour in PALETTE:
        if colour not in used:
            return colour
    step = 0
    while True:
        step += 1
        hue = (step * _GOLDEN) % 1.0
        lightness = (0.38, 0.55, 0.7)[step % 3]
        r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.65)
        colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
        if colour not in used:
            return colour
