"""Render the app icon's PNG sizes from its SVG into the package (oncall_desktop/resources/icons).

    .venv/bin/python packaging/make_icons.py [--check]

Run it after editing `oncall-desktop.svg` and commit the PNGs. With `--check` nothing is written:
it exits 1 if a committed PNG is missing or differs from what the SVG renders to now.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oncall_desktop.resources import ICON_NAME, ICON_SIZES  # noqa: E402

ICONS = ROOT / "oncall_desktop" / "resources" / "icons"
TOLERANCE = 2
"""How far (of 255) a channel of a committed PNG may be from what renders now: antialiasing rounds
differently on other CPUs and Qt builds by one step; an edited SVG moves pixels much further."""


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_path(size: int) -> Path:
    return ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"


def differs(committed: Path, image: QImage) -> bool:
    """Whether the PNG at `committed` is missing or not what `image` is, up to TOLERANCE."""
    if not committed.exists():
        return True
    stored = QImage(str(committed)).convertToFormat(QImage.Format.Format_ARGB32)
    if stored.size() != image.size():
        return True
    ours, theirs = bytes(image.constBits()), bytes(stored.constBits())
    return ours != theirs and max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) > TOLERANCE


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args()
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / f"{ICON_NAME}.svg"))
    if not renderer.isValid():
        print(f"make_icons: {ICONS / f'{ICON_NAME}.svg'} is not a valid SVG", file=sys.stderr)
        return 1
    stale = []
    for size in ICON_SIZES:
        image, path = render(renderer, size), png_path(size)
        if args.check:
            if differs(path, image):
                stale.append(str(path.relative_to(ROOT)))

            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            print(f"make_icons: cannot write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ROOT))
    if stale:
        print("make_icons: out of date (run packaging/make_icons.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
