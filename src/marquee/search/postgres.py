"""The PostgreSQL search backend: weighted tsvector, pg_trgm typo correction, shared by replicas.

Reads do bounded work. A probe counts the match up to `exact_limit`; a match that small is
ranked and counted exactly. A larger one is ranked from the entries index ranges reach
cheaply (its most played, and titles starting with the query), followed by the rest in
popularity order, and its total and facet counts are estimated from a fixed 1-in-16 sample
of the index; the results then say so (`exact` is false). Estimates are scaled counts of
visible matches only, so a hidden title never shows, not even as a count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
from marquee.search.models import BUCKETS, SAMPLE_BUCKETS, SearchEntryRow, SearchWordRow
from marquee.search.windows import disjoint_rows, seconds

EXACT_LIMIT = 1000
BULK = 200
GIN_INDEXES = (
    "ix_search_entries_document",
    "ix_search_entries_sample_document",
    "ix_search_entries_title_vector",
    "ix_search_words_word_trgm",
)
# Candidates taken from each index walk when ranking a large match, and how many entries
# (per candidate) a walk may read to find them.
WINDOW = 30
WALK = 10
SAMPLE_SCALE = BUCKETS // SAMPLE_BUCKETS

_TITLE_VECTOR = "to_tsvector('simple', :v_title || ' ' || :v_original)"
_VECTOR = (
    "setweight(to_tsvector('simple', :v_title), 'A')"
    " || setweight(to_tsvector('simple', :v_original), 'A')"
    " || setweight(to_tsvector('simple', :v_people), 'B')"
    " || setweight(to_tsvector('simple', :v_genres), 'C')"
    " || setweight(to_tsvector('english', :v_synopsis), 'D')"
)
# Compiling a plan to machine code costs more than these queries take to run; the index is
# read from memory, where an index walk in order costs little more than a sequential read.
_SETTINGS = (
    "SELECT set_config('jit', 'off', true), set_config('random_page_cost', '1.1', true),"
    " set_config('pg_trgm.similarity_threshold', '0.2', true)"
)


def _rows(doc: SearchDocument) -> list[dict[str, Any]]:
    """One row per disjoint licence row; none for an unpublished title."""
    if not doc.published:
        return []
    shared = {
        "title_id": doc.title_id,
        "kind": doc.kind,
        "title": doc.title,
        "title_norm": text.index_text(doc.title),
        "people": doc.people[:50],
        "genres": doc.genres,
        "year": doc.year,
        "decade": doc.decade,
        "language": doc.language,
        "maturity": doc.maturity_level,
        "popularity": doc.popularity,
        "bucket": doc.title_id.int % BUCKETS,
        "v_title": text.index_text(doc.title),
        "v_original": text.index_text(doc.original_title),
        "v_people": text.index_text(" ".join(doc.people)),
        "v_genres": text.index_text(" ".join(doc.genres)),
        "v_synopsis": text.index_text(doc.synopsis),
    }
    return [
        {**shared, "slot": slot, "country": country, "starts": start, "ends": end}
        for slot, (country, start, end) in enumerate(disjoint_rows(doc.windows))
    ]


def _words(docs: Sequence[SearchDocument]) -> list[dict[str, str]]:
    words: set[str] = set()
    for doc in docs:
        for field in (doc.title, doc.original_title, " ".join(doc.people)):
            words.update(w for w in text.index_text(field).split() if 3 <= len(w) <= 100)
    return [{"word": word} for word in sorted(words)]


@dataclass(frozen=True)
class _Match:
    where: str
    score: str
    probed: int  # matching entries, counted up to the probe limit
    title_where: str  # the same match, on title words only


class PostgresIndex:
    """Search rows in the application database, so every API replica sees the same index.

    The tables, indexes and the pg_trgm extension come from the migrations.
    """

    def __init__(
        self, engine: Engine, *, exact_limit: int = EXACT_LIMIT, window: int = WINDOW
    ) -> None:
        self._engine = engine
        self.exact_limit = exact_limit
        self.window = window

    # -- writes ---------------------------------------------------------------------------

    def upsert(self, docs: Sequence[SearchDocument]) -> None:
        with self._engine.begin() as conn:
            self._delete(conn, [doc.title_id for doc in docs])
            self._insert(conn, docs)
            if len(docs) >= BULK:
                _clean_pending(conn)

    def rebuild(self, batches: Iterable[Sequence[SearchDocument]]) -> int:
        """Replace every row in one transaction, so readers see the old index until the end."""
        count = 0
        with self._engine.begin() as conn:
            conn.execute(sql("DELETE FROM search_entries"))
            conn.execute(sql("DELETE FROM search_words"))
            for docs in batches:
                self._insert(conn, docs)
                count += len(docs)
            _clean_pending(conn)
        return count

    def _insert(self, conn: Connection, docs: Sequence[SearchDocument]) -> None:
        rows = [row for doc in docs for row in _rows(doc)]
        if not rows:
            return
        vectors = {"document": sql(_VECTOR), "title_vector": sql(_TITLE_VECTOR)}
        conn.execute(insert(SearchEntryRow).values(**vectors), rows)
        words = _words([doc for doc in docs if doc.published])
        conn.execute(pg_insert(SearchWordRow).on_conflict_do_nothing(), words)

    def _delete(self, conn: Connection, ids: Sequence[uuid.UUID]) -> None:
        if ids:
            conn.execute(delete(SearchEntryRow).where(SearchEntryRow.title_id.in_(ids)))

    def delete(self, ids: Sequence[uuid.UUID]) -> None:
        with self._engine.begin() as conn:
            self._delete(conn, ids)

    def clear(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(sql("DELETE FROM search_entries"))
            conn.execute(sql("DELETE FROM search_words"))

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(sql("SELECT count(*) FROM search_entries")).scalar_one())

    # -- reads ----------------------------------------------------------------------------

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
        score = pg_sql.score_sql(len(terms))
        with self._engine.connect() as conn:
            params = self._params(conn, audience, filters, terms)
            params.update(offset=offset, limit=limit, exact_limit=self.exact_limit)
            for need in pg_sql.relaxations(len(terms)):
                where = pg_sql.where_sql(len(terms), filters, need=need)
                rows = conn.execute(pg_sql.exact(where, score, order), params).mappings().all()
                total, facets = _facets(rows)
                if total:
                    break
            if total <= self.exact_limit:
                hits = sorted((r for r in rows if r["ord"] is not None), key=lambda r: r["ord"])
                return SearchResults([_hit(r) for r in hits], total, facets)
            titled = pg_sql.where_sql(len(terms), filters, need=need, titles_only=True)
            match = _Match(where, score, total, titled)
            return self._estimated(conn, match, order, params)

    def _estimated(
        self, conn: Connection, match: _Match, order: str, params: dict[str, Any]
    ) -> SearchResults:
        """A page of a large match, with its total and facet counts estimated from the sample."""
        if order == Sort.RELEVANCE.value:
            found = self._ranked(conn, match, params)
        else:
            statement = pg_sql.ordered(match.where, match.score, order)
            found = list(conn.execute(statement, params).mappings())
        sample = conn.execute(pg_sql.sampled_facets(match.where), params).mappings().all()
        total, facets = _facets(sample, scale=SAMPLE_SCALE)
        # The match is known to be larger than the exact limit, whatever the sample says.
        total = max(total, match.probed)
        return SearchResults([_hit(r) for r in found], total, facets, exact=False)

    def _match(
        self,
        conn: Connection,
        terms: list[str],
        filters: SearchFilters,
        params: dict[str, Any],
        **shape: Any,
    ) -> _Match:
        """Entries having every term; if none do, all but one; failing that, any of them."""
        score = pg_sql.score_sql(len(terms), synopsis=shape.get("synopsis", True))
        for need in pg_sql.relaxations(len(terms)):
            where = pg_sql.where_sql(len(terms), filters, need=need, **shape)
            probed = int(conn.execute(pg_sql.probe(where), params).scalar_one())
            if probed:
                break
        titled = pg_sql.where_sql(len(terms), filters, need=need, titles_only=True, **shape)
        return _Match(where, score, probed, titled)

    def _ranked(self, conn: Connection, match: _Match, params: dict[str, Any]) -> list[Any]:
        """A relevance page of a match: exact on a small one; on a large one, the ranked
        candidates first and then every other entry by popularity, so pages never overlap."""
        if match.probed <= self.exact_limit:
            statement = pg_sql.ordered(match.where, match.score, "relevance")
            return list(conn.execute(statement, params).mappings())
        prefixes = _prefixes(params)
        statement = pg_sql.candidates(match.where, match.title_where, match.score, len(prefixes))
        params = {**params, **prefixes, "window": self.window, "walk": self.window * WALK}
        top = list(conn.execute(statement, params).mappings())
        offset, limit = params["offset"], params["limit"]
        page = top[offset : offset + limit]
        if len(page) < limit:
            rest = pg_sql.ordered(
                match.where, match.score, "popular", extra=" AND d.title_id <> ALL(:seen)"
            )
            more = {
                "seen": [r["title_id"] for r in top],
                "offset": max(0, offset - len(top)),
                "limit": limit - len(page),
            }
            page += list(conn.execute(rest, {**params, **more}).mappings())
        return page

    def _term_params(self, conn: Connection, terms: list[str]) -> dict[str, Any]:
        """tsquery text per term from folded alphanumeric terms (never raw input), typos fixed."""
        fixes: dict[str, list[str]] = {}
        typo_terms = [t for t in terms if text.max_edits(t)]
        swaps = [(t, word) for t in terms for word in text.swaps(t)]
        if typo_terms or swaps:
            lookup = {
                "terms": typo_terms,
                "last": [t == terms[-1] for t in typo_terms],
                "swap_of": [t for t, _ in swaps],
                "swapped": [word for _, word in swaps],
                "swap_last": [t == terms[-1] for t, _ in swaps],
            }
            for term, word in conn.execute(pg_sql.corrections(), lookup):
                # Checked here rather than in SQL: a swap of two letters is one edit, as in
                # the embedded engine, which PostgreSQL's levenshtein() counts as two.
                if word != term and text.within_edits(term, word, max(text.max_edits(term), 1)):
                    fixes.setdefault(term, []).append(word)
        params: dict[str, Any] = {
            "qnorm": " ".join(terms),
            # The query with each typo replaced by its closest word, for prefix ranges.
            "qfixed": " ".join(fixes[t][0] if t in fixes else t for t in terms),
        }
        for i, term in enumerate(terms):
            head = f"{term}:*" if i == len(terms) - 1 else term
            params[f"t{i}"] = " | ".join([head, *sorted(fixes.get(term, []))])
            params[f"s{i}"] = head
        return params

    def _params(
        self, conn: Connection, audience: Audience, filters: SearchFilters, terms: list[str]
    ) -> dict[str, Any]:
        conn.execute(sql(_SETTINGS))
        return {
            **self._term_params(conn, terms),
            "max_maturity": audience.max_maturity,
            "country": audience.country.upper(),
            "now": seconds(audience.at, default=0),
            "genre": filters.genre,
            "kind": filters.kind,
            "language": filters.language,
            "year_from": filters.year_from,
            "year_to": filters.year_to,
            "probe": self.exact_limit + 1,
        }

    def suggest(self, q: str, audience: Audience, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
        terms = text.query_terms(q)
        if not terms:
            return []
        none = SearchFilters()
        with self._engine.connect() as conn:
            params = {**self._params(conn, audience, none, terms), "offset": 0, "limit": limit}
            match = self._match(conn, terms, none, params, synopsis=False, weights="a")
            title_rows = self._ranked(conn, match, params)
            titles = [Suggestion(r["title"], "title", r["title_id"]) for r in title_rows]
            people = self._people(conn, terms, params)
        return merge_suggestions(titles, [Suggestion(n, "person") for n in people], limit)

    def _people(self, conn: Connection, terms: list[str], params: dict[str, Any]) -> list[str]:
        """Names matching every term, from the most played titles crediting them."""
        where = pg_sql.where_sql(len(terms), SearchFilters(), synopsis=False, weights="b")
        rows = conn.execute(pg_sql.people(where), {**params, "limit": 50})
        names: dict[str, None] = {}
        for (people,) in rows:
            for name in people:
                if text.person_matches(name, terms):
                    names.setdefault(name, None)
        return list(names)


def _clean_pending(conn: Connection) -> None:
    """Every query scans what sits in a text index's pending list; after a bulk write (a
    rebuild) merge it now rather than at the next vacuum."""
    for name in GIN_INDEXES:
        conn.execute(sql("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": name})


def _prefixes(params: dict[str, Any]) -> dict[str, str]:
    """LIKE patterns for the titles that start with the query, as typed and with typos fixed.

    Terms are folded alphanumeric words, so they carry no LIKE wildcards.
    """
    bases = list(dict.fromkeys([params["qnorm"], params["qfixed"]]))
    patterns = [f"{form}{base}%" for base in bases for form in pg_sql.PREFIX_FORMS]
    return {f"prefix{i}": pattern for i, pattern in enumerate(patterns)}


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


def _facets(rows: Sequence[Any], scale: int = 1) -> tuple[int, dict[str, list[FacetCount]]]:
    total = 0
    facets: dict[str, list[FacetCount]] = {name: [] for name in FACETS}
    for row in rows:
        facet, value = row["facet"], row["value"]
        if facet is None:
            continue
        count = int(row["n"]) * scale
        if facet == "total":
            total = count
        elif value is not None and value != "":
            facets[facet].append(FacetCount(value=str(value), count=count))
    for name, counts in facets.items():
        counts.sort(key=lambda c: (-c.count, c.value))
        del counts[FACET_SIZE:]
        facets[name] = counts
    return total, facets
