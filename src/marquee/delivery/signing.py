"""Signed media links: one short-lived signature covers a session's version and its renditions.

A link looks like `/media/{session}/{expires}/{signature}/{scope}/{version}/{path}`. The
scope lists the video heights the session may fetch (`240-360-720`); every video file is
reached under a lane naming its height (`v720/seg-2-00001.m4s`), so an edge refuses a
rendition above the plan by URL alone. Manifests refer to everything else by relative
path, so one signature covers the whole version; it lives `playback_link_ttl_seconds`, and
heartbeats hand the player a fresh `{expires}/{signature}/{scope}` while the session lives
(the scope narrower when the plan was downgraded meanwhile). A stopped session gets none,
so its media stops answering when the last one expires.

The signature is the one nginx's `secure_link_md5` computes, so the stock edge can verify it:

    secure_link $signature,$expires;
    secure_link_md5 "$secure_link_expires:$session:$scope:$version <secret>";

MD5 keyed with a secret suffix is what nginx ships; the links are short-lived and bound to
one session, version and scope, and the origin checks them again with a constant-time compare.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from marquee.delivery.errors import LinkExpired, LinkInvalid

MEDIA_ROOT = "/media"
_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{22}$")
# Heights joined by "-", at most 32 of them: what the edge's location pattern accepts too.
_SCOPE = re.compile(r"^[0-9]{1,5}(?:-[0-9]{1,5}){0,31}$")
# "v720/...": the lane a video file of that height is fetched under.
LANE = re.compile(r"^v([0-9]{1,5})/(.+)$")


@dataclass(frozen=True)
class MediaLink:
    session_id: uuid.UUID
    version_id: uuid.UUID
    expires: int  # Unix seconds
    signature: str
    heights: tuple[int, ...]  # the video heights the session may fetch, ascending

    @property
    def scope(self) -> str:
        return scope_of(self.heights)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)

    @property
    def token(self) -> str:
        """The part a renewal replaces: `{expires}/{signature}/{scope}`.

        The scope is in it because a renewal may narrow it (a plan downgraded mid-session).
        """
        return f"{self.expires}/{self.signature}/{self.scope}"

    @property
    def prefix(self) -> str:
        """The path every file of the version is reached under, ending in a slash."""
        return f"{MEDIA_ROOT}/{self.session_id}/{self.token}/{self.version_id}/"


def scope_of(heights: Iterable[int]) -> str:
    """`240-360-720`; "0" when no video height is allowed (the edge's pattern needs a digit)."""
    return "-".join(str(h) for h in sorted(set(heights))) or "0"


def parse_scope(text: str) -> tuple[int, ...]:
    """The heights of a scope as the URL spells it; only the canonical spelling is valid."""
    if not _SCOPE.match(text):
        raise LinkInvalid("This media link is not valid.")
    heights = tuple(int(part) for part in text.split("-"))
    if scope_of(heights) != text:  # leading zeros, repeats or disorder: signed text differs
        raise LinkInvalid("This media link is not valid.")
    return heights


def lane(height: int) -> str:
    """The path segment a video file of `height` is fetched under."""
    return f"v{height}"


def signature(
    secret: str, *, session_id: uuid.UUID, version_id: uuid.UUID, scope: str, expires: int
) -> str:
    """base64url(md5("{expires}:{session}:{scope}:{version} {secret}")), unpadded: nginx's format."""
    digest = hashlib.md5(
        f"{expires}:{session_id}:{scope}:{version_id} {secret}".encode(), usedforsecurity=False
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(
    secret: str,
    *,
    session_id: uuid.UUID,
    version_id: uuid.UUID,
    heights: Iterable[int],
    expires_at: datetime,
) -> MediaLink:
    allowed = tuple(sorted(set(heights)))
    expires = int(expires_at.timestamp())
    sig = signature(
        secret,
        session_id=session_id,
        version_id=version_id,
        scope=scope_of(allowed),
        expires=expires,
    )
    return MediaLink(session_id, version_id, expires, sig, allowed)


def verify(secret: str, link: MediaLink, *, now: datetime) -> None:
    """Raise unless `link` was signed with `secret` and has not expired."""
    expected = signature(
        secret,
        session_id=link.session_id,
        version_id=link.version_id,
        scope=link.scope,
        expires=link.expires,
    )
    if not _SIGNATURE.match(link.signature) or not hmac.compare_digest(expected, link.signature):
        raise LinkInvalid("This media link is not valid.")
    if link.expires <= now.timestamp():
        raise LinkExpired("This media link has expired; start playback again.")


# -- the cookie a native HLS player renews by: the same signature, scoped to one session -----

MEDIA_COOKIE = "marquee_media"
# The link form a cookie authorises: no token in the path, so a playlist fetched once still
# leads to every segment after the token it came with has lapsed.
COOKIE_LANE = "cookie"
_COOKIE = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{22})\.([0-9]{1,5}(?:-[0-9]{1,5}){0,31})$")


@dataclass(frozen=True)
class MediaCookie:
    """`Set-Cookie` for a session's media: `{expires}.{signature}.{scope}`, sent only under
    `/media/{session}/`, living as long as the link it carries."""

    name: str
    value: str
    path: str
    max_age: int


def media_cookie(link: MediaLink, *, now: datetime) -> MediaCookie:
    value = f"{link.expires}.{link.signature}.{link.scope}"
    max_age = max(0, link.expires - int(now.timestamp()))
    return MediaCookie(MEDIA_COOKIE, value, f"{MEDIA_ROOT}/{link.session_id}/", max_age)


def cookie_prefix(link: MediaLink) -> str:
    """The path every file of the version is reached under when the cookie carries the token."""
    return f"{MEDIA_ROOT}/{link.session_id}/{COOKIE_LANE}/{link.version_id}/"


def parse_cookie(value: str | None) -> tuple[str, str, str]:
    """(expires, signature, scope) as a media cookie spells them; `LinkInvalid` otherwise."""
    match = _COOKIE.match(value or "")
    if match is None:
        raise LinkInvalid("This media link is not valid.")
    return match.group(1), match.group(2), match.group(3)
