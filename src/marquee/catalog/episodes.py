"""Editor rules for the seasons and episodes of a series."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.catalog.errors import (
    EpisodeExists,
    EpisodeNotFound,
    InvalidMarkers,
    NotASeries,
    SeasonExists,
    SeasonNotFound,
)
from marquee.catalog.models import Episode, Season, TitleKind
from marquee.catalog.schemas import EpisodeCreate, SeasonCreate
from marquee.catalog.service import get_title


def get_season(*, session: Session, title_id: uuid.UUID, number: int) -> Season:
    season = session.scalar(
        select(Season).where(Season.title_id == title_id, Season.number == number)
    )
    if season is None:
        get_title(session=session, title_id=title_id)  # a missing title answers title_not_found
        raise SeasonNotFound("No such season.")
    return season


def _ensure_season_free(session: Session, title_id: uuid.UUID, number: int) -> None:
    taken = select(Season.id).where(Season.title_id == title_id, Season.number == number)
    if session.scalar(taken) is not None:
        raise SeasonExists(f"Season {number} already exists.")


def create_season(*, session: Session, title_id: uuid.UUID, data: SeasonCreate) -> Season:
    title = get_title(session=session, title_id=title_id)
    if title.kind is not TitleKind.SERIES:
        raise NotASeries("Only a series has seasons.")
    _ensure_season_free(session, title.id, data.number)
    season = Season(title_id=title.id, episodes=[], **data.model_dump())
    session.add(season)
    session.flush()
    return season


def update_season(
    *, session: Session, title_id: uuid.UUID, number: int, changes: dict[str, Any]
) -> Season:
    season = get_season(session=session, title_id=title_id, number=number)
    if changes.get("number") not in (None, season.number):
        _ensure_season_free(session, title_id, changes["number"])
    for key, value in changes.items():
        setattr(season, key, value)
    session.flush()
    return season


def delete_season(*, session: Session, title_id: uuid.UUID, number: int) -> None:
    session.delete(get_season(session=session, title_id=title_id, number=number))
    session.flush()


def get_episode(*, session: Session, title_id: uuid.UUID, season: int, number: int) -> Episode:
    found = get_season(session=session, title_id=title_id, number=season)
    episode = session.scalar(
        select(Episode).where(Episode.season_id == found.id, Episode.number == number)
    )
    if episode is None:
        raise EpisodeNotFound("No such episode.")
    return episode


def _ensure_episode_free(session: Session, season_id: uuid.UUID, number: int) -> None:
    taken = select(Episode.id).where(Episode.season_id == season_id, Episode.number == number)
    if session.scalar(taken) is not None:
        raise EpisodeExists(f"Episode {number} already exists.")


def create_episode(
    *, session: Session, title_id: uuid.UUID, season: int, data: EpisodeCreate
) -> Episode:
    found = get_season(session=session, title_id=title_id, number=season)
    _ensure_episode_free(session, found.id, data.number)
    episode = Episode(season_id=found.id, title_id=title_id, **data.model_dump())
    session.add(episode)
    session.flush()
    return episode


def update_episode(
    *, session: Session, title_id: uuid.UUID, season: int, number: int, changes: dict[str, Any]
) -> Episode:
    episode = get_episode(session=session, title_id=title_id, season=season, number=number)
    if changes.get("number") not in (None, episode.number):
        _ensure_episode_free(session, episode.season_id, changes["number"])
    for key, value in changes.items():
        setattr(episode, key, value)
    start, end = episode.intro_start_seconds, episode.intro_end_seconds
    if start is not None and end is not None and end <= start:
        raise InvalidMarkers("The intro must end after it starts.")
    session.flush()
    return episode


def delete_episode(*, session: Session, title_id: uuid.UUID, season: int, number: int) -> None:
    session.delete(get_episode(session=session, title_id=title_id, season=season, number=number))
    session.flush()
