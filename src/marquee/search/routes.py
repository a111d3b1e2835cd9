"""Search and autocomplete over the titles the viewing profile may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from marquee.accounts.errors import ProfileLocked, ProfileNotFound
from marquee.catalog.errors import UnknownGenre
from marquee.catalog.models import TitleKind
from marquee.deps import QueryProfileWork, RuntimeDep, model_response
from marquee.errors import problem_responses
from marquee.pagination import PageParams, encode_cursor, make_page, page_params
from marquee.search import service
from marquee.search.errors import InvalidYearRange, UnknownParameter
from marquee.search.index import Index, SearchResults, Sort
from marquee.search.schemas import (
    FacetCountRead,
    SearchHitRead,
    SearchPage,
    SuggestionList,
    SuggestionRead,
)
from marquee.search.text import MAX_QUERY_LENGTH

router = APIRouter(prefix="/search", tags=["search"])

# Longer queries are refused with 422 rather than silently cut: a cut query would search
# for something the viewer did not type.
QueryText = Annotated[
    str,
    Query(max_length=MAX_QUERY_LENGTH, description="Free text; syntax characters are plain text."),
]
Year = Annotated[int | None, Query(ge=1800, le=2200)]
SEARCH_PARAMETERS = frozenset(
    {"q", "profile_id", "genre", "year_from", "year_to", "type", "language", "sort"}
    | {"cursor", "limit"}
)
SUGGEST_PARAMETERS = frozenset({"q", "profile_id"})


def _refuse_unknown(request: Request, known: frozenset[str]) -> None:
    """A misspelt filter (`gnere=drama`) is refused rather than silently searching unfiltered."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        names = ", ".join(name[:40] for name in unknown[:5])
        raise UnknownParameter(f"Unknown search parameter: {names}.")


# Coroutines, like every dependency of the search routes: no thread-pool hop, no database.
async def search_parameters(request: Request) -> None:
    _refuse_unknown(request, SEARCH_PARAMETERS)


async def suggest_parameters(request: Request) -> None:
    _refuse_unknown(request, SUGGEST_PARAMETERS)


async def get_index(runtime: RuntimeDep) -> Index:
    return runtime.index


SearchIndex = Annotated[Index, Depends(get_index)]


def _page(results: SearchResults, query: str, params: PageParams) -> SearchPage:
    hits = [
        SearchHitRead(
            id=hit.title_id,
            name=hit.title,
            kind=hit.kind,
            release_year=hit.year,
            genres=hit.genres,
            language=hit.language,
            score=hit.score,
        )
        for hit in results.hits
    ]
    page = make_page(hits, total=results.total, params=params)
    if not results.exact:
        # An estimated total cannot tell where the hits end; a short page can.
        full = len(hits) == params.limit
        page.next_cursor = encode_cursor(params.offset + len(hits)) if full else None
    facets = {
        name: [FacetCountRead(value=c.value, count=c.count) for c in counts]
        for name, counts in results.facets.items()
    }
    return SearchPage(
        items=page.items,
        total=page.total,
        next_cursor=page.next_cursor,
        query=query,
        facets=facets,
        counts_exact=results.exact,
    )


@router.get(
    "",
    response_model=SearchPage,
    dependencies=[Depends(search_parameters)],
    responses=problem_responses(
        ProfileNotFound, ProfileLocked, UnknownGenre, InvalidYearRange, UnknownParameter
    ),
)
def search(
    work: QueryProfileWork,
    index: SearchIndex,
    params: Annotated[PageParams, Depends(page_params)],
    q: QueryText = "",
    genre: Annotated[str | None, Query(max_length=60)] = None,
    year_from: Year = None,
    year_to: Year = None,
    kind: Annotated[TitleKind | None, Query(alias="type")] = None,
    language: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    sort: Sort = Sort.RELEVANCE,
) -> Response:
    """Titles matching `q` (popular titles when empty), with facet counts."""
    with work.begin() as (session, _, audience):
        filters = service.make_filters(
            session=session,
            genre=genre,
            year_from=year_from,
            year_to=year_to,
            kind=kind.value if kind else None,
            language=language,
        )
    results = service.search(
        index=index,
        query=q,
        filters=filters,
        audience=audience,
        sort=sort,
        offset=params.offset,
        limit=params.limit,
    )
    return model_response(_page(results, q, params))


@router.get(
    "/suggest",
    response_model=SuggestionList,
    dependencies=[Depends(suggest_parameters)],
    responses=problem_responses(ProfileNotFound, ProfileLocked, UnknownParameter),
)
def suggest(
    work: QueryProfileWork,
    index: SearchIndex,
    q: QueryText = "",
) -> Response:
    """Up to ten titles and people for search-as-you-type."""
    with work.begin() as scope:
        audience = scope.audience
    items = service.suggest(index=index, query=q, audience=audience)
    return model_response(
        SuggestionList(
            items=[SuggestionRead(text=s.text, kind=s.kind, title_id=s.title_id) for s in items]
        )
    )


routers = [router]
