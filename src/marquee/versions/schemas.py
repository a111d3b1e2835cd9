"""The typed shapes of a version: what its JSON columns hold, its description and its read model.

A version row keeps its renditions, tracks and artwork as JSON. These shapes are what
every other module sees of them, so none reads a bare dict. Rows written before a field
existed still load: every field added later has a default, and keys a shape does not
know (older or newer) are ignored rather than refused.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from marquee.media.hull import LadderDecision
from marquee.media.languages import bcp47


class VersionState(enum.StrEnum):
    READY = "ready"  # every rendition, manifest and sidecar is stored
    RETIRED = "retired"  # replaced by a newer version; its objects are being collected


# Rows stored before tags were normalised ("eng") load in the one form manifests use ("en").
LanguageTag = Annotated[str, AfterValidator(bcp47)]


class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Rendition(_Stored):
    """One video rendition as the packager measured it."""

    name: str
    width: int = 0
    height: int = 0
    bandwidth: int = 0  # peak segment bit rate, bits/s
    average_bandwidth: int = 0
    codecs: str = ""  # RFC 6381, e.g. "avc1.64001f"
    frame_rate: float = 0.0
    kid: uuid.UUID | None = None  # the key id when the track is encrypted (cbcs)

    def codec_families(self) -> frozenset[str]:
        """{"avc1"} for "avc1.64001f": the part of each codec a device says it decodes."""
        parts = (c.strip() for c in self.codecs.split(","))
        return frozenset(part.split(".", 1)[0].lower() for part in parts if part)


class AudioTrack(_Stored):
    name: str
    language: LanguageTag = "und"
    codecs: str = ""
    bandwidth: int = 0
    kid: uuid.UUID | None = None


class SubtitleTrack(_Stored):
    name: str
    language: LanguageTag = "und"
    forced: bool = False
    sdh: bool = False


class ArtworkFiles(_Stored):
    """Artwork by file name inside the package's `artwork/` folder, before it is stored."""

    poster: str
    thumbnails: tuple[str, ...] = ()
    sprites: tuple[str, ...] = ()
    trickplay: str


class Artwork(_Stored):
    """A stored version's artwork by object key; empty when none was made."""

    poster: str | None = None
    thumbnails: tuple[str, ...] = ()
    sprites: tuple[str, ...] = ()
    trickplay: str | None = None

    @property
    def public_keys(self) -> frozenset[str]:
        """The poster frame and thumbnails: shown on catalogue pages, so served without a session."""
        found = (self.poster, *self.thumbnails)
        return frozenset(key for key in found if key is not None)


class Description(_Stored):
    """What a packaged encoding tells its version row, as figures the packager measured.

    `segment_seconds` is the encoder's real segment period (snapped to whole frames,
    4.004 s for a 4 s target at 30000/1001 fps): segment n starts at n times it.
    """

    duration_seconds: float
    segment_seconds: float = Field(gt=0)
    renditions: tuple[Rendition, ...]
    audio_tracks: tuple[AudioTrack, ...] = ()
    subtitle_tracks: tuple[SubtitleTrack, ...] = ()
    artwork: ArtworkFiles | None = None
    # media/hull.py `decision_record` of each per-title codec: trials, hull and chosen
    # rungs; None for the fixed ladder.
    ladder_decision: list[dict[str, Any]] | None = None


RENDITIONS: TypeAdapter[tuple[Rendition, ...]] = TypeAdapter(tuple[Rendition, ...])
AUDIO_TRACKS: TypeAdapter[tuple[AudioTrack, ...]] = TypeAdapter(tuple[AudioTrack, ...])
SUBTITLE_TRACKS: TypeAdapter[tuple[SubtitleTrack, ...]] = TypeAdapter(tuple[SubtitleTrack, ...])
ARTWORK: TypeAdapter[Artwork] = TypeAdapter(Artwork)


class MediaVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title_id: uuid.UUID
    episode_id: uuid.UUID | None
    upload_id: uuid.UUID | None
    state: VersionState
    created_at: datetime
    retired_at: datetime | None
    duration_seconds: float
    segment_seconds: float
    renditions: list[Rendition]
    audio_tracks: list[AudioTrack]
    subtitle_tracks: list[SubtitleTrack]
    prefix: str
    hls_master: str
    dash_manifest: str
    artwork: Artwork
    # How each codec's per-title ladder was chosen (trials, hull, rungs); empty for the
    # fixed table.
    ladders: list[LadderDecision] = Field(validation_alias="ladder_decision")

    @field_validator("ladders", mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        """Versions packaged before codecs had ladders of their own keep one record."""
        if value is None:
            return []
        return [value] if isinstance(value, dict) else value
