"""The domain error tree and its mapping to RFC 9457 problem+json.

Services raise subclasses of `MarqueeError`; each class carries a stable `code`
(the last segment of the problem `type`) and an HTTP status. The app maps them
once, in `install_handlers`; routes never build error responses by hand.

    MarqueeError
    ├── BadRequest (400)             malformed_request, malformed_json
    ├── AuthenticationFailed (401)   invalid_credentials, invalid_token, token_reused
    ├── PermissionDenied (403)       forbidden, maturity_restricted, ...
    ├── NotFound (404)               not_found
    ├── Conflict (409)               conflict, email_taken, profile_limit_reached, ...
    ├── Unprocessable (422)          validation_error, invalid_state_transition, ...
    ├── RateLimited (429)            rate_limited (with Retry-After)
    └── Unavailable (503)            not_ready
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("marquee.errors")


class MarqueeError(Exception):
    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra


class BadRequest(MarqueeError):
    status, code, title = 400, "malformed_request", "Malformed request"


class AuthenticationFailed(MarqueeError):
    status, code, title = 401, "invalid_credentials", "Authentication failed"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"}, **extra)


class PermissionDenied(MarqueeError):
    status, code, title = 403, "forbidden", "Permission denied"


class NotFound(MarqueeError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(MarqueeError):
    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(MarqueeError):
    status, code, title = 422, "validation_error", "Unprocessable request"


class RateLimited(MarqueeError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        retry = max(1, int(retry_after))
        super().__init__(detail, headers={"Retry-After": str(retry)}, retry_after=retry, **extra)


class Unavailable(MarqueeError):
    status, code, title = 503, "not_ready", "Service unavailable"


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


_HTTP_CODES = {
    400: ("malformed_request", "Malformed request"),
    401: ("not_authenticated", "Not authenticated"),
    403: ("forbidden", "Permission denied"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
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


async def _on_marquee_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MarqueeError)
    return problem_response(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        headers=exc.headers,
        **exc.extra,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(
            status=400,
            code="malformed_json",
            title="Malformed JSON",
            detail="The request body is not valid JSON.",
            instance=request.url.path,
            errors=errors,
        )
    fields = ", ".join(".".join(e["loc"]) for e in errors[:5])
    return problem_response(
        status=422,
        code="validation_error",
        title="Invalid request",
        detail=f"The request has invalid or missing fields: {fields}.",
        instance=request.url.path,
        errors=errors,
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    return problem_response(
        status=exc.status_code,
        code=code,
        title=title,
        detail=str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers or {}),
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(
        status=500,
        code="internal_error",
        title="Internal error",
        detail="An unexpected error occurred; it has been logged.",
        instance=request.url.path,
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MarqueeError, _on_marquee_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
