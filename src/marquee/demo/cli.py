"""`marquee catalog ...`: loading catalogues for operators (the MovieLens import the demo uses too)."""

from __future__ import annotations

import typer

from marquee.config import Settings

catalog_app = typer.Typer(no_args_is_help=True, help="Manage the catalogue.")


@catalog_app.command("import-movielens")
def import_movielens() -> None:
    """Import MovieLens-100K titles, accounts and rating history (skips what is already there)."""
    from marquee.demo.catalogue import load_movielens
    from marquee.runtime import Runtime

    with Runtime.running(Settings()) as runtime:
        report = load_movielens(runtime=runtime)
    typer.echo(
        f"imported {report.titles_added} titles, {report.accounts_added} accounts and "
        f"{report.events_added} events in {report.seconds:.1f}s"
    )
