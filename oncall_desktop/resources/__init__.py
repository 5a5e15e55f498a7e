"""Files shipped inside the package: the station's alarm sound and the app's icon.

Read through `importlib.resources`, so a checkout, an installed wheel and the PyInstaller folder
find them the same way, never through a path relative to the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

ICON_NAME = "oncall-desktop"
"""The icon's name in the freedesktop icon theme (hicolor), as the `.desktop` file names it."""

ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
"""The PNG sizes rendered from the SVG (packaging/make_icons.py), each in hicolor/NxN/apps/."""


def resource(*parts: str) -> Traversable:
    """A file shipped in this package, e.g. `resource("alarm.wav")`."""
    return files(__name__).joinpath(*parts)


def alarm_wav() -> Traversable:
    return resource("alarm.wav")


def icon_svg() -> Traversable:
    return resource("icons", f"{ICON_NAME}.svg")


def icon_png(size: int) -> Traversable:
    return resource("icons", "hicolor", f"{size}x{size}", "apps", f"{ICON_NAME}.png")
