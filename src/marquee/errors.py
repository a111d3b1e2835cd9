"""The domain error tree and its mapping to RFC 9457 problem+json.

Every problem Marquee answers with is a class, declared once: the shared ones below,
and each domain's own in `<domain>/errors.py`, derived from these. A class carries a
stable `code` (the last segment of the problem `type`, which clients rely on), an HTTP
status and a title that is the same for every occurrence of its type. Raise sites pick
a class and say what happened in `detail`; they never name a code. The app maps the
tree once, in `install_handlers`; routes never build error responses by hand, and
declare what they can answer with through `problem_responses`.

    MarqueeError (500)               internal_error
    ├── BadRequest (400)             malformed_request, malformed_json, invalid_cursor, ...
    ├── AuthenticationFailed (401)   not_authenticated, invalid_credentials, invalid_token, ...
    ├── PermissionDenied (403)       forbidden, editor_required, maturity_restricted, ...
    ├── NotFound (404)               not_found, title_not_found, profile_not_found, ...
    ├── Conflict (409)               conflict, email_taken, too_many_streams, ...
    ├── Unprocessable (422)          validation_error, invalid_state_transition, ...
    ├── RateLimited (429)            rate_limited (with Retry-After)
    ├── Unavailable (503)            not_ready, key_unavailable
    │   └── DependencyUnavailable    database_unavailable, redis_unavailable, ... (Retry-After)
    └── the rest of HTTP's statuses  method_not_allowed, payload_too_large, ...
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("marquee.errors")


# Members of every problem body; an extra of the same name would overwrite them.
RESERVED = frozenset({"type", "title", "status", "detail", "instance", "code"})


class MarqueeError(Exception):
    """An unexpected failure; also the root every declared problem derives from."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        clash = RESERVED & extra.keys()
        if clash:
            # A code chosen at the raise site would be a type no one declared.
            raise TypeError(f"{', '.join(sorted(clash))} is declared by the class, not raised")
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class BadRequest(MarqueeError):
    """The request cannot be read at all."""

    status, code, title = 400, "malformed_request", "Malformed request"


class MalformedJson(BadRequest):
    """The body is not valid JSON."""

    code, title = "malformed_json", "Malformed JSON"


class InvalidCursor(BadRequest):
    """A page cursor that this server did not issue (or that was edited)."""

    code, title = "invalid_cursor", "Invalid cursor"


class AuthenticationFailed(MarqueeError):
    """No usable credentials came with a request that needs them."""

    status, code, title = 401, "not_authenticated", "Not authenticated"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class PermissionDenied(MarqueeError):
    """The caller is known but may not do this."""

    status, code, title = 403, "forbidden", "Permission denied"


class NotFound(MarqueeError):
    """Nothing at this address (or nothing this caller may see)."""

    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(MarqueeError):
    """The path exists but not with this HTTP method."""

    status, code, title = 405, "method_not_allowed", "Method not allowed"


class Conflict(MarqueeError):
    """The request clashes with the current state of the resource."""

    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(MarqueeError):
    """The body is larger than this route accepts."""

    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(MarqueeError):
    """The body's Content-Type is not one this route reads."""

    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class Unprocessable(MarqueeError):
    """Fields are missing, of the wrong type or out of range (see `errors`)."""

    status, code, title = 422, "validation_error", "Invalid request"


class RateLimited(MarqueeError):
    """Too many attempts; `retry_after` (and the Retry-After header) says when to try again."""

    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        retry = max(1, int(retry_after))
        super().__init__(detail, headers={"Retry-After": str(retry)}, retry_after=retry, **extra)


class Unavailable(MarqueeError):
    """A dependency is not ready; the request can be retried later."""

    status, code, title = 503, "not_ready", "Service unavailable"


class DependencyUnavailable(Unavailable):
    """A backing service this request needs did not answer in time; retry after `Retry-After`.

    Raised only by `marquee.outages`, which maps the drivers' connection and timeout errors
    to the subclass naming the dependency.
    """

    code, title = "dependency_unavailable", "Dependency unavailable"

    def __init__(self, detail: str, *, retry_after: int = 2, **extra: Any) -> None:
        retry = max(1, int(retry_after))
        super().__init__(detail, headers={"Retry-After": str(retry)}, retry_after=retry, **extra)


class DatabaseUnavailable(DependencyUnavailable):
    """The database cannot be reached (down, restarting, or every connection busy)."""

    code, title = "database_unavailable", "Database unavailable"


class RedisUnavailable(DependencyUnavailable):
    """Redis (stream leases, rate limits) cannot be reached or did not answer in time."""

    code, title = "redis_unavailable", "Redis unavailable"


class ObjectStoreUnavailable(DependencyUnavailable):
    """The object store holding the media cannot be reached or answered with a 5xx."""

    code, title = "object_store_unavailable", "Object store unavailable"


class HttpError(MarqueeError):
    """Any other HTTP status the framework answers with; the status is the framework's."""

    status, code, title = 400, "http_error", "HTTP error"


def problem_type(code: str) -> str:
    return f"/problems/{code}"


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_responses(*problems: type[MarqueeError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route or router: one problem+json entry per status.

    The description (and `x-problem-types`) names the codes a status can carry, so the
    document says what a client should expect, not just that "something" may fail.
    FastAPI merges a router's `responses` with a route's shallowly, a route's entry for a
    status replacing its router's: a router declares only statuses its routes do not.
    """
    by_status: dict[int, list[type[MarqueeError]]] = {}
    for problem in problems:
        listed = by_status.setdefault(problem.status, [])
        if problem not in listed:
            listed.append(problem)
    return {
        status: {
            "description": ", ".join(p.code for p in listed),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "x-problem-types": [p.code for p in listed],
        }
        for status, listed in sorted(by_status.items())
    }


# Statuses the framework itself answers with (routing, security schemes, body parsing).
_HTTP_PROBLEMS: dict[int, type[MarqueeError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        errors.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return errors


def _answer(
    request: Request, problem: type[MarqueeError], detail: str, **extra: Any
) -> JSONResponse:
    return problem_response(
        status=problem.status,
        code=problem.code,
        title=problem.title,
        detail=detail,
        instance=request.url.path,
        **extra,
    )


async def _on_marquee_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MarqueeError)
    return _answer(request, type(exc), exc.detail, headers=exc.headers, **exc.extra)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        detail = "The request body is not valid JSON."
        return _answer(request, MalformedJson, detail, errors=errors)
    fields = ", ".join(".".join(e["loc"]) for e in errors[:5])
    detail = f"The request has invalid or missing fields: {fields}."
    return _answer(request, Unprocessable, detail, errors=errors)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    problem = _HTTP_PROBLEMS.get(exc.status_code, HttpError)
    return problem_response(
        status=exc.status_code,
        code=problem.code,
        title=problem.title,
        detail=str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers or {}),
    )


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    detail = "An unexpected error occurred; it has been logged."
    return _answer(request, MarqueeError, detail)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MarqueeError, _on_marquee_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
