"""Hostile and careless iCal files (SPEC §9): each is refused with one line naming the event or the
line, or read, within a bound for any file; the work grows with the events, not their square."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events

from oncall_desktop import ical, ical_reading
from oncall_desktop.cli import main
from oncall_desktop.store import Store
from tests.test_ical_import import config_with_rule

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
TAIL = "END:VCALENDAR\r\n"
SPAN = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))


def event(uid: str, *lines: str, start: str = "20270105T090000Z", summary: str = "Bob Stone") -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\n{body}SUMMARY:{summary}\r\nEND:VEVENT\r\n"


def one_offs(count: int) -> str:
    first = datetime(2027, 1, 4, tzinfo=UTC)
    return "".join(
        event(
            f"e{i}",
            f"DTEND:{first + timedelta(hours=i + 2):%Y%m%dT%H%M%SZ}",
            start=f"{first + timedelta(hours=i):%Y%m%dT%H%M%SZ}",
        )
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            event("zero", "DTEND:20270105T100000Z", "RRULE:FREQ=DAILY;INTERVAL=0"),
            "event zero: RRULE INTERVAL=0 must be at least 1",
        ),
        (
            event("sec", "DURATION:PT1S", "RRULE:FREQ=SECONDLY"),
            "event sec: RRULE repeats more than 20000 times",
        ),
        (
            event("count", "DTEND:20270105T100000Z", "RRULE:FREQ=MINUTELY;COUNT=1000000000"),
            "event count: RRULE repeats more than 20000 times",
        ),
        (
            event("tz", "DTEND;TZID=Mars/Olympus:20270105T100000", start="20270105T090000"),
            "event tz: DTEND names the time zone 'Mars/Olympus'",
        ),
        (event("neg", "DURATION:-PT2H"), "event neg: DURATION -PT2H is negative"),
        ("BEGIN:VEVENT\r\nUID:lost\r\nEND:VEVENT\r\n", "no VCALENDAR in the file"),
    ],
    ids=[
        "interval-0",
        "secondly-without-until",
        "count-10^9",
        "unknown-tzid",
        "negative-duration",
        "no-calendar",
    ],
)
def test_a_file_that_cannot_be_read_is_refused_naming_the_event(body: str, message: str) -> None:
    text = body if body.startswith("BEGIN:VEVENT\r\nUID:lost") else HEAD + body + TAIL
    with pytest.raises(ical.IcalError) as raised:
        ical.preview_import(text, config_with_rule("UTC"), "cover", *SPAN)
    assert str(raised.value).startswith(message), raised.value
    assert "\n" not in str(raised.value)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = []
    monkeypatch.setattr(icalendar.Calendar, "from_ical", lambda *a, **k: parsed.append(a))
    text = HEAD + event("big", "DTEND:20270105T100000Z", "DESCRIPTION:" + "x" * 70) * 60_000 + TAIL
    assert len(text) > 4 * 1024 * 1024
    with pytest.raises(ical.IcalError, match=r"^the file is \d+ MB; at most 4 MB can be imported$"):
        ical.preview_import(text, config_with_rule("UTC"), "cover")
    assert parsed == []


def test_reading_that_runs_out_of_time_stops_with_how_far_it_got(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ical_reading, "MAX_READ_SECONDS", 0.0)
    with pytest.raises(ical.IcalError) as raised:
        ical.preview_import(HEAD + one_offs(250) + TAIL, config_with_rule("UTC"), "cover")
    assert str(raised.value) == (
        "reading the file took longer than 0 s (100 of 250 events read); "
        "import a smaller file or a shorter span"
    )


def test_the_cli_refuses_a_never_ending_rule_in_one_line_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    ics = tmp_path / "zero.ics"
    ics.write_text(HEAD + event("zero", "DTEND:20270105T100000Z", "RRULE:FREQ=DAILY;INTERVAL=0") + TAIL)
    args = ["--db", db, "import-ics", str(ics), "--rule", "default"]
    assert main([*args, "--start", "2027-01-05T00:00Z", "--end", "2027-01-06T00:00Z"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("event zero: RRULE INTERVAL=0 must be at least 1"), err
    assert len(err.strip().splitlines()) == 1
    with Store.open(db) as store:
        assert store.load_configuration().overrides == ()


def test_a_zone_the_file_defines_itself_is_used_for_its_events() -> None:
    zone = (
        "BEGIN:VTIMEZONE\r\nTZID:Ops Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nTZNAME:OPS\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    text = (
        HEAD
        + zone
        + event("own", "DTEND;TZID=Ops Standard Time:20270105T180000", start="20270105T100000")
        + TAIL
    )
    text = text.replace("DTSTART:20270105T100000", "DTSTART;TZID=Ops Standard Time:20270105T100000")
    preview = ical.preview_import(text, config_with_rule("UTC"), "cover")
    assert [(e.person, e.start, e.end) for e in preview.matched] == [
        ("bob", datetime(2027, 1, 5, 7, tzinfo=UTC), datetime(2027, 1, 5, 15, tzinfo=UTC))
    ]


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the reading's units of work: content lines parsed, events parsed, series expanded,
    occurrences made of them."""
    counts: Counter[str] = Counter()
    monkeypatch.setattr(ical_reading, "MAX_READ_SECONDS", 600.0)  # work is counted here, not time

    def counted(name: str, function: object) -> object:
        def wrapper(*args: object, **kwargs: object) -> object:
            counts[name] += 1
            return function(*args, **kwargs)  # type: ignore[operator]

        return wrapper

    parts = icalendar.parser.Contentline.parts
    monkeypatch.setattr(icalendar.parser.Contentline, "parts", counted("lines", parts))
    from_ical = icalendar.Event.from_ical.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(icalendar.Event, "from_ical", classmethod(counted("events", from_ical)))
    of = recurring_ical_events.of
    monkeypatch.setattr(recurring_ical_events, "of", counted("series queries", of))
    return counts


def test_reading_grows_linearly_with_the_events(work: Counter[str]) -> None:
    config = config_with_rule("UTC")
    seen = {}
    for count in (1_000, 4_000, 16_000):
        work.clear()
        preview = ical.preview_import(HEAD + one_offs(count) + TAIL, config, "cover")
        assert len(preview.matched) == count
        seen[count] = dict(work)
    # every event is parsed once, with its own lines only; one-off events need no recurrence expansion
    assert [seen[n]["events"] for n in seen] == [1_000, 4_000, 16_000]
    assert all("series queries" not in seen[n] for n in seen)
    lines = [seen[n]["lines"] for n in seen]
    assert lines[1] / lines[0] == pytest.approx(4, rel=0.01)
    assert lines[2] / lines[1] == pytest.approx(4, rel=0.01)


def test_a_series_is_expanded_once_however_many_events_surround_it(work: Counter[str]) -> None:
    weekly = event("weekly", "DTEND:20270105T170000Z", "RRULE:FREQ=WEEKLY;COUNT=50")
    preview = ical.preview_import(HEAD + weekly + one_offs(2_000) + TAIL, config_with_rule("UTC"), "cover")
    assert len(preview.matched) == 2_050
    assert work["series queries"] == 1
    assert work["events"] == 2_001
