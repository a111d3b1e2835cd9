"""The aggregate consumer: folds new events into daily stats, trending scores and QoE."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from marquee.events import cursors, service
from marquee.events.aggregates import TTFF_BUCKETS_MS, QoeDaily, TitleDailyStat, TitleTrending
from marquee.events.models import Event
from marquee.events.schemas import Complete, EventKind, PlayStart, Progress, Qoe

CONSUMER = "aggregates"
TRENDING_HALF_LIFE_HOURS = 72.0
ANY_COUNTRY = "**"
UNKNOWN_COUNTRY = "--"


def decay(hours: float, half_life: float = TRENDING_HALF_LIFE_HOURS) -> float:
    return math.pow(0.5, hours / half_life)


def add_play(score: float, as_of: datetime, at: datetime) -> tuple[float, datetime]:
    """Fold one play at `at` into a score decayed to `as_of`; order of arrival does not matter."""
    hours = (at - as_of).total_seconds() / 3600
    if hours >= 0:
        return score * decay(hours) + 1.0, at
    return score + decay(-hours), as_of


def ttff_bucket(ms: float) -> int:
    for index, bound in enumerate(TTFF_BUCKETS_MS):
        if ms <= bound:
            return index
    return len(TTFF_BUCKETS_MS)


def percentile(histogram: Sequence[int], q: float) -> float | None:
    """Linear interpolation inside the histogram bucket holding the q-th sample."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = q * total
    seen = 0.0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            low = TTFF_BUCKETS_MS[index - 1] if index > 0 else 0
            high = TTFF_BUCKETS_MS[index] if index < len(TTFF_BUCKETS_MS) else low * 2
            return low + (high - low) * ((rank - seen) / count)
        seen += count
    return float(TTFF_BUCKETS_MS[-1])


@dataclass
class _Fold:
    daily: dict[tuple[uuid.UUID, str, str], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0.0, 0])
    )
    plays: list[tuple[uuid.UUID, str, datetime]] = field(default_factory=list)
    qoe: dict[tuple[uuid.UUID, str, str], list[float]] = field(default_factory=dict)
    ttff: dict[tuple[uuid.UUID, str, str], list[int]] = field(default_factory=dict)

    def add(self, row: Event) -> None:
        # Only these kinds feed the aggregates; the rest (ratings, thumbs...) skip the decoding.
        if row.kind not in _FOLDED:
            return
        event = service.decode(row)
        if event is None:
            return
        day = row.occurred_at.date().isoformat()
        country = row.country or UNKNOWN_COUNTRY
        key = (event.title_id, day, country)
        if isinstance(event, PlayStart):
            self.daily[key][0] += 1
            self.plays.append((event.title_id, country, row.occurred_at))
        elif isinstance(event, Progress):
            self.daily[key][1] += event.watched_seconds
        elif isinstance(event, Complete):
            self.daily[key][1] += event.watched_seconds
            self.daily[key][2] += 1
        elif isinstance(event, Qoe):
            self._add_qoe(event, day)

    def _add_qoe(self, event: Qoe, day: str) -> None:
        key = (event.title_id, event.rendition, day)
        sums = self.qoe.setdefault(key, [0, 0, 0.0, 0.0, 0, 0])
        hist = self.ttff.setdefault(key, [0] * (len(TTFF_BUCKETS_MS) + 1))
        sums[0] += 1
        sums[1] += event.rebuffer_count
        sums[2] += event.rebuffer_ms
        sums[3] += event.watched_ms
        sums[4] += event.rendition_switches
        sums[5] += event.errors
        if event.time_to_first_frame_ms is not None:
            hist[ttff_bucket(event.time_to_first_frame_ms)] += 1


_FOLDED = {EventKind.PLAY_START, EventKind.PROGRESS, EventKind.COMPLETE, EventKind.QOE}


def _apply_daily(session: Session, fold: _Fold) -> None:
    if not fold.daily:
        return
    keys = list(fold.daily)
    existing = {
        (row.title_id, row.day, row.country): row
        for row in session.scalars(
            select(TitleDailyStat).where(
                tuple_(TitleDailyStat.title_id, TitleDailyStat.day, TitleDailyStat.country).in_(
                    keys
                )
            )
        )
    }
    for key, (plays, watched, completes) in fold.daily.items():
        row = existing.get(key)
        if row is None:
            row = TitleDailyStat(
                title_id=key[0], day=key[1], country=key[2], plays=0, watch_seconds=0.0, completes=0
            )
            session.add(row)
        row.plays += int(plays)
        row.watch_seconds += float(watched)
        row.completes += int(completes)


def _apply_trending(session: Session, fold: _Fold) -> None:
    if not fold.plays:
        return
    keys = {(title, country) for title, country, _ in fold.plays}
    keys |= {(title, ANY_COUNTRY) for title, _, _ in fold.plays}
    rows = {
        (row.title_id, row.country): row
        for row in session.scalars(
            select(TitleTrending).where(
                tuple_(TitleTrending.title_id, TitleTrending.country).in_(list(keys))
            )
        )
    }
    for title, country, at in fold.plays:
        for scope in (country, ANY_COUNTRY):
            row = rows.get((title, scope))
            if row is None:
                row = rows[(title, scope)] = TitleTrending(
                    title_id=title, country=scope, score=0.0, as_of=at
                )
                session.add(row)
            row.score, row.as_of = add_play(row.score, row.as_of, at)


def _apply_qoe(session: Session, fold: _Fold) -> None:
    for key, sums in fold.qoe.items():
        row = session.get(QoeDaily, key)
        if row is None:
            row = QoeDaily(
                title_id=key[0],
                rendition=key[1],
                day=key[2],
                samples=0,
                ttff_histogram=[0] * (len(TTFF_BUCKETS_MS) + 1),
                rebuffer_count=0,
                rebuffer_ms=0.0,
                watched_ms=0.0,
                rendition_switches=0,
                errors=0,
            )
            session.add(row)
        row.samples += int(sums[0])
        row.rebuffer_count += int(sums[1])
        row.rebuffer_ms += sums[2]
        row.watched_ms += sums[3]
        row.rendition_switches += int(sums[4])
        row.errors += int(sums[5])
        row.ttff_histogram = [
            a + b for a, b in zip(row.ttff_histogram, fold.ttff[key], strict=True)
        ]


def run_once(
    *,
    session: Session,
    limit: int = 5000,
    lag_seconds: float = 2.0,
    now: datetime | None = None,
) -> int:
    """Fold one batch of new events into the aggregates; returns how many were read."""
    events = cursors.read_batch(
        session=session, consumer=CONSUMER, limit=limit, lag_seconds=lag_seconds, now=now
    )
    if not events:
        return 0
    fold = _Fold()
    for event in events:
        fold.add(event)
    _apply_daily(session, fold)
    _apply_trending(session, fold)
    _apply_qoe(session, fold)
    cursors.advance(session=session, consumer=CONSUMER, position=events[-1].id)
    session.flush()
    return len(events)
