"""Renders nginx from settings: the media edge (deploy/nginx/marquee.conf, `marquee edge config`)
and the API load balancer (deploy/nginx/lb.conf, `marquee edge lb`).

The commands that print them are in `edge_cli` (`marquee edge ...`).

Both spread requests over any number of upstreams with passive health checks (a server that
fails `max_fails` times is left out for `fail_timeout`) and retry an idempotent request on the
next server, so losing one replica costs viewers nothing. Whatever nginx answers itself, a
502 when every upstream is down included, is problem+json like the app's own errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from marquee.config import Settings
from marquee.delivery.errors import LinkExpired, LinkInvalid, RenditionNotAllowed
from marquee.delivery.origin import CONTENT_TYPES, IMMUTABLE
from marquee.errors import PermissionDenied

NGINX_DIR = Path(__file__).resolve().parents[3] / "deploy" / "nginx"
TEMPLATE = NGINX_DIR / "marquee.conf"
LB_TEMPLATE = NGINX_DIR / "lb.conf"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Inside an nginx double-quoted string these would end it, escape, or start a variable.
_UNSAFE_SECRET = re.compile(r'["\\$\s{};\x00-\x1f\x7f]')
_ADDRESS = re.compile(r"^[A-Za-z0-9.:\[\]_-]+$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.:\[\]_-]+$")
_DURATION = re.compile(r"^[0-9]{1,6}(ms|s|m)?$")
_FOLDER = re.compile(r"^/[A-Za-z0-9._/-]*$")
# What nginx may answer by itself, and how each reads as a problem (type, title, detail).
_NGINX_PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: ("malformed_request", "Malformed request", "The request could not be read."),
    404: ("not_found", "Not found", "Nothing is served here."),
    405: ("method_not_allowed", "Method not allowed", "This method is not allowed here."),
    408: ("request_timeout", "Request timeout", "The request took too long to arrive."),
    413: ("payload_too_large", "Payload too large", "The request body is too large."),
    414: ("uri_too_long", "URI too long", "The request address is too long."),
    429: ("rate_limited", "Too many requests", "Too many requests; try again shortly."),
    500: ("internal_error", "Internal error", "The proxy failed to handle the request."),
    502: ("upstream_unavailable", "Bad gateway", "No server could answer; try again shortly."),
    503: (
        "upstream_unavailable",
        "Service unavailable",
        "No server could answer; try again shortly.",
    ),
    504: ("upstream_timeout", "Gateway timeout", "No server answered in time; try again shortly."),
}


class EdgeConfigError(ValueError):
    """A value that would make the rendered configuration wrong or unsafe."""


@dataclass(frozen=True)
class Upstreams:
    """Servers of one nginx `upstream`, and when nginx leaves one out and tries the next."""

    servers: tuple[str, ...] = ("127.0.0.1:8000",)
    # A server that fails this often within `fail_timeout` is left out for `fail_timeout`.
    max_fails: int = 2
    fail_timeout: str = "10s"
    # Tries per request (first one included) and the time they may take together.
    tries: int = 3
    retry_timeout: str = "15s"


@dataclass(frozen=True)
class EdgeOptions:
    listen: str = "127.0.0.1:8080"
    origins: Upstreams = field(default_factory=Upstreams)
    cache_dir: Path = Path("/var/cache/marquee-edge")
    run_dir: Path = Path("/run/marquee-edge")
    log_dir: Path = Path("/var/log/marquee-edge")
    # None: leave nginx's own default (the master's user when not run as root).
    user: str | None = "www-data"
    worker_processes: str = "auto"
    cache_max_size: str = "50g"
    access_log: bool = True
    cors_origins: list[str] = field(default_factory=list)
    # The media folder (a local store's root) when the edge shares it: video segments are then
    # sent from its lane tree (`delivery.lanes`) with no cache file and no origin hop.
    media_root: Path | None = None


@dataclass(frozen=True)
class BalancerOptions:
    listen: str = "127.0.0.1:8000"
    apis: Upstreams = field(default_factory=lambda: Upstreams(servers=("127.0.0.1:8001",)))
    # Where /media/ goes: the media edge, or None to send it to the APIs like the rest.
    edge: str | None = None
    run_dir: Path = Path("/run/marquee-lb")
    log_dir: Path = Path("/var/log/marquee-lb")
    user: str | None = "www-data"
    worker_processes: str = "auto"
    # tus chunks pass through unbuffered; this caps one request's body.
    max_body_size: str = "256m"
    access_log: bool = True


def _cors_map(origins: list[str]) -> str:
    """`map` lines: any origin when none is configured, else only the configured ones."""
    if not origins or "*" in origins:
        return '        default "*";'
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise EdgeConfigError(f"{origin!r} is not an origin like https://tv.example.com.")
    lines = ['        default "";'] + [f'        "{o}" "{o}";' for o in origins]
    return "\n".join(lines)


def _address(name: str, value: str) -> str:
    if not _ADDRESS.match(value):
        raise EdgeConfigError(f"{name} must be host:port, not {value!r}.")
    return value


def _server_lines(name: str, upstreams: Upstreams) -> str:
    """The `server` lines of an upstream block, each with its passive health check."""
    if not upstreams.servers:
        raise EdgeConfigError(f"At least one {name} is needed.")
    if upstreams.max_fails < 1 or upstreams.tries < 1:
        raise EdgeConfigError("max_fails and tries must be at least 1.")
    for duration in (upstreams.fail_timeout, upstreams.retry_timeout):
        if not _DURATION.match(duration):
            raise EdgeConfigError(f"{duration!r} is not an nginx duration like 10s.")
    lines = [
        f"        server {_address(name, server)} "
        f"max_fails={upstreams.max_fails} fail_timeout={upstreams.fail_timeout};"
        for server in dict.fromkeys(upstreams.servers)
    ]
    return "\n".join(lines)


def _retry_lines(upstreams: Upstreams) -> str:
    """Try the next server when one cannot be reached or answers as if it were going away.

    Not on a 503: Marquee answers 503 when a dependency every replica shares (the database,
    Redis, the object store) is down. Another replica would answer the same, and counting it
    as a failure would take every replica out of the group: viewers would hear nginx's 502
    "no live upstreams" in place of the 503 and its Retry-After.
    """
    return "\n".join(
        [
            "        proxy_next_upstream error timeout http_502 http_504;",
            f"        proxy_next_upstream_tries {upstreams.tries};",
            f"        proxy_next_upstream_timeout {upstreams.retry_timeout};",
        ]
    )


def problem_body(status: int) -> str:
    """The problem+json nginx answers for `status` (single-quote safe for an nginx string)."""
    code, title, detail = _NGINX_PROBLEMS[status]
    return json.dumps(
        {
            "type": f"/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        },
        separators=(",", ":"),
    )


def refusal_body(error: type[PermissionDenied], detail: str) -> str:
    """The 403 the edge answers itself for a media link, as the origin's own `error` reads."""
    return json.dumps(
        {
            "type": f"/problems/{error.code}",
            "title": error.title,
            "status": error.status,
            "detail": detail,
            "code": error.code,
        },
        separators=(",", ":"),
    )


# The edge's own refusals, by template placeholder: the same problems the origin answers.
_REFUSALS = {
    "link_invalid": (LinkInvalid, "This media link is not valid."),
    "link_expired": (LinkExpired, "This media link has expired; start playback again."),
    "rendition_not_allowed": (
        RenditionNotAllowed,
        "This rendition is above what the session may play.",
    ),
}


def _error_pages(headers: tuple[str, ...] = ()) -> str:
    """`error_page` lines and the named locations that answer each status as problem+json.

    Only errors nginx makes itself come here: an upstream's own error responses (already
    problem+json) pass through, since `proxy_intercept_errors` stays off. A location with
    its own add_header inherits none, so `headers` (CORS on the edge) are repeated."""
    lines = [f"        error_page {status} = @problem_{status};" for status in _NGINX_PROBLEMS]
    for status in _NGINX_PROBLEMS:
        retry = ("Retry-After 5",) if status in (502, 503, 504) else ()
        lines += [
            f"        location @problem_{status} {{",
            "            default_type application/problem+json;",
            *(f"            add_header {header} always;" for header in (*headers, *retry)),
            f"            return {status} '{problem_body(status)}';",
            "        }",
        ]
    return "\n".join(lines)


# What the player's scripts need to read any edge answer, errors included.
_EDGE_CORS = (
    "Access-Control-Allow-Origin $marquee_cors_origin",
    'Access-Control-Expose-Headers "Content-Length, Content-Range, Accept-Ranges, ETag"',
    "Vary Origin",
)


def _common(
    user: str | None, workers: str, run_dir: Path, log_dir: Path, log_format: str, log: bool
) -> dict[str, str]:
    """Values both templates share: process, files and logs."""
    return {
        "user_directive": f"user {user};" if user else "",
        "worker_processes": workers,
        "run_dir": run_dir.as_posix(),
        "log_dir": log_dir.as_posix(),
        "access_log": f"{log_dir.as_posix()}/access.log {log_format}" if log else "off",
    }


# A video lane's file from the origin, cached once for every session (`$marquee_origin_uri` is
# the checked link the location rebuilt from its captures, `$marquee_cache_key` its key).
_VIDEO_CACHE = (
    "proxy_cache marquee_media;",
    "# proxy_set_header here replaces the server's: repeat the hop headers.",
    'proxy_set_header CloudFront-Viewer-Country "";',
    "proxy_set_header X-Forwarded-For $remote_addr;",
    "proxy_cache_valid 200 206 30d;",
    "proxy_cache_lock on;",
    "proxy_cache_lock_timeout 30s;",
    "proxy_cache_lock_age 30s;",
    "proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;",
    "proxy_ignore_headers Set-Cookie;",
    "# A location with its own add_header inherits none from the server: repeat CORS.",
    "add_header X-Cache-Status $upstream_cache_status always;",
    *(f"add_header {header} always;" for header in _EDGE_CORS),
    "proxy_pass http://marquee_origin$marquee_origin_uri;",
)
# With no lane tree: one cache entry per file. Video files are segments of a few MiB at most
# (the packager never writes a whole rendition as one file), so no slices: a slice would be
# one more subrequest and cache file per MiB; a range is cut from the cached whole.
_CACHED = ("proxy_cache_key $version/v$lane/$file;", *_VIDEO_CACHE)


def _indent(lines: tuple[str, ...] | list[str], depth: int) -> str:
    return "\n".join(" " * depth + line for line in lines)


def _video_values(options: EdgeOptions) -> dict[str, str]:
    """A video lane's files: sent from the shared lane tree when there is one, else cached.

    From the tree, the checked request is redirected to an internal location that serves
    the media folder (its own `types`, so the refusals above stay problem+json); a file
    missing there falls back to the cache, whole (the key set before the redirect)."""
    if options.media_root is None:
        return {"video_files": _indent(_CACHED, 12), "video_tree": ""}
    root = options.media_root.as_posix()
    if not _FOLDER.match(root) or "/../" in f"{root}/" or root.endswith("/.."):
        raise EdgeConfigError(f"The media root must be an absolute folder path, not {root!r}.")
    redirect = (
        "set $marquee_cache_key $version/v$lane/$file;",
        "rewrite ^ /lanes/$version/v$lane/$file last;",
    )
    tree = [
        "location ^~ /lanes/ {",
        "    internal;",
        f"    root {root.rstrip('/') or '/'};",
        "    types {",
        *(f"        {kind.split(';')[0]} {suffix[1:]};" for suffix, kind in CONTENT_TYPES.items()),
        "    }",
        # Not `always`: only a file is immutable, never an error.
        f'    add_header Cache-Control "{IMMUTABLE}";',
        "    add_header X-Content-Type-Options nosniff always;",
        *(f"    add_header {header} always;" for header in _EDGE_CORS),
        "    try_files $uri @marquee_video;",
        "}",
        "location @marquee_video {",
        "    proxy_cache_key $marquee_cache_key;",
        *(f"    {line}" for line in _VIDEO_CACHE),
        "}",
    ]
    return {"video_files": _indent(redirect, 12), "video_tree": _indent(tree, 8)}


def _values(secret: str, options: EdgeOptions) -> dict[str, str]:
    if not secret or _UNSAFE_SECRET.search(secret):
        raise EdgeConfigError(
            "The media link secret must be non-empty, without quotes, backslashes, '$', "
            "braces, semicolons, whitespace or control characters."
        )
    common = _common(
        options.user,
        options.worker_processes,
        options.run_dir,
        options.log_dir,
        "edge",
        options.access_log,
    )
    return common | {
        "cache_dir": options.cache_dir.as_posix(),
        "cache_max_size": options.cache_max_size,
        "origin_servers": _server_lines("origin", options.origins),
        "origin_retries": _retry_lines(options.origins),
        "listen": _address("listen", options.listen),
        "secret": secret,
        "cors_map": _cors_map(options.cors_origins),
        "error_pages": _error_pages(_EDGE_CORS),
        **_video_values(options),
        **{name: refusal_body(*refusal) for name, refusal in _REFUSALS.items()},
    }


def _balancer_values(options: BalancerOptions) -> dict[str, str]:
    if not re.match(r"^[0-9]{1,6}[kmg]?$", options.max_body_size):
        raise EdgeConfigError(f"{options.max_body_size!r} is not an nginx size like 256m.")
    edge = options.edge
    common = _common(
        options.user,
        options.worker_processes,
        options.run_dir,
        options.log_dir,
        "balancer",
        options.access_log,
    )
    return common | {
        "listen": _address("listen", options.listen),
        "api_servers": _server_lines("API", options.apis),
        "api_retries": _retry_lines(options.apis),
        "edge_upstream": (
            f"    upstream marquee_edge {{\n        server {_address('edge', edge)};\n"
            "        keepalive 16;\n    }"
            if edge
            else ""
        ),
        "media_upstream": "marquee_edge" if edge else "marquee_api",
        "max_body_size": options.max_body_size,
        "error_pages": _error_pages(),
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


def balancer_config(options: BalancerOptions, template: Path = LB_TEMPLATE) -> str:
    """The load balancer in front of the API replicas (and the edge, for /media/)."""
    return render(template.read_text(encoding="utf-8"), _balancer_values(options))


def prepare_dirs(options: EdgeOptions | BalancerOptions) -> None:
    """Create the cache, run and log directories nginx expects to exist."""
    folders = [options.run_dir, options.log_dir]
    if isinstance(options, EdgeOptions):
        folders.append(options.cache_dir)
    for directory in folders:
        directory.mkdir(parents=True, exist_ok=True)
