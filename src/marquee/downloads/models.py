"""The downloads table: one title or episode stored on one device for one profile."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base, IdMixin, utcnow


class Download(IdMixin, Base):
    """A download holds place `slot` of its account's plan: (user, slot) is unique, so two
    requests racing for the last place cannot both take it."""

    __tablename__ = "downloads"
    __table_args__ = (
        UniqueConstraint("user_id", "slot", name="uq_downloads_user_slot"),
        Index("ix_downloads_profile_device", "profile_id", "device_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[int]
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(64))
    title_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    episode_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), default=None
    )
    # No foreign key: the stored copy keeps its version after the title publishes another.
    version_id: Mapped[uuid.UUID]
    quality: Mapped[int]  # the video height stored on the device
    duration_seconds: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Until when the device may play it offline; the client enforces it, renewals extend it.
    expires_at: Mapped[datetime]
    first_played_at: Mapped[datetime | None] = mapped_column(default=None)
