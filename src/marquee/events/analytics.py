"""Read side of the aggregates: top titles, daily series, trending and QoE for editors."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marquee.catalog.models import Title
from marquee.db import utcnow
from marquee.events.aggregates import QoeDaily, TitleDailyStat, TitleTrending
from marquee.events.consume import ANY_COUNTRY, decay, percentile
from marquee.events.schemas import DailyStat, QoeStat, TitleStat, TrendingItem


def _since(days: int, now: datetime) -> str:
    return (now - timedelta(days=days - 1)).date().isoformat()


def top_titles(
    *, session: Session, days: int, country: str | None, limit: int, now: datetime | None = None
) -> list[TitleStat]:
    now = now or utcnow()
    query = (
        select(
            TitleDailyStat.title_id,
            Title.name,
            func.sum(TitleDailyStat.plays),
            func.sum(TitleDailyStat.watch_seconds),
            func.sum(TitleDailyStat.completes),
        )
        .join(Title, Title.id == TitleDailyStat.title_id, isouter=True)
        .where(TitleDailyStat.day >= _since(days, now))
        .group_by(TitleDailyStat.title_id, Title.name)
        .order_by(func.sum(TitleDailyStat.plays).desc(), TitleDailyStat.title_id)
        .limit(limit)
    )
    if country:
        query = query.where(TitleDailyStat.country == country)
    return [
        TitleStat(
            title_id=title_id,
            name=name,
            plays=int(plays or 0),
            watch_hours=round(float(watched or 0) / 3600, 3),
            completes=int(completes or 0),
            completion_rate=round(int(completes or 0) / int(plays), 4) if plays else 0.0,
        )
        for title_id, name, plays, watched, completes in session.execute(query)
    ]


def daily_series(
    *, session: Session, title_id: uuid.UUID, days: int, now: datetime | None = None
) -> list[DailyStat]:
    now = now or utcnow()
    query = (
        select(
            TitleDailyStat.day,
            func.sum(TitleDailyStat.plays),
            func.sum(TitleDailyStat.watch_seconds),
            func.sum(TitleDailyStat.completes),
        )
        .where(TitleDailyStat.title_id == title_id, TitleDailyStat.day >= _since(days, now))
        .group_by(TitleDailyStat.day)
        .order_by(TitleDailyStat.day)
    )
    return [
        DailyStat(
            day=day,
            plays=int(p or 0),
            watch_hours=round(float(w or 0) / 3600, 3),
            completes=int(c or 0),
        )
        for day, p, w, c in session.execute(query)
    ]


def trending(
    *, session: Session, country: str | None, limit: int, now: datetime | None = None
) -> list[TrendingItem]:
    """Scores decayed to `now`, highest first; without a country, across all countries."""
    now = now or utcnow()
    rows = session.scalars(
        select(TitleTrending).where(TitleTrending.country == (country or ANY_COUNTRY))
    )
    items = [
        TrendingItem(
            title_id=row.title_id, score=row.score * decay((now - row.as_of).total_seconds() / 3600)
        )
        for row in rows
    ]
    items.sort(key=lambda item: (-item.score, str(item.title_id)))
    return items[:limit]


def qoe(
    *, session: Session, title_id: uuid.UUID | None, days: int, now: datetime | None = None
) -> list[QoeStat]:
    now = now or utcnow()
    query = select(QoeDaily).where(QoeDaily.day >= _since(days, now))
    if title_id is not None:
        query = query.where(QoeDaily.title_id == title_id)
    merged: dict[tuple[uuid.UUID, str], QoeDaily] = {}
    for row in session.scalars(query):
        key = (row.title_id, row.rendition)
        if key not in merged:
            merged[key] = QoeDaily(
                title_id=row.title_id,
                rendition=row.rendition,
                day="",
                samples=0,
                ttff_histogram=[0] * len(row.ttff_histogram),
                rebuffer_ms=0.0,
                watched_ms=0.0,
                errors=0,
            )
        total = merged[key]
        total.samples += row.samples
        total.rebuffer_ms += row.rebuffer_ms
        total.watched_ms += row.watched_ms
        total.errors += row.errors
        total.ttff_histogram = [
            a + b for a, b in zip(total.ttff_histogram, row.ttff_histogram, strict=True)
        ]
    return [
        QoeStat(
            title_id=row.title_id,
            rendition=row.rendition,
            samples=row.samples,
            ttff_p50_ms=percentile(row.ttff_histogram, 0.5),
            ttff_p95_ms=percentile(row.ttff_histogram, 0.95),
            rebuffer_ratio=round(row.rebuffer_ms / row.watched_ms, 5) if row.watched_ms else 0.0,
            errors=row.errors,
        )
        for row in sorted(merged.values(), key=lambda r: (str(r.title_id), r.rendition))
    ]
