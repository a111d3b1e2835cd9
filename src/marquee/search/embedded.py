"""The embedded search engine: a tantivy index in files under the var directory."""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import tantivy

from marquee.audience import Audience
from marquee.search import text
from marquee.search.documents import SearchDocument
from marquee.search.index import (
    FACET_SIZE,
    SUGGEST_LIMIT,
    FacetCount,
    SearchFilters,
    SearchHit,
    SearchResults,
    Sort,
    Suggestion,
    merge_suggestions,
)
from marquee.search.windows import FOREVER, WORLDWIDE, disjoint_rows, seconds

SCHEMA_VERSION = "v1"
WRITER_HEAP = 64_000_000
WRITER_WAIT_SECONDS = 5.0
# Popularity only nudges relevance: 1,000 plays multiply a score by about 1.3.
POPULARITY_DAMPING = 0.04
TEXT_FIELDS = {"title": 4.0, "original_title": 3.0, "people": 2.5, "genre_text": 1.5}
RERANK_WINDOW = 60
# Original titles are rarely set; a typo automaton per field is the costliest part of a query.
FUZZY_FIELDS = ("title", "people")
FACET_FIELDS = {"genre": "genre", "decade": "decade", "type": "kind", "language": "language"}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title_id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name)
    builder.add_text_field("synopsis", tokenizer_name="en_stem")
    for name in ("genre", "kind", "language", "country"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    for name in ("year", "decade", "maturity", "published", "starts", "ends", "popularity"):
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_float_field("weight", fast=True)
    builder.add_bytes_field("display", stored=True)
    return builder.build()


def popularity_weight(plays: int) -> float:
    """A field value that tantivy's log2(2 + v) weighting turns into 1 + damping * ln(1 + plays)."""
    return float(2 ** (1 + POPULARITY_DAMPING * math.log1p(max(plays, 0))) - 2)


def _display(doc: SearchDocument) -> bytes:
    return json.dumps(
        {
            "title": doc.title,
            "kind": doc.kind,
            "year": doc.year,
            "genres": doc.genres,
            "language": doc.language,
            "people": doc.people[:20],
        }
    ).encode()


def _tantivy_docs(doc: SearchDocument) -> list[tantivy.Document]:
    """One entry per disjoint availability row; unpublished titles get none at all."""
    if not doc.published:
        return []
    entries = []
    for country, start, end in disjoint_rows(doc.windows):
        entry = tantivy.Document()
        entry.add_text("title_id", str(doc.title_id))
        entry.add_text("title", text.index_text(doc.title))
        entry.add_text("original_title", text.index_text(doc.original_title))
        for name in doc.people:
            entry.add_text("people", text.index_text(name))
        entry.add_text("genre_text", text.index_text(" ".join(doc.genres)))
        entry.add_text("synopsis", text.index_text(doc.synopsis))
        for genre in doc.genres:
            entry.add_text("genre", genre)
        entry.add_text("kind", doc.kind)
        entry.add_text("language", doc.language or "")
        entry.add_text("country", country)
        entry.add_integer("year", doc.year or 0)
        entry.add_integer("decade", doc.decade or 0)
        entry.add_integer("maturity", doc.maturity_level)
        entry.add_integer("published", 1)
        entry.add_integer("starts", start)
        entry.add_integer("ends", end)
        entry.add_integer("popularity", doc.popularity)
        entry.add_float("weight", popularity_weight(doc.popularity))
        entry.add_bytes("display", _display(doc))
        entries.append(entry)
    return entries


class EmbeddedIndex:
    """Tantivy files under `directory`; one writer at a time, searchers reload after each commit.

    The writer is usually another process (the worker applies the search jobs): a read
    first checks the index's `meta.json`, which every commit replaces, and reloads when it
    changed, rather than waiting for the engine's own watcher (up to half a second).
    """

    def __init__(self, directory: Path) -> None:
        path = directory / SCHEMA_VERSION
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self._index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._write_lock = threading.Lock()
        self._meta = path / "meta.json"
        self._meta_seen = self._meta_stamp()

    def _meta_stamp(self) -> tuple[int, int]:
        try:
            stat = self._meta.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_ino)

    def _searcher(self) -> tantivy.Searcher:
        stamp = self._meta_stamp()
        if stamp != self._meta_seen:
            self._meta_seen = stamp
            self._index.reload()
        return self._index.searcher()

    # -- writes ---------------------------------------------------------------------------

    def _writer(self) -> tantivy.IndexWriter:
        """The index's single writer; another process (a second worker, `marquee search
        reindex`) may hold it for a moment, so wait a little before giving up."""
        deadline = time.monotonic() + WRITER_WAIT_SECONDS
        while True:
            try:
                return self._index.writer(WRITER_HEAP, 1)
            except ValueError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _write(self, ids: Sequence[uuid.UUID], docs: Sequence[SearchDocument]) -> None:
        with self._write_lock:
            writer = self._writer()
            try:
                for title_id in ids:
                    writer.delete_documents_by_term("title_id", str(title_id))
                for doc in docs:
                    for entry in _tantivy_docs(doc):
                        writer.add_document(entry)
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._index.reload()

    def upsert(self, docs: Sequence[SearchDocument]) -> None:
        self._write([doc.title_id for doc in docs], docs)

    def delete(self, ids: Sequence[uuid.UUID]) -> None:
        self._write(ids, [])

    def clear(self) -> None:
        with self._write_lock:
            writer = self._writer()
            writer.delete_all_documents()
            writer.commit()
            writer.wait_merging_threads()
            self._index.reload()

    def count(self) -> int:
        return int(self._searcher().num_docs)

    # -- query building -------------------------------------------------------------------

    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _range(self, field: str, lower: int | None, upper: int | None) -> tantivy.Query:
        return tantivy.Query.range_query(
            self.schema, field, tantivy.FieldType.Integer, lower, upper
        )

    def _visible(self, audience: Audience) -> list[tantivy.Query]:
        """The hard rule: published, licensed in this country now, within the maturity ceiling.

        Unpublished titles are never written to the index, so no clause is needed for them.
        """
        now = seconds(audience.at, default=0)
        countries = [WORLDWIDE, audience.country.upper()]
        return [
            self._range("maturity", None, audience.max_maturity),
            tantivy.Query.term_set_query(self.schema, "country", countries),
            self._range("starts", None, now),
            self._range("ends", now + 1, FOREVER),
        ]

    def _filters(self, filters: SearchFilters) -> list[tantivy.Query]:
        clauses = []
        if filters.genre:
            clauses.append(self._term("genre", filters.genre))
        if filters.kind:
            clauses.append(self._term("kind", filters.kind))
        if filters.language:
            clauses.append(self._term("language", filters.language))
        if filters.year_from is not None or filters.year_to is not None:
            clauses.append(self._range("year", filters.year_from, filters.year_to))
        return clauses

    def _term_clause(self, term: str, *, last: bool, fields: dict[str, float]) -> tantivy.Query:
        """Exact, typo-tolerant and (for the word being typed) prefix matches of one term."""
        Q = tantivy.Query  # noqa: N806
        options = [
            Q.boost_query(self._term(name, term), boost)
            for name, boost in fields.items()
            if name != "synopsis"
        ]
        if "synopsis" in fields:
            # The parser applies the field's stemmer, so "running" finds "runs".
            options.append(self._index.parse_query(term, ["synopsis"]))
        edits = text.max_edits(term)
        fuzzy = [name for name in FUZZY_FIELDS if name in fields]
        for name in fuzzy:
            if edits:
                exact_boost = fields[name] * 0.5
                options.append(
                    Q.boost_query(Q.fuzzy_term_query(self.schema, name, term, edits), exact_boost)
                )
            if last:
                prefix = Q.fuzzy_term_query(self.schema, name, term, 0, True, True)
                options.append(Q.boost_query(prefix, fields[name] * 0.6))
        return Q.disjunction_max_query(options, 0.1)

    def _text_query(
        self, terms: list[str], fields: dict[str, float], *, require_all: bool
    ) -> tantivy.Query:
        occur = tantivy.Occur.Must if require_all else tantivy.Occur.Should
        clauses = [
            (occur, self._term_clause(term, last=i == len(terms) - 1, fields=fields))
            for i, term in enumerate(terms)
        ]
        return tantivy.Query.boolean_query(clauses)

    def _combine(self, scored: tantivy.Query | None, filters: list[tantivy.Query]) -> tantivy.Query:
        clauses = [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
        if scored is not None:
            clauses.append((tantivy.Occur.Must, scored))
        return tantivy.Query.boolean_query(clauses)

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
        restrict = self._visible(audience) + self._filters(filters)
        searcher = self._searcher()
        fields = {**TEXT_FIELDS, "synopsis": 1.0}
        scored = self._text_query(terms, fields, require_all=True) if terms else None
        combined = self._combine(scored, restrict)
        hits, total = self._page(searcher, combined, terms, sort, offset, limit)
        if total == 0 and len(terms) > 1:
            # No title has every word: rank those that have some of them instead.
            scored = self._text_query(terms, fields, require_all=False)
            combined = self._combine(scored, restrict)
            hits, total = self._page(searcher, combined, terms, sort, offset, limit)
        return SearchResults(hits=hits, total=total, facets=self._facets(searcher, combined))

    def _page(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        terms: list[str],
        sort: Sort,
        offset: int,
        limit: int,
    ) -> tuple[list[SearchHit], int]:
        if terms and sort == Sort.RELEVANCE:
            return self._relevance_page(searcher, query, terms, offset, limit)
        field = "year" if sort == Sort.NEWEST else "popularity"
        result = searcher.search(query, limit, offset=offset, order_by_field=field)
        return [self._hit(searcher, score, addr) for score, addr in result.hits], _count(result)

    def _relevance_page(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        terms: list[str],
        offset: int,
        limit: int,
    ) -> tuple[list[SearchHit], int]:
        """Engine order, with the first RERANK_WINDOW hits re-ordered by how well the query
        covers the title: the engine scores every typo match alike, so "godfater" would not
        otherwise prefer "The Godfather" to "The Godfather: Part II". The window is fixed, so
        pages stay disjoint."""
        top = searcher.search(query, RERANK_WINDOW, weight_by_field="weight")
        hits = [self._hit(searcher, score, address) for score, address in top.hits]
        hits = [
            replace(hit, score=hit.score * (0.5 + text.title_match(hit.title, terms)))
            for hit in hits
        ]
        hits.sort(key=lambda hit: -hit.score)
        if offset + limit > RERANK_WINDOW:
            rest = searcher.search(
                query,
                offset + limit - RERANK_WINDOW,
                offset=RERANK_WINDOW,
                weight_by_field="weight",
            )
            hits += [self._hit(searcher, score, address) for score, address in rest.hits]
        return hits[offset : offset + limit], _count(top)

    def _hit(self, searcher: tantivy.Searcher, score: Any, address: Any) -> SearchHit:
        stored = searcher.doc(address)
        display = json.loads(stored["display"][0])
        return SearchHit(
            title_id=uuid.UUID(stored["title_id"][0]),
            title=display["title"],
            kind=display["kind"],
            year=display["year"],
            genres=display["genres"],
            language=display["language"],
            score=float(score),
        )

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query
    ) -> dict[str, list[FacetCount]]:
        spec = {
            name: {"terms": {"field": field, "size": FACET_SIZE}}
            for name, field in FACET_FIELDS.items()
        }
        raw = searcher.aggregate(query, spec)
        facets: dict[str, list[FacetCount]] = {}
        for name in FACET_FIELDS:
            buckets = raw.get(name, {}).get("buckets", [])
            facets[name] = [
                FacetCount(value=str(b["key"]), count=int(b["doc_count"]))
                for b in buckets
                if b["key"] not in ("", 0)
            ]
        return facets

    def suggest(self, q: str, audience: Audience, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
        terms = text.query_terms(q)
        if not terms:
            return []
        searcher = self._searcher()
        visible = self._visible(audience)
        titles_query = self._combine(
            self._text_query(terms, {"title": 4.0, "original_title": 3.0}, require_all=True),
            visible,
        )
        people_query = self._combine(
            self._text_query(terms, {"people": 1.0}, require_all=True), visible
        )
        title_hits = searcher.search(titles_query, limit * 3, weight_by_field="weight").hits
        titles = [self._hit(searcher, s, a) for s, a in title_hits]
        # Prefix matches all score alike; prefer titles the typed words cover best.
        titles.sort(key=lambda h: (-h.score * (0.5 + text.title_match(h.title, terms)), h.title))
        people_hits = searcher.search(people_query, 50, order_by_field="popularity").hits
        people = _matching_people(searcher, [a for _, a in people_hits], terms)
        return merge_suggestions(
            [Suggestion(hit.title, "title", hit.title_id) for hit in titles],
            [Suggestion(name, "person") for name in people],
            limit,
        )


def _count(result: tantivy.SearchResult) -> int:
    # The type stubs omit `count`, which the engine sets when asked to count.
    count: int = getattr(result, "count", 0)
    return count


def _matching_people(
    searcher: tantivy.Searcher, addresses: list[Any], terms: list[str]
) -> list[str]:
    names: dict[str, None] = {}
    for address in addresses:
        display = json.loads(searcher.doc(address)["display"][0])
        for name in display["people"]:
            if text.person_matches(name, terms):
                names.setdefault(name, None)
    return list(names)
