"""Relevance of both search backends on labelled MovieLens queries among 100k look-alike titles.

    uv run python bench/search_relevance.py [--titles 100000]

Prints top-1 accuracy and MRR@10 per query kind and overall, for each backend.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from search_backends import embedded, postgres
from search_corpus import build
from search_queries import Labelled, labelled

from marquee.audience import Audience
from marquee.maturity import Maturity
from marquee.search.index import Index, SearchFilters

VIEWER = Audience(country="US", max_maturity=Maturity.ADULTS)


def evaluate(index: Index, queries: list[Labelled]) -> dict[str, tuple[float, float, int]]:
    per_kind: dict[str, list[float]] = defaultdict(list)
    top1: dict[str, list[float]] = defaultdict(list)
    misses: list[str] = []
    for item in queries:
        hits = index.search(item.query, SearchFilters(), VIEWER, limit=10).hits
        titles = [hit.title for hit in hits]
        rank = titles.index(item.expected) + 1 if item.expected in titles else 0
        for kind in (item.kind, "all"):
            per_kind[kind].append(1 / rank if rank else 0.0)
            top1[kind].append(1.0 if rank == 1 else 0.0)
        if rank != 1 and len(misses) < 12:
            misses.append(
                f"    {item.kind:17} {item.query!r} -> {titles[:2]} (want {item.expected!r})"
            )
    print("\n".join(misses))
    return {
        kind: (sum(top1[kind]) / len(top1[kind]), sum(v) / len(v), len(v))
        for kind, v in per_kind.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=100_000)
    args = parser.parse_args()
    corpus = build(args.titles)
    queries = labelled(corpus.movielens)
    print(f"{len(corpus.docs)} titles, {len(queries)} labelled queries")
    table: dict[str, dict[str, tuple[float, float, int]]] = {}
    for backend in (embedded, postgres):
        with backend(corpus.docs) as built:
            print(f"{built.name}: some misses")
            table[built.name] = evaluate(built.index, queries)
    kinds = list(table["embedded"])
    print(f"\n{'kind':18} {'n':>4}  {'embedded top1/MRR@10':>22}  {'postgres top1/MRR@10':>22}")
    for kind in kinds:
        cells = [f"{table[b][kind][0]:10.3f} {table[b][kind][1]:10.3f}" for b in table]
        print(f"{kind:18} {table['embedded'][kind][2]:>4}  {cells[0]:>22}  {cells[1]:>22}")


if __name__ == "__main__":
    main()
