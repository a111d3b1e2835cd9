"""Playback sessions: start (entitlement, stream slot, signed link), heartbeats, stop, streams.

A session holds one of the account's stream slots while it heart-beats. Silence for
`playback_idle_seconds` ends it: its lease lapses, so the slot is free for another start,
and its heartbeats are refused from then on. Heartbeats and stops save the profile's
position and append `progress` and `complete` events to the log that home rows and
analytics read; a start appends `play_start`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marquee.accounts.billing import entitlements
from marquee.accounts.models import Profile, User
from marquee.audience import Audience
from marquee.catalog.models import Episode, Title
from marquee.config import Settings
from marquee.db import utcnow
from marquee.errors import Conflict, NotFound, Unprocessable
from marquee.events import service as events
from marquee.ingest.models import MediaVersion
from marquee.playback import entitlement, keys, positions, signing
from marquee.playback.models import ContentKey, PlaybackSession, WatchPosition
from marquee.playback.schemas import HeartbeatCreate, SessionCreate
from marquee.playback.slots import StreamSlots

# The packager's default segment length, for versions that do not record their own.
DEFAULT_SEGMENT_SECONDS = 4.0
# A position may run this far past the duration (players overshoot the last frame a little).
POSITION_SLACK_SECONDS = 1.0


class TooManyStreams(Conflict):
    code = "too_many_streams"


class SessionEnded(Conflict):
    code = "session_ended"


class PositionOutOfRange(Unprocessable):
    code = "position_out_of_range"


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
        return segment_index(self.start_position, self.segment_seconds)


def segment_index(position: float, segment_seconds: float) -> int:
    """The segment holding `position`: segments are cut every `segment_seconds` from 0."""
    return math.floor(position / segment_seconds)


def segment_seconds(version: MediaVersion) -> float:
    for rendition in version.renditions:
        value = rendition.get("segment_seconds")
        if isinstance(value, int | float) and value > 0:
            return float(value)
    return DEFAULT_SEGMENT_SECONDS


def start_session(
    *,
    session: Session,
    settings: Settings,
    slots: StreamSlots,
    user: User,
    profile: Profile,
    country: str,
    data: SessionCreate,
    now: datetime | None = None,
) -> Started:
    """Check entitlement, take a stream slot and sign the session's media link."""
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
    playback = PlaybackSession(
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
        expires_at=now + timedelta(seconds=settings.playback_link_ttl_seconds),
    )
    _take_slot(session, slots, playback, max_streams=plan.max_streams, settings=settings, now=now)
    session.add(playback)
    session.flush()
    _log(session, playback, "play_start", session_id=str(playback.id), position=start)
    return Started(
        playback=playback,
        target=target,
        link=_link(settings, playback),
        resume_position=resume,
        start_position=playback.position_seconds,
        segment_seconds=segment_seconds(target.version),
        license_url=_license_url(session, settings, playback, target.version),
    )


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


def _link(settings: Settings, playback: PlaybackSession) -> signing.MediaLink:
    return signing.sign(
        settings.media_link_secret.get_secret_value(),
        session_id=playback.id,
        version_id=playback.version_id,
        expires_at=playback.expires_at,
    )


def _license_url(
    session: Session, settings: Settings, playback: PlaybackSession, version: MediaVersion
) -> str | None:
    """A licence URL when the version's media is encrypted, whatever the title's flag says now.

    The version's recorded KID decides: a version shared with another title, or packaged
    before the title's flag was turned off, is still encrypted. A version that records no
    KID falls back to the title's flag and key.
    """
    if keys.version_kid(version) is None:
        title = session.get(Title, playback.title_id)
        if title is None or not title.encrypted or session.get(ContentKey, title.id) is None:
            return None
    return keys.license_url(settings, playback)


# Titles known to exist, shared by every request of this process: a session's title was
# checked when it started, so the log need not look it up again for each event.
_KNOWN_TITLES = events.KnownTitles()


def _log(session: Session, playback: PlaybackSession, kind: str, **fields: Any) -> None:
    """Append one viewing event to the log that home rows and analytics read."""
    event = {
        "kind": kind,
        "profile_id": str(playback.profile_id),
        "title_id": str(playback.title_id),
        "episode_id": str(playback.episode_id) if playback.episode_id else None,
        **fields,
    }
    events.ingest(
        session=session,
        raw=[event],
        profile_ids={playback.profile_id},
        country=playback.country,
        known=_KNOWN_TITLES,
    )


def get_own_session(*, session: Session, user: User, session_id: uuid.UUID) -> PlaybackSession:
    """The caller's session; another account's is indistinguishable from a missing one."""
    playback = session.get(PlaybackSession, session_id)
    if playback is None or playback.user_id != user.id:
        raise NotFound("No such playback session.", code="session_not_found")
    return playback


def is_live(playback: PlaybackSession, *, settings: Settings, now: datetime) -> bool:
    """Not stopped, heard from within the idle limit, and its media link still valid."""
    idle = timedelta(seconds=settings.playback_idle_seconds)
    return (
        playback.stopped_at is None
        and playback.last_seen_at + idle > now
        and playback.expires_at > now
    )


def live_session(
    *, session: Session, settings: Settings, session_id: uuid.UUID, now: datetime | None = None
) -> PlaybackSession | None:
    """The session if it is live (for manifests and licences), else None."""
    playback = session.get(PlaybackSession, session_id)
    if playback is None or not is_live(playback, settings=settings, now=now or utcnow()):
        return None
    return playback


# Version id -> duration: a published version's media never changes, so every heartbeat
# of every session playing it can skip reading its row. Bounded; cleared when full.
_DURATIONS: dict[uuid.UUID, float] = {}
_DURATIONS_LIMIT = 100_000


def _version_duration(session: Session, playback: PlaybackSession) -> float:
    duration = _DURATIONS.get(playback.version_id)
    if duration is not None:
        return duration
    version = session.get(MediaVersion, playback.version_id)
    if version is None:  # a retired version's row may be gone: the saved duration stands in
        return _saved_duration(session, playback)
    if len(_DURATIONS) >= _DURATIONS_LIMIT:
        _DURATIONS.clear()
    _DURATIONS[playback.version_id] = version.duration_seconds
    return version.duration_seconds


def _item(session: Session, playback: PlaybackSession) -> positions.Item:
    episode = session.get(Episode, playback.episode_id) if playback.episode_id else None
    credits = episode.credits_start_seconds if episode else None
    duration = _version_duration(session, playback)
    return positions.Item(
        title_id=playback.title_id,
        episode_id=playback.episode_id,
        duration=duration,
        credits_start=float(credits) if credits is not None else None,
    )


def _saved_duration(session: Session, playback: PlaybackSession) -> float:
    saved = session.get(
        WatchPosition, (playback.profile_id, playback.episode_id or playback.title_id)
    )
    return saved.duration_seconds if saved else math.inf


def _check_position(item: positions.Item, position: float) -> None:
    if position > item.duration + POSITION_SLACK_SECONDS:
        raise PositionOutOfRange(
            f"Position {position:.1f} s is past the end ({item.duration:.1f} s).",
            duration=item.duration,
        )


def _keep_slot(
    session: Session,
    settings: Settings,
    slots: StreamSlots,
    user: User,
    playback: PlaybackSession,
    now: datetime,
) -> None:
    ttl = settings.playback_idle_seconds
    if slots.renew(db=session, user_id=user.id, session_id=playback.id, ttl=ttl, now=now):
        return
    # The lease was lost (e.g. Redis restarted); take it back if the plan still has room.
    limit = entitlements(user=user, now=now).max_streams
    if not slots.acquire(
        db=session, user_id=user.id, session_id=playback.id, max_streams=limit, ttl=ttl, now=now
    ):
        raise SessionEnded("This session's stream was given up; start playback again.")


def heartbeat(
    *,
    session: Session,
    settings: Settings,
    slots: StreamSlots,
    user: User,
    session_id: uuid.UUID,
    data: HeartbeatCreate,
    now: datetime | None = None,
) -> datetime:
    """Renew the stream slot and save the position; returns when the slot lapses if silent."""
    now = now or utcnow()
    playback = get_own_session(session=session, user=user, session_id=session_id)
    if not is_live(playback, settings=settings, now=now):
        raise SessionEnded("This playback session has ended; start playback again.")
    item = _item(session, playback)
    _check_position(item, data.position)
    _keep_slot(session, settings, slots, user, playback, now)
    _record(session, playback, item, data.position, now)
    playback.state = data.state
    playback.rendition = data.rendition
    session.flush()
    return now + timedelta(seconds=settings.playback_idle_seconds)


def _record(
    session: Session,
    playback: PlaybackSession,
    item: positions.Item,
    position: float,
    now: datetime,
) -> None:
    """Save the position and log the progress since the last report (and completion)."""
    elapsed = (now - playback.last_seen_at).total_seconds()
    watched = min(max(elapsed, 0.0), 3_600.0) if playback.state in ("starting", "playing") else 0.0
    playback.position_seconds = position
    playback.last_seen_at = now
    # Written first so that the savepoint in `positions.save` nests inside this transaction
    # (SQLite starts one only on a write; a savepoint outside one would commit on release).
    session.flush()
    finished = positions.save(
        session=session, profile_id=playback.profile_id, item=item, position=position, now=now
    )
    duration = item.duration if math.isfinite(item.duration) and item.duration > 0 else None
    _log(
        session, playback, "progress", position=position, watched_seconds=watched, duration=duration
    )
    if finished:
        _log(session, playback, "complete")


def stop(
    *,
    session: Session,
    slots: StreamSlots,
    user: User,
    session_id: uuid.UUID,
    position: float,
    now: datetime | None = None,
) -> None:
    """End the session: free its slot and save where the viewer stopped. Stopping twice is fine."""
    now = now or utcnow()
    playback = get_own_session(session=session, user=user, session_id=session_id)
    if playback.stopped_at is not None:
        return
    item = _item(session, playback)
    _check_position(item, position)
    slots.release(db=session, user_id=user.id, session_id=playback.id)
    _record(session, playback, item, position, now)
    playback.stopped_at = now
    playback.state = "stopped"
    session.flush()


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
