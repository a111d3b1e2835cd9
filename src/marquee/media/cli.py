"""`marquee media`: probe a file or package it into HLS + DASH locally, without a server."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the CLI imports the media library only when a command runs
    from marquee.media.pipeline import PipelineResult

media_app = typer.Typer(no_args_is_help=True, help="Probe and package media files locally.")


def _subtitle(spec: str) -> tuple[str, Path, bool, bool]:
    """`LANG[+forced][+sdh]:PATH`, e.g. `fr+forced:subs/fr.srt`."""
    head, sep, path = spec.partition(":")
    if not sep or not path:
        raise typer.BadParameter(f"expected LANG[+forced][+sdh]:PATH, got {spec!r}")
    language, *flags = head.split("+")
    return language, Path(path), "forced" in flags, "sdh" in flags


@media_app.command("probe")
def probe_command(source: Path) -> None:
    """Print what Marquee sees in SOURCE, or why it refuses it."""
    from marquee.media.errors import MediaRejected
    from marquee.media.probe import probe

    try:
        result = probe(source)
    except MediaRejected as exc:
        typer.echo(f"rejected ({exc.code}): {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(asdict(result), default=str, indent=2))


def _print_ladders(result: PipelineResult) -> None:
    """Each per-title codec's predicted rungs, then every rendition as packaged."""
    for decision in result.decisions:
        typer.echo(f"per-title {decision.codec} ladder from {len(decision.points)} trial encodes:")
        for rung in decision.rungs:
            typer.echo(f"  {rung.name:<10} CRF {rung.crf:>4.1f}  VMAF {rung.vmaf:5.1f} (predicted)")
    for r in result.package.renditions:
        size = f"{r.width}x{r.height}" if r.kind == "video" else r.language
        typer.echo(
            f"{r.name:<14}{size:<11}{r.average_bandwidth // 1000:>6} kb/s  {r.codecs:<12} {r.segment_count} segments"
        )


@media_app.command("package")
def package_command(
    source: Path,
    out: Path,
    subtitle: Annotated[list[str] | None, typer.Option(help="LANG[+forced][+sdh]:PATH")] = None,
    preset: str = "veryfast",
    segment_seconds: float = 4.0,
    ladder: Annotated[
        str, typer.Option(help="per-title: trial encodes pick the rungs; fixed: one table")
    ] = "per-title",
    target_vmaf: Annotated[float, typer.Option(help="the per-title top rung's VMAF")] = 95.0,
    codec: Annotated[
        list[str] | None, typer.Option(help="hevc or av1 renditions beside H.264 (repeatable)")
    ] = None,
) -> None:
    """Encode SOURCE into OUT/package (HLS + DASH) and OUT/artwork."""
    from rich.console import Console

    from marquee.media.codecs import parse_codecs
    from marquee.media.encode import EncodeOptions
    from marquee.media.errors import MediaRejected, TranscodeFailed
    from marquee.media.hull import HullPolicy
    from marquee.media.ladder import LadderMode
    from marquee.media.pipeline import PipelineOptions, run_pipeline
    from marquee.media.quality import TrialOptions
    from marquee.media.subtitles import SubtitleInput

    try:
        mode = LadderMode(ladder)
    except ValueError as exc:
        raise typer.BadParameter(f"expected per-title or fixed, got {ladder!r}") from exc
    try:
        codecs = parse_codecs(codec or [])
    except ValueError as exc:
        raise typer.BadParameter(f"expected h264, hevc or av1, got {codec!r}") from exc
    if not 0 < target_vmaf <= 100:
        raise typer.BadParameter(f"the target VMAF must be in (0, 100], got {target_vmaf}")
    console = Console(stderr=True)
    sidecars = [
        SubtitleInput(p, lang, forced=f, sdh=s) for lang, p, f, s in map(_subtitle, subtitle or [])
    ]
    options = PipelineOptions(
        encode=EncodeOptions(preset=preset, segment_seconds=segment_seconds),
        ladder=mode,
        trials=TrialOptions(policy=HullPolicy(target_vmaf=target_vmaf)),
        codecs=codecs,
    )
    try:
        result = run_pipeline(
            source,
            out,
            subtitles=sidecars,
            options=options,
            progress=lambda stage, percent: console.print(f"{stage:>8} {percent:5.1f}%"),
        )
    except (MediaRejected, TranscodeFailed) as exc:
        console.print(f"[red]failed ({exc.code}):[/red] {exc.detail}")
        raise typer.Exit(2) from exc
    _print_ladders(result)
    typer.echo(f"HLS:  {result.package.master}\nDASH: {result.package.mpd}")
