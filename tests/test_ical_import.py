"""iCal import: shifts from Google, Outlook and hand-written calendars become overrides (issue 7)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall_desktop import ical, ical_reading
from oncall_desktop.cli import main
from oncall_desktop.domain import Configuration, Layer, OnCallRule, Override, Person
from oncall_desktop.schedule import Schedules, utc
from oncall_desktop.store import Store
from tests.test_ical_export import START, team_config

DATA = Path(__file__).parent / "data" / "ical"
PEOPLE = (
    Person("alice", "Alice Chen", "alice@example.com"),
    Person("bob", "Bob Stone", "bob@example.com"),
    Person("carol", "Carol Diaz", "carol@example.com", oncall_email="carol.pager@example.com"),
)


def config_with_rule(zone: str) -> Configuration:
    return Configuration(
        people=PEOPLE,
        rules=(OnCallRule("cover", "Cover", zone), OnCallRule("default", "Default", "UTC")),
    )


def spans(preview: ical.ImportPreview) -> list[tuple[str | None, datetime, datetime]]:
    return [(e.person, e.start, e.end) for e in preview.matched]


def test_google_calendar_in_utc_with_x_wr_timezone_keeps_berlin_wall_clock() -> None:
    preview = ical.preview_import((DATA / "google.ics").read_bytes(), config_with_rule("UTC"), "cover")
    # 09:00 Berlin every Monday for 24 h: 08:00Z before the spring-forward night, 07:00Z after.
    assert spans(preview) == [
        ("alice", utc(2026, 3, 16, 8), utc(2026, 3, 17, 8)),
        ("bob", utc(2026, 3, 20, 17), utc(2026, 3, 21, 7)),
        ("alice", utc(2026, 3, 23, 8), utc(2026, 3, 24, 8)),
        ("alice", utc(2026, 3, 30, 7), utc(2026, 3, 31, 7)),
        ("alice", utc(2026, 4, 6, 7), utc(2026, 4, 7, 7)),
    ]
    assert [e.matched_by for e in preview.matched] == ["name", "attendee", "name", "name", "name"]
    assert [(e.summary, e.start) for e in preview.unmatched] == [("Team sync", utc(2026, 3, 22, 9))]


def test_outlook_calendar_with_windows_zone_names() -> None:
    preview = ical.preview_import((DATA / "outlook.ics").read_bytes(), config_with_rule("UTC"), "cover")
    # Fridays 18:00 to Mondays 09:00 "W. Europe Standard Time", across the October fall-back.
    assert spans(preview) == [
        ("carol", utc(2026, 10, 16, 16), utc(2026, 10, 19, 7)),
        ("carol", utc(2026, 10, 23, 16), utc(2026, 10, 26, 8)),
        ("carol", utc(2026, 10, 30, 17), utc(2026, 11, 2, 8)),
        ("bob", utc(2026, 11, 2, 13), utc(2026, 11, 3, 1)),
    ]
    assert preview.matched[0].matched_by == "email"
    assert preview.unmatched == ()


def test_hand_written_recurrence_with_exdate_recurrence_id_and_all_day_event() -> None:
    preview = ical.preview_import(
        (DATA / "handwritten.ics").read_bytes(), config_with_rule("America/New_York"), "cover"
    )
    assert spans(preview) == [
        ("alice", utc(2026, 3, 6, 1), utc(2026, 3, 6, 13)),  # 20:00–08:00 EST
        ("alice", utc(2026, 3, 7, 1), utc(2026, 3, 7, 13)),
        # 7 March excluded; 8 March crosses the spring-forward night (EST → EDT): 11 hours.
        ("alice", utc(2026, 3, 9, 0), utc(2026, 3, 9, 12)),
        ("bob", utc(2026, 3, 10, 2), utc(2026, 3, 10, 10)),  # the moved 9 March occurrence
        ("alice", utc(2026, 3, 11, 0), utc(2026, 3, 11, 12)),
        ("carol", utc(2026, 3, 14, 4), utc(2026, 3, 16, 4)),  # two whole days in New York
    ]
    assert preview.unmatched == ()  # the cancelled event is not an event


def test_all_day_events_are_whole_days_in_the_rules_zone() -> None:
    data = (DATA / "handwritten.ics").read_bytes()
    tokyo = ical.preview_import(data, config_with_rule("Asia/Tokyo"), "cover")
    carol = [e for e in tokyo.matched if e.person == "carol"]
    assert [(e.start, e.end) for e in carol] == [(utc(2026, 3, 13, 15), utc(2026, 3, 15, 15))]


def test_a_span_limits_and_clips_the_import() -> None:
    data = (DATA / "google.ics").read_bytes()
    preview = ical.preview_import(
        data, config_with_rule("UTC"), "cover", utc(2026, 3, 20, 12), utc(2026, 3, 23, 12)
    )
    assert spans(preview) == [
        ("bob", utc(2026, 3, 20, 17), utc(2026, 3, 21, 7)),
        ("alice", utc(2026, 3, 23, 8), utc(2026, 3, 23, 12)),
    ]


def test_endless_recurrence_is_expanded_two_years_past_the_latest_start() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:w\r\n"
        "DTSTART:20260105T090000Z\r\nDTEND:20260105T170000Z\r\nRRULE:FREQ=WEEKLY\r\n"
        "SUMMARY:Bob Stone\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    preview = ical.preview_import(text, config_with_rule("UTC"), "cover")
    assert preview.matched[0].start == utc(2026, 1, 5, 9)
    assert preview.matched[-1].start < utc(2026, 1, 5) + ical.OPEN_RECURRENCE_REACH
    assert preview.matched[-1].start > utc(2026, 1, 5) + ical.OPEN_RECURRENCE_REACH - timedelta(days=8)


def test_people_are_matched_by_attendee_then_email_then_name() -> None:
    def event(summary: str, attendees: tuple[str, ...] = ()) -> str:
        lines = "".join(f"ATTENDEE:mailto:{a}\r\n" for a in attendees)
        return (
            f"BEGIN:VEVENT\r\nUID:{abs(hash(summary + str(attendees)))}\r\n"
            f"DTSTART:20260105T090000Z\r\nDTEND:20260105T170000Z\r\n{lines}SUMMARY:{summary}\r\nEND:VEVENT\r\n"
        )

    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        + event("Alice Chen swaps", ("BOB@example.com",))
        + event("cover for CAROL.PAGER@example.com")
        + event("alice chen")
        + event("Alice Chenoweth")
        + event("Alice Chen and Bob Stone")
        + event("both", ("alice@example.com", "bob@example.com"))
        + "END:VCALENDAR\r\n"
    )
    preview = ical.preview_import(text, config_with_rule("UTC"), "cover")
    assert sorted((e.summary, e.person, e.matched_by) for e in preview.matched) == [
        ("Alice Chen swaps", "bob", "attendee"),
        ("alice chen", "alice", "name"),
        ("cover for CAROL.PAGER@example.com", "carol", "email"),
    ]
    assert sorted((e.summary, e.reason) for e in preview.unmatched) == [
        ("Alice Chen and Bob Stone", "several people named: alice, bob"),
        ("Alice Chenoweth", "no attendee, email or name of a known person"),
        ("both", "several people attend: alice, bob"),
    ]


def test_overlapping_events_and_existing_overrides_are_reported_as_conflicts() -> None:
    config = config_with_rule("UTC")
    config = replace(
        config, overrides=(Override("cover", "carol", utc(2026, 3, 16, 20), utc(2026, 3, 16, 22)),)
    )
    preview = ical.preview_import((DATA / "google.ics").read_bytes(), config, "cover")
    assert [(a.person, b.person, b.start) for a, b in preview.conflicts] == [
        ("alice", "carol", utc(2026, 3, 16, 20)),
    ]
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T170000Z\r\n"
        "SUMMARY:Bob Stone\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20260105T160000Z\r\nDTEND:20260105T200000Z\r\n"
        "SUMMARY:Alice Chen\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    preview = ical.preview_import(text, config_with_rule("UTC"), "cover")
    assert [(a.person, b.person) for a, b in preview.conflicts] == [("bob", "alice")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("hello world\r\n", "line 1: "),
        ("BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n", "no VCALENDAR in the file"),
        ((DATA / "broken.ics").read_text(), "line 5: VEVENT DTSTART: "),
    ],
)
def test_an_unreadable_calendar_names_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ical.IcalError) as raised:
        ical.preview_import(text, config_with_rule("UTC"), "cover")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_export_then_import_onto_an_empty_rule_reproduces_the_schedule() -> None:
    config = team_config()
    # No rotation and no overrides of its own: whoever the overrides name is on call.
    empty = OnCallRule("copy", "Copy", "Europe/Berlin", layers=(Layer(personnel=("alice",)),))
    config = replace(config, rules=(*config.rules[:-1], empty, config.rules[-1]))
    end = START + timedelta(days=60)
    data = ical.export_calendar(config, START, end, rule="payments")
    preview = ical.preview_import(data, config, "copy")
    assert preview.unmatched == ()
    assert {e.matched_by for e in preview.matched} == {"attendee"}
    imported = ical.with_import(config, preview)
    schedules = Schedules(imported)
    original = schedules.final_schedule(START, end, rules=["payments"]).intervals
    copied = schedules.final_schedule(START, end, rules=["copy"]).intervals
    assert len(copied) == 12
    assert [(i.person, i.start, i.end) for i in copied] == [(i.person, i.start, i.end) for i in original]


def test_import_stores_overrides_in_one_write_and_again_adds_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store.open(url) as store:
        store.replace_configuration(config_with_rule("Europe/Berlin"))
        before = store.revision()
        code = main(["--db", url, "import-ics", str(DATA / "google.ics"), "--rule", "cover"])
        assert code == 0
        assert store.revision() == before + 1
        stored = store.load_configuration().overrides
        assert [(o.person, o.start) for o in stored][:2] == [
            ("alice", utc(2026, 3, 16, 8)),
            ("bob", utc(2026, 3, 20, 17)),
        ]
        assert len(stored) == 5
        assert main(["--db", url, "import-ics", str(DATA / "google.ics"), "--rule", "cover"]) == 0
        assert len(store.load_configuration().overrides) == 5


def test_cli_prints_matched_and_unmatched(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store.open(url) as store:
        store.replace_configuration(config_with_rule("Europe/Berlin"))
    assert main(["--db", url, "import-ics", str(DATA / "google.ics"), "--rule", "cover", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "matched    alice  2026-03-16T08:00:00Z  2026-03-17T08:00:00Z  by name" in out.out.splitlines()
    assert (
        "unmatched  Team sync  2026-03-22T09:00:00Z  (no attendee, email or name of a known person)"
        in out.out
    )
    assert "would add 5 overrides to rule cover; 1 unmatched, 0 conflicts" in out.err
    assert main(["--db", url, "import-ics", str(DATA / "google.ics"), "--rule", "cover", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["added"] == 5
    assert doc["matched"][1] == {
        "summary": "Weekend cover",
        "person": "bob",
        "start": "2026-03-20T17:00:00Z",
        "end": "2026-03-21T07:00:00Z",
        "matched_by": "attendee",
        "already_present": False,
    }
    assert doc["unmatched"][0]["summary"] == "Team sync"


def test_cli_broken_file_exits_2_with_one_line_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store.open(url) as store:
        store.replace_configuration(config_with_rule("Europe/Berlin"))
        before = store.revision()
        broken = DATA / "broken.ics"
        assert main(["--db", url, "import-ics", str(broken), "--rule", "cover"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"{broken}: line 5: VEVENT DTSTART" in err
        assert main(["--db", url, "import-ics", str(tmp_path / "missing.ics"), "--rule", "cover"]) == 2
        assert "cannot read" in capsys.readouterr().err
        assert main(["--db", url, "import-ics", str(DATA / "google.ics"), "--rule", "nope"]) == 2
        assert "unknown rule 'nope'" in capsys.readouterr().err
        assert store.revision() == before
        assert store.load_configuration().overrides == ()


def test_cli_export_writes_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store.open(url) as store:
        store.replace_configuration(team_config())
    out = tmp_path / "carol.ics"
    args = ["--db", url, "export-ics", "--person", "carol", "-o", str(out)]
    assert main([*args, "--start", "2026-03-01T00:00Z", "--end", "2026-04-01T00:00+02:00"]) == 0
    calendar = ical_reading.read_calendar(out.read_bytes())
    starts = sorted(e["DTSTART"].dt.astimezone(UTC) for e in calendar.walk("VEVENT"))
    assert utc(2026, 3, 10, 8) in starts
    assert all(e["X-ONCALL-PERSON"] == "carol" for e in calendar.walk("VEVENT"))
    assert "wrote" in capsys.readouterr().err
    assert main([*args[:-2], "--person", "zoe", "-o", str(out)]) == 2
    assert "unknown person 'zoe'" in capsys.readouterr().err
    assert main([*args, "--start", "2026-03-01T00:00"]) == 2


def test_a_runaway_recurrence_is_refused_instead_of_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ical_reading, "MAX_OCCURRENCES", 200)  # the real limit takes seconds to reach
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:m\r\n"
        "DTSTART:20260105T090000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\n"
        "SUMMARY:Bob Stone\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    expected = "event m: RRULE repeats more than 200 times between 2026-01-04 and 2028-01-05"
    with pytest.raises(ical.IcalError, match=expected):
        ical.preview_import(text, config_with_rule("UTC"), "cover")
