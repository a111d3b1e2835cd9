"""Request and response shapes for playback sessions, heartbeats, streams and positions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# Longer than any programme; positions past it are refused before the duration check.
MAX_SECONDS = 86_400.0

Codec = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Device(_Strict):
    """What the player can decode and show; renditions above `max_height` are never offered."""

    codecs: list[Codec] = Field(
        default_factory=lambda: ["avc1", "mp4a"], max_length=20, examples=[["avc1", "mp4a"]]
    )
    max_height: int | None = Field(default=None, ge=144, le=4320)
    hdr: bool = False
    name: str = Field(default="", max_length=80)


class SessionCreate(_Strict):
    profile_id: uuid.UUID
    title_id: uuid.UUID | None = None
    episode_id: uuid.UUID | None = None
    start_at: float | None = Field(default=None, ge=0, le=MAX_SECONDS)
    device: Device = Field(default_factory=Device)

    @model_validator(mode="after")
    def _one_target(self) -> SessionCreate:
        if (self.title_id is None) == (self.episode_id is None):
            raise ValueError("give exactly one of title_id or episode_id")
        return self


class Markers(BaseModel):
    intro_start: float | None = None
    intro_end: float | None = None
    credits_start: float | None = None


class NextEpisode(BaseModel):
    episode_id: uuid.UUID
    title: str
    season: int
    number: int


class SessionRead(BaseModel):
    session_id: uuid.UUID
    hls_url: str
    dash_url: str
    native_hls_url: str = Field(
        description=(
            "The HLS master for a player that cannot rewrite its media URLs (Safari's native "
            "HLS): the media token travels in the `marquee_media` cookie that this answer and "
            "every heartbeat set, scoped to `/media/{session_id}/`."
        )
    )
    license_url: str | None
    key_system: Literal["org.w3.clearkey"] | None
    resume_position: float
    start_position: float
    start_segment: int = Field(description="floor(start_position / segment_seconds)")
    segment_seconds: float
    duration: float
    expires_at: datetime = Field(
        description="When the media links stop working unless a heartbeat renews them."
    )
    media_token: str = Field(
        description=(
            "The `{expires}/{signature}/{scope}` part of the media links, which renewals replace."
        )
    )
    heartbeat_seconds: int
    title_id: uuid.UUID
    episode_id: uuid.UUID | None
    max_height: int
    trickplay_url: str | None
    markers: Markers
    next_episode: NextEpisode | None


class HeartbeatCreate(_Strict):
    position: float = Field(ge=0, le=MAX_SECONDS)
    rendition: str | None = Field(default=None, max_length=64)
    buffer_seconds: float | None = Field(default=None, ge=0, le=3_600)
    state: Literal["playing", "paused", "buffering", "seeking"]


class HeartbeatRead(BaseModel):
    expires_at: datetime = Field(description="When the stream slot lapses without a heartbeat.")
    next_heartbeat_seconds: int
    media_token: str = Field(
        description=(
            "A fresh `{expires}/{signature}/{scope}` for the session's media links: the player "
            "puts it in place of the one after `/media/{session_id}/` in every media request "
            "from now on."
        )
    )
    media_expires_at: datetime = Field(description="When the renewed media links stop working.")
    max_height: int = Field(
        description=(
            "The tallest rendition the renewed links reach: lower than the start's when the "
            "plan was downgraded meanwhile, so the player stops choosing taller ones."
        )
    )
    license_url: str | None = Field(
        description="A fresh licence URL for encrypted media: later licence requests use it."
    )


class StopCreate(_Strict):
    position: float = Field(ge=0, le=MAX_SECONDS)


class StreamRead(BaseModel):
    session_id: uuid.UUID
    profile_id: uuid.UUID
    title_id: uuid.UUID
    title: str
    device_name: str
    started_at: datetime
    last_seen_at: datetime


class StreamList(BaseModel):
    items: list[StreamRead]
    max_streams: int


class PositionRead(BaseModel):
    title_id: uuid.UUID
    episode_id: uuid.UUID | None
    position: float
    duration: float
    completed: bool
    updated_at: datetime


class PositionList(BaseModel):
    items: list[PositionRead]


class ContinueWatchingItem(BaseModel):
    title_id: uuid.UUID
    episode_id: uuid.UUID | None
    title: str
    episode_title: str | None
    position: float
    duration: float
    progress: float = Field(ge=0, le=1)
    updated_at: datetime
    poster: str | None


class ContinueWatchingList(BaseModel):
    items: list[ContinueWatchingItem]
