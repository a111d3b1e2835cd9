"""The embedded search engine: a tantivy index in files under the var directory."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy

from marquee.audience import Audience
from marquee.search import text
from marquee.search.documents import SearchDocument
from marquee.search.embedded_docs import (
    SCHEMA_VERSION,
    TEXT_FIELDS,
    Stored,
    decode,
    entries,
    schema,
)
from marquee.search.embedded_facets import EXACT_FACETS, count_facets, entry_facets
from marquee.search.embedded_query import DISTINCTIVE, QueryBuilder, combine
from marquee.search.index import (
    SUGGEST_LIMIT,
    SearchFilters,
    SearchHit,
    SearchResults,
    Sort,
    Suggestion,
    merge_suggestions,
)

WRITER_HEAP = 64_000_000
WRITER_WAIT_SECONDS = 5.0
RERANK_WINDOW = 60
# Stored entries decoded per searcher: the same popular titles come back query after query.
STORED_CACHE = 50_000


@dataclass
class _Warm:
    """A searcher over one commit of the index, with the entries it has decoded so far."""

    searcher: tantivy.Searcher
    stored: dict[tuple[int, int], Stored] = field(default_factory=dict)

    def entry(self, address: Any) -> Stored:
        key = (address.segment_ord, address.doc)
        found = self.stored.get(key)
        if found is None:
            if len(self.stored) >= STORED_CACHE:
                self.stored.clear()
            found = self.stored[key] = decode(self.searcher.doc(address))
        return found


class EmbeddedIndex:
    """Tantivy files under `directory`; one writer at a time, searchers reload after each commit.

    The writer is usually another process (the worker applies the search jobs): a read
    first checks the index's `meta.json`, which every commit replaces, and reloads when it
    changed, rather than waiting for the engine's own watcher (up to half a second).
    """

    def __init__(
        self,
        directory: Path,
        *,
        exact_facets: int = EXACT_FACETS,
        distinctive: int = DISTINCTIVE,
    ) -> None:
        self.exact_facets = exact_facets
        self.distinctive = distinctive
        path = directory / SCHEMA_VERSION
        path.mkdir(parents=True, exist_ok=True)
        self.schema = schema()
        self._index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._write_lock = threading.Lock()
        self._meta = path / "meta.json"
        self._meta_seen = self._meta_stamp()
        self._warm = _Warm(self._index.searcher())

    def _meta_stamp(self) -> tuple[int, int]:
        try:
            stat = self._meta.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_ino)

    def _searcher(self) -> _Warm:
        """The searcher of the latest commit; kept, with what it decoded, until the next."""
        stamp = self._meta_stamp()
        if stamp != self._meta_seen:
            self._meta_seen = stamp
            self._reload()
        return self._warm

    def _reload(self) -> None:
        self._index.reload()
        self._warm = _Warm(self._index.searcher())

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

    @contextmanager
    def _committing(self) -> Iterator[tantivy.IndexWriter]:
        """The writer, committed when the block ends (rolled back if it raises), then the
        searcher reloaded: every write is one commit."""
        with self._write_lock:
            writer = self._writer()
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._reload()

    def _write(self, ids: Sequence[uuid.UUID], docs: Sequence[SearchDocument]) -> None:
        with self._committing() as writer:
            for title_id in ids:
                writer.delete_documents_by_term("title_id", str(title_id))
            for doc in docs:
                for entry in entries(doc):
                    writer.add_document(entry)

    def upsert(self, docs: Sequence[SearchDocument]) -> None:
        self._write([doc.title_id for doc in docs], docs)

    def delete(self, ids: Sequence[uuid.UUID]) -> None:
        self._write(ids, [])

    def rebuild(self, batches: Iterable[Sequence[SearchDocument]]) -> int:
        """Replace every entry in one commit. Readers keep the old index until the new one is
        complete, and the new one is one segment (as many as the writer's heap needs), where
        batch commits leave one per batch: every query pays a setup per segment and field."""
        count = 0
        with self._committing() as writer:
            writer.delete_all_documents()
            for docs in batches:
                for doc in docs:
                    for entry in entries(doc):
                        writer.add_document(entry)
                count += len(docs)
        return count

    def clear(self) -> None:
        with self._write_lock:
            writer = self._writer()
            writer.delete_all_documents()
            writer.commit()
            writer.wait_merging_threads()
            self._reload()

    def count(self) -> int:
        return int(self._searcher().searcher.num_docs)

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
        warm = self._searcher()
        build = QueryBuilder(self._index, warm.searcher, distinctive=self.distinctive)
        restrict = build.visible(audience) + build.filters(filters)
        fields = {**TEXT_FIELDS, "synopsis": 1.0}
        combined = matched = combine(build.text_query(terms, fields) if terms else None, restrict)
        hits, total, every = self._page(warm, combined, terms, sort, offset, limit)
        if total == 0 and len(terms) > 1:
            # No title has every word: rank those that have some of them instead.
            scored, anyof = build.relaxed_query(terms, fields)
            combined, matched = combine(scored, restrict), combine(anyof, restrict)
            hits, total, every = self._page(warm, combined, terms, sort, offset, limit)
        if every is not None and len(every) == total:
            # The page read the whole match: count it here rather than read it again.
            facets, exact = entry_facets(every), True
        else:
            facets, exact = count_facets(
                warm.searcher, self.schema, matched, total, exact_limit=self.exact_facets
            )
        return SearchResults(hits=hits, total=total, facets=facets, exact=exact)

    def _page(
        self,
        warm: _Warm,
        query: tantivy.Query,
        terms: list[str],
        sort: Sort,
        offset: int,
        limit: int,
    ) -> tuple[list[SearchHit], int, list[Stored] | None]:
        """A page, the match's total, and its every entry if the page had to read them all."""
        if terms and sort == Sort.RELEVANCE:
            return self._relevance_page(warm, query, terms, offset, limit)
        field = "year" if sort == Sort.NEWEST else "popularity"
        result = warm.searcher.search(query, limit, offset=offset, order_by_field=field)
        found = [(float(score), warm.entry(address)) for score, address in result.hits]
        every = [entry for _, entry in found] if offset == 0 else None
        return [entry.hit(score) for score, entry in found], _count(result), every

    def _relevance_page(
        self,
        warm: _Warm,
        query: tantivy.Query,
        terms: list[str],
        offset: int,
        limit: int,
    ) -> tuple[list[SearchHit], int, list[Stored] | None]:
        """Engine order, with the first RERANK_WINDOW hits re-ordered by how well the query
        covers the title: the engine scores every typo match alike, so "godfater" would not
        otherwise prefer "The Godfather" to "The Godfather: Part II". The window is fixed, so
        pages stay disjoint."""
        top = warm.searcher.search(query, RERANK_WINDOW, weight_by_field="weight")
        found = [(float(score), warm.entry(address)) for score, address in top.hits]
        every = [entry for _, entry in found]
        ranked = sorted(
            ((score * (0.5 + text.title_match(e.title, terms)), e) for score, e in found),
            key=lambda pair: -pair[0],
        )
        hits = [entry.hit(score) for score, entry in ranked]
        if offset + limit > RERANK_WINDOW:
            rest = warm.searcher.search(
                query,
                offset + limit - RERANK_WINDOW,
                offset=RERANK_WINDOW,
                weight_by_field="weight",
            )
            hits += [warm.entry(address).hit(float(score)) for score, address in rest.hits]
        return hits[offset : offset + limit], _count(top), every

    def suggest(self, q: str, audience: Audience, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
        terms = text.query_terms(q)
        if not terms:
            return []
        warm = self._searcher()
        build = QueryBuilder(self._index, warm.searcher, distinctive=self.distinctive)
        visible = build.visible(audience)
        titles_query = combine(
            build.text_query(terms, {"title": 4.0, "original_title": 3.0}), visible
        )
        people_query = combine(build.text_query(terms, {"people": 1.0}), visible)
        title_hits = warm.searcher.search(titles_query, limit * 3, weight_by_field="weight").hits
        titles = [warm.entry(a).hit(float(s)) for s, a in title_hits]
        # Prefix matches all score alike; prefer titles the typed words cover best.
        titles.sort(key=lambda h: (-h.score * (0.5 + text.title_match(h.title, terms)), h.title))
        people_hits = warm.searcher.search(people_query, 50, order_by_field="popularity").hits
        people = _matching_people([warm.entry(a) for _, a in people_hits], terms)
        return merge_suggestions(
            [Suggestion(hit.title, "title", hit.title_id) for hit in titles],
            [Suggestion(name, "person") for name in people],
            limit,
        )


def _count(result: tantivy.SearchResult) -> int:
    # The type stubs omit `count`, which the engine sets when asked to count.
    count: int = getattr(result, "count", 0)
    return count


def _matching_people(found: list[Stored], terms: list[str]) -> list[str]:
    names: dict[str, None] = {}
    for entry in found:
        for name in entry.people:
            if text.person_matches(name, terms):
                names.setdefault(name, None)
    return list(names)
