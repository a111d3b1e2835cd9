"""Structured JSON logs carrying a request id, and Prometheus metrics of requests and
dependency errors.

Every record is one JSON line, uvicorn's own included (tracebacks are a field, never extra
lines), and an unhandled error is logged once, by the app's handler, with its request id.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextvars import ContextVar, Token
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
REQUEST_ID_HEADER = "x-request-id"
_MAX_REQUEST_ID = 128


class JsonFormatter(logging.Formatter):
    # uvicorn's `color_message` repeats the message with terminal colours.
    _standard = {*vars(logging.makeLogRecord({})), "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _AlreadyLogged(logging.Filter):
    """uvicorn logs an error the app's handler has already logged (with the request id):
    Starlette answers the 500, then re-raises to the server. Keep the app's record only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "uvicorn.error"
            and str(record.msg).strip() == "Exception in ASGI application"
        )


# Loggers that get the one handler: ours, and the server's (errors and access).
_LOGGERS = ("marquee", "uvicorn")


def configure_logging(level: str, json_logs: bool) -> None:
    handler = logging.StreamHandler()
    if json_logs:
        handler.setFormatter(JsonFormatter())
    handler.addFilter(_AlreadyLogged())
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    for child in ("uvicorn.error", "uvicorn.access"):
        # Their records reach the handler through "uvicorn"; one of their own would repeat it.
        logging.getLogger(child).handlers[:] = []
        logging.getLogger(child).propagate = True


def dependency_of(exc: BaseException) -> str | None:
    """Which backing service `exc` (or what caused it) says is failing, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = _dependency_name(current)
        if name is not None:
            return name
        current = current.__cause__ or current.__context__
    return None


def _dependency_name(exc: BaseException) -> str | None:
    module = type(exc).__module__.split(".", 1)[0]
    kind = type(exc).__name__
    if module in ("sqlalchemy", "psycopg", "sqlite3") and kind in (
        "OperationalError",
        "InterfaceError",
        "DisconnectionError",
        "TimeoutError",
    ):
        return "database"
    if module == "redis" and kind in ("ConnectionError", "TimeoutError", "BusyLoadingError"):
        return "redis"
    if module in ("botocore", "urllib3") and (
        "Connect" in kind or "Timeout" in kind or kind == "ConnectionClosedError"
    ):
        return "object_store"
    if module == "botocore" and kind == "ClientError" and _server_side(exc):
        return "object_store"
    return None


def _server_side(exc: BaseException) -> bool:
    """A store that answered 5xx (SlowDown, InternalError, a proxy's 503) is failing, not us."""
    response = getattr(exc, "response", None)
    meta = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
    return isinstance(status, int) and status >= 500


class Metrics:
    """The app's own registry, so that two apps in one process never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "marquee_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.requests = Counter(
            "marquee_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.dependency_errors = dependency_errors_counter(self.registry)


def dependency_errors_counter(registry: CollectorRegistry) -> Counter:
    return Counter(
        "marquee_dependency_errors",
        "Errors from a backing service (database, redis, object_store) that ended a request "
        "or a job.",
        ["dependency"],
        registry=registry,
    )


class RequestContextMiddleware:
    """Assigns a request id, times the request and logs one line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger("marquee.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token: Token[str | None] | None = request_id_var.set(request_id)
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            dependency = dependency_of(exc)
            if dependency is not None:
                self.metrics.dependency_errors.labels(dependency).inc()
            # The error handler outside this middleware logs it: with this request's id.
            token = None
            raise
        finally:
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            labels = (scope["method"], route, str(status))
            self.metrics.latency.labels(*labels).observe(elapsed)
            self.metrics.requests.labels(*labels).inc()
            self.log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            if token is not None:
                request_id_var.reset(token)


def route_template(scope: Scope) -> str:
    """The matched route's full path template (prefixes included), never the raw path."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return str(template) if template else "unmatched"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            if 0 < len(text) <= _MAX_REQUEST_ID and text.isprintable():
                return str(text)
    return None
