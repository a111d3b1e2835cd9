"""Tables of the title-version contract: immutable media versions and the content keys they use."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import JSON, Dialect, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, validates
from sqlalchemy.types import TypeDecorator

from marquee.db import Base, IdMixin, str_enum, utcnow
from marquee.versions.schemas import (
    ARTWORK,
    AUDIO_TRACKS,
    RENDITIONS,
    SUBTITLE_TRACKS,
    Artwork,
    AudioTrack,
    Rendition,
    SubtitleTrack,
    VersionState,
)

T = TypeVar("T")

__all__ = ["ContentKey", "MediaVersion", "VersionState"]


class _TypedJSON(TypeDecorator[T], Generic[T]):
    """A JSON column read and written through a pydantic TypeAdapter, so rows load as shapes."""

    impl = JSON
    cache_ok = True
    adapter: TypeAdapter[T]

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        # Validated on the way in as well: a malformed value fails at flush, not on a later read.
        return self.adapter.dump_python(self.adapter.validate_python(value), mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> T:
        return self.adapter.validate_python(value if value is not None else self._empty())

    def _empty(self) -> Any:
        return []


class RenditionsJSON(_TypedJSON[tuple[Rendition, ...]]):
    adapter = RENDITIONS


class AudioTracksJSON(_TypedJSON[tuple[AudioTrack, ...]]):
    adapter = AUDIO_TRACKS


class SubtitleTracksJSON(_TypedJSON[tuple[SubtitleTrack, ...]]):
    adapter = SUBTITLE_TRACKS


class ArtworkJSON(_TypedJSON[Artwork]):
    adapter = ARTWORK

    def _empty(self) -> Any:
        return {}


_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "renditions": RENDITIONS,
    "audio_tracks": AUDIO_TRACKS,
    "subtitle_tracks": SUBTITLE_TRACKS,
    "artwork": ARTWORK,
}


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
    # The encoder's real segment period: segment n of every video rendition starts at n times it.
    segment_seconds: Mapped[float]
    renditions: Mapped[tuple[Rendition, ...]] = mapped_column(RenditionsJSON(), default=tuple)
    audio_tracks: Mapped[tuple[AudioTrack, ...]] = mapped_column(AudioTracksJSON(), default=tuple)
    subtitle_tracks: Mapped[tuple[SubtitleTrack, ...]] = mapped_column(
        SubtitleTracksJSON(), default=tuple
    )
    prefix: Mapped[str] = mapped_column(String(300))
    hls_master: Mapped[str] = mapped_column(String(400))
    dash_manifest: Mapped[str] = mapped_column(String(400))
    artwork: Mapped[Artwork] = mapped_column(ArtworkJSON(), default=Artwork)
    # How each codec's per-title ladder was chosen (media/hull.py `LadderDecision`, a list;
    # one record before codecs had ladders of their own); None for the fixed one.
    ladder_decision: Mapped[list[dict[str, Any]] | dict[str, Any] | None] = mapped_column(
        JSON, default=None
    )

    @validates("renditions", "audio_tracks", "subtitle_tracks", "artwork")
    def _typed(self, column: str, value: Any) -> Any:
        """Whatever is assigned (shapes, or the plain JSON a caller built) is held as shapes."""
        return _ADAPTERS[column].validate_python(value)

    @property
    def kid(self) -> uuid.UUID | None:
        """The key id the version's tracks were encrypted with; None for a clear version."""
        kids = [r.kid for r in self.renditions] + [a.kid for a in self.audio_tracks]
        return next((kid for kid in kids if kid is not None), None)


class ContentKey(Base):
    """A title's content key, stored only wrapped under the master key (envelope encryption)."""

    __tablename__ = "content_keys"

    title_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True
    )
    key_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # the CENC KID
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
