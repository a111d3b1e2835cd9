"""Signed media links: one signature covers a session's whole version prefix until it expires.

A link looks like `/media/{session}/{expires}/{signature}/{version}/{path}`. Manifests
refer to everything else by relative path, so the player never needs another signature,
and an edge can check every request without asking the origin. The signature is the
one nginx's `secure_link_md5` computes, so the stock edge can verify it:

    secure_link $signature,$expires;
    secure_link_md5 "$secure_link_expires$session$version <secret>";

MD5 keyed with a secret suffix is what nginx ships; the links are short-lived and bound to
one session and one version, and the origin checks them again with a constant-time compare.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from marquee.delivery.errors import LinkExpired, LinkInvalid

MEDIA_ROOT = "/media"
_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class MediaLink:
    session_id: uuid.UUID
    version_id: uuid.UUID
    expires: int  # Unix seconds
    signature: str

    @property
    def prefix(self) -> str:
        """The path every file of the version is reached under, ending in a slash."""
        return f"{MEDIA_ROOT}/{self.session_id}/{self.expires}/{self.signature}/{self.version_id}/"


def signature(secret: str, *, session_id: uuid.UUID, version_id: uuid.UUID, expires: int) -> str:
    """base64url(md5("{expires}{session}{version} {secret}")), unpadded: nginx's format."""
    digest = hashlib.md5(
        f"{expires}{session_id}{version_id} {secret}".encode(), usedforsecurity=False
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(
    secret: str, *, session_id: uuid.UUID, version_id: uuid.UUID, expires_at: datetime
) -> MediaLink:
    expires = int(expires_at.timestamp())
    sig = signature(secret, session_id=session_id, version_id=version_id, expires=expires)
    return MediaLink(session_id, version_id, expires, sig)


def verify(secret: str, link: MediaLink, *, now: datetime) -> None:
    """Raise unless `link` was signed with `secret` and has not expired."""
    expected = signature(
        secret, session_id=link.session_id, version_id=link.version_id, expires=link.expires
    )
    if not _SIGNATURE.match(link.signature) or not hmac.compare_digest(expected, link.signature):
        raise LinkInvalid("This media link is not valid.")
    if link.expires <= now.timestamp():
        raise LinkExpired("This media link has expired; start playback again.")
