"""HTTP routes for viewers browsing the catalogue; every read is filtered by the audience."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from marquee.accounts.errors import ProfileNotFound
from marquee.catalog import browse
from marquee.catalog.admin_routes import routers as admin_routers
from marquee.catalog.browse import TitleFilters, TitleSort
from marquee.catalog.errors import SeasonNotFound, TitleNotFound
from marquee.catalog.models import Episode, Title, TitleKind
from marquee.catalog.schemas import EpisodeRead, GenreCount, TitleDetail, TitleRead
from marquee.deps import DbSession, ProfileAudience, VisibleTitle
from marquee.errors import problem_responses
from marquee.pagination import Page, PageParams, make_page, page_params

titles = APIRouter(prefix="/titles", tags=["titles"])
genres = APIRouter(prefix="/genres", tags=["titles"])
routers = [titles, genres, *admin_routers]

Year = Annotated[int | None, Query(ge=1870, le=2100)]


def title_filters(
    genre: Annotated[str | None, Query(max_length=60, description="A genre slug.")] = None,
    year_from: Year = None,
    year_to: Year = None,
    kind: Annotated[TitleKind | None, Query(alias="type")] = None,
    sort: TitleSort = TitleSort.TITLE,
) -> TitleFilters:
    return TitleFilters(genre=genre, year_from=year_from, year_to=year_to, kind=kind, sort=sort)


@titles.get("", response_model=Page[TitleRead], responses=problem_responses(ProfileNotFound))
def list_titles(
    session: DbSession,
    audience: ProfileAudience,
    filters: Annotated[TitleFilters, Depends(title_filters)],
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[TitleRead]:
    items, total = browse.list_titles(
        session=session, audience=audience, filters=filters, params=params
    )
    return make_page([TitleRead.model_validate(t) for t in items], total=total, params=params)


@titles.get(
    "/{title_id}",
    response_model=TitleDetail,
    responses=problem_responses(ProfileNotFound, TitleNotFound),
)
def read_title(title: VisibleTitle) -> Title:
    return title


@titles.get(
    "/{title_id}/seasons/{number}/episodes",
    response_model=list[EpisodeRead],
    responses=problem_responses(ProfileNotFound, TitleNotFound, SeasonNotFound),
)
def list_episodes(
    session: DbSession,
    audience: ProfileAudience,
    title_id: uuid.UUID,
    number: Annotated[int, Path(ge=0, le=10000)],
) -> list[Episode]:
    season = browse.get_season(session=session, audience=audience, title_id=title_id, number=number)
    return list(season.episodes)


@genres.get("", response_model=list[GenreCount], responses=problem_responses(ProfileNotFound))
def list_genres(session: DbSession, audience: ProfileAudience) -> list[GenreCount]:
    counts = browse.genre_counts(session=session, audience=audience)
    return [
        GenreCount(id=genre.id, slug=genre.slug, name=genre.name, count=n) for genre, n in counts
    ]
