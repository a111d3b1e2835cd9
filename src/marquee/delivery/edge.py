"""Renders the nginx media edge (deploy/nginx/marquee.conf) from settings: `marquee edge config`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from marquee.config import Settings

TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / "nginx" / "marquee.conf"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Inside an nginx double-quoted string these would end it, escape, or start a variable.
_UNSAFE_SECRET = re.compile(r'["\\$\s{};\x00-\x1f\x7f]')
_ADDRESS = re.compile(r"^[A-Za-z0-9.:\[\]_-]+$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.:\[\]_-]+$")


class EdgeConfigError(ValueError):
    """A value that would make the rendered configuration wrong or unsafe."""


@dataclass(frozen=True)
class EdgeOptions:
    listen: str = "127.0.0.1:8080"
    origin: str = "127.0.0.1:8000"
    cache_dir: Path = Path("/var/cache/marquee-edge")
    run_dir: Path = Path("/run/marquee-edge")
    log_dir: Path = Path("/var/log/marquee-edge")
    # None: leave nginx's own default (the master's user when not run as root).
    user: str | None = "www-data"
    worker_processes: str = "auto"
    cache_max_size: str = "50g"
    access_log: bool = True
    cors_origins: list[str] = field(default_factory=list)


def _cors_map(origins: list[str]) -> str:
    """`map` lines: any origin when none is configured, else only the configured ones."""
    if not origins or "*" in origins:
        return '        default "*";'
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise EdgeConfigError(f"{origin!r} is not an origin like https://tv.example.com.")
    lines = ['        default "";'] + [f'        "{o}" "{o}";' for o in origins]
    return "\n".join(lines)


def _values(secret: str, options: EdgeOptions) -> dict[str, str]:
    if not secret or _UNSAFE_SECRET.search(secret):
        raise EdgeConfigError(
            "The media link secret must be non-empty, without quotes, backslashes, '$', "
            "braces, semicolons, whitespace or control characters."
        )
    for name in ("listen", "origin"):
        if not _ADDRESS.match(getattr(options, name)):
            raise EdgeConfigError(f"{name} must be host:port, not {getattr(options, name)!r}.")
    log_dir = options.log_dir.as_posix()
    return {
        "user_directive": f"user {options.user};" if options.user else "",
        "worker_processes": options.worker_processes,
        "run_dir": options.run_dir.as_posix(),
        "log_dir": log_dir,
        "access_log": f"{log_dir}/access.log edge" if options.access_log else "off",
        "cache_dir": options.cache_dir.as_posix(),
        "cache_max_size": options.cache_max_size,
        "origin": options.origin,
        "listen": options.listen,
        "secret": secret,
        "cors_map": _cors_map(options.cors_origins),
    }


def render(template: str, values: dict[str, str]) -> str:
    """Fill every `{{ name }}`; a name without a value is an error, never left in the output."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise EdgeConfigError(f"The template needs a value for {name!r}.")
        return values[name]

    return _PLACEHOLDER.sub(fill, template)


def nginx_config(settings: Settings, options: EdgeOptions, template: Path = TEMPLATE) -> str:
    """The edge configuration for these settings: same link secret as the origin."""
    values = _values(settings.media_link_secret.get_secret_value(), options)
    return render(template.read_text(encoding="utf-8"), values)


def prepare_dirs(options: EdgeOptions) -> None:
    """Create the cache, run and log directories nginx expects to exist."""
    for directory in (options.cache_dir, options.run_dir, options.log_dir):
        directory.mkdir(parents=True, exist_ok=True)


edge_app = typer.Typer(no_args_is_help=True, help="The nginx media edge.")


@edge_app.command("config")
def config_command(
    listen: Annotated[str, typer.Option(help="host:port the edge listens on.")] = "127.0.0.1:8080",
    origin: Annotated[str, typer.Option(help="host:port of a Marquee API.")] = "127.0.0.1:8000",
    cache_dir: Annotated[Path, typer.Option(help="Cache folder.")] = EdgeOptions.cache_dir,
    run_dir: Annotated[Path, typer.Option(help="Pid and temp files.")] = EdgeOptions.run_dir,
    log_dir: Annotated[Path, typer.Option(help="Logs.")] = EdgeOptions.log_dir,
    user: Annotated[str, typer.Option(help="Worker user ('' for nginx's default).")] = "www-data",
    cache_max_size: Annotated[str, typer.Option(help="Cache size cap.")] = "50g",
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print the nginx configuration of a media edge in front of this deployment's origin."""
    settings = Settings()
    options = EdgeOptions(
        listen=listen,
        origin=origin,
        cache_dir=cache_dir,
        run_dir=run_dir,
        log_dir=log_dir,
        user=user or None,
        cache_max_size=cache_max_size,
        cors_origins=settings.cors_origins,
    )
    text = nginx_config(settings, options)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    os.chmod(output, 0o600)  # it holds the link secret
