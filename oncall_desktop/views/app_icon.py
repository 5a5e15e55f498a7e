"""The app's icon for the window, the taskbar and the tray, from the PNGs shipped in the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

from oncall_desktop.resources import ICON_NAME, ICON_SIZES, icon_png


@cache
def app_icon() -> QIcon:
    """The icon theme's `oncall-desktop` where one is installed (the .deb puts it in hicolor), else
    the package's own PNGs, each size drawn for itself so the 16 px one stays sharp. A PNG on disk
    is decoded only when a size is asked for (the window's start decodes none it does not show)."""
    icon = QIcon()
    for size in ICON_SIZES:
        png = icon_png(size)
        if isinstance(png, Path):
            icon.addFile(str(png), QSize(size, size))
        elif not (pixmap := icon_pixmap(size)).isNull():  # inside a zip, say: decoded now
            icon.addPixmap(pixmap)

    return QIcon.fromTheme(ICON_NAME, icon)


def icon_pixmap(size: int) -> QPixmap:
    """The package's own PNG of `size` px (one of ICON_SIZES), whatever the icon theme says."""
    pixmap = QPixmap()
    pixmap.loadFromData(icon_png(size).read_bytes(), "PNG")
    return pixmap
