"""Resume positions per profile and title or episode: saving, completion, continue watching."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marquee.audience import Audience
from marquee.catalog.models import Episode, Title
from marquee.catalog.visibility import visible_to
from marquee.db import utcnow
from marquee.playback.models import WatchPosition
from marquee.playback.schemas import ContinueWatchingItem, PositionRead

# Watching this much of a programme counts as finishing it, credits marker or not.
COMPLETE_FRACTION = 0.95
CONTINUE_WATCHING_LIMIT = 20


@dataclass(frozen=True)
class Item:
    """What a position is kept for: a movie, or one episode of a series."""

    title_id: uuid.UUID
    episode_id: uuid.UUID | None
    duration: float
    credits_start: float | None = None

    @property
    def item_id(self) -> uuid.UUID:
        return self.episode_id or self.title_id


def is_complete(item: Item, position: float) -> bool:
    """At 95 % of the duration, or once the credits have started."""
    if item.duration > 0 and position >= COMPLETE_FRACTION * item.duration:
        return True
    return item.credits_start is not None and position >= item.credits_start


def resume_position(*, session: Session, profile_id: uuid.UUID, item_id: uuid.UUID) -> float:
    """Where to pick up: the saved position, or 0 when finished or never started."""
    saved = session.get(WatchPosition, (profile_id, item_id))
    if saved is None or saved.completed:
        return 0.0
    return saved.position_seconds


def _row(session: Session, profile_id: uuid.UUID, item: Item) -> WatchPosition:
    saved = session.get(WatchPosition, (profile_id, item.item_id))
    if saved is not None:
        return saved
    row = WatchPosition(
        profile_id=profile_id,
        item_id=item.item_id,
        title_id=item.title_id,
        episode_id=item.episode_id,
    )
    try:
        # Two devices of one profile may save the first position at once; the loser reloads.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = session.get(WatchPosition, (profile_id, item.item_id), populate_existing=True)
        assert found is not None
        return found
    return row


def save(
    *,
    session: Session,
    profile_id: uuid.UUID,
    item: Item,
    position: float,
    now: datetime | None = None,
) -> bool:
    """Store the position; True when this save is the one that finished the programme.

    Going back below the threshold after finishing (watching again) makes it unfinished.
    """
    row = _row(session, profile_id, item)
    finished = is_complete(item, position)
    newly = finished and not row.completed
    row.position_seconds = position
    row.duration_seconds = item.duration
    row.completed = finished
    row.updated_at = now or utcnow()
    session.flush()
    return newly


def for_title(
    *, session: Session, profile_id: uuid.UUID, title_id: uuid.UUID
) -> list[PositionRead]:
    """The profile's positions in a movie, or in every episode of a series."""
    query = (
        select(WatchPosition)
        .where(WatchPosition.profile_id == profile_id, WatchPosition.title_id == title_id)
        .order_by(WatchPosition.updated_at.desc())
    )
    return [_read(row) for row in session.scalars(query)]


def _read(row: WatchPosition) -> PositionRead:
    return PositionRead(
        title_id=row.title_id,
        episode_id=row.episode_id,
        position=row.position_seconds,
        duration=row.duration_seconds,
        completed=row.completed,
        updated_at=row.updated_at,
    )


def continue_watching(
    *,
    session: Session,
    profile_id: uuid.UUID,
    audience: Audience,
    limit: int = CONTINUE_WATCHING_LIMIT,
) -> list[ContinueWatchingItem]:
    """Unfinished titles this audience may still see, newest first, one entry per title."""
    query = (
        select(WatchPosition, Title.name, Title.poster, Episode.name)
        .join(Title, Title.id == WatchPosition.title_id)
        .outerjoin(Episode, Episode.id == WatchPosition.episode_id)
        .where(
            WatchPosition.profile_id == profile_id,
            WatchPosition.completed.is_(False),
            WatchPosition.position_seconds > 0,
            visible_to(audience),
        )
        .order_by(WatchPosition.updated_at.desc())
        .limit(limit * 5)
    )
    items: list[ContinueWatchingItem] = []
    seen: set[uuid.UUID] = set()
    for row, name, poster, episode_name in session.execute(query):
        if row.title_id in seen:
            continue
        seen.add(row.title_id)
        items.append(_continue_item(row, name, poster, episode_name))
        if len(items) >= limit:
            break
    return items


def _continue_item(
    row: WatchPosition, name: str, poster: str | None, episode_name: str | None
) -> ContinueWatchingItem:
    duration = row.duration_seconds
    progress = min(1.0, row.position_seconds / duration) if duration > 0 else 0.0
    return ContinueWatchingItem(
        title_id=row.title_id,
        episode_id=row.episode_id,
        title=name,
        episode_title=episode_name,
        position=row.position_seconds,
        duration=duration,
        progress=progress,
        updated_at=row.updated_at,
        poster=poster,
    )
