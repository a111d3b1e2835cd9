"""tus 1.0 endpoints at /admin/uploads/ (editors only) and a JSON view of an upload's status."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from marquee.accounts.errors import EditorRequired
from marquee.accounts.models import Role, User
from marquee.config import Settings
from marquee.deps import (
    EditorWork,
    SettingsDep,
    Store,
    load_editor,
    model_response,
    unit_of_work,
)
from marquee.errors import problem_responses
from marquee.hardening import BodyLimit
from marquee.storage.base import ObjectStore
from marquee.uploads import service as uploads
from marquee.uploads.errors import (
    ChecksumAlgorithmUnsupported,
    ChecksumMismatch,
    DeferLengthUnsupported,
    InvalidChecksum,
    InvalidMetadata,
    InvalidUploadMetadata,
    TusBadRequest,
    TusUnsupportedMediaType,
    TusVersionUnsupported,
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
from marquee.uploads.tus import (
    CHECKSUM_ALGORITHMS,
    EXTENSIONS,
    OFFSET_CONTENT_TYPE,
    TUS_VERSION,
    encode_metadata,
    http_date,
    parse_checksum,
    parse_int,
    parse_metadata,
    require_version,
    tus_headers,
)
from marquee.uploads.writer import ChunkWriter

# Every route takes `EditorWork`: the plain-function routes open its one transaction, the
# ones that stream load the editor (`load_editor`) in their first; the 403 is declared here.
tus = APIRouter(
    prefix="/admin/uploads",
    tags=["admin-uploads"],
    responses=problem_responses(EditorRequired),
)
# Capability discovery carries no data and browsers send it without credentials.
discovery = APIRouter(prefix="/admin/uploads", tags=["admin-uploads"])
routers = [discovery, tus]


def body_limits(settings: Settings, prefix: str) -> list[BodyLimit]:
    """Masters arrive as many PATCHes; each carries at most one chunk."""
    methods = frozenset({"POST", "PATCH"})
    return [BodyLimit(f"{prefix}/admin/uploads", methods, settings.upload_chunk_max_bytes)]


class UploadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    state: UploadState
    purpose: UploadPurpose
    title_id: uuid.UUID | None
    episode_id: uuid.UUID | None
    filename: str
    language: str | None
    forced: bool
    sdh: bool
    length: int
    offset: int
    expires_at: datetime | None
    completed_at: datetime | None
    job_id: uuid.UUID | None


def _owned(session: Session, upload_id: uuid.UUID, user: User) -> Upload:
    """The upload if `user` made it (or is an admin); anyone else's looks like a missing one."""
    upload = uploads.get_upload(session=session, upload_id=upload_id)
    if upload.created_by != user.id and user.role != Role.ADMIN:
        raise UploadNotFound(f"No upload {upload_id}.")
    return upload


def _content_type(request: Request) -> str:
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _state_headers(upload: Upload) -> dict[str, str]:
    headers = tus_headers(**{"Upload-Offset": str(upload.offset), "Cache-Control": "no-store"})
    if upload.expires_at is not None and upload.state == UploadState.RECEIVING:
        headers["Upload-Expires"] = http_date(upload.expires_at)
    return headers


@discovery.options("/", status_code=204, include_in_schema=False)
@discovery.options("/{upload_id}", status_code=204, include_in_schema=False)
def capabilities(settings: SettingsDep) -> Response:
    headers = tus_headers(
        **{
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": EXTENSIONS,
            "Tus-Max-Size": str(settings.upload_max_bytes),
            "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
        }
    )
    return Response(status_code=204, headers=headers)


@tus.post(
    "/",
    status_code=201,
    response_class=Response,
    responses=problem_responses(
        TusBadRequest,
        InvalidUploadMetadata,
        DeferLengthUnsupported,
        TusVersionUnsupported,
        UploadTooLarge,
        InvalidMetadata,
        UploadUnbound,
        UnknownTitle,
        UnknownEpisode,
    ),
)
@tus.post("", status_code=201, response_class=Response, include_in_schema=False)
async def create_upload(
    request: Request, work: EditorWork, settings: SettingsDep, store: Store
) -> Response:
    """tus creation (and creation-with-upload): declare the length and metadata, get a URL."""
    require_version(request.headers.get("Tus-Resumable"))
    if "Upload-Defer-Length" in request.headers:
        raise DeferLengthUnsupported("Declare Upload-Length up front.")
    length = parse_int("Upload-Length", request.headers.get("Upload-Length"))
    meta = parse_metadata(request.headers.get("Upload-Metadata"))
    upload = await unit_of_work(
        request,
        lambda session: uploads.create_upload(
            session=session,
            settings=settings,
            user_id=load_editor(session=session, claims=work.claims).id,
            length=length,
            meta=meta,
        ),
    )
    if _content_type(request) == OFFSET_CONTENT_TYPE or length == 0:
        upload = await _receive(request, settings, store, upload.id, 0, checksum=None)
    headers = _state_headers(upload)
    headers["Location"] = str(request.url_for("upload_offset", upload_id=upload.id))
    return Response(status_code=201, headers=headers)


@tus.head(
    "/{upload_id}",
    response_class=Response,
    responses=problem_responses(TusVersionUnsupported, UploadNotFound, UploadGone),
)
def upload_offset(upload_id: uuid.UUID, request: Request, work: EditorWork) -> Response:
    """tus core: how many bytes the server has, so a client resumes from there."""
    require_version(request.headers.get("Tus-Resumable"))
    with work.begin() as (session, user):
        upload = _owned(session, upload_id, user)
        headers = _state_headers(upload)
        headers["Upload-Length"] = str(upload.length)
        if upload.meta:
            headers["Upload-Metadata"] = encode_metadata(upload.meta)
    return Response(status_code=200, headers=headers)


@tus.patch(
    "/{upload_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(
        TusBadRequest,
        ChecksumAlgorithmUnsupported,
        InvalidChecksum,
        UploadNotFound,
        UploadOffsetMismatch,
        UploadBusy,
        UploadGone,
        TusVersionUnsupported,
        UploadTooLarge,
        TusUnsupportedMediaType,
        ChecksumMismatch,
    ),
)
async def append(
    upload_id: uuid.UUID, request: Request, work: EditorWork, settings: SettingsDep, store: Store
) -> Response:
    """tus core: bytes from Upload-Offset on; with Upload-Checksum a bad chunk gets 460."""
    require_version(request.headers.get("Tus-Resumable"))
    if _content_type(request) != OFFSET_CONTENT_TYPE:
        raise TusUnsupportedMediaType(f"PATCH bodies must be {OFFSET_CONTENT_TYPE}.")
    offset = parse_int("Upload-Offset", request.headers.get("Upload-Offset"))
    checksum = parse_checksum(request.headers.get("Upload-Checksum"))
    await unit_of_work(
        request,
        lambda session: _owned(
            session, upload_id, load_editor(session=session, claims=work.claims)
        ),
    )
    upload = await _receive(request, settings, store, upload_id, offset, checksum=checksum)
    return Response(status_code=204, headers=_state_headers(upload))


@tus.delete(
    "/{upload_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(TusVersionUnsupported, UploadNotFound),
)
def terminate(upload_id: uuid.UUID, request: Request, store: Store, work: EditorWork) -> Response:
    """tus termination: the upload and every stored byte of it go."""
    require_version(request.headers.get("Tus-Resumable"))
    with work.begin() as (session, user):
        _owned(session, upload_id, user)
        uploads.terminate_upload(session=session, store=store, upload_id=upload_id)
    return Response(status_code=204, headers=tus_headers())


@tus.get(
    "/{upload_id}",
    response_model=UploadRead,
    responses=problem_responses(UploadNotFound, UploadGone),
)
def upload_status(upload_id: uuid.UUID, work: EditorWork) -> Response:
    """The upload as JSON: progress, binding and the ingest job it started."""
    with work.begin() as (session, user):
        read = UploadRead.model_validate(_owned(session, upload_id, user))
    return model_response(read)


async def _unlock(request: Request, upload_id: uuid.UUID, token: str) -> None:
    await unit_of_work(
        request, lambda s: uploads.unlock_upload(session=s, upload_id=upload_id, token=token)
    )


def _writer(
    upload: Upload, store: ObjectStore, settings: Settings, checksum: tuple[str, bytes] | None
) -> ChunkWriter:
    """A writer that continues the upload from where the database says it stands."""
    return ChunkWriter(
        store=store,
        upload_id=upload.id,
        offset=upload.offset,
        length=upload.length,
        part_handle=upload.part_handle,
        parts=list(upload.parts),
        tail_key=upload.tail_key,
        part_size=settings.upload_part_bytes,
        checksum=checksum,
    )


async def _receive(
    request: Request,
    settings: Settings,
    store: ObjectStore,
    upload_id: uuid.UUID,
    offset: int,
    *,
    checksum: tuple[str, bytes] | None,
) -> Upload:
    """Lock the upload, stream the body into the store, then acknowledge what was stored."""
    declared = request.headers.get("Content-Length")
    upload, token = await unit_of_work(
        request, lambda s: uploads.lock_upload(session=s, upload_id=upload_id, offset=offset)
    )
    if declared is not None and declared.isdigit() and offset + int(declared) > upload.length:
        await _unlock(request, upload_id, token)
        raise UploadTooLarge("The request carries more bytes than the upload's length.")
    writer = _writer(upload, store, settings, checksum)
    try:
        await _stream_body(request, writer, token)
        outcome = await run_in_threadpool(writer.finish)
        recorded = await unit_of_work(
            request,
            lambda s: uploads.record_outcome(
                session=s,
                settings=settings,
                upload_id=upload_id,
                token=token,
                from_offset=offset,
                outcome=outcome,
            ),
        )
    except BaseException:
        await run_in_threadpool(writer.discard)
        await _unlock(request, upload_id, token)
        raise
    if writer.old_tail and writer.old_tail != outcome.tail_key:
        # Safe now: the database no longer points at the old tail.
        await run_in_threadpool(store.delete, writer.old_tail)
    return recorded


async def _stream_body(request: Request, writer: ChunkWriter, token: str) -> None:
    """Feed the writer, storing each full part while the next one arrives; a dropped
    connection keeps what arrived unless a checksum covers it."""
    await run_in_threadpool(writer.load_tail)
    renewed = time.monotonic()
    storing: asyncio.Future[None] | None = None
    try:
        try:
            async for chunk in request.stream():
                writer.feed(chunk)
                while writer.has_full_part():
                    if storing is not None:
                        await storing
                    part = writer.take_part()
                    storing = asyncio.ensure_future(run_in_threadpool(writer.store_part, part))
                if time.monotonic() - renewed > uploads.LOCK_SECONDS / 3:
                    renewed = time.monotonic()
                    await unit_of_work(request, lambda s: _renew(s, writer.upload_id, token))
        except ClientDisconnect:
            if writer.checksum is not None:
                raise
        if storing is not None:
            await storing
    finally:
        if storing is not None and not storing.done():
            # An error left a part in flight: let it land before anything cleans up.
            await asyncio.wait([storing])
            storing.exception()  # the first error is the one being raised
    writer.verify()


def _renew(session: Session, upload_id: uuid.UUID, token: str) -> Any:
    if not uploads.renew_lock(session=session, upload_id=upload_id, token=token):
        raise UploadBusy("The upload's lock lapsed.")
    return None
