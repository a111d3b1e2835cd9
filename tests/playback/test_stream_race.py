"""The stream limit under a real race: 50 starts at once on a 2-stream plan, exactly 2 win."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, func, select

from marquee.app import create_app
from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.db import make_sessionmaker
from marquee.playback.models import PlaybackSession
from marquee.playback.slots import DatabaseSlots
from marquee.playback.slots_redis import RedisSlots
from tests.playback.conftest import make_viewer, start_body
from tests.services import free_port, serve_app
from tests.support import ApiUser

STARTS = 50


def _race(base_url: str, user: ApiUser, title: Title) -> Counter[tuple[int, str]]:
    """Fire STARTS session starts released by one barrier; count (status, problem type)."""
    barrier = threading.Barrier(STARTS)

    def start(n: int) -> tuple[int, str]:
        body = start_body(user.profile_id, title_id=title.id, device=f"Device {n}")
        with httpx.Client(base_url=base_url, headers=user.headers, timeout=60) as http:
            barrier.wait()
            response = http.post("/api/v1/playback/sessions", json=body)
        kind = response.json().get("type", "") if response.status_code != 201 else ""
        return response.status_code, kind

    with ThreadPoolExecutor(max_workers=STARTS) as pool:
        return Counter(pool.map(start, range(STARTS)))


def _live_sessions(app: FastAPI) -> int:
    with app.state.runtime.sessionmaker() as session:
        query = select(func.count()).select_from(PlaybackSession)
        return int(session.scalar(query.where(PlaybackSession.stopped_at.is_(None))) or 0)


def test_exactly_two_of_fifty_parallel_starts_win_in_the_database(
    app: FastAPI, client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    assert isinstance(app.state.runtime.slots, DatabaseSlots)
    with serve_app(app, free_port()) as base_url:
        outcomes = _race(base_url, viewer, playable_title)
    assert outcomes == {(201, ""): 2, (409, "/problems/too_many_streams"): STARTS - 2}
    assert _live_sessions(app) == 2


@pytest.fixture
def redis_app(settings: Settings, redis_url: str) -> Iterator[FastAPI]:
    application = create_app(settings.model_copy(update={"redis_url": redis_url}))
    yield application
    application.state.runtime.close()


def test_exactly_two_of_fifty_parallel_starts_win_on_redis(
    redis_app: FastAPI, playable_title: Title
) -> None:
    assert isinstance(redis_app.state.runtime.slots, RedisSlots)
    with TestClient(redis_app) as client:
        user = make_viewer(client, redis_app)
        with serve_app(redis_app, free_port()) as base_url:
            outcomes = _race(base_url, user, playable_title)
    assert outcomes == {(201, ""): 2, (409, "/problems/too_many_streams"): STARTS - 2}
    assert _live_sessions(redis_app) == 2


def _tiny_pool(url: str) -> Engine:
    """One database connection for the whole app: every request queues for it."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=1, max_overflow=0, pool_timeout=20)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        pool_size=1,
        max_overflow=0,
        pool_timeout=20,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine


def test_a_burst_beyond_the_pool_and_the_threads_queues_instead_of_failing(
    app: FastAPI, client: TestClient, viewer: ApiUser, playable_title: Title, settings: Settings
) -> None:
    """50 starts at once (more than the threads) on one connection: all answered, no 500.

    A request must never need a second thread to give its connection back, or the threads
    all end up waiting for the connection while its holder waits for a thread.
    """
    engine = _tiny_pool(settings.resolved_database_url)
    app.state.runtime.sessionmaker = make_sessionmaker(engine)
    try:
        with serve_app(app, free_port()) as base_url:
            outcomes = _race(base_url, viewer, playable_title)
    finally:
        engine.dispose()
    assert outcomes == {(201, ""): 2, (409, "/problems/too_many_streams"): STARTS - 2}
