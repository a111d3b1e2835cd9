"""The append-only events table every consumer (popularity, recommendations, QoE) reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY, so the big integer becomes one there.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One thing that happened; consumers keep their own cursor on the ever-growing `id`."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_profile_occurred", "profile_id", "occurred_at"),
        Index("ix_events_title_occurred", "title_id", "occurred_at"),
        # Without AUTOINCREMENT SQLite hands out max(id) + 1: once retention has deleted the
        # rows with the highest ids, those ids come back below the consumers' cursors.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    profile_id: Mapped[uuid.UUID]
    title_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    episode_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    # Server time of the write; consumers only read rows older than a small lag so that a
    # transaction committing late with a lower id is never skipped.
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class EventCursor(Base):
    """How far one consumer has read the log."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
