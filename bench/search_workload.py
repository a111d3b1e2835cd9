"""The viewers, countries and filters of the search latency workload, as timed calls."""

from __future__ import annotations

import random
from collections.abc import Callable

from search_corpus import GENRES

from marquee.audience import Audience
from marquee.maturity import Maturity
from marquee.search.index import Index, SearchFilters

COUNTRIES = ["US", "GB", "FR", "DE", "JP"]
CEILINGS = [Maturity.KIDS, Maturity.TEENS, Maturity.MATURE, Maturity.ADULTS]


def workload(queries: list[tuple[str, str]], seed: int = 3) -> list[tuple[str, SearchFilters, str]]:
    """(query, filters, country) per (kind, query): filtered queries get a genre, a decade
    or a type."""
    rng = random.Random(seed)
    out = []
    for kind, query in queries:
        filters = SearchFilters()
        if kind == "filtered":
            filters = rng.choice(
                [
                    SearchFilters(genre=rng.choice(GENRES)),
                    SearchFilters(year_from=1990, year_to=1999),
                    SearchFilters(kind="series"),
                ]
            )
        out.append((query, filters, rng.choice(COUNTRIES)))
    return out


def calls(
    index: Index, queries: list[tuple[str, str]]
) -> tuple[list[str], list[Callable[[], bool]]]:
    """The kind of each query and a call searching for it, which says if its counts were exact."""
    rng = random.Random(5)
    out: list[Callable[[], bool]] = []
    for query, filters, country in workload(queries):
        audience = Audience(country=country, max_maturity=rng.choice(CEILINGS))
        out.append(lambda q=query, f=filters, a=audience: index.search(q, f, a).exact)
    return [kind for kind, _ in queries], out
