"""The `marquee search` commands: rebuild the index from the database, try a query."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from marquee.config import Settings

search_app = typer.Typer(no_args_is_help=True, help="Search index: rebuild and inspect.")


@search_app.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the catalogue (the backend follows the database URL).

    The one write to the index outside the worker: an operator's repair, which waits for the
    worker's writer to let go of the embedded engine's lock."""
    from marquee.db import transaction
    from marquee.runtime import Runtime
    from marquee.search import service

    started = time.perf_counter()
    with Runtime.running(Settings()) as runtime, transaction(runtime.sessionmaker) as session:
        count = service.reindex_all(session=session, index=runtime.index)
    typer.echo(f"indexed {count} titles in {time.perf_counter() - started:.1f}s")


@search_app.command("query")
def query(
    text: Annotated[str, typer.Argument(help="What a viewer would type.")],
    country: Annotated[str, typer.Option(help="Viewer country.")] = "US",
    limit: Annotated[int, typer.Option(help="Hits to show.")] = 10,
) -> None:
    """Search as an adult viewer in `country` would, and print the hits."""
    from marquee.audience import Audience
    from marquee.runtime import Runtime
    from marquee.search.index import SearchFilters

    with Runtime.running(Settings()) as runtime:
        audience = Audience(country=country)
        results = runtime.index.search(text, SearchFilters(), audience, limit=limit)
    typer.echo(f"{results.total} titles")
    for hit in results.hits:
        typer.echo(f"{hit.score:8.3f}  {hit.title} ({hit.year or '?'})")
