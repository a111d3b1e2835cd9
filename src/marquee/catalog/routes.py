"""HTTP routes for viewers browsing the catalogue; every read is filtered by the audience."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from marquee.accounts.errors import ProfileLocked, ProfileNotFound
from marquee.catalog import browse
from marquee.catalog.admin_routes import routers as admin_routers
from marquee.catalog.browse import TitleFilters, TitleSort
from marquee.catalog.errors import SeasonNotFound, TitleNotFound
from marquee.catalog.models import TitleKind
from marquee.catalog.schemas import EpisodeRead, GenreCount, TitleDetail, TitleRead
from marquee.deps import QueryProfileWork, model_response
from marquee.errors import problem_responses
from marquee.pagination import Page, PageParams, make_page, page_params

titles = APIRouter(prefix="/titles", tags=["titles"])
genres = APIRouter(prefix="/genres", tags=["titles"])
routers = [titles, genres, *admin_routers]

Year = Annotated[int | None, Query(ge=1870, le=2100)]


async def title_filters(
    genre: Annotated[str | None, Query(max_length=60, description="A genre slug.")] = None,
    year_from: Year = None,
    year_to: Year = None,
    kind: Annotated[TitleKind | None, Query(alias="type")] = None,
    sort: TitleSort = TitleSort.TITLE,
) -> TitleFilters:
    return TitleFilters(genre=genre, year_from=year_from, year_to=year_to, kind=kind, sort=sort)


# Each route is a plain function whose dependencies touch no database: one thread-pool hop,
# one transaction, the profile (and so the audience) loaded in it, the answer serialised
# before the transaction ends.


@titles.get(
    "", response_model=Page[TitleRead], responses=problem_responses(ProfileNotFound, ProfileLocked)
)
def list_titles(
    work: QueryProfileWork,
    filters: Annotated[TitleFilters, Depends(title_filters)],
    params: Annotated[PageParams, Depends(page_params)],
) -> Response:
    with work.begin() as (session, _, audience):
        items, total = browse.list_titles(
            session=session, audience=audience, filters=filters, params=params
        )
        page = make_page([TitleRead.model_validate(t) for t in items], total=total, params=params)
    return model_response(page)


@titles.get(
    "/{title_id}",
    response_model=TitleDetail,
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound),
)
def read_title(
    title_id: uuid.UUID,
    work: QueryProfileWork,
) -> Response:
    """The `{title_id}` in the path, if this profile may see it here and now; else 404."""
    with work.begin() as (session, _, audience):
        title = browse.get_title(session=session, audience=audience, title_id=title_id)
        detail = TitleDetail.model_validate(title)
    return model_response(detail)


@titles.get(
    "/{title_id}/seasons/{number}/episodes",
    response_model=list[EpisodeRead],
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound, SeasonNotFound),
)
def list_episodes(
    work: QueryProfileWork,
    title_id: uuid.UUID,
    number: Annotated[int, Path(ge=0, le=10000)],
) -> Response:
    with work.begin() as (session, _, audience):
        season = browse.get_season(
            session=session, audience=audience, title_id=title_id, number=number
        )
        episodes = [EpisodeRead.model_validate(e).model_dump(mode="json") for e in season.episodes]
    return JSONResponse(episodes)


@genres.get(
    "", response_model=list[GenreCount], responses=problem_responses(ProfileNotFound, ProfileLocked)
)
def list_genres(
    work: QueryProfileWork,
) -> Response:
    with work.begin() as (session, _, audience):
        counts = browse.genre_counts(session=session, audience=audience)
        items = [
            GenreCount(id=genre.id, slug=genre.slug, name=genre.name, count=n).model_dump(
                mode="json"
            )
            for genre, n in counts
        ]
    return JSONResponse(items)
