"""Starting and ending the desktop app as a process: what loads before the calendar is on screen,
signals with a modal dialog open, no display, `--version`, and migrations only when needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from oncall_desktop import __version__, cli
from oncall_desktop.demo import demo_configuration
from oncall_desktop.schedule import utc
from oncall_desktop.store import Store
from oncall_desktop.store.migrate import head_revision, is_at_head
from tests.helpers_station import free_port
from tests.processes import die_with_parent

ROOT = Path(__file__).resolve().parent.parent

# Runs the real entry point (`oncall-desktop` = cli.main) with hooks that print what the test waits for.
DRIVER = textwrap.dedent(
    """
    import gc
    import sys
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication
    from oncall_desktop.cli import main
    from oncall_desktop.views.main_window import MainWindow

    def say(text):
        print(text, flush=True)

    LATER = (
        "twilio", "aiohttp", "alembic", "sqlalchemy", "icalendar", "phonenumbers",
        "oncall_desktop.validation", "oncall_desktop.engine.paging", "oncall_desktop.views.integrations_view",
        "oncall_desktop.views.reports_view",


    )


    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and type(watched).__name__ == "CalendarWidget":
                QApplication.instance().removeEventFilter(self)
                loaded = sorted(m for m in LATER if m in sys.modules)
                say("first paint; already loaded: " + (",".join(loaded) or "none"))
            return False

    app = QApplication(sys.argv[:1])
    app.installEventFilter(FirstPaint(app))
    dialog = sys.argv[1]
    if dialog == "settings":
        def offer_demo(window, ask=None):
            say(f"frozen: {gc.get_freeze_count()}")
            QTimer.singleShot(0, lambda: say("dialog open; tabs: " + ",".join(
                window.tabs.tabText(i) for i in range(window.tabs.count()))))
            window.open_settings()
            say("dialog closed")
        MainWindow.offer_demo = offer_demo
    elif dialog == "demo":
        ask = MainWindow._ask_demo
        def ask_demo(window):
            QTimer.singleShot(0, lambda: say("dialog open"))
            answer = ask(window)
            say("dialog closed")
            return answer
        MainWindow._ask_demo = ask_demo
    status = main([])
    say(f"exit {status}")
    sys.exit(status)
    """
)


def start_app(dialog: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, dialog],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent,
    )


def read_until(process: subprocess.Popen[str], prefix: str, timeout: float = 60) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith(prefix):
            return lines
    process.kill()
    _, err = process.communicate()
    pytest.fail(f"no {prefix!r} from the app; it said {lines}, stderr {err[-2000:]}")


def store_with_station(url: str) -> None:
    with Store.open(url) as store:
        config = demo_configuration(utc(2026, 3, 20))
        store.replace_configuration(config)
        settings = config.settings
        store.save_settings(
            replace(settings, station=replace(settings.station, listen=f"127.0.0.1:{free_port()}"))
        )


def test_the_calendar_is_painted_before_the_station_loads_and_sigint_ends_the_settings_dialog(
    tmp_path: Path,
) -> None:
    url = os.environ["ONCALL_DESKTOP_DB"]
    store_with_station(url)
    app = start_app("settings", tmp_path)
    lines = read_until(app, "dialog open")
    assert "first paint; already loaded: none" in lines
    # What start-up made is left out of garbage collection once the station runs (a full
    # collection over it would stall the window, the intake and the engine for some 100 ms).
    frozen = next(int(line.split()[1]) for line in lines if line.startswith("frozen:"))
    assert frozen > 50_000

    # the station came right after
    assert lines[-1].endswith(
        "tabs: Calendar,People && teams,Integrations,Maintenance,Reports,My on-call,Incidents"
    )

    app.send_signal(signal.SIGINT)
    out, err = app.communicate(timeout=30)
    assert out.split() == ["dialog", "closed", "exit", "0"], err
    with Store.open(url) as store:
        lease = store.lease.state()  # quit as the menu does: the station let go of the engine
        assert lease is not None
        assert lease.holder is None


def test_sigterm_while_the_first_run_dialog_is_open_quits(tmp_path: Path) -> None:
    app = start_app("demo", tmp_path)
    read_until(app, "dialog open")
    app.send_signal(signal.SIGTERM)
    out, err = app.communicate(timeout=30)
    assert out.split() == ["dialog", "closed", "exit", "0"], err
    with Store.open(os.environ["ONCALL_DESKTOP_DB"]) as store:
        assert store.load_configuration().people == ()  # the demo was not loaded on the way out


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncall_desktop", *args],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_a_display_one_line_points_at_serve() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = run_cli(env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "needs a desktop session" in done.stderr
    assert "`oncall-desktop serve` runs the paging station headless" in done.stderr


def test_a_display_that_cannot_be_reached_is_one_line_too(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":379", "XDG_RUNTIME_DIR": str(tmp_path)}
    env.pop("WAYLAND_DISPLAY", None)
    done = run_cli(env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "oncall-desktop: error: cannot open the window: could not connect to display :379; "
        "`oncall-desktop serve` runs the paging station headless"
    ]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"oncall-desktop {__version__}\n"


def test_alembic_loads_only_when_the_schema_needs_migrating() -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from oncall_desktop.store.migrate import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    url = os.environ["ONCALL_DESKTOP_DB"]
    with Store.open(url) as store, store.engine.connect() as connection:
        assert is_at_head(connection)
    probe = "import sys; from oncall_desktop.store import Store; Store.open(sys.argv[1]).close(); "
    probe += "print(sorted(m for m in ('alembic', 'mako') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe, url], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
    with Store.open(url) as store, store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "-1")
        assert not is_at_head(connection)
    done = subprocess.run(
        [sys.executable, "-c", probe, url], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "['alembic', 'mako']"  # migrated back up to the head
    with Store.open(url) as store, store.engine.connect() as connection:
        assert is_at_head(connection)


def test_reading_the_configuration_from_a_sqlite_file_loads_no_sqlalchemy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'oncall.db'}"
    with Store.open(url) as store:  # a new file: created and migrated (SQLAlchemy and Alembic)
        store.replace_configuration(demo_configuration(utc(2026, 3, 20)))
        expected = store.load_configuration()
    probe = textwrap.dedent(
        """
        import sys
        from oncall_desktop.store import Store
        store = Store.open(sys.argv[1])
        config = store.load_configuration()
        print(len(config.people), len(config.rules), store.revision() > 0, len(store.integrations()))
        print("sqlalchemy" in sys.modules)
        store.save_settings(config.settings)  # a write: now SQLAlchemy is there
        print("sqlalchemy" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, url], capture_output=True, text=True, check=True, timeout=60
    )
    counts, before, after = done.stdout.split("\n")[:3]
    assert counts == f"{len(expected.people)} {len(expected.rules)} True {len(expected.integrations)}"
    assert (before, after) == ("False", "True")
