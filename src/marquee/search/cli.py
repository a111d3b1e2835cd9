"""The `marquee search` commands: rebuild the index from the database, try a query."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from marquee.config import Settings

search_app = typer.Typer(no_args_is_help=True, help="Search index: rebuild and inspect.")


@search_app.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the catalogue (the backend follows the database URL)."""
    from marquee.db import make_engine, make_sessionmaker, transaction
    from marquee.search import service
    from marquee.search.index import make_index

    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    started = time.perf_counter()
    try:
        index = make_index(settings, engine)
        with transaction(make_sessionmaker(engine)) as session:
            count = service.reindex_all(session=session, index=index)
    finally:
        engine.dispose()
    typer.echo(f"indexed {count} titles in {time.perf_counter() - started:.1f}s")


@search_app.command("query")
def query(
    text: Annotated[str, typer.Argument(help="What a viewer would type.")],
    country: Annotated[str, typer.Option(help="Viewer country.")] = "US",
    limit: Annotated[int, typer.Option(help="Hits to show.")] = 10,
) -> None:
    """Search as an adult viewer in `country` would, and print the hits."""
    from marquee.audience import Audience
    from marquee.db import make_engine
    from marquee.search.index import SearchFilters, make_index

    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        index = make_index(settings, engine)
        results = index.search(text, SearchFilters(), Audience(country=country), limit=limit)
    finally:
        engine.dispose()
    typer.echo(f"{results.total} titles")
    for hit in results.hits:
        typer.echo(f"{hit.score:8.3f}  {hit.title} ({hit.year or '?'})")
