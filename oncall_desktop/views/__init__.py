"""The Qt desktop app: windows, widgets and the Qt models over the core."""

from __future__ import annotations

import ctypes
import sys

import PySide6


def _keep_none_alive() -> None:
    """Work around PySide6 6.12.0 on Python < 3.12, whose void methods drop a reference to None.

    Every call such as `painter.fillRect(...)` or `widget.update()` leaves None with one reference
    fewer; after a few thousand the interpreter aborts with "none_dealloc: deallocating None" (and,
    less often, "bool_dealloc" for True or False). Python 3.12 made these singletons immortal
    (PEP 683), which is why the bug goes unnoticed there; here we give them a reference count no
    session can use up. Remove once the project is on Python 3.12 or a PySide6 without the bug.
    """
    if sys.version_info < (3, 12) and PySide6.__version__ == "6.12.0":
        for singleton in (None, True, False):
            ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 48


_keep_none_alive()
