"""The calendar widget and its models: DST-true rows, zone switching, drops, drags and the look."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from oncall_desktop.demo import demo_configuration
from oncall_desktop.domain import Configuration, OnCallRule, Override, Person, Window
from oncall_desktop.views.calendar_model import CalendarModel
from oncall_desktop.views.calendar_widget import LAYOUTS_KEPT, LAYOUTS_SPARE, PERSON_MIME, CalendarWidget
from oncall_desktop.views.colours import GAP_COLOUR, person_colours
from oncall_desktop.views.models import PeopleTableModel, RosterModel, RuleListModel, TeamListModel

pytestmark = [
    pytest.mark.qt,
    # QDrag*Event(QPoint, ...) works on every PySide6 we support; 6.12 prefers QPointF and says so.
    pytest.mark.filterwarnings("ignore:Function.*QDrag(Enter|Move)Event.*deprecated:DeprecationWarning"),
]

NOW = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
CONFIG = demo_configuration(NOW)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def calendar(qtbot: QtBot, zone: str, mode: str, day: date, config: Configuration = CONFIG) -> CalendarWidget:
    model = CalendarModel(now=lambda: NOW)
    model.set_configuration(config, 1)
    model.set_zone(zone)
    model.set_mode(mode)  # type: ignore[arg-type]
    model.set_anchor(day)
    widget = CalendarWidget(model)
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    return widget


def rects_of(widget: CalendarWidget, rule: str, person: str | None, start: datetime) -> list[QRectF]:
    return [
        p.rect
        for p in widget.painted_blocks()
        if p.block.rule == rule and p.block.person == person and p.block.start == start
    ]


def label_at(widget: CalendarWidget, column: int, y: float) -> str:
    return next(text for top, text in widget.hour_labels(column) if abs(top - y) < 0.01)


# -- models ------------------------------------------------------------------------------------


def test_every_model_passes_the_model_tester(qtmodeltester: object) -> None:
    rules = RuleListModel()
    rules.set_configuration(CONFIG)
    roster = RosterModel()
    roster.set_people(CONFIG.people)
    people = PeopleTableModel()
    people.set_people(CONFIG.people)
    teams = TeamListModel()
    teams.set_configuration(CONFIG)
    for model in (rules, roster, people, teams):
        qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert rules.rowCount() == 6
    assert "(default, cannot be deleted)" in rules.index(5).data()
    assert people.rowCount() == 8
    assert people.columnCount() == 7  # with the public-holiday calendar


def test_unticking_a_rule_hides_it_from_the_calendar(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 25))
    rules = RuleListModel()
    rules.set_configuration(CONFIG)
    rules.visibility_changed.connect(lambda: widget.model.set_hidden_rules(rules.hidden))
    assert rules.setData(rules.index(2), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert rules.index(2).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    shown = {p.block.rule for p in widget.painted_blocks()}
    assert "follow-the-sun" not in shown
    assert "primary" in shown


def test_roster_drags_carry_the_person_id() -> None:
    roster = RosterModel()
    roster.set_people(CONFIG.people)
    row = [p.id for p in CONFIG.people].index("wei")
    mime = roster.mimeData([roster.index(row)])
    assert bytes(mime.data(PERSON_MIME).data()).decode() == "wei"
    assert roster.flags(roster.index(row)) & Qt.ItemFlag.ItemIsDragEnabled


def test_people_get_distinct_stable_colours_and_their_own_when_set() -> None:
    colours = person_colours(CONFIG.people)
    assert len({c.name() for c in colours.values()}) == 8
    again = person_colours(reversed(CONFIG.people))
    assert {k: c.name() for k, c in again.items()} == {k: c.name() for k, c in colours.items()}
    people = (*CONFIG.people[:-1], replace(CONFIG.people[-1], colour="#123456"))
    assert person_colours(people)[people[-1].id].name() == "#123456"


# -- time zones and DST ------------------------------------------------------------------------


def test_spring_forward_day_has_23_rows_and_blocks_follow_the_zone(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 29))
    columns = widget.model.columns()
    assert [round(c.hours) for c in columns] == [24] * 6 + [23]
    labels = [text for _y, text in widget.hour_labels(6)]
    assert labels[:4] == ["00:00 CET", "01:00 CET", "03:00 CEST", "04:00 CEST"]
    assert len(labels) == 23
    # Follow-the-sun hands over to Lukas at 06:00 UTC: 07:00 on Saturday, 08:00 on Sunday in Berlin.
    area_top = widget.hour_labels(6)[0][0]
    hour_h = widget.hour_labels(6)[1][0] - area_top
    sunday = rects_of(widget, "follow-the-sun", "lukas", utc(2026, 3, 29, 6))
    assert len(sunday) == 1
    assert sunday[0].top() == pytest.approx(area_top + 7 * hour_h)
    assert label_at(widget, 6, sunday[0].top()) == "08:00 CEST"
    assert sunday[0].height() == pytest.approx(8 * hour_h)
    saturday = rects_of(widget, "follow-the-sun", "priya", utc(2026, 3, 28, 6))
    assert label_at(widget, 5, saturday[0].top()) == "07:00"

    widget.model.set_zone("America/New_York")  # the US changed on 8 March: an ordinary week there
    assert [round(c.hours) for c in widget.model.columns()] == [24] * 7
    sunday = rects_of(widget, "follow-the-sun", "lukas", utc(2026, 3, 29, 6))
    assert sunday[0].top() == pytest.approx(area_top + 2 * hour_h)
    assert label_at(widget, 6, sunday[0].top()) == "02:00"


def test_fall_back_days_have_25_rows_in_each_zone_on_its_own_date(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "day", date(2026, 10, 25))
    assert widget.rows() == 25
    labels = [text for _y, text in widget.hour_labels(0)]
    assert labels[1:5] == ["01:00 CEST", "02:00 CEST", "02:00 CET", "03:00 CET"]
    widget.model.set_zone("America/New_York")
    assert widget.rows() == 24
    widget.model.set_anchor(date(2026, 11, 1))
    assert widget.rows() == 25
    assert [t for _y, t in widget.hour_labels(0)][1:4] == ["01:00 EDT", "01:00 EST", "02:00 EST"]


def test_month_view_starts_on_monday_and_a_drop_there_means_the_whole_local_day(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "month", date(2026, 3, 10))
    days = widget.model.days()
    assert days[0] == date(2026, 2, 23)
    assert len(days) == 42
    index = days.index(date(2026, 3, 29))
    lane = widget.lane_rect(index, 0)
    slot = widget.hour_slot(lane.center())
    assert slot == ("primary", utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))


def test_month_timelines_run_on_across_a_week_row_with_one_label_per_row(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "month", date(2026, 3, 10))
    days = widget.model.days()

    def lane(day: date) -> QRectF:
        return widget.lane_rect(days.index(day), 0)  # Platform primary

    # Chloé's week, Monday 2 March 09:00 to Monday 9 March 09:00: one bar to the end of its row and
    # a piece of the next row, not seven day pieces.
    week = rects_of(widget, "primary", "chloe", utc(2026, 3, 2, 8))
    assert len(week) == 2
    assert week[0].left() == pytest.approx(
        lane(date(2026, 3, 2)).left() + lane(date(2026, 3, 2)).width() * 9 / 24
    )
    assert week[0].right() == pytest.approx(lane(date(2026, 3, 8)).right())
    assert week[1].left() == pytest.approx(lane(date(2026, 3, 9)).left())
    assert week[1].right() == pytest.approx(
        lane(date(2026, 3, 9)).left() + lane(date(2026, 3, 9)).width() * 9 / 24
    )
    labels = [
        p for p in widget.layout_for().labelled if p.block.person == "chloe" and p.block.rule == "primary"
    ]
    assert len(labels) == 2
    # Across the 23-hour Sunday 29 March: from Saturday 09:00 CET to Monday 09:00 CEST.
    james = rects_of(widget, "primary", "james", utc(2026, 3, 28, 8))
    saturday, monday = lane(date(2026, 3, 28)), lane(date(2026, 3, 30))
    assert [(r.left(), r.right()) for r in james] == [
        (
            pytest.approx(saturday.left() + saturday.width() * 9 / 24),
            pytest.approx(lane(date(2026, 3, 29)).right()),
        ),
        (pytest.approx(monday.left()), pytest.approx(monday.left() + monday.width() * 9 / 24)),
    ]


def test_layouts_beyond_those_kept_are_freed_in_idle_time(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "month", date(2026, 3, 10))
    for _ in range(LAYOUTS_KEPT + LAYOUTS_SPARE + 6):  # clicks faster than idle time comes
        widget.model.step(1)
        widget.grab()
    assert len(widget._layouts) == LAYOUTS_KEPT + LAYOUTS_SPARE
    qtbot.waitUntil(lambda: not widget.prefetch_pending())
    assert len(widget._layouts) == LAYOUTS_KEPT
    assert widget.layout_for().pixmap is not None  # what is shown stays


def test_switching_zones_reuses_the_schedule_and_layouts_are_kept(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "month", date(2026, 3, 10))
    first = widget.model.blocks()
    berlin = widget.layout_for()
    widget.model.set_zone("Asia/Tokyo")
    assert widget.model.blocks() is first  # the same days: computed once for every zone
    tokyo = widget.layout_for()
    assert tokyo is not berlin
    widget.model.step(1)
    assert widget.model.blocks() is not first
    widget.model.step(-1)
    widget.model.set_zone("Europe/Berlin")
    assert widget.layout_for() is berlin


def test_next_month_and_recent_zones_are_prepared_while_idle(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "month", date(2026, 3, 10))
    widget.recent_zones = ["Asia/Tokyo"]
    widget.grab()
    assert widget.prefetch_pending()
    qtbot.waitUntil(lambda: not widget.prefetch_pending())
    prepared = dict(widget._layouts)
    widget.model.step(1)
    assert widget.layout_for().pixmap is not None
    widget.model.set_zone("Asia/Tokyo")
    widget.model.step(-1)
    assert widget.layout_for().pixmap is not None
    assert len(widget._layouts) == len(prepared)


def test_my_on_call_shows_only_my_shifts(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "month", date(2026, 3, 10))
    widget.model.set_person_filter("lukas")
    people = {p.block.person for p in widget.painted_blocks()}
    assert people == {"lukas"}


# -- the look ----------------------------------------------------------------------------------


def test_gaps_are_hatched_and_overrides_outlined(qtbot: QtBot) -> None:
    unstaffed = OnCallRule(
        "db", "Database", "Europe/Berlin", windows=(Window((0, 1, 2, 3, 4), time(9), time(17)),)
    )
    config = replace(CONFIG, rules=(unstaffed, *CONFIG.rules))
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 25), config)
    image = widget.grab().toImage()
    gap = next(p for p in widget.painted_blocks() if p.block.is_gap)
    assert gap.block.rule == "db"
    colours = {
        image.pixelColor(QPoint(int(gap.rect.left()) + dx, int(gap.rect.center().y()))).name()
        for dx in range(2, 9)
    }
    assert colours <= {"#fff1cc", GAP_COLOUR.name()}
    assert GAP_COLOUR.name() in colours
    override = next(p for p in widget.painted_blocks() if p.block.override is not None)
    edge = image.pixelColor(QPoint(int(override.rect.left()) + 1, int(override.rect.center().y())))
    assert edge.name() == "#111111"
    plain = next(p for p in widget.painted_blocks() if p.block.person and p.block.override is None)
    inside = image.pixelColor(QPoint(int(plain.rect.left()) + 1, int(plain.rect.center().y())))
    assert inside == widget.model.colour(plain.block.person or "")


def test_tooltip_names_rule_person_kind_and_times_in_the_zone(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Asia/Tokyo", "week", date(2026, 3, 27))
    block = next(p.block for p in widget.painted_blocks() if p.block.override is not None)
    text = widget.tooltip_text(block)
    assert "Platform primary" in text
    assert "Priya Raman — override" in text
    assert "Asia/Tokyo" in text
    assert "Thu 26 Mar 17:00" in text  # 08:00 UTC is 17:00 in Tokyo


# -- interaction -------------------------------------------------------------------------------


def _mouse(widget: CalendarWidget, kind: QEvent.Type, pos: QPointF) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    event = QMouseEvent(
        kind, pos, widget.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def _drag(widget: CalendarWidget, start: QPointF, end: QPointF) -> None:
    _mouse(widget, QEvent.Type.MouseButtonPress, start)
    _mouse(widget, QEvent.Type.MouseMove, (start + end) / 2)
    _mouse(widget, QEvent.Type.MouseMove, end)
    _mouse(widget, QEvent.Type.MouseButtonRelease, end)


def _y(widget: CalendarWidget, column: int, hours: float) -> float:
    top = widget.hour_labels(column)[0][0]
    return top + hours * (widget.hour_labels(column)[1][0] - top)


def test_dropping_a_person_requests_an_override_for_that_hour_and_lane(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 25))
    requested: list[tuple[object, ...]] = []
    widget.override_requested.connect(lambda *args: requested.append(args))
    lane = widget.lane_rect(2, 0)  # Wednesday, Platform primary
    pos = QPointF(lane.center().x(), _y(widget, 2, 14.5))
    mime = QMimeData()
    mime.setData(PERSON_MIME, b"wei")
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        pos.toPoint(), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(
        pos.toPoint(), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, move)
    assert move.isAccepted()
    drop = QDropEvent(pos, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert requested == [("primary", "wei", utc(2026, 3, 25, 13), utc(2026, 3, 25, 14))]


def test_other_drops_are_refused(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 25))
    mime = QMimeData()
    mime.setText("wei")
    enter = QDragEnterEvent(
        QPoint(500, 300),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    assert not enter.isAccepted()


def test_drag_selecting_a_free_span_requests_an_override_for_it(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 25))
    requested: list[tuple[object, ...]] = []
    widget.override_requested.connect(lambda *args: requested.append(args))
    lane = widget.lane_rect(2, 3)  # Wednesday, Business hours (off duty in the Berlin night)
    _drag(
        widget, QPointF(lane.center().x(), _y(widget, 2, 3.1)), QPointF(lane.center().x(), _y(widget, 2, 5.2))
    )
    assert requested == [("business-hours", "", utc(2026, 3, 25, 2), utc(2026, 3, 25, 4, 30))]


def test_dragging_an_override_moves_it_and_dragging_its_edge_resizes_it(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 25))
    changed: list[tuple[object, ...]] = []
    widget.override_changed.connect(lambda *args: changed.append(args))
    override = next(o for o in CONFIG.overrides if o.rule == "primary")
    friday = widget.lane_rect(4, 0)
    _drag(
        widget,
        QPointF(friday.center().x(), _y(widget, 4, 12)),
        QPointF(friday.center().x(), _y(widget, 4, 14)),
    )
    assert changed == [(override, override.start + timedelta(hours=2), override.end + timedelta(hours=2))]
    changed.clear()
    saturday = widget.lane_rect(5, 0)
    end_y = _y(widget, 5, 9)  # the override ends on Saturday at 09:00 Berlin
    _drag(
        widget, QPointF(saturday.center().x(), end_y - 2), QPointF(saturday.center().x(), _y(widget, 5, 11))
    )
    assert changed == [(override, override.start, override.end + timedelta(hours=2))]


def test_in_the_month_view_an_override_moves_by_whole_days_on_the_wall_clock(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "month", date(2026, 3, 10))
    changed: list[tuple[object, ...]] = []
    widget.override_changed.connect(lambda *args: changed.append(args))
    override = next(o for o in CONFIG.overrides if o.rule == "primary")
    days = widget.model.days()
    friday = widget.lane_rect(days.index(date(2026, 3, 27)), 0)
    monday = widget.lane_rect(days.index(date(2026, 3, 30)), 0)
    noon = friday.left() + friday.width() / 2
    _drag(
        widget,
        QPointF(noon, friday.center().y()),
        QPointF(monday.left() + monday.width() / 2, monday.center().y()),
    )
    # Thu 09:00 – Sat 09:00 Berlin becomes Sun 09:00 – Tue 09:00: an hour less in UTC after the DST change.
    assert changed == [(override, utc(2026, 3, 29, 7), utc(2026, 3, 31, 7))]


def test_clicking_selects_and_delete_requests_removal_of_an_override(qtbot: QtBot) -> None:
    widget = calendar(qtbot, "Europe/Berlin", "week", date(2026, 3, 25))
    selected: list[object] = []
    deleted: list[Override] = []
    widget.block_selected.connect(selected.append)
    widget.override_delete_requested.connect(deleted.append)
    friday = widget.lane_rect(4, 0)
    pos = QPointF(friday.center().x(), _y(widget, 4, 12))
    _mouse(widget, QEvent.Type.MouseButtonPress, pos)
    _mouse(widget, QEvent.Type.MouseButtonRelease, pos)
    assert selected[-1].person == "priya"  # type: ignore[attr-defined]
    QApplication.sendEvent(
        widget, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
    )
    assert deleted == [next(o for o in CONFIG.overrides if o.rule == "primary")]


def test_unknown_people_still_get_a_colour(qtbot: QtBot) -> None:
    config = replace(CONFIG, people=(*CONFIG.people, Person("zoe", "Zoë Ng")))
    widget = calendar(qtbot, "UTC", "day", date(2026, 3, 27), config)
    assert widget.model.colour("zoe") != widget.model.colour("lukas")
    assert isinstance(widget.model.colour("nobody-known"), QColor)


def test_a_block_names_its_layer_even_when_the_person_has_an_override_elsewhere(qtbot: QtBot) -> None:
    from oncall_desktop.views.details import DetailsPanel
    from tests.test_layers import follow_the_sun

    layered = follow_the_sun()
    # Priya covers a Saturday three weeks on: her weekday London shifts are still the London layer's.
    saturday = utc(2026, 4, 18, 10)
    layered = replace(layered, overrides=(Override("db", "priya", saturday, saturday + timedelta(hours=4)),))
    widget = calendar(qtbot, "Europe/London", "week", date(2026, 3, 30), layered)
    shift = next(b for b in widget.model.blocks() if b.person == "priya")
    assert shift.layer == "London"
    panel = DetailsPanel(widget)
    panel.show_block(shift, widget.model)
    assert "Layer London" in panel.text.text()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Manila", "Europe/London"])
def test_the_schedule_covers_every_visible_day_in_the_zones_furthest_from_utc(zone: str) -> None:
    from tests.strategies import config, rule

    always = config(rule("r", ("p1",)), person_ids=("p1",))
    model = CalendarModel(now=lambda: NOW)
    model.set_configuration(always, 1)
    model.set_zone(zone)
    for mode in ("month", "week", "day"):
        model.set_mode(mode)  # type: ignore[arg-type]
        columns = model.columns()
        (block,) = [b for b in model.blocks() if b.rule == "r"]
        assert block.start <= columns[0].start, mode
        assert block.end >= columns[-1].end, mode


def test_people_on_call_at_once_share_their_rules_lane_side_by_side(qtbot: QtBot) -> None:
    """A rule whose layers combine `all` can have two people on call at once: both are seen, each
    in half the lane, and each can be clicked."""
    from oncall_desktop.domain import Layer
    from tests.strategies import config, rule

    nine_to_five = (Window((0, 1, 2, 3, 4), time(9), time(17)),)
    both = replace(
        rule("r", ("p1",)),
        combine="all",
        layers=(Layer("Day", "UTC", ("p1",), windows=nine_to_five), Layer("Backstop", personnel=("p2",))),
    )
    widget = calendar(qtbot, "UTC", "week", date(2026, 3, 23), config(both, person_ids=("p1", "p2")))
    layout = widget.layout_for()

    def drawn(person: str, column: int) -> QRectF:
        found = [p.rect for p in widget.painted_blocks() if p.block.person == person]
        return next(r for r in found if layout.col_rect(column).contains(r.center()))

    lane = widget.lane_rect(0, 0)
    day, backstop = drawn("p1", 0), drawn("p2", 0)  # Monday: 09:00–17:00, and all day
    assert day.width() == pytest.approx(backstop.width())
    assert day.width() < lane.width() / 2
    assert not day.intersects(backstop)
    assert widget.block_at(day.center()).person == "p1"
    assert widget.block_at(QPointF(backstop.center().x(), day.center().y())).person == "p2"
    # The backstop's one block keeps its half all week, the weekend too.
    saturday = drawn("p2", 5)
    assert saturday.width() == pytest.approx(backstop.width())
    assert saturday.left() - layout.col_rect(5).left() == pytest.approx(
        backstop.left() - layout.col_rect(0).left()
    )
