"""Processes a test starts die with the test run: a `serve`, an app or an Alertmanager left behind by
a failing or killed test would go on loading the machine (and paging the fakes) for hours."""

from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """`preexec_fn` for Popen: the child gets SIGKILL when the process that started it ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
