"""Start-up warm-up: build the routers' request handling before the first viewer's request.

FastAPI prepares each route's dependency graph and validators lazily, on the first
request the router sees; with this app's routes that costs a second or more of one
core, paid by whoever comes first after a deploy or a worker restart. One request that
matches no route makes the router prepare every candidate, so it is sent at start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import Message

# Under /api/v1 so that the client fallback answers it with a plain 404 without touching disk.
WARM_PATH = "/api/v1/-"


async def warm(app: FastAPI) -> int:
    """Dispatch one unmatched GET through the router (not the middleware: no metrics, no log)."""
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": WARM_PATH,
        "raw_path": WARM_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
        "app": app,
        "state": {},
    }
    try:
        await app.router(scope, receive, send)
    except HTTPException as exc:  # the router's "no route": the middleware would answer it
        return exc.status_code
    return status


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await warm(app)
    yield
