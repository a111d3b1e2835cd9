"""Tables for My List entries and thumbs ratings, one row per profile and title."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base, utcnow


class MyListEntry(Base):
    """A title a profile saved to watch later."""

    __tablename__ = "my_list"
    __table_args__ = (Index("ix_my_list_profile_added", "profile_id", "added_at"),)

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    title_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class TitleRating(Base):
    """A profile's thumbs up (+1) or down (-1) on a title; no row means not rated."""

    __tablename__ = "title_ratings"
    __table_args__ = (CheckConstraint("value IN (-1, 1)", name="value_is_thumb"),)

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    title_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
