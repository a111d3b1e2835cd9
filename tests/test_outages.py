"""Which errors are outages, and what the app answers for them (no servers needed)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from marquee import outages
from marquee.errors import install_handlers
from marquee.observability import Metrics
from tests.outage_services import assert_unavailable
from tests.support import assert_problem


def _client_error(status: int, code: str) -> ClientError:
    response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "HeadObject")  # type: ignore[arg-type]


OUTAGES: list[tuple[str, Callable[[], Exception], str]] = [
    (
        "db-operational",
        lambda: OperationalError("SELECT 1", {}, sqlite3.OperationalError()),
        "database_unavailable",
    ),
    ("db-pool-timeout", lambda: PoolTimeout("QueuePool limit reached"), "database_unavailable"),
    ("redis-refused", lambda: RedisConnectionError("refused"), "redis_unavailable"),
    ("redis-timeout", lambda: RedisTimeoutError("timed out"), "redis_unavailable"),
    (
        "s3-endpoint",
        lambda: EndpointConnectionError(endpoint_url="http://s3"),
        "object_store_unavailable",
    ),
    (
        "s3-connect-timeout",
        lambda: ConnectTimeoutError(endpoint_url="http://s3"),
        "object_store_unavailable",
    ),
    ("s3-5xx", lambda: _client_error(503, "SlowDown"), "object_store_unavailable"),
    ("wrapped", lambda: _wrapped(RedisConnectionError("refused")), "redis_unavailable"),
]

NOT_OUTAGES: list[tuple[str, Callable[[], Exception]]] = [
    ("integrity", lambda: IntegrityError("INSERT", {}, sqlite3.IntegrityError())),
    ("redis-script", lambda: ResponseError("ERR bad script")),
    ("s3-403", lambda: _client_error(403, "AccessDenied")),
    ("plain", lambda: RuntimeError("a bug")),
]


def _wrapped(cause: Exception) -> Exception:
    try:
        raise cause
    except Exception as exc:
        try:
            raise RuntimeError("while serving") from exc
        except RuntimeError as outer:
            return outer


def _app(error: Callable[[], Exception], metrics: Metrics) -> FastAPI:
    app = FastAPI()
    install_handlers(app)
    outages.install(app, metrics=metrics, retry_after=3)

    @app.get("/fail")
    def fail() -> None:
        raise error()

    return app


@pytest.mark.parametrize(("name", "error", "code"), OUTAGES, ids=[o[0] for o in OUTAGES])
def test_an_outage_answers_503_with_retry_after(
    name: str, error: Callable[[], Exception], code: str
) -> None:
    metrics = Metrics()
    with TestClient(_app(error, metrics), raise_server_exceptions=False) as client:
        response = client.get("/fail")
    body = assert_unavailable(response, code)
    assert response.headers["Retry-After"] == "3"
    assert body["retry_after"] == 3
    assert body["dependency"] in ("database", "redis", "object_store")


@pytest.mark.parametrize(("name", "error"), NOT_OUTAGES, ids=[o[0] for o in NOT_OUTAGES])
def test_anything_else_stays_an_internal_error(name: str, error: Callable[[], Exception]) -> None:
    with TestClient(_app(error, Metrics()), raise_server_exceptions=False) as client:
        response = client.get("/fail")
    assert_problem(response, 500, "internal_error")
    assert "Retry-After" not in response.headers


def test_a_driver_outage_is_counted_once_by_the_handler() -> None:
    metrics = Metrics()
    app = _app(lambda: RedisTimeoutError("timed out"), metrics)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(3):
            client.get("/fail")
    counted = metrics.registry.get_sample_value(
        "marquee_dependency_errors_total", {"dependency": "redis"}
    )
    assert counted == 3
