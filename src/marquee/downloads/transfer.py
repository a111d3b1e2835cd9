"""The links a device fetches a download's media with, once, as a player fetches a stream.

The origin and the edge serve media only under a link signed for a live playback session,
so a download's fetch gets a session of its own: no stream slot (fetching is not
watching), the download's quality as its height limit, and a life of one idle period, the
same horizon the origin checks a session against. It is never renewed: a device that
loses its links asks for the download again and gets fresh ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marquee.accounts.models import Profile
from marquee.config import Settings
from marquee.downloads.schemas import DownloadMedia
from marquee.playback import service as playback
from marquee.playback.entitlement import Target
from marquee.playback.models import PlaybackSession
from marquee.playback.schemas import Device

TRANSFER_STATE = "download"


def media_links(
    *,
    session: Session,
    settings: Settings,
    profile: Profile,
    target: Target,
    quality: int,
    country: str,
    now: datetime,
) -> DownloadMedia:
    """A slot-free session for the fetch and its signed HLS and DASH links."""
    expires = now + timedelta(seconds=settings.playback_idle_seconds)
    row = PlaybackSession(
        id=uuid.uuid4(),
        user_id=profile.user_id,
        profile_id=profile.id,
        title_id=target.title.id,
        episode_id=target.episode.id if target.episode else None,
        version_id=target.version.id,
        max_height=quality,
        device=Device(max_height=quality, name="download").model_dump(mode="json"),
        country=country,
        created_at=now,
        last_seen_at=now,
        expires_at=expires,
        state=TRANSFER_STATE,
    )
    session.add(row)
    session.flush()
    heights = playback.allowed_heights((r.height for r in target.version.renditions), quality)
    link = playback.media_link(settings, row, heights)
    prefix = f"{settings.media_base_url}{link.prefix}"
    return DownloadMedia(
        hls_url=f"{prefix}master.m3u8", dash_url=f"{prefix}manifest.mpd", expires_at=expires
    )
