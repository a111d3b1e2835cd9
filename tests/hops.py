"""Counting a request's thread-pool hops and transactions, for the unit-of-work tests and the
`bench/request_hops.py` benchmark.

A hop is a call of `anyio.to_thread.run_sync`, which Starlette's `run_in_threadpool` and
FastAPI's sync dependencies and routes go through; a session as a generator dependency, or a
role check as a sync one, would each add at least one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from httpx import Response
from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Counts:
    hops: int = 0
    transactions: int = 0


@contextmanager
def counting(engine: Engine | None = None) -> Iterator[Counts]:
    """Hops made, and transactions begun on `engine` (when given), while the block runs."""
    counts = Counts()
    original = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        counts.hops += 1
        return await original(func, *args, **kwargs)

    def began(_connection: object) -> None:
        counts.transactions += 1

    anyio.to_thread.run_sync = counted  # type: ignore[assignment]
    if engine is not None:
        event.listen(engine, "begin", began)
    try:
        yield counts
    finally:
        if engine is not None:
            event.remove(engine, "begin", began)
        anyio.to_thread.run_sync = original


def once(app: FastAPI, send: Callable[[], Response], status: int) -> Counts:
    """What one request costs, once a first one has warmed the route (the first request of a
    route compiles and caches what later ones reuse)."""
    send()
    with counting(app.state.runtime.engine) as counts:
        response = send()
    assert response.status_code == status, response.text
    return counts
