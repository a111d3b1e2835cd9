"""Playback sessions: start (entitlement, stream slot, signed link), liveness, streams.

A session holds one of the account's stream slots while it heart-beats. Silence for
`playback_idle_seconds` ends it: its lease lapses, so the slot is free for another start,
and its heartbeats are refused from then on. Its media link lives only
`playback_link_ttl_seconds` and each heartbeat signs a fresh one, so a session lives as
long as it heart-beats and its media stops answering soon after it stops; the link names
the video heights the plan allows, so no URL reaches a taller rendition. Heartbeats and stops save the profile's
position and append `progress` and `complete` events to the log that home rows and
analytics read (see `heartbeats`); a start appends `play_start`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marquee.accounts.billing import Entitlements
from marquee.accounts.models import Profile, User
from marquee.audience import Audience
from marquee.catalog.models import Episode, Title
from marquee.config import Settings
from marquee.db import utcnow
from marquee.delivery import signing
from marquee.events import service as events
from marquee.events.schemas import LoggedEvent, PlayStart
from marquee.playback import entitlement, licenses, positions
from marquee.playback.errors import SessionNotFound, TooManyStreams
from marquee.playback.models import PlaybackSession
from marquee.playback.schemas import SessionCreate
from marquee.playback.slots import StreamSlots
from marquee.storage import ObjectStore
from marquee.versions import content_keys
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion


@dataclass(frozen=True)
class Started:
    playback: PlaybackSession
    target: entitlement.Target
    link: signing.MediaLink
    resume_position: float
    start_position: float
    segment_seconds: float
    license_url: str | None

    @property
    def start_segment(self) -> int:
        return versions.segment_index(self.target.version, self.start_position)


def start_session(
    *,
    session: Session,
    settings: Settings,
    slots: StreamSlots,
    store: ObjectStore,
    user: User,
    profile: Profile,
    country: str,
    data: SessionCreate,
    now: datetime | None = None,
) -> Started:
    """Check entitlement and that the media can be read, take a stream slot and sign the
    session's media link."""
    now = now or utcnow()
    plan = entitlement.check_subscription(user, now)
    audience = Audience(country=country, max_maturity=profile.maturity_ceiling, at=now)
    target = entitlement.resolve_target(
        session=session, profile=profile, audience=audience, data=data
    )
    item = target.item
    resume = positions.resume_position(session=session, profile_id=profile.id, item_id=item.item_id)
    # [0, duration): a start at or past the end lands in the last segment.
    start = (
        resume if data.start_at is None else min(data.start_at, math.nextafter(item.duration, 0))
    )
    playback = _new_session(
        settings, user, profile, target, data, country=country, plan=plan, start=start, now=now
    )
    # Before the slot: with the store down this raises, and the 503 costs the account nothing.
    store.exists(target.version.hls_master)
    _take_slot(session, slots, playback, max_streams=plan.max_streams, settings=settings, now=now)
    session.add(playback)
    session.flush()
    log_event(
        session,
        playback,
        PlayStart(
            profile_id=playback.profile_id,
            title_id=playback.title_id,
            episode_id=playback.episode_id,
            session_id=playback.id,
            position=start,
        ),
    )
    return Started(
        playback=playback,
        target=target,
        link=media_link(settings, playback, _allowed(target.version, playback.max_height)),
        resume_position=resume,
        start_position=playback.position_seconds,
        segment_seconds=target.version.segment_seconds,
        license_url=license_url_for(session, settings, playback, target.version.kid),
    )


def _new_session(
    settings: Settings,
    user: User,
    profile: Profile,
    target: entitlement.Target,
    data: SessionCreate,
    *,
    country: str,
    plan: Entitlements,
    start: float,
    now: datetime,
) -> PlaybackSession:
    """The session row, not yet added: its stream slot is taken first."""
    return PlaybackSession(
        id=uuid.uuid4(),
        user_id=user.id,
        profile_id=profile.id,
        title_id=target.title.id,
        episode_id=target.episode.id if target.episode else None,
        version_id=target.version.id,
        max_height=entitlement.max_height(
            target.version, plan_limit=plan.max_resolution, device=data.device
        ),
        device=data.device.model_dump(mode="json"),
        country=country,
        position_seconds=max(0.0, start),
        created_at=now,
        last_seen_at=now,
        expires_at=link_expiry(settings, now),
    )


def link_expiry(settings: Settings, now: datetime) -> datetime:
    """When a media link signed now stops working."""
    return now + timedelta(seconds=settings.playback_link_ttl_seconds)


def _take_slot(
    session: Session,
    slots: StreamSlots,
    playback: PlaybackSession,
    *,
    max_streams: int,
    settings: Settings,
    now: datetime,
) -> None:
    taken = slots.acquire(
        db=session,
        user_id=playback.user_id,
        session_id=playback.id,
        max_streams=max_streams,
        ttl=settings.playback_idle_seconds,
        now=now,
    )
    if taken:
        return
    active = len(slots.active(db=session, user_id=playback.user_id, now=now))
    raise TooManyStreams(
        f"Your plan allows {max_streams} simultaneous streams; stop one to start another.",
        max_streams=max_streams,
        active_streams=active,
    )


def allowed_heights(version_heights: Iterable[int], max_height: int) -> tuple[int, ...]:
    """The video heights a session limited to `max_height` may fetch (the smallest if none fit)."""
    heights = sorted(set(version_heights))
    fitting = tuple(h for h in heights if h <= max_height)
    return fitting or tuple(heights[:1])


def _allowed(version: MediaVersion, max_height: int) -> tuple[int, ...]:
    return allowed_heights((r.height for r in version.renditions), max_height)


def media_link(
    settings: Settings, playback: PlaybackSession, heights: tuple[int, ...]
) -> signing.MediaLink:
    """The session's media link, valid until its `expires_at`."""
    return signing.sign(
        settings.media_link_secret.get_secret_value(),
        session_id=playback.id,
        version_id=playback.version_id,
        heights=heights,
        expires_at=playback.expires_at,
    )


def license_url_for(
    session: Session,
    settings: Settings,
    playback: PlaybackSession,
    version_kid: uuid.UUID | None,
    *,
    now: datetime | None = None,
) -> str | None:
    """A licence URL when the version's media is encrypted, whatever the title's flag says now;
    its token lives from `now` (a heartbeat's renewal) or else from the session's start.

    The version's recorded KID decides: a version shared with another title, or packaged
    before the title's flag was turned off, is still encrypted. A version that records no
    KID (or whose row is gone) falls back to the title's flag and key.
    """
    if version_kid is None:
        title = session.get(Title, playback.title_id)
        if title is None or not title.encrypted:
            return None
        if not content_keys.has_key(session=session, title_id=title.id):
            return None
    return licenses.license_url(settings, playback, now=now)


def log_event(session: Session, playback: PlaybackSession, event: LoggedEvent) -> None:
    """Append one viewing event to the log that home rows and analytics read."""
    # The session's profile and title were checked when it started: nothing to look up again.
    events.append(session=session, events=[event], country=playback.country)


def get_own_session(*, session: Session, user: User, session_id: uuid.UUID) -> PlaybackSession:
    """The caller's session; another account's is indistinguishable from a missing one."""
    playback = session.get(PlaybackSession, session_id)
    if playback is None or playback.user_id != user.id:
        raise SessionNotFound("No such playback session.")
    return playback


def is_live(playback: PlaybackSession, *, settings: Settings, now: datetime) -> bool:
    """Not stopped and heard from within the idle limit; no fixed end while it heart-beats."""
    idle = timedelta(seconds=settings.playback_idle_seconds)
    return playback.stopped_at is None and playback.last_seen_at + idle > now


def live_session(
    *, session: Session, settings: Settings, session_id: uuid.UUID, now: datetime | None = None
) -> PlaybackSession | None:
    """The session if it is live (for manifests and licences), else None."""
    playback = session.get(PlaybackSession, session_id)
    if playback is None or not is_live(playback, settings=settings, now=now or utcnow()):
        return None
    return playback


def live_streams(
    *, session: Session, slots: StreamSlots, user: User, now: datetime | None = None
) -> list[tuple[PlaybackSession, str]]:
    """The account's sessions holding a stream slot, oldest first, with their title's name."""
    ids = slots.active(db=session, user_id=user.id, now=now or utcnow())
    if not ids:
        return []
    query = (
        select(PlaybackSession, Title.name)
        .join(Title, Title.id == PlaybackSession.title_id)
        .where(PlaybackSession.id.in_(ids), PlaybackSession.stopped_at.is_(None))
        .order_by(PlaybackSession.created_at)
    )
    return [(playback, name) for playback, name in session.execute(query)]


def expire_idle_sessions(
    *, session: Session, settings: Settings, now: datetime | None = None
) -> int:
    """Mark sessions silent past the idle limit as stopped; returns how many."""
    now = now or utcnow()
    horizon = now - timedelta(seconds=settings.playback_idle_seconds)
    result = session.execute(
        update(PlaybackSession)
        .where(PlaybackSession.stopped_at.is_(None), PlaybackSession.last_seen_at <= horizon)
        .values(stopped_at=now, state="expired")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def next_episode_of(*, session: Session, episode_id: uuid.UUID | None) -> Episode | None:
    if episode_id is None:
        return None
    episode = session.get(Episode, episode_id)
    return entitlement.next_episode(session=session, episode=episode) if episode else None
