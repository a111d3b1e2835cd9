"""A download's offline licence: until when the device may play it, and its ClearKey key.

ClearKey has no persistent licence, so the key travels in the licence answer with its
expiry and the client keeps both next to the stored media; the client enforces the
expiry, and the server enforces every playback rule again at each renewal (docs/drm.md
says what a commercial DRM's persistent licence adds).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.downloads.models import Download
from marquee.downloads.schemas import ContentKey, DownloadLicense
from marquee.playback.drm import CLEARKEY_SYSTEM, b64url
from marquee.versions import content_keys
from marquee.versions.models import MediaVersion


def extend(settings: Settings, download: Download, now: datetime) -> None:
    """A renewal restarts the clock: the long expiry, or the short one once it has played."""
    seconds = (
        settings.download_played_expiry_seconds
        if download.first_played_at is not None
        else settings.download_expiry_seconds
    )
    download.expires_at = now + timedelta(seconds=seconds)
    download.renewed_at = now


def _keys(session: Session, settings: Settings, download: Download) -> list[ContentKey]:
    """The key the stored version was encrypted with; none for clear media."""
    version = session.get(MediaVersion, download.version_id)
    title = session.get(Title, download.title_id)
    encrypted = (version is not None and version.kid is not None) or (
        title is not None and title.encrypted
    )
    if not encrypted:
        return []
    key = content_keys.key_for_version(
        session=session,
        settings=settings,
        version_id=download.version_id,
        title_id=download.title_id,
    )
    if key is None:
        return []
    return [ContentKey(kid=b64url(key.kid.bytes), k=b64url(key.key))]


def license_for(session: Session, settings: Settings, download: Download) -> DownloadLicense:
    keys = _keys(session, settings, download)
    return DownloadLicense(
        expires_at=download.expires_at,
        played_expiry_seconds=settings.download_played_expiry_seconds,
        key_system=CLEARKEY_SYSTEM if keys else None,
        keys=keys,
    )
