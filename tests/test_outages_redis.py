"""Redis killed, frozen and restarted under a running API: 503s, never 500s or 5 s stalls,
and stream leases that outlive the restart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.app import create_app
from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.db import transaction
from marquee.runtime import Runtime
from tests.conftest import TEST_EDGE
from tests.outage_services import RedisServer, assert_unavailable, dependency_errors, redis_server
from tests.playback.conftest import make_playable_title, make_viewer, start_body
from tests.support import PASSWORD, ApiUser, assert_problem

# Well under a second of timeouts per request; the bound leaves room for a busy machine.
BOUND_SECONDS = 1.5


@dataclass
class Stack:
    redis: RedisServer
    app: FastAPI
    client: TestClient
    title: Title


@pytest.fixture
def stack(settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> Iterator[Stack]:
    with redis_server() as redis:
        configured = settings.model_copy(
            update={
                "redis_url": redis.url,
                "redis_connect_timeout_seconds": 0.25,
                "redis_socket_timeout_seconds": 0.25,
                "ready_cache_seconds": 0.0,
            }
        )
        app = create_app(make_runtime(configured))
        with TestClient(app, client=(TEST_EDGE, 50000)) as client:
            with transaction(app.state.runtime.sessionmaker) as session:
                title = make_playable_title(session)
            yield Stack(redis=redis, app=app, client=client, title=title)


def _start(stack: Stack, viewer: ApiUser, device: str = "Laptop") -> httpx.Response:
    body = start_body(viewer.profile_id, title_id=stack.title.id, device=device)
    return stack.client.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)


def _heartbeat(stack: Stack, viewer: ApiUser, session_id: str) -> httpx.Response:
    return stack.client.post(
        f"/api/v1/playback/sessions/{session_id}/heartbeat",
        json={"position": 12.0, "state": "playing"},
        headers=viewer.headers,
    )


def _login(stack: Stack, viewer: ApiUser) -> httpx.Response:
    body = {"email": viewer.email, "password": PASSWORD}
    return stack.client.post("/api/v1/auth/login", json=body)


def _streams(stack: Stack, viewer: ApiUser) -> httpx.Response:
    return stack.client.get("/api/v1/playback/streams", headers=viewer.headers)


def _every_redis_route(stack: Stack, viewer: ApiUser, session_id: str) -> list[httpx.Response]:
    return [
        _login(stack, viewer),
        _start(stack, viewer, device="Phone"),
        _heartbeat(stack, viewer, session_id),
        _streams(stack, viewer),
    ]


def test_redis_killed_answers_503_and_recovers(stack: Stack) -> None:
    viewer = make_viewer(stack.client, stack.app)
    session_id = _start(stack, viewer).json()["session_id"]
    before = dependency_errors(stack.client, "redis")

    stack.redis.kill()
    answers = _every_redis_route(stack, viewer, session_id)
    for response in answers:
        assert_unavailable(response, "redis_unavailable")
    ready = stack.client.get("/readyz")
    assert_unavailable(ready, "not_ready")
    assert ready.json()["checks"] == {
        "database": "ok",
        "redis": "unavailable",
        "object_store": "ok",
    }
    # What needs no Redis keeps working.
    assert stack.client.get("/api/v1/plans").status_code == 200
    # One count per failed request, not one per layer that saw the error.
    assert dependency_errors(stack.client, "redis") == before + len(answers)

    stack.redis.start()
    assert stack.client.get("/readyz").json()["redis"] == "ok"
    assert _login(stack, viewer).status_code == 200
    # The lease Redis forgot comes back from the live session in the database.
    assert _heartbeat(stack, viewer, session_id).status_code == 200


def test_a_frozen_redis_costs_each_request_a_bounded_time(stack: Stack) -> None:
    viewer = make_viewer(stack.client, stack.app)
    session_id = _start(stack, viewer).json()["session_id"]

    stack.redis.freeze()
    try:
        calls: list[Callable[[], httpx.Response]] = [
            lambda: _login(stack, viewer),
            lambda: _start(stack, viewer, device="Phone"),
            lambda: _heartbeat(stack, viewer, session_id),
            lambda: _streams(stack, viewer),
        ]
        for call in calls:
            began = time.monotonic()
            response = call()
            elapsed = time.monotonic() - began
            assert_unavailable(response, "redis_unavailable")
            assert elapsed < BOUND_SECONDS, (response.request.url, elapsed)
        began = time.monotonic()
        assert_unavailable(stack.client.get("/readyz"), "not_ready")
        assert time.monotonic() - began < BOUND_SECONDS
    finally:
        stack.redis.thaw()

    assert _heartbeat(stack, viewer, session_id).status_code == 200
    assert stack.client.get("/readyz").status_code == 200


def test_stream_leases_survive_a_redis_restart(stack: Stack) -> None:
    viewer = make_viewer(stack.client, stack.app, plan="standard")  # 2 streams
    first = _start(stack, viewer, device="TV")
    second = _start(stack, viewer, device="Tablet")
    assert first.status_code == second.status_code == 201

    stack.redis.restart()  # no persistence: every lease is gone from Redis

    # The plan's limit holds: the two live sessions are found in the database.
    assert_problem(_start(stack, viewer, device="Phone"), 409, "too_many_streams")
    # And both viewers keep watching.
    for started in (first, second):
        assert _heartbeat(stack, viewer, started.json()["session_id"]).status_code == 200
    listed = _streams(stack, viewer).json()["items"]
    assert {s["session_id"] for s in listed} == {
        first.json()["session_id"],
        second.json()["session_id"],
    }


def test_the_stream_list_is_rebuilt_after_a_restart_before_any_heartbeat(stack: Stack) -> None:
    viewer = make_viewer(stack.client, stack.app)
    started = _start(stack, viewer).json()["session_id"]
    stack.redis.restart()
    listed = _streams(stack, viewer).json()["items"]
    assert [s["session_id"] for s in listed] == [started]


def test_rate_limits_fail_closed_by_default(stack: Stack) -> None:
    viewer = make_viewer(stack.client, stack.app)
    assert stack.app.state.runtime.settings.rate_limit_failure == "closed"
    stack.redis.kill()
    assert_unavailable(_login(stack, viewer), "redis_unavailable")


def test_rate_limits_fail_open_by_setting_and_still_limit_per_process(
    settings: Settings, make_runtime: Callable[[Settings], Runtime]
) -> None:
    with redis_server() as redis:
        configured = settings.model_copy(
            update={
                "redis_url": redis.url,
                "rate_limit_failure": "open",
                "login_attempts_per_account": 3,
                "redis_socket_timeout_seconds": 0.25,
            }
        )
        app = create_app(make_runtime(configured))
        with TestClient(app, client=(TEST_EDGE, 50000)) as client:
            viewer = make_viewer(client, app)
            redis.kill()
            good = {"email": viewer.email, "password": PASSWORD}
            assert client.post("/api/v1/auth/login", json=good).status_code == 200
            wrong = {"email": viewer.email, "password": "not the password"}
            for _ in range(3):
                assert_problem(
                    client.post("/api/v1/auth/login", json=wrong), 401, "invalid_credentials"
                )
            assert_problem(client.post("/api/v1/auth/login", json=wrong), 429, "rate_limited")
