"""Facet counts of the embedded engine: exact on a small match, from the sample on a large one.

Counting a facet reads every entry of the match again, which on the empty query or a common
word is most of the catalogue. Up to `EXACT_FACETS` matches the counts are exact; above, they
are counted over the fixed 1-in-16 sample of titles (an indexed term, so the engine walks the
sample's entries rather than the match's) and scaled up, as PostgreSQL's were, and the
results say they are estimates. The total itself is always exact on this engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import tantivy

from marquee.search.embedded_docs import SAMPLE_FIELD, Stored
from marquee.search.index import FACET_SIZE, FacetCount
from marquee.search.models import BUCKETS, SAMPLE_BUCKETS

EXACT_FACETS = 1_000
FACET_FIELDS = {"genre": "genre", "decade": "decade", "type": "kind", "language": "language"}
SAMPLE_SCALE = BUCKETS // SAMPLE_BUCKETS


def count_facets(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    query: tantivy.Query,
    total: int,
    *,
    exact_limit: int = EXACT_FACETS,
) -> tuple[dict[str, list[FacetCount]], bool]:
    """Facet counts of the entries `query` matches (`total` of them), and whether exact."""
    if total <= exact_limit:
        return _aggregate(searcher, query, scale=1), True
    sample = tantivy.Query.term_query(schema, SAMPLE_FIELD, 1)
    sampled = tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, sample), (tantivy.Occur.Must, query)]
    )
    return _aggregate(searcher, sampled, scale=SAMPLE_SCALE), False


def entry_facets(found: Sequence[Stored]) -> dict[str, list[FacetCount]]:
    """Facet counts of a match whose every entry is at hand (exact, like the engine's)."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    for entry in found:
        counters["genre"].update(set(entry.genres))
        if entry.year:
            counters["decade"][str(entry.year // 10 * 10)] += 1
        counters["type"][entry.kind] += 1
        if entry.language:
            counters["language"][entry.language] += 1
    return {
        name: [
            FacetCount(value=value, count=count)
            for value, count in sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))
        ][:FACET_SIZE]
        for name, counts in counters.items()
    }


def _aggregate(
    searcher: tantivy.Searcher, query: tantivy.Query, *, scale: int
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
            FacetCount(value=str(b["key"]), count=int(b["doc_count"]) * scale)
            for b in buckets
            if b["key"] not in ("", 0)
        ]
    return facets
