"""`GET/HEAD /media/{session}/{expires}/{signature}/{scope}/{version}/{path}`: the origin.

Outside `/api/v1` on purpose: the path is the signed media link the edge validates too.
`/media/{session}/cookie/{version}/{path}` is the same with the token in the session's media
cookie instead, for players that fetch a playlist once and cannot rewrite its URLs.
Segments are served with byte ranges, ETags and long-lived immutable caching; local files
are read in large chunks off the event loop, or handed to the server whole when it can
send a file itself (ASGI `http.response.pathsend`); S3 objects stream through by range.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
from fastapi import APIRouter, Request, Response
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from marquee.config import Settings
from marquee.delivery import origin as media
from marquee.delivery import signing
from marquee.deps import runtime_of
from marquee.storage.base import ByteRange, ObjectStat
from marquee.storage.local import LocalStore

MEDIA_PATH = "/media/{session_id}/{expires}/{signature}/{scope}/{version_id}/{path:path}"
# Matched first: the token is in the session's media cookie (see signing.media_cookie).
COOKIE_PATH = "/media/{session_id}/cookie/{version_id}/{path:path}"
# Headers a player's script may read on a cross-origin media response.
MEDIA_EXPOSED_HEADERS = ["Content-Length", "Content-Range", "Accept-Ranges", "ETag"]
READ_CHUNK = 1024 * 1024

router = APIRouter(tags=["media"])


def cors_headers(request: Request, settings: Settings) -> dict[str, str]:
    """Media is for any page by default; with `cors_origins` set, for those origins only."""
    exposed = {"Access-Control-Expose-Headers": ", ".join(MEDIA_EXPOSED_HEADERS)}
    if not settings.cors_origins:
        return {"Access-Control-Allow-Origin": "*", **exposed}
    origin = request.headers.get("origin")
    if origin and (origin in settings.cors_origins or "*" in settings.cors_origins):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", **exposed}
    return {}


def _not_modified(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    return "*" in tags or etag in tags


def _wanted_range(request: Request, etag: str, size: int) -> tuple[int, int] | None:
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None  # the client's copy is stale: send it the whole file
    return media.parse_range(request.headers.get("range"), size)


class PathSendResponse(Response):
    """A whole local file, handed to the server to send itself when it can, else read in chunks."""

    def __init__(self, path: Path, size: int, headers: dict[str, str], media_type: str) -> None:
        super().__init__(headers={**headers, "Content-Length": str(size)}, media_type=media_type)
        self.path = path
        self.size = size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        if "http.response.pathsend" in scope.get("extensions", {}):
            await send({"type": "http.response.pathsend", "path": str(self.path)})
            return
        async for chunk in read_file(self.path, 0, self.size):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _open_at(path: Path, first: int, size: int) -> tuple[int, bytes]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return fd, os.pread(fd, size, first)
    except BaseException:
        os.close(fd)
        raise


async def read_file(path: Path, first: int, length: int) -> AsyncIterator[bytes]:
    """`length` bytes from `first`, a large chunk per thread hop so the loop never blocks on disk.

    Opening and the first read share one hop: most segments are a single chunk.
    """
    fd, chunk = await anyio.to_thread.run_sync(_open_at, path, first, min(READ_CHUNK, length))
    try:
        while chunk:
            yield chunk
            first, length = first + len(chunk), length - len(chunk)
            if length <= 0:
                return
            chunk = await anyio.to_thread.run_sync(os.pread, fd, min(READ_CHUNK, length), first)
    finally:
        os.close(fd)


def _body(
    origin: media.Origin, key: str, first: int, last: int
) -> AsyncIterator[bytes] | Iterator[bytes]:
    if isinstance(origin.store, LocalStore):
        return read_file(origin.store.path_for(key), first, last - first + 1)
    return iterate_in_threadpool(origin.store.open(key, ByteRange(first, last)))


def _file_response(
    request: Request, origin: media.Origin, target: media.Target, info: ObjectStat
) -> Response:
    etag = f'"{info.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": media.IMMUTABLE,
        "Accept-Ranges": "bytes",
        **cors_headers(request, origin.settings),
    }
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    wanted = _wanted_range(request, etag, info.size)
    first, last = wanted or (0, info.size - 1)
    status = 200 if wanted is None else 206
    if wanted is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    length = max(0, last - first + 1)
    if request.method == "HEAD" or length == 0:
        headers["Content-Length"] = str(length)
        return Response(status_code=status, headers=headers, media_type=target.content_type)
    if status == 200 and isinstance(origin.store, LocalStore):
        path = origin.store.path_for(target.key)
        return PathSendResponse(path, info.size, headers, target.content_type)
    headers["Content-Length"] = str(length)
    body = _body(origin, target.key, first, last)
    return StreamingResponse(
        body, status_code=status, headers=headers, media_type=target.content_type
    )


def _manifest_response(
    request: Request, origin: media.Origin, target: media.Target, made: media.Manifest
) -> Response:
    headers = {
        "ETag": made.etag,
        "Cache-Control": media.MANIFEST_CACHE,
        "Accept-Ranges": "bytes",
        **cors_headers(request, origin.settings),
    }
    if _not_modified(request, made.etag):
        return Response(status_code=304, headers=headers)
    wanted = _wanted_range(request, made.etag, len(made.body))
    body, status = made.body, 200
    if wanted is not None:
        first, last = wanted
        body, status = made.body[first : last + 1], 206
        headers["Content-Range"] = f"bytes {first}-{last}/{len(made.body)}"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        body = b""
    return Response(body, status_code=status, headers=headers, media_type=target.content_type)


async def _serve(
    request: Request,
    *,
    session_id: str,
    expires: str,
    signature: str,
    scope: str,
    version_id: str,
    path: str,
) -> Response:
    # The runtime's origin (its caches live as long as the process) and its clock.
    runtime = runtime_of(request.app)
    origin, now = runtime.origin, runtime.clock()
    target = media.resolve(
        origin.settings,
        session_id=session_id,
        expires=expires,
        signature=signature,
        scope=scope,
        version_id=version_id,
        path=path,
        now=now,
    )
    if target.manifest is not None:
        made = await anyio.to_thread.run_sync(lambda: origin.manifest(target, now=now))
        return _manifest_response(request, origin, target, made)
    if not origin.known(target.link, now=now):
        await anyio.to_thread.run_sync(lambda: origin.check_session(target.link, now=now))
    videos = origin.cached_videos(target.link.version_id)
    if videos is None:
        videos = await anyio.to_thread.run_sync(origin.videos, target.link.version_id)
    origin.check_lane(target, videos)
    info = origin.cached_stat(target.key)
    if info is None:
        info = await anyio.to_thread.run_sync(origin.stat, target.key)
    return _file_response(request, origin, target, info)


@router.api_route(COOKIE_PATH, methods=["GET", "HEAD"], include_in_schema=False)
async def media_file_by_cookie(
    request: Request, session_id: str, version_id: str, path: str
) -> Response:
    """The same files for a player that cannot rewrite its URLs (Safari's native HLS): the
    token is in the session's media cookie, which the start and each heartbeat set."""
    expires, signature, scope = signing.parse_cookie(request.cookies.get(signing.MEDIA_COOKIE))
    return await _serve(
        request,
        session_id=session_id,
        expires=expires,
        signature=signature,
        scope=scope,
        version_id=version_id,
        path=path,
    )


@router.api_route(MEDIA_PATH, methods=["GET", "HEAD"], include_in_schema=False)
async def media_file(
    request: Request,
    session_id: str,
    expires: str,
    signature: str,
    scope: str,
    version_id: str,
    path: str,
) -> Response:
    return await _serve(
        request,
        session_id=session_id,
        expires=expires,
        signature=signature,
        scope=scope,
        version_id=version_id,
        path=path,
    )


@router.options(MEDIA_PATH, include_in_schema=False)
async def media_preflight(
    request: Request,
    session_id: str,
    expires: str,
    signature: str,
    scope: str,
    version_id: str,
    path: str,
) -> Response:
    """CORS preflight when no app-wide CORS policy answered it first."""
    headers = cors_headers(request, runtime_of(request.app).settings)
    headers |= {
        "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
        "Access-Control-Allow-Headers": "Range, If-None-Match, If-Range",
        "Access-Control-Max-Age": "86400",
    }
    return Response(status_code=204, headers=headers)
