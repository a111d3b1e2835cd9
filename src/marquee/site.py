"""The site at `/`: the built web client when present, else a plain page pointing to the API."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

WEB_DIR = Path(__file__).parent / "web" / "dist"

# Paths the server answers itself; a client-side deep link never shadows them.
SERVER_PREFIXES = ("/api", "/media", "/artwork", "/assets", "/docs", "/redoc", "/openapi.json")
SERVER_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Marquee</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #111; color: #eee; margin: 0; }}
 main {{ max-width: 42rem; margin: 10vh auto; padding: 0 1.5rem; line-height: 1.5; }}
 h1 {{ color: #e50914; font-size: 3rem; margin: 0 0 1rem; }}
 a {{ color: #8ab4f8; }} code {{ background: #222; padding: .1rem .3rem; }}
</style></head>
<body><main>
<h1>Marquee</h1>
<p>{service} is running. The browser client is not built on this install;
the API is ready at <a href="/docs">/docs</a> (OpenAPI: <a href="/openapi.json">/openapi.json</a>).</p>
<p>Sign in with <code>POST /api/v1/auth/login</code>, then pass a <code>profile_id</code>
from <code>GET /api/v1/me/profiles</code> to the catalogue endpoints.</p>
<p>Health: <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> ·
<a href="/metrics">/metrics</a></p>
</main></body></html>
"""


class ImmutableFiles(StaticFiles):
    """Hashed build assets: a changed file gets a new name, so browsers may keep each one for a year."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _index_page(web_dir: Path, service: str) -> Response:
    built = web_dir / "index.html"
    if built.is_file():
        # The shell must be revalidated so a new build's asset names are picked up at once.
        return FileResponse(built, headers={"Cache-Control": "no-cache"})
    return HTMLResponse(_PAGE.format(service=escape(service)))


def is_client_path(path: str) -> bool:
    """True for paths the web client routes itself (deep links such as /title/<id>)."""
    if path in SERVER_PATHS:
        return False
    return not any(path == p or path.startswith(p + "/") for p in SERVER_PREFIXES)


def _root_file(web_dir: Path, path: str) -> Path | None:
    """A top-level file of the build (favicon, robots.txt); never anything outside it."""
    name = path.lstrip("/")
    if not name or "/" in name or name.startswith("."):
        return None
    candidate = web_dir / name
    return candidate if candidate.is_file() else None


class ClientFallback:
    """Answers GETs no route matched: deep links get the client's index page, the rest a 404."""

    def __init__(self, web_dir: Path, not_found: ASGIApp) -> None:
        self.web_dir = web_dir
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        web_dir = self.web_dir
        wanted = scope["type"] == "http" and scope.get("method") in ("GET", "HEAD")
        if wanted and is_client_path(path) and (web_dir / "index.html").is_file():
            found = _root_file(web_dir, path)
            if found is not None:
                response: Response = FileResponse(found, headers={"Cache-Control": "no-cache"})
            else:
                response = FileResponse(
                    web_dir / "index.html", headers={"Cache-Control": "no-cache"}
                )
            await response(scope, receive, send)
            return
        await self.not_found(scope, receive, send)


def mount_web(app: FastAPI, web_dir: Path | None = None) -> None:
    """Serve the built client: hashed assets, and index.html for client-side routes.

    The fallback is the router's default handler, so it runs only after every route (including
    ones added later) failed to match, and the API keeps its problem+json 404s.
    """
    root = web_dir or WEB_DIR

    def index() -> Response:
        return _index_page(root, app.title)

    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    assets = root / "assets"
    if assets.is_dir():
        app.mount("/assets", ImmutableFiles(directory=assets), name="assets")
    app.router.default = ClientFallback(root, app.router.default)
