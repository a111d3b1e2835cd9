"""Request and response shapes for downloads, their licences and the positions watched offline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from marquee.playback.schemas import MAX_SECONDS

# A client-made id per browser or app install: opaque, never trusted to name anything else.
DeviceId = Annotated[
    str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
MAX_REPORTS = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DownloadCreate(_Strict):
    title_id: uuid.UUID | None = None
    episode_id: uuid.UUID | None = None
    device_id: DeviceId
    quality: int | None = Field(
        default=None, ge=144, le=4320, description="Video height; the plan's tallest if unset."
    )

    @model_validator(mode="after")
    def _one_target(self) -> DownloadCreate:
        if (self.title_id is None) == (self.episode_id is None):
            raise ValueError("give exactly one of title_id or episode_id")
        return self


class ContentKey(BaseModel):
    """A ClearKey content key (JSON Web Key, base64url without padding)."""

    kty: Literal["oct"] = "oct"
    kid: str
    k: str


class DownloadLicense(BaseModel):
    """What the device may do offline until it renews: the client refuses to play past
    `expires_at`, or past `played_expiry_seconds` after the first offline play."""

    expires_at: datetime
    played_expiry_seconds: int
    key_system: Literal["org.w3.clearkey"] | None
    keys: list[ContentKey]


class DownloadMedia(BaseModel):
    """Where the device fetches the media, once: links live until `expires_at`."""

    hls_url: str
    dash_url: str
    expires_at: datetime


class DownloadRead(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID
    device_id: str
    title_id: uuid.UUID
    episode_id: uuid.UUID | None
    title: str
    episode_title: str | None
    quality: int
    duration: float
    created_at: datetime
    expires_at: datetime
    first_played_at: datetime | None
    state: Literal["active", "expired"]


class DownloadRenewed(DownloadRead):
    """A download and its offline licence, as a renewal hands it back."""

    license: DownloadLicense


class DownloadStarted(DownloadRenewed):
    """A new (or re-asked) download: its licence and the links to fetch it with."""

    media: DownloadMedia


class DownloadList(BaseModel):
    items: list[DownloadRead]
    limit: int = Field(description="The plan's downloads, across the account's profiles.")
    used: int = Field(description="The account's downloads, on every profile and device.")


class RenewalCreate(_Strict):
    played_at: AwareDatetime | None = Field(
        default=None, description="When the copy was first played offline, if it was."
    )


class OfflineReport(_Strict):
    position: float = Field(ge=0, le=MAX_SECONDS)
    watched_at: AwareDatetime = Field(
        description="When the position was reached, with its timezone."
    )
    watched_seconds: float = Field(default=0, ge=0, le=3_600)


class OfflineProgressCreate(_Strict):
    reports: list[OfflineReport] = Field(min_length=1, max_length=MAX_REPORTS)


class OfflineProgressRead(BaseModel):
    accepted: int
    position_saved: bool = Field(
        description="False when a newer position (watched online meanwhile) was kept."
    )
