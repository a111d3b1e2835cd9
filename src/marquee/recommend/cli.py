"""The `marquee recs` commands: offline evaluation, serving training and offline artefacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marquee.config import Settings

if TYPE_CHECKING:
    from marquee.recommend.offline import Report

recs_app = typer.Typer(no_args_is_help=True, help="Recommendation models: evaluate and train.")

METRIC_COLUMNS = ("R@10", "R@20", "NDCG@10", "NDCG@20", "Cov@10", "Pop@10")


def _cache_dir(cache_dir: Path | None) -> Path:
    return cache_dir or Settings().var_dir / "cache"


def _print_table(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    baseline = next((r.ndcg[10] for r in report.results if r.model == "MostPopular"), 0.0)
    table = Table(title=f"{report.dataset} - {report.protocol} protocol (full ranking)")
    table.add_column("Model", no_wrap=True)
    for column in (*METRIC_COLUMNS, "vs Pop", "Train s"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in report.results:
        ratio = f"{r.ndcg[10] / baseline:.2f}x" if baseline else "-"
        values = (r.recall[10], r.recall[20], r.ndcg[10], r.ndcg[20], r.coverage)
        table.add_row(
            r.model,
            *(f"{v:.4f}" for v in values),
            f"{r.mean_popularity:.1f}",
            ratio,
            f"{r.train_seconds:.2f}",
        )
    console = Console()
    console.print(table)
    weights = ", ".join(f"{k} {v:g}" for k, v in report.tuned.weights.items() if v)
    console.print(
        "R = Recall, Cov = catalogue coverage, Pop = mean training interactions of the picks, "
        "vs Pop = NDCG@10 over MostPopular's."
    )
    console.print(
        f"Hybrid: {weights}; history half-life {report.tuned.half_life} events; "
        f"tuned on a validation split of train in {report.tune_seconds:.1f} s."
    )


@recs_app.command("eval")
def eval_command(
    train: Annotated[
        Path | None, typer.Option(help="Training TSV (user_id, item_id, ...).")
    ] = None,
    test: Annotated[Path | None, typer.Option(help="Test TSV with the same columns.")] = None,
    protocol: Annotated[
        str, typer.Option(help="Split of MovieLens-100K: temporal or random (8:1:1).")
    ] = "temporal",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Where data sets are cached.")] = None,
) -> None:
    """Evaluate every model offline (MovieLens-100K by default, or your own TSV pair)."""
    from marquee.datasets import DatasetUnavailable
    from marquee.errors import MarqueeError
    from marquee.recommend import offline

    if (train is None) != (test is None):
        raise typer.BadParameter("--train and --test go together")
    if protocol not in ("temporal", "random"):
        raise typer.BadParameter("--protocol must be temporal or random")
    try:
        if train is not None and test is not None:
            dataset, used = offline.from_files(train, test), "given"
        else:
            dataset = offline.movielens(_cache_dir(cache_dir), protocol)  # type: ignore[arg-type]
            used = protocol
        typer.echo(f"tuning on a validation split of {dataset.name}, then testing...", err=True)
        report = offline.run(dataset, used)
    except MarqueeError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    except DatasetUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print_table(report)


@recs_app.command("train")
def train_serving_command() -> None:
    """Fit the home-row models on the event log and replace the serving tables (what workers run hourly)."""
    from marquee.db import transaction
    from marquee.recommend import train_db
    from marquee.runtime import Runtime

    with Runtime.running(Settings()) as runtime, transaction(runtime.sessionmaker) as session:
        summary = train_db.train(session=session)
    typer.echo(json.dumps(summary.__dict__ if summary else {"skipped": "no events yet"}))


@recs_app.command("train-offline")
def train_command(
    out: Annotated[Path | None, typer.Option(help="Directory for the model artefacts.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Where data sets are cached.")] = None,
) -> None:
    """Train the hybrid on all of MovieLens-100K and save its artefacts (file-based for now)."""
    from marquee.recommend import training

    target = out or Settings().var_dir / "recs"
    summary = training.train_movielens(_cache_dir(cache_dir), target)
    typer.echo(json.dumps(summary, indent=2))
