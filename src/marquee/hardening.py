"""ASGI middleware that distrusts the client: request-body limits and browser security headers.

Both run before routing, so a body is refused before anything buffers or parses it, and every
response (the API, the web client, /docs, artwork, errors) carries the same headers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marquee.config import Settings
from marquee.errors import PROBLEM_MEDIA_TYPE, problem_type

PAYLOAD_TOO_LARGE = "payload_too_large"


@dataclass(frozen=True)
class BodyLimit:
    """At most `max_bytes` of body for `methods` on paths under `prefix` (the longest wins)."""

    prefix: str
    methods: frozenset[str]
    max_bytes: int

    def applies(self, method: str, path: str) -> bool:
        return method in self.methods and (
            path == self.prefix or path.startswith(self.prefix.rstrip("/") + "/")
        )


def _problem(limit: int, path: str) -> tuple[dict[str, object], bytes]:
    body = {
        "type": problem_type(PAYLOAD_TOO_LARGE),
        "title": "Payload too large",
        "status": 413,
        "detail": f"The request body is larger than this endpoint accepts ({limit} bytes).",
        "instance": path,
        "code": PAYLOAD_TOO_LARGE,
        "max_bytes": limit,
    }
    return body, json.dumps(body).encode()


class BodyLimitMiddleware:
    """Counts body bytes as they arrive and refuses a request past its route's limit.

    A declared Content-Length over the limit is answered at once, unread. A body without
    one (chunked) is cut off when the count passes the limit: the read raises an
    HTTPException that the app's handlers turn into the same 413 problem.
    """

    def __init__(self, app: ASGIApp, *, default: int, limits: Sequence[BodyLimit] = ()) -> None:
        self.app = app
        self.default = default
        self.limits = sorted(limits, key=lambda limit: len(limit.prefix), reverse=True)

    def limit_for(self, method: str, path: str) -> int:
        for limit in self.limits:
            if limit.applies(method, path):
                return limit.max_bytes
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, send, limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    _, payload = _problem(limit, scope["path"])
                    raise HTTPException(413, detail=json.loads(payload)["detail"])
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        _, payload = _problem(limit, scope["path"])
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(payload)).encode()),
            # The body was not read: the connection cannot carry another request.
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def media_origin(settings: Settings) -> str:
    """The scheme and host players fetch media from when that is not this app ("" if it is)."""
    parts = urlsplit(settings.media_base_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# The built client loads only its own hashed module scripts and styles; the player fetches
# media (MSE) and licences from this origin or the configured media base URL.
def content_security_policy(*, media_origin: str = "", docs: bool = False) -> str:
    connect = " ".join(filter(None, ("'self'", media_origin)))
    media = " ".join(filter(None, ("'self'", "blob:", media_origin)))
    directives = [
        "default-src 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        f"connect-src {connect}",
        f"media-src {media}",
        f"img-src {media} data:",
        "font-src 'self'",
        "worker-src 'self' blob:",
        "script-src 'self'",
        "style-src 'self'",
    ]
    if docs:
        # Swagger UI and ReDoc come from a CDN and boot with one inline script.
        directives[-2:] = [
            "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        ]
        directives[directives.index("font-src 'self'")] = (
            "font-src 'self' https://fonts.gstatic.com"
        )
        directives[directives.index(f"img-src {media} data:")] = (
            f"img-src {media} data: https://fastapi.tiangolo.com https://cdn.redoc.ly"
        )
    return "; ".join(directives)


PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), "
    "fullscreen=(self), picture-in-picture=(self), encrypted-media=(self)"
)
DOCS_PATHS = ("/docs", "/redoc")
MEDIA_PREFIX = "/media/"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Adds the browser hardening headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp, *, media_origin: str = "") -> None:
        self.app = app
        self.csp = content_security_policy(media_origin=media_origin)
        self.docs_csp = content_security_policy(media_origin=media_origin, docs=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        docs = any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)
        csp = self.docs_csp if docs else self.csp
        https = scope.get("scheme") == "https"

        # Media files are never pages: the document headers would only ride along on every
        # segment (and in every edge cache file); what sniffing and transport need stays.
        document = not path.startswith(MEDIA_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if document:
                    headers.setdefault("Content-Security-Policy", csp)
                    headers.setdefault("Referrer-Policy", "no-referrer")
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
                    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
