"""Time-ordered spans and pieces of on-call time: the algebra the schedule is made of (merging,
cutting to duty, filling under, laying overrides over)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from oncall_desktop.domain import Gap, Interval, Override

# The source of a person's time that no single layer gave: an override, or several layers at once.
NO_LAYER = -1


# A piece of a rule's duty time: (start, end, who is on call, the layer index each of them comes
# from (or NO_LAYER), whether an override put them there).
Piece = tuple[datetime, datetime, tuple[str, ...], tuple[int, ...], bool]


def merge_spans(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """`spans` (in any order) merged where they meet or overlap, time-ordered."""
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def fill_under(upper: list[Piece], lower: list[Piece]) -> list[Piece]:
    """`upper`'s pieces, and `lower`'s where `upper` has none (both time-ordered, non-overlapping)."""
    if not upper or not lower:
        return upper or lower
    out: list[Piece] = []
    append = out.append
    j, count = 0, len(lower)
    cursor = lower[0][0]
    for piece in upper:
        hole_end = piece[0]
        while j < count:
            low = lower[j]
            if low[0] >= hole_end:
                break
            if low[1] > cursor and cursor < hole_end:
                if low[0] >= cursor and low[1] <= hole_end:
                    append(low)
                else:
                    a = low[0] if low[0] > cursor else cursor
                    b = low[1] if low[1] < hole_end else hole_end
                    append((a, b, low[2], low[3], False))
            if low[1] > hole_end:
                break
            j += 1
        append(piece)
        cursor = piece[1]
    for low in lower[j:]:
        if low[1] > cursor:
            append(low if low[0] >= cursor else (cursor, low[1], low[2], low[3], False))
    return out


def covered_spans(intervals: list[Interval]) -> list[tuple[datetime, datetime]]:
    """The time some interval covers, as time-ordered spans apart (`intervals` ordered by start)."""
    covered: list[tuple[datetime, datetime]] = []
    for interval in intervals:
        begins, ends = interval[2], interval[3]
        if covered and begins <= covered[-1][1]:
            if ends > covered[-1][1]:
                covered[-1] = (covered[-1][0], ends)
        else:
            covered.append((begins, ends))
    return covered


def clip_pieces(pieces: list[Piece], allowed: list[tuple[datetime, datetime]]) -> list[Piece]:
    """`pieces` (time-ordered, apart) cut to the `allowed` spans (time-ordered, apart)."""
    out: list[Piece] = []
    append = out.append
    j, count = 0, len(allowed)
    for piece in pieces:
        begins, ends = piece[0], piece[1]
        while j < count and allowed[j][1] <= begins:
            j += 1
        k = j
        while k < count and allowed[k][0] < ends:
            lo, hi = allowed[k]
            if lo <= begins and ends <= hi:
                append(piece)
            else:
                append(
                    (begins if begins > lo else lo, ends if ends < hi else hi, piece[2], piece[3], piece[4])
                )
            k += 1
    return out


def clip_spans(
    spans: list[tuple[datetime, datetime, int]], allowed: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime, int]]:
    """`spans` (ordered by start) cut to the `allowed` spans (time-ordered, apart)."""
    out: list[tuple[datetime, datetime, int]] = []
    j, count = 0, len(allowed)
    for begins, ends, source in spans:
        while j < count and allowed[j][1] <= begins:
            j += 1
        k = j
        while k < count and allowed[k][0] < ends:
            lo, hi = allowed[k]
            out.append((begins if begins > lo else lo, ends if ends < hi else hi, source))
            k += 1
    return out


def subtract_spans(
    spans: Sequence[tuple[datetime, datetime]], holes: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """`spans` less `holes` (both time-ordered, apart)."""
    out: list[tuple[datetime, datetime]] = []
    j, count = 0, len(holes)
    for begins, ends in spans:
        cursor = begins
        while j < count and holes[j][1] <= cursor:
            j += 1
        k = j
        while k < count and holes[k][0] < ends:
            if holes[k][0] > cursor:
                out.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < ends:
            out.append((cursor, ends))
    return out


def within_duty(pieces: list[Piece], duty: list[tuple[datetime, datetime]]) -> list[Piece]:
    """`pieces` cut to the duty spans, with nobody (a gap) where no piece covers duty time."""
    out: list[Piece] = []
    append = out.append
    j, count = 0, len(pieces)
    for lo, hi in duty:
        cursor = lo
        while j < count and pieces[j][1] <= lo:
            j += 1
        while j < count:
            piece = pieces[j]
            if piece[0] >= hi:
                break
            if piece[0] > cursor:
                append((cursor, piece[0], (), (), False))
            if piece[0] >= cursor and piece[1] <= hi:
                append(piece)
            else:
                append(
                    (piece[0] if piece[0] > cursor else cursor, piece[1] if piece[1] < hi else hi, *piece[2:])
                )
            cursor = out[-1][1]
            if piece[1] > hi:
                break
            j += 1
        if cursor < hi:
            append((cursor, hi, (), (), False))
    return out


def overlay_pieces(base: list[Piece], overrides: list[Piece]) -> list[Piece]:
    """`base` with the override pieces laid on top (both time-ordered, non-overlapping)."""
    out: list[Piece] = []
    append = out.append
    k, count = 0, len(overrides)
    for piece in base:
        b_start, b_end = piece[0], piece[1]
        while k < count and overrides[k][1] <= b_start:
            k += 1
        if k == count or overrides[k][0] >= b_end:
            append(piece)
            continue
        cursor = b_start
        t = k
        while t < count and overrides[t][0] < b_end:
            top = overrides[t]
            if top[0] > cursor:
                append((cursor, top[0], piece[2], piece[3], piece[4]))
            cursor = top[1] if top[1] < b_end else b_end
            append((top[0] if top[0] > b_start else b_start, cursor, top[2], top[3], True))
            if top[1] > b_end:
                break
            t += 1
        if cursor < b_end:
            append((cursor, b_end, piece[2], piece[3], piece[4]))
    return out


def add_gap(gaps: list[Gap], rule_id: str, lo: datetime, hi: datetime) -> None:
    """Append the gap [lo, hi), joining it to the last one when they meet."""
    if gaps and gaps[-1].end == lo:
        gaps[-1] = Gap(rule_id, gaps[-1].start, hi)
    else:
        gaps.append(Gap(rule_id, lo, hi))


def last_covering(overrides: list[Override], t: datetime) -> Override | None:
    for override in reversed(overrides):
        if override.start <= t < override.end:
            return override
    return None
