"""Admin HTTP route listing a title's media versions, current and retired, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from marquee.deps import DbSession, require_editor
from marquee.ingest import publish
from marquee.versions.models import VersionState

admin = APIRouter(
    prefix="/admin/titles", tags=["admin-media"], dependencies=[Depends(require_editor)]
)
routers = [admin]


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
    renditions: list[dict[str, Any]]
    audio_tracks: list[dict[str, Any]]
    subtitle_tracks: list[dict[str, Any]]
    prefix: str
    hls_master: str
    dash_manifest: str
    artwork: dict[str, Any]
    ladder_decision: dict[str, Any] | None = None


@admin.get("/{title_id}/versions", response_model=list[MediaVersionRead])
def list_versions(title_id: uuid.UUID, session: DbSession) -> list[MediaVersionRead]:
    """Every version of the title and of its episodes; retired ones stay listed as history."""
    versions = publish.list_versions(session=session, title_id=title_id)
    return [MediaVersionRead.model_validate(v) for v in versions]
