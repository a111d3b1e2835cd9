"""`marquee edge ...`: print the media edge's and the load balancer's nginx configurations
(rendered by `delivery.edge`), and write the lane trees an edge beside the media folder sends."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from marquee.config import Settings
from marquee.delivery import lanes
from marquee.delivery.edge import (
    BalancerOptions,
    EdgeConfigError,
    EdgeOptions,
    Upstreams,
    balancer_config,
    nginx_config,
)
from marquee.storage.factory import make_store

edge_app = typer.Typer(
    no_args_is_help=True, help="nginx: the media edge and the API load balancer."
)

Servers = Annotated[
    list[str] | None,
    typer.Option("--origin", "--upstream", help="host:port of a Marquee API; repeat for each."),
]
MaxFails = Annotated[int, typer.Option(help="Failures that take a server out for a while.")]
FailTimeout = Annotated[str, typer.Option(help="How long a failing server stays out.")]
Output = Annotated[Path | None, typer.Option(help="Write here instead of stdout.")]
User = Annotated[str, typer.Option(help="Worker user ('' for nginx's default).")]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    os.chmod(output, 0o600)  # the edge's holds the link secret


def _upstreams(servers: list[str] | None, default: str, max_fails: int, fail: str) -> Upstreams:
    return Upstreams(servers=tuple(servers or [default]), max_fails=max_fails, fail_timeout=fail)


def _fail(exc: EdgeConfigError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@edge_app.command("config")
def config_command(
    listen: Annotated[str, typer.Option(help="host:port the edge listens on.")] = "127.0.0.1:8080",
    origin: Servers = None,
    max_fails: MaxFails = 2,
    fail_timeout: FailTimeout = "10s",
    cache_dir: Annotated[Path, typer.Option(help="Cache folder.")] = EdgeOptions.cache_dir,
    run_dir: Annotated[Path, typer.Option(help="Pid and temp files.")] = EdgeOptions.run_dir,
    log_dir: Annotated[Path, typer.Option(help="Logs.")] = EdgeOptions.log_dir,
    user: User = "www-data",
    cache_max_size: Annotated[str, typer.Option(help="Cache size cap.")] = "50g",
    media_root: Annotated[
        Path | None,
        typer.Option(
            help="The local store's media folder, when the edge shares it: video segments "
            "are then sent from its lane tree, with no cache file and no origin hop."
        ),
    ] = None,
    output: Output = None,
) -> None:
    """Print the nginx configuration of a media edge in front of this deployment's origins."""
    settings = Settings()
    options = EdgeOptions(
        listen=listen,
        origins=_upstreams(origin, "127.0.0.1:8000", max_fails, fail_timeout),
        cache_dir=cache_dir,
        run_dir=run_dir,
        log_dir=log_dir,
        user=user or None,
        cache_max_size=cache_max_size,
        cors_origins=settings.cors_origins,
        media_root=media_root,
    )
    try:
        _write(nginx_config(settings, options), output)
    except EdgeConfigError as exc:
        raise _fail(exc) from exc


@edge_app.command("lb")
def balancer_command(
    listen: Annotated[str, typer.Option(help="host:port to listen on.")] = "127.0.0.1:8000",
    upstream: Servers = None,
    edge: Annotated[str | None, typer.Option(help="host:port of the media edge.")] = None,
    max_fails: MaxFails = 2,
    fail_timeout: FailTimeout = "10s",
    run_dir: Annotated[Path, typer.Option(help="Pid and temp files.")] = BalancerOptions.run_dir,
    log_dir: Annotated[Path, typer.Option(help="Logs.")] = BalancerOptions.log_dir,
    user: User = "www-data",
    max_body_size: Annotated[str, typer.Option(help="Largest request body.")] = "256m",
    output: Output = None,
) -> None:
    """Print the nginx configuration of a load balancer in front of the API replicas."""
    options = BalancerOptions(
        listen=listen,
        apis=_upstreams(upstream, "127.0.0.1:8001", max_fails, fail_timeout),
        edge=edge,
        run_dir=run_dir,
        log_dir=log_dir,
        user=user or None,
        max_body_size=max_body_size,
    )
    try:
        _write(balancer_config(options), output)
    except EdgeConfigError as exc:
        raise _fail(exc) from exc


@edge_app.command("lanes")
def lanes_command() -> None:
    """Write the lane tree of every stored version (new versions get theirs as they publish):
    for an edge given `--media-root` in front of a library published before it had one."""
    store = make_store(Settings())
    versions = lanes.stored_versions(store)
    linked = sum(lanes.write(store, version) for version in versions)
    typer.echo(f"{linked} video files linked into the lanes of {len(versions)} versions.")
