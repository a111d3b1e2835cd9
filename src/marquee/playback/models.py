"""Tables for playback: sessions, stream slots and resume positions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base, IdMixin, utcnow


class PlaybackSession(IdMixin, Base):
    """One viewer pressing play on one title or episode, on one device."""

    __tablename__ = "playback_sessions"
    __table_args__ = (Index("ix_playback_sessions_user_stopped", "user_id", "stopped_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    title_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    episode_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), default=None
    )
    # No foreign key: a retired version is collected while a session may still point at it.
    version_id: Mapped[uuid.UUID]
    # The tallest rendition this session may see: the plan's and the device's limit.
    max_height: Mapped[int]
    # {"codecs": [...], "max_height": int | None, "hdr": bool, "name": str}
    device: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    position_seconds: Mapped[float] = mapped_column(default=0.0)
    rendition: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[str] = mapped_column(String(20), default="starting")


class StreamSlot(Base):
    """Slot n of an account's `max_streams`; the primary key is what makes a slot exclusive."""

    __tablename__ = "stream_slots"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    session_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    # Renewed by heartbeats; past it the slot is free for the taking.
    expires_at: Mapped[datetime]


class WatchPosition(Base):
    """Where a profile is in a title (movie) or an episode; `item_id` is the one watched."""

    __tablename__ = "watch_positions"
    __table_args__ = (Index("ix_watch_positions_profile_updated", "profile_id", "updated_at"),)

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # episode id, else title id
    title_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), index=True
    )
    episode_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), default=None
    )
    position_seconds: Mapped[float] = mapped_column(default=0.0)
    duration_seconds: Mapped[float] = mapped_column(default=0.0)
    completed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
