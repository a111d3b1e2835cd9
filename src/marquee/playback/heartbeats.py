"""What a player reports while watching: heartbeats and the stop, saving where the viewer is.

Each report renews the session's stream slot, its short-lived media link (narrowed to the
plan as it is now) and its licence URL (a heartbeat), or frees the slot (the stop, after
which no link is signed again), saves the profile's position and appends `progress` (and
`complete`) events to the log that home rows and analytics read.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marquee.accounts.billing import Entitlements, entitlements
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
    license_url_for,
    link_expiry,
    log_event,
    media_link,
)
from marquee.playback.slots import StreamSlots
from marquee.versions.models import MediaVersion

# A position may run this far past the duration (players overshoot the last frame a little).
POSITION_SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class VersionFacts:
    """What every heartbeat needs of a session's version: fixed once it is published."""

    seconds: float
    heights: tuple[int, ...]
    kid: uuid.UUID | None


class VersionDurations:
    """Version id -> duration, video heights and key id: a published version's media never
    changes, so every heartbeat of every session playing it can skip reading its row. Bounded;
    cleared when full. One per runtime (see `marquee.runtime`), never module-global."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._facts: dict[uuid.UUID, VersionFacts] = {}

    def get(self, version_id: uuid.UUID) -> VersionFacts | None:
        return self._facts.get(version_id)

    def put(self, version_id: uuid.UUID, facts: VersionFacts) -> None:
        if len(self._facts) >= self.limit:
            self._facts.clear()
        self._facts[version_id] = facts


@dataclass(frozen=True)
class Renewal:
    """What a heartbeat hands back: when the slot lapses if silent, a fresh media link (its
    scope narrowed to what the plan allows now), and for encrypted media a fresh licence URL."""

    slot_expires_at: datetime
    link: MediaLink
    max_height: int
    license_url: str | None


def _facts(
    session: Session, playback: PlaybackSession, durations: VersionDurations | None
) -> VersionFacts | None:
    """The session's version's facts, from the runtime's cache when it has them; None when
    the version's row is gone (a retired version)."""
    cached = durations.get(playback.version_id) if durations is not None else None
    if cached is not None:
        return cached
    version = session.get(MediaVersion, playback.version_id)
    if version is None:
        return None
    heights = tuple(sorted({r.height for r in version.renditions}))
    facts = VersionFacts(version.duration_seconds, heights, version.kid)
    if durations is not None:
        durations.put(playback.version_id, facts)
    return facts


def _item(
    session: Session, playback: PlaybackSession, facts: VersionFacts | None
) -> positions.Item:
    episode = session.get(Episode, playback.episode_id) if playback.episode_id else None
    credits = episode.credits_start_seconds if episode else None
    # A retired version's row may be gone: the saved duration stands in.
    duration = facts.seconds if facts is not None else _saved_duration(session, playback)
    return positions.Item(
        title_id=playback.title_id,
        episode_id=playback.episode_id,
        duration=duration,
        credits_start=float(credits) if credits is not None else None,
    )


def _narrow_to_plan(
    playback: PlaybackSession, facts: VersionFacts | None, plan_limit: int
) -> tuple[int, ...]:
    """The heights the renewed link allows: the start's, narrowed to what the plan allows now.

    A downgrade mid-session lowers the session's ceiling at its next heartbeat, so the next
    link no longer reaches the taller renditions (and the licence, which refuses a session
    above its plan, answers again); an upgrade does not widen a session already playing.
    """
    heights = facts.heights if facts is not None and facts.heights else (playback.max_height,)
    device_limit = playback.device.get("max_height")
    limit = min(plan_limit, device_limit if isinstance(device_limit, int) else plan_limit)
    fitting = allowed_heights(heights, min(limit, playback.max_height))
    playback.max_height = min(playback.max_height, fitting[-1])
    return allowed_heights(heights, playback.max_height)


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
    plan: Entitlements,
) -> None:
    ttl = settings.playback_idle_seconds
    if slots.renew(db=session, user_id=user.id, session_id=playback.id, ttl=ttl, now=now):
        return
    # The lease was lost (e.g. Redis restarted); take it back if the plan still has room.
    limit = plan.max_streams
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
    """Renew the stream slot, the media link (within the plan as it is now) and the licence
    URL, and save the position."""
    now = now or utcnow()
    playback = get_own_session(session=session, user=user, session_id=session_id)
    if not is_live(playback, settings=settings, now=now):
        raise SessionEnded("This playback session has ended; start playback again.")
    facts = _facts(session, playback, durations)
    item = _item(session, playback, facts)
    _check_position(item, data.position)
    plan = entitlements(user=user, now=now)
    _keep_slot(session, settings, slots, user, playback, now, plan)
    _record(session, playback, item, data.position, now)
    playback.state = data.state
    playback.rendition = data.rendition
    playback.expires_at = link_expiry(settings, now)
    # A lapsed plan keeps the scope: its licences stop (`entitlement.recheck`), not its links.
    limit = plan.max_resolution if plan.active else playback.max_height
    heights = _narrow_to_plan(playback, facts, limit)
    session.flush()
    kid = facts.kid if facts is not None else None
    return Renewal(
        slot_expires_at=now + timedelta(seconds=settings.playback_idle_seconds),
        link=media_link(settings, playback, heights),
        max_height=playback.max_height,
        license_url=license_url_for(session, settings, playback, kid, now=now),
    )


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
    item = _item(session, playback, _facts(session, playback, durations))
    _check_position(item, position)
    slots.release(db=session, user_id=user.id, session_id=playback.id)
    _record(session, playback, item, position, now)
    playback.stopped_at = now
    playback.state = "stopped"
    session.flush()
