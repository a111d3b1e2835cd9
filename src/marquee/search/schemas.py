"""Response shapes of the search API."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from marquee.pagination import Page


class SearchHitRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    release_year: int | None
    genres: list[str]
    language: str | None
    score: float


class FacetCountRead(BaseModel):
    value: str
    count: int


class SearchPage(Page[SearchHitRead]):
    query: str
    facets: dict[str, list[FacetCountRead]]
    # False when `total` and the facet counts are estimates, for very large matches.
    counts_exact: bool = True


class SuggestionRead(BaseModel):
    text: str
    kind: str
    title_id: uuid.UUID | None = None


class SuggestionList(BaseModel):
    items: list[SuggestionRead]
