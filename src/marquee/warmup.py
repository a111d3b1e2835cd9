"""Start-up and shut-down of the API: size the thread pool, warm the routers, queue a search
rebuild if the index is new, and close the runtime the app built.

FastAPI prepares each route's dependency graph and validators lazily, on the first
request the router sees; with this app's routes that costs a second or more of one
core, paid by whoever comes first after a deploy or a worker restart. One request that
matches no route makes the router prepare every candidate, so it is sent at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.types import Message

from marquee.catalog.models import Title
from marquee.db import transaction
from marquee.runtime import Runtime
from marquee.search import hooks as search_hooks

log = logging.getLogger("marquee")

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


def queue_search_rebuild(runtime: Runtime) -> bool:
    """A fresh index beside a filled catalogue (first start, bulk import, a new var folder):
    queue one rebuild for the worker, which writes the index. True if one was queued."""
    if runtime.index.count() > 0:
        return False
    with transaction(runtime.sessionmaker) as session:
        if not session.scalar(select(func.count()).select_from(Title)):
            return False
        search_hooks.queue_rebuild(session=session)
    return True


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def lifespan(runtime: Runtime, *, owned: bool) -> Lifespan:
    """The app's lifespan on `runtime`; `owned` runtimes (built by the app) are closed after."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(queue_search_rebuild, runtime)
        except Exception:
            log.exception("could not check the search index at start")
        # The event loop's thread pool, which runs every plain-function route.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = runtime.settings.api_threads
        await warm(app)
        try:
            yield
        finally:
            if owned:
                await anyio.to_thread.run_sync(runtime.close)

    return run
