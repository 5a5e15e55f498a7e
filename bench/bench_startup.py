"""Start-up time and memory of the app, side by side with a bare PySide6 window, offscreen.

    .venv/bin/python bench/bench_startup.py [--rounds 7] [--hour-seconds 60] [--incidents 10000]

1. First paint: from just before the process is spawned to the end of the first paint of the
   calendar (the app on the demo team, `oncall-desktop` as a user starts it), or of a
   QCalendarWidget in a QMainWindow (the bare window), and the peak resident memory (ru_maxrss) at
   that moment. The two alternate in one run, so both see the same machine load; the medians and
   their ratio are printed. Target: the app within 0.5 s and under 120 MB. Untimed warm-up runs come
   first (page cache, and the bytecode written as on any start after the first).

2. Memory after an hour: the app on a store of 10,000 incidents (50 of them open and escalating),
   its engine ticking for an hour of virtual time (`ScaledClock`: the same ticks as a real hour,
   each delay shortened by the clock's speed), then its resident memory (VmRSS) and peak (VmHWM).

Each child process writes one JSON line on standard output and exits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# -- the child processes (kept first and light: everything they import counts) -------------------


def _report(**figures: object) -> None:
    import resource

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    rss_mib = int(status["VmRSS"].split()[0]) / 1024
    print(
        json.dumps({"at": time.monotonic(), "peak_mib": peak_mib, "rss_mib": rss_mib, **figures}), flush=True
    )
    os._exit(0)


def _report_after_first_paint(app: object, class_name: str) -> None:
    """Report once the first paint of a widget of `class_name` (or inside one) is done."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                widget = watched
                while widget is not None and type(widget).__name__ != class_name:
                    widget = widget.parent()
                if widget is not None:
                    app.removeEventFilter(self)  # type: ignore[attr-defined]
                    # After the paint that is being delivered (and the rest of its frame).
                    QTimer.singleShot(0, _report)
            return False

    app.installEventFilter(FirstPaint(app))  # type: ignore[attr-defined]


def child_bare() -> None:
    from PySide6.QtWidgets import QApplication, QCalendarWidget, QMainWindow

    app = QApplication(sys.argv[:1])
    _report_after_first_paint(app, "QCalendarWidget")
    window = QMainWindow()
    window.setCentralWidget(QCalendarWidget())
    window.resize(1400, 900)
    window.show()
    app.exec()


def child_app() -> None:
    # As `oncall-desktop` starts: the command line (and with it the store, SQLAlchemy) is imported
    # before Qt, which matters: PySide6 hooks every import made after it. The app then takes the
    # QApplication that exists (as under pytest-qt); making it here lets the filter see the first
    # paint, and costs what the app's own would.
    from PySide6.QtWidgets import QApplication

    from oncall_desktop.cli import main

    app = QApplication(sys.argv[:1])
    _report_after_first_paint(app, "CalendarWidget")
    main([])


def child_hour(speed: float, seconds: float) -> None:
    from datetime import UTC, datetime

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from oncall_desktop.engine.clock import ScaledClock
    from oncall_desktop.paths import database_url
    from oncall_desktop.store import Store
    from oncall_desktop.views import app as desktop_app

    qapp = QApplication(sys.argv[:1])
    store = Store.open(database_url(None))
    started = time.monotonic()

    def finish() -> None:
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())  # noqa: SIM115
        rss, hwm = (int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))
        import resource

        ticks = resource.getrusage(resource.RUSAGE_SELF)
        print(
            json.dumps(
                {
                    "rss_mib": rss,
                    "hwm_mib": hwm,
                    "seconds": time.monotonic() - started,
                    "cpu_s": ticks.ru_utime + ticks.ru_stime,
                }
            ),
            flush=True,
        )
        os._exit(0)

    QTimer.singleShot(int(seconds * 1000), finish)
    clock = ScaledClock(datetime.now(UTC), speed, time.time())
    desktop_app.run(store, clock=clock)
    qapp.quit()


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child":
    kind = sys.argv[2]
    if kind == "bare":
        child_bare()
    elif kind == "app":
        child_app()
    else:
        child_hour(float(sys.argv[3]), float(sys.argv[4]))
    sys.exit(1)  # a child that never painted

# -- the parent ------------------------------------------------------------------------------------

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIRST_PAINT_TARGET_S = 0.5
PEAK_TARGET_MIB = 120.0
OPEN_INCIDENTS = 50


def environment(workdir: Path, db: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The warm-up runs write the bytecode, as every start after the first finds it on a user's machine
    # (pip, pipx and the .deb compile it at install); a shell that forbids it would time compiling.
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    env.update(
        QT_QPA_PLATFORM="offscreen",
        ONCALL_DESKTOP_DB=f"sqlite:///{db}",
        XDG_DATA_HOME=str(workdir / "data"),
        XDG_CONFIG_HOME=str(workdir / "config"),
        XDG_RUNTIME_DIR=str(workdir / "runtime"),
    )
    (workdir / "runtime").mkdir(mode=0o700, exist_ok=True)
    return env


def spawn(kind: str, env: dict[str, str], *extra: str, timeout: float = 60) -> dict[str, float]:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"bench_startup: the {kind} child failed (exit {done.returncode}):\n{done.stderr}")
    figures: dict[str, float] = json.loads(lines[-1])
    if "at" in figures:
        figures["seconds"] = figures["at"] - began
    return figures


def seed_demo(db: Path) -> None:
    from datetime import UTC, datetime

    from oncall_desktop.demo import demo_configuration
    from oncall_desktop.store import Store

    with Store.open(f"sqlite:///{db}") as store:
        store.replace_configuration(demo_configuration(datetime.now(UTC)))


def seed_incidents(db: Path, count: int, open_count: int) -> None:
    """The demo team with a webhook, and `count` incidents over the last 30 days: each escalated
    (notifications and timeline) when it came in, all but the last `open_count` resolved 10 min later."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from oncall_desktop.demo import demo_configuration
    from oncall_desktop.domain import Integration
    from oncall_desktop.engine.engine import EscalationEngine
    from oncall_desktop.engine.intake import parse
    from oncall_desktop.store import Store

    now = datetime.now(UTC).replace(microsecond=0)
    with Store.open(f"sqlite:///{db}") as store:
        config = demo_configuration(now)
        hook = Integration(id="bench", name="Bench webhook", kind="webhook")
        store.replace_configuration(replace(config, integrations=(hook,)))
        hook = store.integrations()[0]
        engine = EscalationEngine(store, holder="bench")
        chunk = 200
        for first in range(0, count, chunk):
            at = now - timedelta(days=30) * (1 - first / count)
            numbers = range(first, min(first + chunk, count))
            bodies = [
                {
                    "title": f"Incident {n} on host-{n % 97}",
                    "severity": ("P0", "P1", "P2", "P3", "P4")[n % 5],
                    "alert_uid": f"bench-{n}",
                    "tags": [f"service:{('platform', 'billing', 'payments')[n % 3]}-{n % 7}", "env:prod"],
                }
                for n in numbers
            ]
            items = [(hook.id, parse(hook, json.dumps(b).encode())) for b in bodies]
            store.incidents.ingest_batch(items, at)
            report = engine.tick(at)
            while report.more:
                report = engine.tick(at)
            done = [
                {**b, "state": "resolved"}
                for n, b in zip(numbers, bodies, strict=True)
                if n < count - open_count
            ]
            if done:
                resolved = [(hook.id, parse(hook, json.dumps(b).encode())) for b in done]
                store.incidents.ingest_batch(resolved, at + timedelta(minutes=10))
        engine.release()


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def bench_first_paint(workdir: Path, rounds: int) -> None:
    db = workdir / "demo.sqlite3"
    seed_demo(db)
    env = environment(workdir, db)
    spawn("bare", env)  # warm the page cache and the bytecode
    spawn("app", env)
    bare: list[dict[str, float]] = []
    app: list[dict[str, float]] = []
    for _ in range(rounds):
        bare.append(spawn("bare", env))
        app.append(spawn("app", env))
    bare_s, app_s = median(bare, "seconds"), median(app, "seconds")
    bare_mib, app_mib = median(bare, "peak_mib"), median(app, "peak_mib")
    print(f"first paint, median of {rounds} (min…max), offscreen:")
    for name, runs, secs, mib in (
        ("bare PySide6 window", bare, bare_s, bare_mib),
        ("oncall-desktop", app, app_s, app_mib),
    ):
        lo, hi = min(r["seconds"] for r in runs), max(r["seconds"] for r in runs)
        print(f"  {name:<20} {secs:.3f} s ({lo:.3f}…{hi:.3f}), peak RSS {mib:.0f} MiB")
    print(
        f"  app / bare: {app_s / bare_s:.1f}× the time, {app_mib / bare_mib:.1f}× the memory; "
        f"app {'within' if app_s <= FIRST_PAINT_TARGET_S else 'OVER'} {FIRST_PAINT_TARGET_S} s, "
        f"{'under' if app_mib < PEAK_TARGET_MIB else 'OVER'} {PEAK_TARGET_MIB:.0f} MiB"
    )


def bench_hour(workdir: Path, count: int, hour_seconds: float) -> None:
    db = workdir / "incidents.sqlite3"
    began = time.monotonic()
    seed_incidents(db, count, OPEN_INCIDENTS)
    print(f"(stored {count:,} incidents in {time.monotonic() - began:.0f} s)")
    env = environment(workdir, db)
    speed = 3600 / hour_seconds
    figures = spawn("hour", env, str(speed), str(hour_seconds), timeout=hour_seconds + 300)
    print(
        f"the app after an hour of engine ticks ({speed:.0f}× virtual time, {figures['seconds']:.0f} s) "
        f"with {count:,} stored incidents ({OPEN_INCIDENTS} open): RSS {figures['rss_mib']:.0f} MiB, "
        f"peak {figures['hwm_mib']:.0f} MiB, CPU {figures['cpu_s']:.1f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--hour-seconds", type=float, default=60.0, help="real seconds for the virtual hour")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--skip-hour", action="store_true", help="only the first paint")
    args = parser.parse_args()
    print(machine.describe())
    with tempfile.TemporaryDirectory() as tmp:
        bench_first_paint(Path(tmp), args.rounds)
        if not args.skip_hour:
            bench_hour(Path(tmp), args.incidents, args.hour_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
