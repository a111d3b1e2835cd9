"""The PostgreSQL search backend: weighted tsvector, pg_trgm typo correction, shared by replicas."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine

from marquee.audience import Audience
from marquee.search import pg_sql, text
from marquee.search.documents import SearchDocument
from marquee.search.index import (
    FACET_SIZE,
    FACETS,
    SUGGEST_LIMIT,
    FacetCount,
    SearchFilters,
    SearchHit,
    SearchResults,
    Sort,
    Suggestion,
    merge_suggestions,
)
from marquee.search.models import SearchDocumentRow, SearchWindowRow, SearchWordRow

SCHEMA_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_document "
    "ON search_documents USING gin (document)",
    "CREATE INDEX IF NOT EXISTS ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_genre_keys "
    "ON search_documents USING gin (genre_keys)",
)

_VECTOR = (
    "setweight(to_tsvector('simple', :v_title), 'A')"
    " || setweight(to_tsvector('simple', :v_original), 'A')"
    " || setweight(to_tsvector('simple', :v_people), 'B')"
    " || setweight(to_tsvector('simple', :v_genres), 'C')"
    " || setweight(to_tsvector('english', :v_synopsis), 'D')"
)


def ensure_schema(engine: Engine) -> None:
    """Create the extensions, tables and indexes this backend needs (idempotent)."""
    with engine.begin() as conn:
        conn.execute(sql("SELECT pg_advisory_xact_lock(727001)"))
        for table in (SearchDocumentRow, SearchWindowRow, SearchWordRow):
            table.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]
        for statement in SCHEMA_DDL:
            conn.execute(sql(statement))


def _row(doc: SearchDocument) -> dict[str, Any]:
    return {
        "title_id": doc.title_id,
        "kind": doc.kind,
        "title": doc.title,
        "title_norm": text.index_text(doc.title),
        "people": doc.people[:50],
        "genres": doc.genres,
        "genre_keys": doc.genres,
        "year": doc.year,
        "decade": doc.decade,
        "language": doc.language,
        "maturity": doc.maturity_level,
        "published": doc.published,
        "popularity": doc.popularity,
        "v_title": text.index_text(doc.title),
        "v_original": text.index_text(doc.original_title),
        "v_people": text.index_text(" ".join(doc.people)),
        "v_genres": text.index_text(" ".join(doc.genres)),
        "v_synopsis": text.index_text(doc.synopsis),
    }


def _words(docs: Sequence[SearchDocument]) -> list[dict[str, str]]:
    words: set[str] = set()
    for doc in docs:
        for field in (doc.title, doc.original_title, " ".join(doc.people)):
            words.update(w for w in text.index_text(field).split() if 3 <= len(w) <= 100)
    return [{"word": word} for word in sorted(words)]


class PostgresIndex:
    """Search rows in the application database, so every API replica sees the same index."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        ensure_schema(engine)

    def upsert(self, docs: Sequence[SearchDocument]) -> None:
        visible = [doc for doc in docs if doc.published]
        with self._engine.begin() as conn:
            self._delete(conn, [doc.title_id for doc in docs])
            if not visible:
                return
            statement = insert(SearchDocumentRow).values(document=sql(_VECTOR))
            conn.execute(statement, [_row(doc) for doc in visible])
            windows = [
                {
                    "title_id": doc.title_id,
                    "country": w.country.upper(),
                    "starts_at": w.starts_at,
                    "ends_at": w.ends_at,
                }
                for doc in visible
                for w in doc.windows
            ]
            if windows:
                conn.execute(insert(SearchWindowRow), windows)
            words = _words(visible)
            if words:
                conn.execute(pg_insert(SearchWordRow).on_conflict_do_nothing(), words)

    def _delete(self, conn: Connection, ids: Sequence[uuid.UUID]) -> None:
        if ids:
            conn.execute(delete(SearchDocumentRow).where(SearchDocumentRow.title_id.in_(ids)))

    def delete(self, ids: Sequence[uuid.UUID]) -> None:
        with self._engine.begin() as conn:
            self._delete(conn, ids)

    def clear(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(sql("DELETE FROM search_documents"))
            conn.execute(sql("DELETE FROM search_words"))

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(sql("SELECT count(*) FROM search_documents")).scalar_one())

    # -- reads ----------------------------------------------------------------------------

    def _term_params(self, conn: Connection, terms: list[str]) -> dict[str, str]:
        """tsquery text per term from folded alphanumeric terms (never raw input), typos fixed."""
        fixes: dict[str, set[str]] = {}
        typo_terms = [t for t in terms if text.max_edits(t)]
        if typo_terms:
            last = [t == terms[-1] for t in typo_terms]
            conn.execute(sql("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
            rows = conn.execute(pg_sql.corrections(), {"terms": typo_terms, "last": last})
            for term, word in rows:
                # Checked here rather than in SQL: a swap of two letters is one edit, as in
                # the embedded engine, which PostgreSQL's levenshtein() counts as two.
                if text.edit_distance(term, word) <= text.max_edits(term):
                    fixes.setdefault(term, set()).add(word)
        params = {}
        for i, term in enumerate(terms):
            head = f"{term}:*" if i == len(terms) - 1 else term
            params[f"t{i}"] = " | ".join([head, *sorted(fixes.get(term, set()) - {term})])
            params[f"s{i}"] = head
        return params

    def _params(
        self, conn: Connection, audience: Audience, filters: SearchFilters, query: str
    ) -> dict[str, Any]:
        # Compiling a plan to machine code costs more than these queries take to run.
        conn.execute(sql("SET LOCAL jit = off"))
        terms = text.query_terms(query)
        return {
            **self._term_params(conn, terms),
            "qnorm": " ".join(terms),
            "max_maturity": audience.max_maturity,
            "country": audience.country.upper(),
            "now": audience.at,
            "genre": json.dumps([filters.genre]) if filters.genre else None,
            "kind": filters.kind,
            "language": filters.language,
            "year_from": filters.year_from,
            "year_to": filters.year_to,
        }

    def search(
        self,
        query: str,
        filters: SearchFilters,
        audience: Audience,
        sort: Sort = Sort.RELEVANCE,
        offset: int = 0,
        limit: int = 20,
    ) -> SearchResults:
        terms = text.query_terms(query)
        order = sort.value if terms or sort != Sort.RELEVANCE else Sort.POPULAR.value
        with self._engine.connect() as conn:
            params = {**self._params(conn, audience, filters, query), "offset": offset}
            params["limit"] = limit
            match = self._match(terms, filters, require_all=True)
            rows = conn.execute(pg_sql.search(match, order), params).mappings().all()
            total, facets = _facets(rows)
            if total == 0 and len(terms) > 1:
                match = self._match(terms, filters, require_all=False)
                rows = conn.execute(pg_sql.search(match, order), params).mappings().all()
                total, facets = _facets(rows)
        hits = sorted((row for row in rows if row["ord"] is not None), key=lambda r: r["ord"])
        return SearchResults(hits=[_hit(row) for row in hits], total=total, facets=facets)

    def _match(self, terms: list[str], filters: SearchFilters, *, require_all: bool) -> str:
        return pg_sql.match_sql(len(terms), filters, require_all=require_all)

    def suggest(self, q: str, audience: Audience, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
        terms = text.query_terms(q)
        if not terms:
            return []
        none = SearchFilters()
        with self._engine.connect() as conn:
            params = {**self._params(conn, audience, none, q), "offset": 0}
            title_rows = conn.execute(
                pg_sql.page(
                    pg_sql.match_sql(len(terms), none, synopsis=False, weights="a"), "relevance"
                ),
                {**params, "limit": limit},
            ).mappings()
            titles = [Suggestion(r["title"], "title", r["title_id"]) for r in title_rows]
            people_rows = conn.execute(
                pg_sql.page(
                    pg_sql.match_sql(len(terms), none, synopsis=False, weights="b"), "popular"
                ),
                {**params, "limit": 50},
            ).mappings()
            names: dict[str, None] = {}
            for row in people_rows:
                for name in row["people"]:
                    if text.person_matches(name, terms):
                        names.setdefault(name, None)
        people = [Suggestion(name, "person") for name in names]
        return merge_suggestions(titles, people, limit)


def _hit(row: Any) -> SearchHit:
    return SearchHit(
        title_id=row["title_id"],
        title=row["title"],
        kind=row["kind"],
        year=row["year"],
        genres=list(row["genres"]),
        language=row["language"],
        score=float(row["score"] or 0.0),
    )


def _facets(rows: Sequence[Any]) -> tuple[int, dict[str, list[FacetCount]]]:
    total = 0
    facets: dict[str, list[FacetCount]] = {name: [] for name in FACETS}
    for row in rows:
        facet, value, count = row["facet"], row["value"], row["n"]
        if facet == "total":
            total = int(count)
        elif facet is not None and value is not None and value != "":
            facets[facet].append(FacetCount(value=str(value), count=int(count)))
    for name, counts in facets.items():
        counts.sort(key=lambda c: (-c.count, c.value))
        del counts[FACET_SIZE:]
        facets[name] = counts
    return total, facets
