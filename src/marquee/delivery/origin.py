"""The origin: a signed version's files for players and edges, its two manifests cut per session.

Every request is checked here even behind an edge that checked it already: the
signature and expiry (`signing.verify`), the key (`storage.keys`; anything that could
leave the version is a 404), that the session is live and plays that version, and that a
video file is asked for under the lane of its own height, which the link's scope allows
(`renditions`). Manifests are rewritten for the session; everything else is immutable
and the same bytes for every session, so edges share them.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.delivery import renditions
from marquee.delivery.errors import LinkInvalid, MediaSessionEnded, RenditionNotAllowed
from marquee.delivery.signing import LANE, MediaLink, parse_scope, verify
from marquee.playback import service
from marquee.playback.manifests import StreamFilter, rewrite_dash, rewrite_hls_master
from marquee.playback.models import PlaybackSession
from marquee.storage import ObjectStore, keys
from marquee.storage.base import ObjectStat, read_all
from marquee.storage.errors import InvalidKey, ObjectNotFound, RangeNotSatisfiable

IMMUTABLE = "public, max-age=31536000, immutable"
# Per session and short: a stopped session soon stops getting manifests from caches too.
MANIFEST_CACHE = "private, max-age=10"
MANIFESTS = {"master.m3u8": "hls", "manifest.mpd": "dash"}
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".json": "application/json",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Target:
    """One checked media request: the link, the file inside the version and its store key."""

    link: MediaLink
    relative: str
    key: str
    lane: int | None = None  # the height a video file was asked for under, if any

    @property
    def manifest(self) -> str | None:
        """ "hls" or "dash" for the version's two per-session manifests, else None."""
        return MANIFESTS.get(self.relative) if self.lane is None else None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(
            PurePosixPath(self.relative).suffix.lower(), "application/octet-stream"
        )


@dataclass(frozen=True)
class Manifest:
    body: bytes
    etag: str


def media_url(settings: Settings, link: MediaLink, relative: str) -> str:
    """Where a player fetches `relative` inside the linked version."""
    return f"{settings.media_base_url.rstrip('/')}{link.prefix}{relative}"


def _uuid(text: str) -> uuid.UUID:
    # Only the canonical spelling: the edge signs over the text, the origin over the value.
    if not _UUID.match(text):
        raise LinkInvalid("This media link is not valid.")
    return uuid.UUID(text)


def resolve(
    settings: Settings,
    *,
    session_id: str,
    expires: str,
    signature: str,
    scope: str,
    version_id: str,
    path: str,
    now: datetime,
) -> Target:
    """The request's link verified and its key made safe; 403 for a bad link or a lane the
    scope does not allow, 404 for a bad path."""
    if not expires.isdigit() or len(expires) > 12:
        raise LinkInvalid("This media link is not valid.")
    heights = parse_scope(scope)
    link = MediaLink(_uuid(session_id), _uuid(version_id), int(expires), signature, heights)
    verify(settings.media_link_secret.get_secret_value(), link, now=now)
    lane, relative = None, path
    in_lane = LANE.match(path)
    if in_lane is not None:
        lane, relative = int(in_lane.group(1)), in_lane.group(2)
        # One spelling per lane, as the edge compares text: "v0720" is not the 720p lane.
        if lane not in heights or in_lane.group(1) != str(lane):
            raise RenditionNotAllowed("This rendition is above what the session may play.")
        if relative in MANIFESTS:  # cut per session at the top only, never served whole
            raise ObjectNotFound("No such media file.")
    try:
        key = keys.version_file(link.version_id, relative)
    except InvalidKey as exc:
        raise ObjectNotFound("No such media file.") from exc
    return Target(link=link, relative=relative, key=key, lane=lane)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte range asked for, or None for the whole object.

    Only single ranges are honoured; anything else is ignored, as RFC 9110 allows.
    """
    match = _RANGE.match(header.strip()) if header else None
    if match is None or match.groups() == ("", ""):
        return None
    first_text, last_text = match.groups()
    if first_text:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else size - 1
    else:  # a suffix: the last N bytes
        first, last = max(0, size - int(last_text)), size - 1
    if first >= size or last < first:
        raise RangeNotSatisfiable(
            f"The range is outside the file's {size} bytes.",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return first, last


class _Lru(Generic[K, V]):
    """A small thread-safe LRU map; entries are immutable facts, so stale is never wrong."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class Origin:
    """The checks and caches behind the media route; one per app."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: ObjectStore,
        sessions: sessionmaker[Session],
    ) -> None:
        self.settings = settings
        self.store = store
        self._sessions = sessions
        # As long as a link lives: a stopped session's media stops answering within one link
        # life whichever answers it, the edge (the link) or this process (its memory).
        self._session_ttl = settings.playback_link_ttl_seconds
        # session id -> (version id, when it was read, Unix seconds): a session never changes
        # version.
        self._known: _Lru[uuid.UUID, tuple[uuid.UUID, float]] = _Lru(100_000)
        self._manifests: _Lru[tuple[uuid.UUID, str, StreamFilter], Manifest] = _Lru(4096)
        self._stats: _Lru[str, ObjectStat] = _Lru(100_000)
        self._videos: _Lru[uuid.UUID, renditions.VideoFiles] = _Lru(4096)

    def known(self, link: MediaLink, *, now: datetime) -> bool:
        """Whether the session was seen live recently with this version: no database read."""
        hit = self._known.get(link.session_id)
        return (
            hit is not None
            and hit[0] == link.version_id
            and 0 <= now.timestamp() - hit[1] < self._session_ttl
        )

    def check_session(self, link: MediaLink, *, now: datetime) -> None:
        """The session is live and plays this version (403 otherwise)."""
        with self._sessions() as session:
            self._check_row(session.get(PlaybackSession, link.session_id), link, now)

    def _check_row(
        self, row: PlaybackSession | None, link: MediaLink, now: datetime
    ) -> PlaybackSession:
        if row is None or row.version_id != link.version_id:
            raise LinkInvalid("This media link is not valid.")
        if not service.is_live(row, settings=self.settings, now=now):
            raise MediaSessionEnded("This playback session has ended; start playback again.")
        self._known.put(link.session_id, (row.version_id, now.timestamp()))
        return row

    def cached_videos(self, version_id: uuid.UUID) -> renditions.VideoFiles | None:
        return self._videos.get(version_id)

    def videos(self, version_id: uuid.UUID) -> renditions.VideoFiles:
        """Which files of the version are video, and their heights (immutable, so cached)."""
        cached = self._videos.get(version_id)
        if cached is None:
            cached = renditions.of_version(self.store, version_id)
            self._videos.put(version_id, cached)
        return cached

    @staticmethod
    def check_lane(target: Target, videos: renditions.VideoFiles) -> None:
        """A video file only under its own height's lane; anything else under any lane or none."""
        height = videos.height_of(target.relative)
        if height is not None and height != target.lane:
            raise RenditionNotAllowed("This video file is served only in its rendition's lane.")

    def manifest(self, target: Target, *, now: datetime) -> Manifest:
        """The manifest for a live session, cut to its limits (cached per version and limits)."""
        with self._sessions() as session:
            row = session.get(PlaybackSession, target.link.session_id)
            row = self._check_row(row, target.link, now)
            rule = StreamFilter.of(row.max_height, row.device.get("codecs") or ())
        cache_key = (target.link.version_id, target.relative, rule)
        cached = self._manifests.get(cache_key)
        if cached is not None:
            return cached
        stored = read_all(self.store, target.key)
        body = (
            rewrite_hls_master(stored.decode(), rule).encode()
            if target.manifest == "hls"
            else rewrite_dash(stored, rule)
        )
        made = Manifest(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
        self._manifests.put(cache_key, made)
        return made

    def cached_stat(self, key: str) -> ObjectStat | None:
        return self._stats.get(key)

    def stat(self, key: str) -> ObjectStat:
        """The object's size and ETag; a version's objects never change, so they are cached."""
        cached = self._stats.get(key)
        if cached is None:
            cached = self.store.stat(key)
            self._stats.put(key, cached)
        return cached
