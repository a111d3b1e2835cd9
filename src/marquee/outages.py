"""Degrade, don't die: a backing service that is down answers 503 problem+json, never 500.

The database, Redis and the object store fail in their drivers' own words (SQLAlchemy's
`OperationalError`, redis-py's `ConnectionError`/`TimeoutError`, botocore's
`EndpointConnectionError`, a `ClientError` with a 5xx, ...). `dependency_of` in
`marquee.observability` is the one place that reads them; here each one it recognises
becomes the `DependencyUnavailable` subclass that names the dependency, with
`Retry-After`, and is counted once in `marquee_dependency_errors`. Anything else keeps
its 500 (`internal_error`), logged with its traceback.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from marquee.errors import (
    DatabaseUnavailable,
    DependencyUnavailable,
    ObjectStoreUnavailable,
    RedisUnavailable,
    on_unexpected,
    problem_response,
)
from marquee.observability import Metrics, dependency_of

log = logging.getLogger("marquee.outages")

PROBLEMS: dict[str, type[DependencyUnavailable]] = {
    "database": DatabaseUnavailable,
    "redis": RedisUnavailable,
    "object_store": ObjectStoreUnavailable,
}
_DETAILS = {
    "database": "The database is not reachable right now; try again shortly.",
    "redis": "Redis is not reachable right now; try again shortly.",
    "object_store": "The media store is not reachable right now; try again shortly.",
}
# The drivers' error roots: each reaches the handler before the server's catch-all does.
DRIVER_ERRORS: tuple[type[Exception], ...] = (
    SQLAlchemyError,
    RedisError,
    BotoCoreError,
    ClientError,
)


def problem_for(exc: BaseException, *, retry_after: int) -> DependencyUnavailable | None:
    """The 503 that `exc` (or what caused it) stands for, or None if it is no outage."""
    dependency = dependency_of(exc)
    if dependency is None:
        return None
    problem = PROBLEMS.get(dependency, DependencyUnavailable)
    detail = _DETAILS.get(dependency, "A backing service is not reachable; try again shortly.")
    return problem(detail, retry_after=retry_after, dependency=dependency)


def _answer(request: Request, problem: DependencyUnavailable) -> JSONResponse:
    return problem_response(
        status=problem.status,
        code=problem.code,
        title=problem.title,
        detail=problem.detail,
        instance=request.url.path,
        headers=problem.headers,
        **problem.extra,
    )


def install(app: FastAPI, *, metrics: Metrics, retry_after: int) -> None:
    """Map outages to 503 for every route of `app`, after `errors.install_handlers`."""

    async def on_driver_error(request: Request, exc: Exception) -> JSONResponse:
        problem = problem_for(exc, retry_after=retry_after)
        if problem is None:
            return await on_unexpected(request, exc)
        dependency = str(problem.extra["dependency"])
        # Handled here, the error never reaches the request middleware: this is its one count.
        metrics.dependency_errors.labels(dependency).inc()
        log.warning(
            "dependency unavailable",
            extra={"dependency": dependency, "error": type(exc).__name__, "path": request.url.path},
        )
        return _answer(request, problem)

    async def on_anything(request: Request, exc: Exception) -> JSONResponse:
        # An outage wrapped in another error: the request middleware has counted it already.
        problem = problem_for(exc, retry_after=retry_after)
        if problem is None:
            return await on_unexpected(request, exc)
        dependency = str(problem.extra["dependency"])
        log.warning(
            "dependency unavailable",
            extra={"dependency": dependency, "error": type(exc).__name__, "path": request.url.path},
        )
        return _answer(request, problem)

    for error in DRIVER_ERRORS:
        app.add_exception_handler(error, on_driver_error)
    app.add_exception_handler(Exception, on_anything)
