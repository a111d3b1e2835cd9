"""The `uploads` table: one resumable (tus) upload, how far it got and where its bytes are."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base, IdMixin, TimestampMixin, str_enum


class UploadState(enum.StrEnum):
    RECEIVING = "receiving"
    COMPLETE = "complete"


class UploadPurpose(enum.StrEnum):
    """What the file is for: the master to encode, or a sidecar attached to it."""

    MASTER = "master"
    SUBTITLE = "subtitle"
    AUDIO = "audio"


class Upload(IdMixin, TimestampMixin, Base):
    __tablename__ = "uploads"

    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    title_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), index=True, default=None
    )
    episode_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), index=True, default=None
    )
    purpose: Mapped[UploadPurpose] = mapped_column(
        str_enum(UploadPurpose, "upload_purpose"), default=UploadPurpose.MASTER
    )
    filename: Mapped[str] = mapped_column(String(255), default="")
    filetype: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    forced: Mapped[bool] = mapped_column(default=False)
    sdh: Mapped[bool] = mapped_column(default=False)
    # The Upload-Metadata pairs as the client sent them, decoded, echoed back on HEAD.
    meta: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[UploadState] = mapped_column(
        str_enum(UploadState, "upload_state"), default=UploadState.RECEIVING
    )
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Where the bytes are: stored parts of a multipart upload plus a tail too small to be a part.
    part_handle: Mapped[str | None] = mapped_column(String(1024), default=None)
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tail_key: Mapped[str | None] = mapped_column(String(300), default=None)
    # One PATCH at a time: a writer holds this token until it commits or the lock lapses.
    lock_token: Mapped[str | None] = mapped_column(String(64), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    job_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
