"""Render planning around people with the demo team: the Reports tab over a year of generated
incidents (docs/screenshots/reports.png), a person's time off with its conflicts and covers in
People & teams (docs/screenshots/time-off.png), the conflicts on the calendar
(docs/screenshots/calendar-conflicts.png), and swap requests in "My on-call"
(docs/screenshots/swap-requests.png).

    .venv/bin/python scripts/screenshots_planning.py [--out docs/screenshots]

The demo team gets public-holiday calendars for where they live and some time off (one of them
during their own primary shift: a conflict). A year of incidents (three a day on average, tagged
for the demo's rules) is generated with a fixed seed, acknowledged and resolved by whoever was on
call, so the image is reproducible.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from oncall_desktop.demo import demo_configuration
from oncall_desktop.domain import Configuration, Severity, TimeOff
from oncall_desktop.incident import IncomingAlert, IntakeResult
from oncall_desktop.planning import person_zone
from oncall_desktop.routing import route
from oncall_desktop.schedule import Schedules
from oncall_desktop.store import Store
from oncall_desktop.swaps import SwapRequest, shifts_of
from oncall_desktop.timeutil import resolve_wall
from oncall_desktop.views.main_window import MainWindow

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
SIZE = (1400, 900)
HOLIDAYS = {
    "lukas": "DE-BE",
    "chloe": "FR",
    "priya": "GB-ENG",
    "maria": "US-NY",
    "james": "US-CA",
    "dev": "US-IL",
    "hana": "JP",
    "wei": "SG",
}
TAGS = (("service:platform-api", "env:prod"), ("service:billing-api",), ("service:db-main",), ("env:prod",))


def planning_configuration(now: datetime) -> Configuration:
    """The demo team with holiday calendars and time off; Chloe is away during her primary week."""
    config = demo_configuration(now)
    # The demo's rules begin a few weeks back; for a year's report they have run all year.
    config = replace(config, rules=tuple(replace(r, effective_start=None) for r in config.rules))
    people = tuple(replace(p, holidays=HOLIDAYS.get(p.id)) for p in config.people)
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    schedules = Schedules(config)
    week = schedules.final_schedule(
        monday + timedelta(days=7), monday + timedelta(days=14), rules=["primary"]
    )
    on_primary = week.intervals[0].person if week.intervals else "chloe"

    def local_days(person_id: str, first: int, days: int) -> tuple[datetime, datetime]:
        """`days` whole days in the person's own zone, from `first` days after this Monday."""
        tz = person_zone(next(p for p in people if p.id == person_id))
        day = (monday + timedelta(days=first)).date()
        midnight = datetime.min.time()
        return (
            resolve_wall(datetime.combine(day, midnight), tz),
            resolve_wall(datetime.combine(day + timedelta(days=days), midnight), tz),
        )

    time_off = (
        TimeOff(on_primary, *local_days(on_primary, 9, 2), "Family visit"),
        TimeOff("maria", *local_days("maria", 21, 7), "Vacation"),
        TimeOff(on_primary, *local_days(on_primary, 30, 1), "Dentist"),
    )
    return replace(config, people=people, time_off=time_off)


def generate_incidents(store: Store, config: Configuration, now: datetime, days: int = 365) -> int:
    """About three incidents a day before `now`, each acknowledged by someone on call for its rule."""
    rng = random.Random(16)
    schedules = Schedules(config)
    start = now - timedelta(days=days)
    count = 0
    for day in range(days):
        for _ in range(rng.choice((1, 2, 3, 3, 4, 5))):
            created = start + timedelta(days=day, seconds=rng.randrange(86_400))
            tags = rng.choice(TAGS)
            result = IntakeResult(
                f"g{count}",
                f"Alert {count}",
                "",
                rng.choice((Severity.P1, Severity.P2, Severity.P3)),
                tags,
                (IncomingAlert(f"f{count}", "firing", dict(t.split(":", 1) for t in tags)),),
            )
            outcome = store.incidents.ingest("prod-alertmanager", result, created)
            count += 1
            if outcome.incident_id is None:
                continue
            rules = route(schedules, tags, created)
            people = schedules.rules[rules[0]].on_call(created) if rules else ()
            slow = 1.0 + 0.8 * rules.index(rules[0]) if rules else 1.0
            if people and rng.random() < 0.92:
                acked = created + timedelta(seconds=rng.randrange(40, int(900 * slow)))
                store.incidents.acknowledge(outcome.incident_id, acked, by=people[0])
                store.incidents.resolve(
                    outcome.incident_id, acked + timedelta(seconds=rng.randrange(300, 7200))
                )
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        store = Store.open(f"sqlite:///{scratch}/demo.db")
        config = planning_configuration(NOW)
        store.replace_configuration(config)
        generate_incidents(store, store.load_configuration(), NOW)
        window = MainWindow(store, now=lambda: NOW, settings=settings)
        window.resize(*SIZE)
        window.show()
        window.show_tab("Reports")
        view = window.reports_page
        view.set_span((NOW - timedelta(days=364)).date(), NOW.date())  # type: ignore[attr-defined]
        for _ in range(5):
            app.processEvents()
        window.grab().save(str(args.out / "reports.png"))
        print(f"wrote {args.out / 'reports.png'}")
        away = next(t.person for t in config.time_off)
        window.tabs.setCurrentIndex(1)
        window.people_table.selectRow([p.id for p in config.people].index(away))
        window.time_off_panel.step_month(1)
        for _ in range(5):
            app.processEvents()
        window.grab().save(str(args.out / "time-off.png"))
        print(f"wrote {args.out / 'time-off.png'}")
        # The conflicts on the calendar: the week of the time off, in caution tape.
        window.tabs.setCurrentIndex(0)
        window.calendar_model.set_mode("week")
        first_away = next(t for t in config.time_off if t.person == away)
        window.go_to_date(first_away.start.date())
        for _ in range(5):
            app.processEvents()
        window.grab().save(str(args.out / "calendar-conflicts.png"))
        print(f"wrote {args.out / 'calendar-conflicts.png'}")
        # The swap flow, as the colleague sees it in "My on-call": a request waiting, one answered.
        config = store.load_configuration()
        shifts = shifts_of(config, away, NOW, NOW + timedelta(weeks=3))
        primary = next(i for i in shifts if i.rule == "primary")
        colleague = next(p for p in config.rule_people(config.rule("primary")) if p != away)  # type: ignore[arg-type]
        day = timedelta(days=1)
        first = store.swaps.ask(
            SwapRequest(
                "primary", away, colleague, primary.start + day, primary.start + 2 * day, "Family visit"
            ),
            NOW,
        )
        store.swaps.ask(
            SwapRequest(
                "primary", away, colleague, primary.start + 3 * day, primary.start + 4 * day, "Dentist"
            ),
            NOW,
        )
        assert first.id is not None
        store.swaps.accept(first.id, colleague, NOW)
        settings.setValue("me", colleague)
        window.reload()
        window.show_tab("My on-call")
        window.swaps_page.incoming.setCurrentRow(0)
        for _ in range(5):
            app.processEvents()
        window.grab().save(str(args.out / "swap-requests.png"))
        print(f"wrote {args.out / 'swap-requests.png'}")
        window.close()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
