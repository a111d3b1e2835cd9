"""The site at `/`: the built web client when present, else a plain page pointing to the API."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).parent / "web"
router = APIRouter(include_in_schema=False)

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


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> Response:
    built = WEB_DIR / "index.html"
    if built.is_file():
        return FileResponse(built, headers={"Cache-Control": "no-cache"})
    return HTMLResponse(_PAGE.format(service=escape(request.app.title)))


def mount_web(app: FastAPI) -> None:
    """Serve the built client's hashed assets when the client has been built."""
    assets = WEB_DIR / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")
