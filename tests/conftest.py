"""Test-wide setup: Qt runs headless, and no test touches the real user's data or configuration."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# Before anything imports Qt: render offscreen unless the caller chose a platform (e.g. xcb under Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# tests/pg.py: the throwaway PostgreSQL cluster and its `postgres_url` fixture (guarded until it exists).
pytest_plugins = ["tests.pg"] if importlib.util.find_spec("tests.pg") is not None else []


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the database and the XDG data/config directories at a fresh temporary directory.

    ONCALL_DESKTOP_DB is a SQLite file in it; a test about the default database location unsets it.
    """
    root = tmp_path_factory.mktemp("user")
    for name in ("data", "config"):
        (root / name).mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root / "config"))
    monkeypatch.setenv("ONCALL_DESKTOP_DB", f"sqlite:///{root / 'oncall.db'}")
    return root
