"""Tables the aggregate consumer keeps up to date: daily title stats, trending, QoE."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base

# Upper bounds (ms) of the time-to-first-frame histogram; the last bucket is open.
TTFF_BUCKETS_MS = (50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000)


class TitleDailyStat(Base):
    """Plays, watch time and completions of one title, one day, one country."""

    __tablename__ = "title_daily_stats"

    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date, UTC
    country: Mapped[str] = mapped_column(String(2), primary_key=True)  # "--" when unknown
    plays: Mapped[int] = mapped_column(BigInteger, default=0)
    watch_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    completes: Mapped[int] = mapped_column(BigInteger, default=0)


class TitleTrending(Base):
    """An exponentially decayed play count, stored with the time it was last decayed to."""

    __tablename__ = "title_trending"

    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)  # "**" for everywhere
    score: Mapped[float] = mapped_column(Float, default=0.0)
    as_of: Mapped[datetime]


class QoeDaily(Base):
    """Quality of experience of one title and rendition on one day."""

    __tablename__ = "qoe_daily"

    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rendition: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    samples: Mapped[int] = mapped_column(BigInteger, default=0)
    ttff_histogram: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rebuffer_count: Mapped[int] = mapped_column(BigInteger, default=0)
    rebuffer_ms: Mapped[float] = mapped_column(Float, default=0.0)
    watched_ms: Mapped[float] = mapped_column(Float, default=0.0)
    rendition_switches: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
