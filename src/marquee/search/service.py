"""Search rules: filter validation, the searches themselves, and (re)indexing from the catalogue."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from marquee.audience import Audience
from marquee.catalog.errors import UnknownGenre
from marquee.catalog.models import Credit, Genre, Title
from marquee.search import documents
from marquee.search.errors import InvalidYearRange
from marquee.search.index import Index, SearchFilters, SearchResults, Sort, Suggestion

REINDEX_BATCH = 500


def resolve_genre(*, session: Session, genre: str) -> str:
    """The genre's display name from its slug or name (any case); unknown genres are refused."""
    found = session.scalar(
        select(Genre.name).where(
            or_(func.lower(Genre.slug) == genre.lower(), func.lower(Genre.name) == genre.lower())
        )
    )
    if found is None:
        raise UnknownGenre(f"There is no genre {genre!r}.")
    return found


def make_filters(
    *,
    session: Session,
    genre: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    kind: str | None = None,
    language: str | None = None,
) -> SearchFilters:
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InvalidYearRange("year_from is after year_to.")
    return SearchFilters(
        genre=resolve_genre(session=session, genre=genre) if genre else None,
        year_from=year_from,
        year_to=year_to,
        kind=kind,
        language=language.lower() if language else None,
    )


def search(
    *,
    index: Index,
    query: str,
    filters: SearchFilters,
    audience: Audience,
    sort: Sort,
    offset: int,
    limit: int,
) -> SearchResults:
    return index.search(query, filters, audience, sort, offset, limit)


def suggest(*, index: Index, query: str, audience: Audience) -> list[Suggestion]:
    return index.suggest(query, audience)


def titles_of_people(*, session: Session, person_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(person_ids)
    if not ids:
        return set()
    return set(session.scalars(select(Credit.title_id).where(Credit.person_id.in_(ids))))


def titles_of_genres(*, session: Session, genre_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(genre_ids)
    if not ids:
        return set()
    query = select(Title.id).where(Title.genres.any(Genre.id.in_(ids)))
    return set(session.scalars(query))


def reindex_titles(*, session: Session, index: Index, title_ids: Iterable[uuid.UUID]) -> int:
    """Bring these titles up to date in the index; titles that no longer exist are removed."""
    ids = list(dict.fromkeys(title_ids))
    docs = documents.documents_for_titles(session, ids)
    gone = [title_id for title_id in ids if title_id not in docs]
    if docs:
        index.upsert(list(docs.values()))
    if gone:
        index.delete(gone)
    return len(docs)


def reindex_all(*, session: Session, index: Index, batch: int = REINDEX_BATCH) -> int:
    """Rebuild the whole index from the catalogue; returns the number of titles indexed.

    The index is replaced at once: searches see the old one until the new one is complete.
    """

    def batches() -> Iterator[list[documents.SearchDocument]]:
        for ids in documents.batched(documents.all_title_ids(session), batch):
            yield list(documents.documents_for_titles(session, ids).values())
            session.expunge_all()

    return index.rebuild(batches())
