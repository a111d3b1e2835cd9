"""Licence windows folded into disjoint rows, so one (country, instant) matches at most one row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from marquee.search.documents import Window

WORLDWIDE = "*"
FOREVER = 2**62  # seconds; stands in for a window without an end

Interval = tuple[int, int]
Row = tuple[str, int, int]


def seconds(moment: datetime | None, *, default: int) -> int:
    return default if moment is None else int(moment.timestamp())


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    pieces: list[Interval] = []
    for start, end in intervals:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                pieces.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            pieces.append((cursor, end))
    return pieces


def disjoint_rows(windows: Iterable[Window]) -> list[Row]:
    """Rows (country, start, end) such that any viewer at any instant matches at most one.

    Worldwide windows are merged; a country's own windows keep only the time no worldwide
    window already covers. An index holding one entry per row can then count titles,
    not windows, without de-duplicating.
    """
    by_country: dict[str, list[Interval]] = {}
    for window in windows:
        interval = (
            seconds(window.starts_at, default=0),
            seconds(window.ends_at, default=FOREVER),
        )
        by_country.setdefault(window.country.upper(), []).append(interval)
    worldwide = _merge(by_country.pop(WORLDWIDE, []))
    rows: list[Row] = [(WORLDWIDE, start, end) for start, end in worldwide]
    for country in sorted(by_country):
        for start, end in _subtract(_merge(by_country[country]), worldwide):
            rows.append((country, start, end))
    return rows
