"""Resumable uploads (tus 1.0): create, lock one writer at a time, record bytes, terminate, expire.

An upload's bytes are acknowledged (its offset advanced) only in the same transaction
that records where they are stored, so a crash at any moment loses nothing that a
client was told had arrived; a retried PATCH simply resends from the recorded offset.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from marquee.catalog.models import Episode, Title
from marquee.config import Settings
from marquee.db import utcnow
from marquee.jobs import service as jobs
from marquee.jobs.registry import JobKind
from marquee.media.languages import bcp47, is_known_language
from marquee.storage import keys
from marquee.storage.base import ObjectStore
from marquee.storage.errors import InvalidPart
from marquee.uploads.errors import (
    InvalidMetadata,
    UnknownEpisode,
    UnknownTitle,
    UploadBusy,
    UploadGone,
    UploadNotFound,
    UploadOffsetMismatch,
    UploadTooLarge,
    UploadUnbound,
)
from marquee.uploads.models import Upload, UploadPurpose, UploadState
from marquee.uploads.schemas import IngestPayload
from marquee.uploads.writer import Outcome

LOCK_SECONDS = 30.0
_TRUE = {"", "1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def _flag(meta: dict[str, str], name: str) -> bool:
    if name not in meta:
        return False
    value = meta[name].strip().lower()
    if value not in _TRUE | _FALSE:
        raise InvalidMetadata(f"Metadata {name!r} must be true or false.")
    return value in _TRUE


def _uuid(meta: dict[str, str], name: str) -> uuid.UUID | None:
    if not meta.get(name):
        return None
    try:
        return uuid.UUID(meta[name])
    except ValueError as exc:
        raise InvalidMetadata(f"Metadata {name!r} is not an id.") from exc


def _binding(session: Session, meta: dict[str, str]) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The (title, episode) an upload belongs to; exactly one of them must be named."""
    title_id, episode_id = _uuid(meta, "title_id"), _uuid(meta, "episode_id")
    if (title_id is None) == (episode_id is None):
        raise UploadUnbound(
            "Name the title (title_id) or the episode (episode_id) this file is for."
        )
    if episode_id is not None:
        episode = session.get(Episode, episode_id)
        if episode is None:
            raise UnknownEpisode(f"No episode {episode_id}.")
        return episode.title_id, episode_id
    assert title_id is not None
    if session.get(Title, title_id) is None:
        raise UnknownTitle(f"No title {title_id}.")
    return title_id, None


def _purpose(meta: dict[str, str]) -> tuple[UploadPurpose, str | None]:
    try:
        purpose = UploadPurpose(meta.get("kind") or UploadPurpose.MASTER)
    except ValueError as exc:
        raise InvalidMetadata("Metadata 'kind' must be master, subtitle or audio.") from exc
    language = meta.get("language") or None
    if language is not None:
        # Refused here, when the editor can still fix it, not later by the ingest job.
        if len(language) > 35 or not is_known_language(language):
            raise InvalidMetadata("Metadata 'language' must be a language tag like en or pt-BR.")
        language = bcp47(language)
    if purpose != UploadPurpose.MASTER and language is None:
        raise InvalidMetadata(f"A {purpose} track needs a language.")
    return purpose, language


def create_upload(
    *,
    session: Session,
    settings: Settings,
    user_id: uuid.UUID | None,
    length: int,
    meta: dict[str, str],
) -> Upload:
    if length > settings.upload_max_bytes:
        raise UploadTooLarge(f"Uploads are limited to {settings.upload_max_bytes} bytes.")
    title_id, episode_id = _binding(session, meta)
    purpose, language = _purpose(meta)
    now = utcnow()
    upload = Upload(
        created_by=user_id,
        title_id=title_id,
        episode_id=episode_id,
        purpose=purpose,
        filename=meta.get("filename", "")[:255],
        filetype=meta.get("filetype", "")[:100],
        language=language,
        forced=_flag(meta, "forced"),
        sdh=_flag(meta, "sdh"),
        meta=meta,
        length=length,
        expires_at=now + timedelta(seconds=settings.upload_expiry_seconds),
    )
    session.add(upload)
    session.flush()
    _schedule_expiry(session, upload)
    return upload


def _schedule_expiry(session: Session, upload: Upload) -> None:
    """One clean-up job per hour in which uploads expire: enqueueing is idempotent on the key."""
    assert upload.expires_at is not None
    hour = upload.expires_at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    jobs.enqueue(
        session=session,
        kind=JobKind.EXPIRE_UPLOADS,
        payload={},
        key=f"expire-uploads:{hour:%Y%m%dT%H}",
        run_after=hour,
    )


def get_upload(*, session: Session, upload_id: uuid.UUID, now: datetime | None = None) -> Upload:
    upload = session.get(Upload, upload_id, populate_existing=True)
    if upload is None:
        raise UploadNotFound(f"No upload {upload_id}.")
    if _expired(upload, now or utcnow()):
        raise UploadGone(f"Upload {upload_id} expired before it was finished.")
    return upload


def _expired(upload: Upload, now: datetime) -> bool:
    return (
        upload.state == UploadState.RECEIVING
        and upload.expires_at is not None
        and upload.expires_at < now
    )


def lock_upload(*, session: Session, upload_id: uuid.UUID, offset: int) -> tuple[Upload, str]:
    """Take the upload for one PATCH at `offset`; a held lock or another offset is a conflict."""
    upload = get_upload(session=session, upload_id=upload_id)
    if upload.offset != offset:
        raise UploadOffsetMismatch(
            f"The upload is at offset {upload.offset}, not {offset}.", offset=upload.offset
        )
    now = utcnow()
    token = secrets.token_hex(16)
    taken = session.execute(
        update(Upload)
        .where(
            Upload.id == upload_id,
            Upload.offset == offset,
            or_(Upload.lock_token.is_(None), Upload.locked_until < now),
        )
        .values(lock_token=token, locked_until=now + timedelta(seconds=LOCK_SECONDS))
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise UploadBusy("Another request is writing to this upload.")
    return get_upload(session=session, upload_id=upload_id), token


def renew_lock(*, session: Session, upload_id: uuid.UUID, token: str) -> bool:
    renewed = session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.lock_token == token)
        .values(locked_until=utcnow() + timedelta(seconds=LOCK_SECONDS))
        .execution_options(synchronize_session=False)
    )
    return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]


def unlock_upload(*, session: Session, upload_id: uuid.UUID, token: str) -> None:
    session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.lock_token == token)
        .values(lock_token=None, locked_until=None)
        .execution_options(synchronize_session=False)
    )


def record_outcome(
    *,
    session: Session,
    settings: Settings,
    upload_id: uuid.UUID,
    token: str,
    from_offset: int,
    outcome: Outcome,
) -> Upload:
    """Acknowledge stored bytes: advance the offset, unlock, and queue ingest when whole."""
    now = utcnow()
    values: dict[str, Any] = {
        "offset": outcome.offset,
        "part_handle": outcome.part_handle,
        "parts": outcome.parts,
        "tail_key": outcome.tail_key,
        "lock_token": None,
        "locked_until": None,
        "updated_at": now,
        "expires_at": now + timedelta(seconds=settings.upload_expiry_seconds),
    }
    if outcome.complete:
        values.update(state=UploadState.COMPLETE, completed_at=now, expires_at=None)
    recorded = session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.lock_token == token, Upload.offset == from_offset)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if recorded.rowcount != 1:  # type: ignore[attr-defined]
        raise UploadBusy("The upload changed while this request wrote to it.")
    upload = get_upload(session=session, upload_id=upload_id)
    if outcome.complete and upload.purpose == UploadPurpose.MASTER:
        job = jobs.enqueue(
            session=session,
            kind=JobKind.INGEST,
            payload=IngestPayload(
                upload_id=upload.id, title_id=upload.title_id, episode_id=upload.episode_id
            ).model_dump(mode="json"),
            key=f"ingest:{upload.id}",
        )
        upload.job_id = job.id
        session.flush()
    return upload


def discard_data(store: ObjectStore, upload: Upload) -> None:
    """Remove every stored byte of an upload: open multipart parts, tail and the object."""
    if upload.part_handle:
        with contextlib.suppress(InvalidPart):
            store.abort_parts(keys.upload(upload.id), upload.part_handle)
    store.delete(keys.upload_prefix(upload.id))


def terminate_upload(*, session: Session, store: ObjectStore, upload_id: uuid.UUID) -> None:
    upload = session.get(Upload, upload_id)
    if upload is None:
        raise UploadNotFound(f"No upload {upload_id}.")
    discard_data(store, upload)
    session.delete(upload)
    session.flush()


def expire_uploads(*, session: Session, store: ObjectStore, now: datetime | None = None) -> int:
    """Delete unfinished uploads past their expiry, bytes first; return how many went."""
    now = now or utcnow()
    stale = session.scalars(
        select(Upload).where(Upload.state == UploadState.RECEIVING, Upload.expires_at < now)
    ).all()
    for upload in stale:
        discard_data(store, upload)
        session.delete(upload)
    session.flush()
    return len(stale)
