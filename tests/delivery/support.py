"""Delivery test data: a packaged version in the app's store, sessions on it, signed links."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import Morsel, SimpleCookie
from pathlib import Path

import httpx
from fastapi import FastAPI

from marquee.accounts.models import Profile, User
from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.delivery import signing
from marquee.delivery.signing import MEDIA_COOKIE
from marquee.playback.models import PlaybackSession
from marquee.storage import keys
from tests.playback.conftest import make_playable_title


@dataclass(frozen=True)
class Published:
    """A title whose current version holds the files of a packaged directory."""

    title_id: uuid.UUID
    version_id: uuid.UUID
    user_id: uuid.UUID
    profile_id: uuid.UUID
    files: dict[str, Path]  # relative path inside the version -> the packaged file


def publish(app: FastAPI, package: Path, extra: dict[str, Path] | None = None) -> Published:
    """Store every file of `package` (plus `extra`) as a new version of a new title."""
    with transaction(app.state.runtime.sessionmaker) as session:
        title = make_playable_title(session)
        assert title.current_version_id is not None
        user = User(email=f"{uuid.uuid4().hex[:12]}@example.com", password_hash="-")
        session.add(user)
        session.flush()
        profile = Profile(user_id=user.id, name="Main", maturity_ceiling=1000)
        session.add(profile)
        session.flush()
        ids = (title.id, title.current_version_id, user.id, profile.id)
    files = {p.relative_to(package).as_posix(): p for p in package.rglob("*") if p.is_file()}
    files.update(extra or {})
    for relative, path in files.items():
        with path.open("rb") as body:
            app.state.runtime.store.put(keys.version_file(ids[1], relative), body)
    return Published(*ids, files=files)


def open_session(
    app: FastAPI,
    published: Published,
    *,
    max_height: int = 360,
    codecs: tuple[str, ...] = ("avc1", "mp4a"),
    stopped: bool = False,
) -> uuid.UUID:
    """A playback session row on the published version, as session start would write it."""
    now = utcnow()
    row = PlaybackSession(
        user_id=published.user_id,
        profile_id=published.profile_id,
        title_id=published.title_id,
        version_id=published.version_id,
        max_height=max_height,
        device={"codecs": list(codecs), "name": "Test"},
        country="US",
        expires_at=now + timedelta(hours=6),
        stopped_at=now if stopped else None,
    )
    with transaction(app.state.runtime.sessionmaker) as session:
        session.add(row)
        session.flush()
        return row.id


# The packaged clip's video heights, and which of its files belong to each.
HEIGHTS = (240, 360, 480)
_VIDEO = re.compile(r"^(?:(?:init|seg)-(?P<index>[0-2])\b.*|(?P<name>\d+)p\.m3u8)$")


def link(
    settings: Settings,
    session_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    heights: tuple[int, ...] = HEIGHTS,
    expires_at: datetime | None = None,
) -> signing.MediaLink:
    return signing.sign(
        settings.media_link_secret.get_secret_value(),
        session_id=session_id,
        version_id=version_id,
        heights=heights,
        expires_at=expires_at or utcnow() + timedelta(minutes=1),
    )


def tampered(good: signing.MediaLink) -> str:
    """`good`'s prefix with its signature changed in the first character (the last one's low
    bits are base64 padding, which nginx ignores)."""
    flipped = ("A" if good.signature[0] != "A" else "B") + good.signature[1:]
    return good.prefix.replace(good.signature, flipped)


def in_lane(relative: str) -> str:
    """`relative` as a player reaches it: a video file of the clip inside its height's lane."""
    match = _VIDEO.match(relative)
    if match is None:
        return relative
    height = HEIGHTS[int(match["index"])] if match["index"] else int(match["name"])
    return f"{signing.lane(height)}/{relative}"


def url(
    settings: Settings,
    session_id: uuid.UUID,
    published: Published,
    relative: str,
    *,
    heights: tuple[int, ...] = HEIGHTS,
) -> str:
    """The signed path of `relative` for this session, as a player would request it."""
    prefix = link(settings, session_id, published.version_id, heights=heights).prefix
    return prefix + in_lane(relative)


def media_cookie(answer: httpx.Response) -> Morsel[str]:
    """The `marquee_media` cookie a session start or a heartbeat sets."""
    jar: SimpleCookie = SimpleCookie()
    for header in answer.headers.get_list("set-cookie"):
        jar.load(header)
    return jar[MEDIA_COOKIE]
