"""The origin: a signed version's files for players and edges, its two manifests cut per session.

Every request is checked here even behind an edge that checked it already: the
signature and expiry (`signing.verify`), the key (`storage.keys`; anything that could
leave the version is a 404), and that the session exists for that version. Manifests
also need the session to be live and are rewritten for it; everything else is immutable
and the same bytes for every session, so edges share them.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.delivery.errors import LinkInvalid, MediaSessionEnded
from marquee.delivery.signing import MediaLink, verify
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

    @property
    def manifest(self) -> str | None:
        """ "hls" or "dash" for the version's two per-session manifests, else None."""
        return MANIFESTS.get(self.relative)

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
    version_id: str,
    path: str,
    now: datetime,
) -> Target:
    """The request's link verified and its key made safe; 403 for a bad link, 404 for a bad path."""
    if not expires.isdigit() or len(expires) > 12:
        raise LinkInvalid("This media link is not valid.")
    link = MediaLink(_uuid(session_id), _uuid(version_id), int(expires), signature)
    verify(settings.media_link_secret.get_secret_value(), link, now=now)
    try:
        key = keys.version_file(link.version_id, path)
    except InvalidKey as exc:
        raise ObjectNotFound("No such media file.") from exc
    return Target(link=link, relative=path, key=key)


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
        session_ttl: float = 30.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self._sessions = sessions
        self._session_ttl = session_ttl
        # session id -> (version id, when it was read): a session never changes version.
        self._known: _Lru[uuid.UUID, tuple[uuid.UUID, float]] = _Lru(100_000)
        self._manifests: _Lru[tuple[uuid.UUID, str, StreamFilter], Manifest] = _Lru(4096)
        self._stats: _Lru[str, ObjectStat] = _Lru(100_000)

    def known(self, link: MediaLink) -> bool:
        """Whether the session was seen recently with this version: no database read needed."""
        hit = self._known.get(link.session_id)
        return (
            hit is not None
            and hit[0] == link.version_id
            and time.monotonic() - hit[1] < self._session_ttl
        )

    def check_session(self, link: MediaLink) -> None:
        """The session exists and plays this version (403 otherwise)."""
        with self._sessions() as session:
            row = session.get(PlaybackSession, link.session_id)
            self._check_row(row, link)

    def _check_row(self, row: PlaybackSession | None, link: MediaLink) -> PlaybackSession:
        if row is None or row.version_id != link.version_id:
            raise LinkInvalid("This media link is not valid.")
        self._known.put(link.session_id, (row.version_id, time.monotonic()))
        return row

    def manifest(self, target: Target, *, now: datetime) -> Manifest:
        """The manifest for a live session, cut to its limits (cached per version and limits)."""
        with self._sessions() as session:
            row = self._check_row(session.get(PlaybackSession, target.link.session_id), target.link)
            if not service.is_live(row, settings=self.settings, now=now):
                raise MediaSessionEnded("This playback session has ended; start playback again.")
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
