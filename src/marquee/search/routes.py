"""Search and autocomplete over the titles the viewing profile may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from marquee.catalog.models import TitleKind
from marquee.deps import DbSession, ProfileAudience
from marquee.pagination import PageParams, make_page, page_params
from marquee.search import service
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


def get_index(request: Request) -> Index:
    index: Index = request.app.state.search_index
    return index


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
    )


@router.get("", response_model=SearchPage)
def search(
    session: DbSession,
    audience: ProfileAudience,
    index: SearchIndex,
    params: Annotated[PageParams, Depends(page_params)],
    q: QueryText = "",
    genre: Annotated[str | None, Query(max_length=60)] = None,
    year_from: Year = None,
    year_to: Year = None,
    kind: Annotated[TitleKind | None, Query(alias="type")] = None,
    language: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    sort: Sort = Sort.RELEVANCE,
) -> SearchPage:
    """Titles matching `q` (popular titles when empty), with facet counts."""
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
    return _page(results, q, params)


@router.get("/suggest", response_model=SuggestionList)
def suggest(audience: ProfileAudience, index: SearchIndex, q: QueryText = "") -> SuggestionList:
    """Up to ten titles and people for search-as-you-type."""
    items = service.suggest(index=index, query=q, audience=audience)
    return SuggestionList(
        items=[SuggestionRead(text=s.text, kind=s.kind, title_id=s.title_id) for s in items]
    )


routers = [router]
