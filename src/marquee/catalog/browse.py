"""Viewer reads of the catalogue: lists, details, episodes and genre counts, all filtered."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from marquee.audience import Audience
from marquee.catalog.errors import EpisodeNotFound, SeasonNotFound, TitleNotFound
from marquee.catalog.models import (
    Credit,
    Episode,
    Genre,
    Season,
    Title,
    TitleKind,
    title_genres,
)
from marquee.catalog.visibility import visible_to
from marquee.pagination import PageParams


class TitleSort(enum.StrEnum):
    TITLE = "title"
    YEAR = "year"
    NEWEST = "newest"


@dataclass(frozen=True)
class TitleFilters:
    genre: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    kind: TitleKind | None = None
    sort: TitleSort = TitleSort.TITLE


def title_not_found() -> TitleNotFound:
    # Hidden and missing titles share one answer so a viewer cannot probe what exists.
    return TitleNotFound("No such title.")


def _filtered(query: Select[Title], filters: TitleFilters) -> Select[Title]:
    if filters.genre is not None:
        query = query.where(
            exists().where(
                title_genres.c.title_id == Title.id,
                title_genres.c.genre_id == Genre.id,
                Genre.slug == filters.genre,
            )
        )
    if filters.year_from is not None:
        query = query.where(Title.release_year >= filters.year_from)
    if filters.year_to is not None:
        query = query.where(Title.release_year <= filters.year_to)
    if filters.kind is not None:
        query = query.where(Title.kind == filters.kind)
    return query


def _ordered(query: Select[Title], sort: TitleSort) -> Select[Title]:
    if sort is TitleSort.YEAR:
        return query.order_by(Title.release_year.desc().nulls_last(), Title.sort_name, Title.id)
    if sort is TitleSort.NEWEST:
        return query.order_by(Title.published_at.desc().nulls_last(), Title.sort_name, Title.id)
    return query.order_by(Title.sort_name, Title.id)


def list_titles(
    *, session: Session, audience: Audience, filters: TitleFilters, params: PageParams
) -> tuple[list[Title], int]:
    """One page of the titles `audience` may see, and how many there are in all."""
    query = _filtered(select(Title).where(visible_to(audience)), filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = _ordered(query, filters.sort).offset(params.offset).limit(params.limit)
    rows = session.scalars(page.options(selectinload(Title.genres)))
    return list(rows), total


def get_title(*, session: Session, audience: Audience, title_id: uuid.UUID) -> Title:
    """A title with its genres, credits and episodes, or 404 if `audience` may not see it."""
    query = (
        select(Title)
        .where(Title.id == title_id, visible_to(audience))
        .options(
            selectinload(Title.genres),
            selectinload(Title.credits).joinedload(Credit.person),
            selectinload(Title.seasons).selectinload(Season.episodes),
        )
    )
    title = session.scalar(query)
    if title is None:
        raise title_not_found()
    return title


def get_season(*, session: Session, audience: Audience, title_id: uuid.UUID, number: int) -> Season:
    """A season of a visible title, with its episodes in order."""
    title = get_title(session=session, audience=audience, title_id=title_id)
    for season in title.seasons:
        if season.number == number:
            return season
    raise SeasonNotFound("No such season.")


def get_episode(*, session: Session, audience: Audience, episode_id: uuid.UUID) -> Episode:
    """An episode whose series `audience` may see; otherwise 404, as for a missing one."""
    query = (
        select(Episode)
        .join(Title, Title.id == Episode.title_id)
        .where(Episode.id == episode_id, visible_to(audience))
    )
    episode = session.scalar(query)
    if episode is None:
        raise EpisodeNotFound("No such episode.")
    return episode


def genre_counts(*, session: Session, audience: Audience) -> list[tuple[Genre, int]]:
    """Genres that hold at least one title `audience` may see, with how many they hold."""
    count = func.count(Title.id)
    query = (
        select(Genre, count)
        .join(title_genres, title_genres.c.genre_id == Genre.id)
        .join(Title, Title.id == title_genres.c.title_id)
        .where(visible_to(audience))
        .group_by(Genre.id, Genre.slug, Genre.name)
        .order_by(Genre.name)
    )
    return [(genre, int(n)) for genre, n in session.execute(query).all()]
