"""What a player reports while watching: heartbeats and the stop, saving where the viewer is.

Each report renews the session's stream slot and its short-lived media link (a heartbeat)
or frees the slot (the stop, after which no link is signed again), saves the profile's
position and appends `progress` (and `complete`) events to the log that home rows and
analytics read.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marquee.accounts.billing import entitlements
from marquee.accounts.models import User
from marquee.catalog.models import Episode
from marquee.config import Settings
from marquee.db import utcnow
from marquee.delivery.signing import MediaLink
from marquee.events.schemas import Complete, Progress
from marquee.playback import positions
from marquee.playback.errors import PositionOutOfRange, SessionEnded
from marquee.playback.models import PlaybackSession, WatchPosition
from marquee.playback.schemas import HeartbeatCreate
from marquee.playback.service import (
    allowed_heights,
    get_own_session,
    is_live,
    link_expiry,
    log_event,
    media_link,
)
from marquee.playback.slots import StreamSlots
from marquee.versions.models import MediaVersion

# A position may run this far past the duration (players overshoot the last frame a little).
POSITION_SLACK_SECONDS = 1.0


class VersionDurations:
    """Version id -> duration and video heights: a published version's media never changes,
    so every heartbeat of every session playing it can skip reading its row. Bounded; cleared
    when full. One per runtime (see `marquee.runtime`), never module-global."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._seconds: dict[uuid.UUID, float] = {}
        self._heights: dict[uuid.UUID, tuple[int, ...]] = {}

    def get(self, version_id: uuid.UUID) -> float | None:
        return self._seconds.get(version_id)

    def heights(self, version_id: uuid.UUID) -> tuple[int, ...] | None:
        return self._heights.get(version_id)

    def put(self, version_id: uuid.UUID, seconds: float, heights: tuple[int, ...] = ()) -> None:
        if len(self._seconds) >= self.limit:
            self._seconds.clear()
            self._heights.clear()
        self._seconds[version_id] = seconds
        self._heights[version_id] = heights


@dataclass(frozen=True)
class Renewal:
    """What a heartbeat hands back: when the slot lapses if silent, and a fresh media link."""

    slot_expires_at: datetime
    link: MediaLink


def _version_duration(
    session: Session, playback: PlaybackSession, durations: VersionDurations | None
) -> float:
    duration = durations.get(playback.version_id) if durations is not None else None
    if duration is not None:
        return duration
    version = session.get(MediaVersion, playback.version_id)
    if version is None:  # a retired version's row may be gone: the saved duration stands in
        return _saved_duration(session, playback)
    if durations is not None:
        durations.put(playback.version_id, version.duration_seconds, _heights(version))
    return version.duration_seconds


def _heights(version: MediaVersion) -> tuple[int, ...]:
    return tuple(sorted({r.height for r in version.renditions}))


def _allowed_heights(
    session: Session, playback: PlaybackSession, durations: VersionDurations | None
) -> tuple[int, ...]:
    """The heights the session's link allows, as the start signed them."""
    heights = durations.heights(playback.version_id) if durations is not None else None
    if heights is None:
        version = session.get(MediaVersion, playback.version_id)
        heights = _heights(version) if version is not None else (playback.max_height,)
    return allowed_heights(heights, playback.max_height)


def _item(
    session: Session, playback: PlaybackSession, durations: VersionDurations | None
) -> positions.Item:
    episode = session.get(Episode, playback.episode_id) if playback.episode_id else None
    credits = episode.credits_start_seconds if episode else None
    duration = _version_duration(session, playback, durations)
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
    durations: VersionDurations | None = None,
) -> Renewal:
    """Renew the stream slot and the media link, and save the position."""
    now = now or utcnow()
    playback = get_own_session(session=session, user=user, session_id=session_id)
    if not is_live(playback, settings=settings, now=now):
        raise SessionEnded("This playback session has ended; start playback again.")
    item = _item(session, playback, durations)
    _check_position(item, data.position)
    _keep_slot(session, settings, slots, user, playback, now)
    _record(session, playback, item, data.position, now)
    playback.state = data.state
    playback.rendition = data.rendition
    playback.expires_at = link_expiry(settings, now)
    session.flush()
    link = media_link(settings, playback, _allowed_heights(session, playback, durations))
    return Renewal(now + timedelta(seconds=settings.playback_idle_seconds), link)


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
    profile, title, episode = playback.profile_id, playback.title_id, playback.episode_id
    log_event(
        session,
        playback,
        Progress(
            profile_id=profile,
            title_id=title,
            episode_id=episode,
            position=position,
            watched_seconds=watched,
            duration=duration,
        ),
    )
    if finished:
        log_event(
            session, playback, Complete(profile_id=profile, title_id=title, episode_id=episode)
        )


def stop(
    *,
    session: Session,
    slots: StreamSlots,
    user: User,
    session_id: uuid.UUID,
    position: float,
    now: datetime | None = None,
    durations: VersionDurations | None = None,
) -> None:
    """End the session: free its slot and save where the viewer stopped. Stopping twice is fine."""
    now = now or utcnow()
    playback = get_own_session(session=session, user=user, session_id=session_id)
    if playback.stopped_at is not None:
        return
    item = _item(session, playback, durations)
    _check_position(item, position)
    slots.release(db=session, user_id=user.id, session_id=playback.id)
    _record(session, playback, item, position, now)
    playback.stopped_at = now
    playback.state = "stopped"
    session.flush()
