"""The geometry of one calendar view at one widget size: day columns, lanes, and the blocks laid out
as plain-number rectangles (`CalendarWidget` paints them and keeps the layouts it may show again).

A view's blocks are cut into rectangles in one call (`place`), per day column (week and day views)
or per week row (month view); hit-testing rectangles are cut again only when first asked for.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPixmap

from oncall_desktop.views.calendar_model import Block, DayColumn, View

HEADER_H = 40.0
LANE_H = 16.0
GUTTER_W = 70.0
LEGEND_H = 46.0  # two lines: the rules' short names, then the people's colours
MONTH_HEADER_H = 22.0
MONTH_GUTTER_W = 40.0
CELL_TITLE_H = 17.0
DST_GUTTER_W = 34.0


# A rectangle as plain numbers (left, top, width, height). Layouts keep thousands of these: as Qt
# objects they would cost more to make and free, and each live one is an entry in PySide's table of
# wrappers, whose occasional rehashing shows up as a dropped frame.
Rect = tuple[float, float, float, float]


class PaintedBlock(NamedTuple):
    rect: QRectF
    block: Block
    label: str


def fmt_hm(value: datetime) -> str:
    return value.strftime("%H:%M")


@dataclass(eq=False)
class CalendarLayout:
    """The geometry of one view at one widget size, its placed blocks and (once drawn) its pixmap."""

    view: View
    width: int
    height: int
    today: date
    columns: list[DayColumn]
    rules: list[str]
    month: bool = field(init=False)
    rows: int = field(init=False)
    area: QRectF = field(init=False)
    hour_h: float = field(init=False)
    # What `place` sorted out for drawing: fills by person, override and gap rectangles, and the
    # blocks with room for a label.
    fills: dict[str, list[Rect]] = field(default_factory=dict)
    overrides: list[Rect] = field(default_factory=list)
    gaps: list[Rect] = field(default_factory=list)
    conflicts: list[Rect] = field(default_factory=list)
    labelled: list[PaintedBlock] = field(default_factory=list)
    pixmap: QPixmap | None = None
    # What `place` was given: the blocks, their timestamps and the labels by person.
    _placed: tuple[list[Block], list[tuple[float, float]], dict[str, str]] = ([], [], {})
    # Where blocks on call at the same time as others in their lane go: by index in `_placed`, the
    # lane position (its lane and the part of it before theirs) and the part of the lane they get.
    _tracks: dict[int, tuple[float, float]] = field(default_factory=dict)
    _shared: set[str] = field(default_factory=set)
    _painted: list[PaintedBlock] | None = None

    def __post_init__(self) -> None:
        self.month = self.view.mode == "month"
        self.rows = max(round(c.hours) for c in self.columns)
        if self.month:
            self.area = QRectF(
                MONTH_GUTTER_W,
                MONTH_HEADER_H,
                self.width - MONTH_GUTTER_W - 4,
                self.height - MONTH_HEADER_H - LEGEND_H,
            )
            self.hour_h = 0.0
        else:
            top = HEADER_H + LANE_H
            self.area = QRectF(GUTTER_W, top, self.width - GUTTER_W - 6, self.height - top - LEGEND_H)
            self.hour_h = self.area.height() / self.rows
        self._starts = [c.start.timestamp() for c in self.columns]
        self._ends = [c.end.timestamp() for c in self.columns]
        # Per column, as plain numbers: the first lane's (left, top, width, height); lanes stack down
        # (month) or across (week/day).
        self._lanes: list[tuple[float, float, float, float]] = []
        n = max(1, len(self.rules))
        for index, col in enumerate(self.columns):
            cell = self.col_rect(index)
            if self.month:
                h = min(18.0, (cell.height() - CELL_TITLE_H - 3) / n)
                # A week row's timelines run on from day to day (the day lines are drawn on top).
                self._lanes.append((cell.left(), cell.top() + CELL_TITLE_H, cell.width(), h))
            else:
                left = cell.left() + 2
                if self.view.mode == "week" and round(col.hours) != 24:
                    left += DST_GUTTER_W
                self._lanes.append((left, cell.top(), (cell.right() - 2 - left) / n, cell.height()))
        # What `_rects` needs of each column, as plain numbers: its span in seconds; where its time axis
        # starts and pixels per second; where its first lane starts across, the lane pitch and the
        # thickness of a block.
        self._spans: list[tuple[float, float, float, float, float, float, float]] = []
        for (left, top, w, h), lo, hi in zip(self._lanes, self._starts, self._ends, strict=True):
            if self.month:
                self._spans.append((lo, hi, left, w / (hi - lo), top + 1, h, max(1.0, h - 2)))
            else:
                self._spans.append((lo, hi, top, self.hour_h / 3600, left + 1, w, max(1.0, w - 2)))

    def col_rect(self, index: int) -> QRectF:
        area = self.area
        if self.month:
            w, h = area.width() / 7, area.height() / 6
            return QRectF(area.left() + (index % 7) * w, area.top() + (index // 7) * h, w, h)
        w = area.width() / len(self.columns)
        return QRectF(area.left() + index * w, area.top(), w, area.height())

    def lane_rect(self, index: int, lane: int) -> QRectF:
        """Week/day: the lane of a rule in a day column; month: the rule's timeline row in a cell."""
        left, top, w, h = self._lanes[index]
        if self.month:
            return QRectF(left, top + lane * h, w, h)
        return QRectF(left + lane * w, top, w, h)

    def position(self, index: int, lane_rect: QRectF, t: datetime) -> float:
        """x (month) or y (week/day) of instant `t` in day column `index`."""
        seconds = t.timestamp() - self._starts[index]
        if self.month:
            return lane_rect.left() + lane_rect.width() * seconds / (self._ends[index] - self._starts[index])
        return lane_rect.top() + seconds / 3600 * self.hour_h

    def span_rects(self, rule: str, start: datetime, end: datetime) -> list[QRectF]:
        """The rectangles [start, end) of `rule` covers, one per visible day it touches."""
        if rule not in self.rules:
            return []
        lane = self.rules.index(rule)
        return self._rects(lane, start.timestamp(), end.timestamp())

    def _rects(self, lane: int, a: float, b: float) -> list[QRectF]:
        """The rectangles that show seconds [a, b) in `lane` (see `_cut`)."""
        rects: list[Rect] = []
        self._cut(((lane, a, b, rects),))
        return [QRectF(*r) for r in rects]

    def block_rects(self, block: Block) -> list[QRectF]:
        """The rectangles a block shown is drawn in (its part of a shared lane, if it shares one)."""
        if block.rule not in self._shared:
            return self.span_rects(block.rule, block.start, block.end)
        return [p.rect for p in self.painted if p.block == block]

    def _cut(self, spans: Iterable[tuple[float, float, float, list[Rect]]], share: float = 1.0) -> None:
        """For each (lane, a, b, rects), append to `rects` one rectangle per day column (week and
        day views) or per week row (month view) that seconds [a, b) touch in `lane`. A fractional
        lane starts that far into the lane, and `share` is the part of a lane each span gets.

        The hot loop of a first paint (thousands of rectangles for 50 rules): plain numbers only,
        all of a view's blocks in one call.
        """
        columns = self._spans
        if share != 1.0:
            columns = [(*c[:6], max(1.0, c[6] * share)) for c in columns]
        starts, ends = self._starts, self._ends
        last = len(columns) - 1
        if self.month:  # time runs left to right, lanes stack downwards, a week row at a time
            for lane, a, b, rects in spans:
                index = bisect_right(starts, a) - 1
                if index < 0:
                    index = 0
                lo, hi, origin, scale, across, pitch, thickness = columns[index]
                if lo <= a and b <= hi:  # within one day, as most are: one rectangle
                    x = origin + (a - lo) * scale
                    length = origin + (b - lo) * scale - x
                    rects.append((x, across + lane * pitch, length if length > 1.0 else 1.0, thickness))
                    continue
                while index <= last:
                    lo, hi, origin, scale, across, pitch, thickness = columns[index]
                    if lo >= b or hi <= a:  # wholly after or (past the last day) before the days
                        break
                    row_end = index + 6 - index % 7
                    end = bisect_left(ends, b, index, row_end)  # the column b falls in
                    x = origin + (a - lo) * scale if a > lo else origin
                    if end != index:
                        lo, hi, origin, scale, _across, _pitch, _thickness = columns[end]
                    right = origin + ((b if b < hi else hi) - lo) * scale
                    if right > x:
                        length = right - x
                        rects.append((x, across + lane * pitch, length if length > 1.0 else 1.0, thickness))
                    index = row_end + 1
            return
        for lane, a, b, rects in spans:  # time runs downwards, lanes side by side
            index = bisect_right(starts, a) - 1
            for i in range(index if index > 0 else 0, last + 1):
                lo, hi, origin, scale, across, pitch, thickness = columns[i]
                if lo >= b:
                    break
                if hi <= a:
                    continue
                p = (a - lo if a > lo else 0.0) * scale
                length = ((b if b < hi else hi) - lo) * scale - p
                rects.append((across + lane * pitch, origin + p, thickness, length if length > 1.0 else 1.0))

    def place(
        self,
        blocks: list[Block],
        stamps: list[tuple[float, float]],
        label: dict[str, str],
        tracks: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        """Lay out `blocks` (whose starts and ends as timestamps are `stamps`), labelled by person.

        Blocks with `tracks` (by index: track, tracks) share their lane with others on call at the
        same time: side by side in the week and day views, one above the other in the month view.
        """
        self._shared = {blocks[i][0] for i in tracks} if tracks else set()
        self._tracks = {}
        lanes = {rule: i for i, rule in enumerate(self.rules) if rule not in self._shared}
        shared = {rule: i for i, rule in enumerate(self.rules) if rule in self._shared}
        fills, gaps, overrides = self.fills, self.gaps, self.overrides
        by_share: dict[float, list[tuple[float, float, float, list[Rect]]]] = {}
        spans: list[tuple[float, float, float, list[Rect]]] = []
        add = spans.append
        for index, (block, (a, b)) in enumerate(zip(blocks, stamps, strict=True)):
            lane = lanes.get(block[0])
            if lane is None:  # hidden, or a lane shared at times
                lane = shared.get(block[0])
                if lane is None:
                    continue
                found = tracks.get(index) if tracks else None
                if found is not None:
                    share = 1.0 / found[1]
                    position = lane + found[0] * share
                    self._tracks[index] = (position, share)
                    placed = by_share.setdefault(share, [])
                    placed.append((position, a, b, fills.setdefault(str(block[1]), [])))
                    if block[4] is not None:
                        placed.append((position, a, b, overrides))
                    continue
            person = block[1]
            if person is None:
                add((lane, a, b, gaps))
                continue
            fill = fills.get(person)
            if fill is None:
                fill = fills[person] = []
            add((lane, a, b, fill))
            if block[4] is not None:
                add((lane, a, b, overrides))
        for share, placed in by_share.items():
            self._cut(placed, share)
        self._cut(spans)
        self._placed = blocks, stamps, label
        if self._lanes and (
            self._lanes[0][3] >= 9 if self.month else max(w for *_, w, _h in self._lanes) >= 16
        ):
            self.labelled = [p for p in self.painted if p.rect.width() >= 16 and p.rect.height() >= 9]

    def place_conflicts(self, stamps: list[tuple[str, float, float]]) -> None:
        """Lay out conflict spans (rule, start, end as timestamps) over the blocks they mark."""
        lanes = {rule: i for i, rule in enumerate(self.rules)}
        self._cut([(lanes[rule], a, b, self.conflicts) for rule, a, b in stamps if rule in lanes])

    @property
    def painted(self) -> list[PaintedBlock]:
        """Every drawn rectangle with its block and label, in drawing order (built when first asked)."""
        if self._painted is None:
            lanes = {rule: i for i, rule in enumerate(self.rules)}
            blocks, stamps, label = self._placed
            self._painted = []
            for index, (block, (a, b)) in enumerate(zip(blocks, stamps, strict=True)):
                if block.rule in lanes:
                    rects: list[Rect] = []
                    position, share = self._tracks.get(index, (lanes[block.rule], 1.0))
                    self._cut(((position, a, b, rects),), share)
                    text = "gap" if block.person is None else label.get(block.person, block.person)
                    self._painted.extend(PaintedBlock(QRectF(*r), block, text) for r in rects)
        return self._painted

    def portion_text(self, block: Block, rect: QRectF) -> str:
        """The times of the part of `block` drawn in `rect`'s day column (week and day views)."""
        index = int((rect.center().x() - self.area.left()) / (self.area.width() / len(self.columns)))
        col = self.columns[min(max(index, 0), len(self.columns) - 1)]
        tz = self.view.tz
        starts, ends = block.start >= col.start, block.end <= col.end
        if starts and ends:
            return f"{fmt_hm(block.start.astimezone(tz))}–{fmt_hm(block.end.astimezone(tz))}"
        if starts:
            return f"from {fmt_hm(block.start.astimezone(tz))}"
        if ends:
            return f"until {fmt_hm(block.end.astimezone(tz))}"
        return "all day"

    def hour_labels(self, index: int) -> list[tuple[float, str]]:
        """(y, text) of every real hour in day column `index`: 02:00 is missing on a spring-forward day
        and appears twice (with its zone abbreviation) on a fall-back day."""
        col = self.columns[index]
        tz = self.view.tz
        dst_day = round(col.hours) != 24
        labels = []
        t = col.start
        k = 0
        while t < col.end:
            local = t.astimezone(tz)
            text = local.strftime("%H:%M")
            if dst_day:
                text += f" {local.tzname()}"
            labels.append((self.area.top() + k * self.hour_h, text))
            t += timedelta(hours=1)
            k += 1
        return labels

    def column_at(self, instant: datetime) -> DayColumn:
        index = max(0, bisect_right(self._starts, instant.timestamp()) - 1)
        return self.columns[min(index, len(self.columns) - 1)]
