"""`python -m oncall_desktop`, and the PyInstaller build's entry point: the same as `oncall-desktop`."""

import sys

from oncall_desktop.cli import main

sys.exit(main())
