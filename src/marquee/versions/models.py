"""The `media_versions` table: one immutable, fully stored encoding of a title or an episode."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base, IdMixin, str_enum, utcnow


class VersionState(enum.StrEnum):
    READY = "ready"  # every rendition, manifest and sidecar is stored
    RETIRED = "retired"  # replaced by a newer version; its objects are being collected


class MediaVersion(IdMixin, Base):
    """A row exists only once all of its objects are stored, so a row is always playable."""

    __tablename__ = "media_versions"
    __table_args__ = (Index("ix_media_versions_title_created", "title_id", "created_at"),)

    title_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    episode_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), index=True, default=None
    )
    # No foreign key: uploads expire and are deleted, their versions stay.
    upload_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[VersionState] = mapped_column(
        str_enum(VersionState, "media_version_state"), default=VersionState.READY
    )
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_seconds: Mapped[float]
    # [{name, width, height, bandwidth, average_bandwidth, codecs, frame_rate}], lowest first.
    renditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    audio_tracks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    subtitle_tracks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    prefix: Mapped[str] = mapped_column(String(300))
    hls_master: Mapped[str] = mapped_column(String(400))
    dash_manifest: Mapped[str] = mapped_column(String(400))
    # {"poster": key, "thumbnails": [keys], "sprites": [keys], "trickplay": key}
    artwork: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # How a per-title ladder was chosen (media/hull.py `LadderDecision`); None for the fixed one.
    ladder_decision: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
