"""The search `Index` protocol, its request and result shapes, and the backend factory."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.engine import Engine

from marquee.audience import Audience
from marquee.config import Settings
from marquee.search.documents import SearchDocument

FACETS = ("genre", "decade", "type", "language")
SUGGEST_LIMIT = 10
FACET_SIZE = 50


class Sort(enum.StrEnum):
    RELEVANCE = "relevance"
    POPULAR = "popular"
    NEWEST = "newest"


@dataclass(frozen=True)
class SearchFilters:
    genre: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    kind: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class SearchHit:
    title_id: uuid.UUID
    title: str
    kind: str
    year: int | None
    genres: list[str]
    language: str | None
    score: float


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass
class SearchResults:
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    # False when `total` and the facet counts are estimates (see the PostgreSQL backend).
    exact: bool = True


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # "title" or "person"
    title_id: uuid.UUID | None = None


class Index(Protocol):
    """A search backend. Every read is restricted to what `audience` may see."""

    def upsert(self, docs: Sequence[SearchDocument]) -> None: ...

    def delete(self, ids: Sequence[uuid.UUID]) -> None: ...

    def search(
        self,
        query: str,
        filters: SearchFilters,
        audience: Audience,
        sort: Sort = Sort.RELEVANCE,
        offset: int = 0,
        limit: int = 20,
    ) -> SearchResults: ...

    def suggest(
        self, q: str, audience: Audience, limit: int = SUGGEST_LIMIT
    ) -> list[Suggestion]: ...

    def rebuild(self, batches: Iterable[Sequence[SearchDocument]]) -> int:
        """Replace the whole index with these documents at once; returns how many there were."""
        ...

    def clear(self) -> None: ...

    def count(self) -> int:
        """Entries held (not necessarily titles); zero means the index is empty."""
        ...


def make_index(settings: Settings, engine: Engine) -> Index:
    """PostgreSQL full text when the database is PostgreSQL (shared by replicas), else embedded."""
    if engine.dialect.name == "postgresql":
        from marquee.search.postgres import PostgresIndex

        return PostgresIndex(engine)
    from marquee.search.embedded import EmbeddedIndex

    return EmbeddedIndex(settings.var_dir / "search")


def merge_suggestions(
    titles: list[Suggestion], people: list[Suggestion], limit: int
) -> list[Suggestion]:
    """Titles first, keeping room for up to three people."""
    people = people[: min(3, limit)]
    return (titles[: limit - len(people)] + people)[:limit]
