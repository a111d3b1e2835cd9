"""The browser's refresh token: an HttpOnly cookie for the auth routes, guarded against CSRF.

A client opts in with `X-Token-Delivery: cookie` on sign-in. The refresh token then never
reaches script: it travels only in `marquee_refresh` (HttpOnly, Secure, SameSite=Strict,
Path=/api/v1/auth), and the JSON carries the short-lived access token alone. Spending the
cookie needs the double-submit token: the `marquee_csrf` cookie, which only this origin's
pages can read, echoed in the `X-CSRF-Token` header. Other clients keep the token in the body.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from marquee.accounts.errors import CsrfFailed, InvalidToken
from marquee.accounts.schemas import TokenPair
from marquee.accounts.service import Tokens
from marquee.config import Settings

DELIVERY_HEADER = "X-Token-Delivery"
CSRF_HEADER = "X-CSRF-Token"
REFRESH_COOKIE = "marquee_refresh"
CSRF_COOKIE = "marquee_csrf"


def wants_cookie(request: Request) -> bool:
    return request.headers.get(DELIVERY_HEADER, "").strip().lower() == "cookie"


def deliver(
    *, request: Request, response: Response, settings: Settings, tokens: Tokens, path: str
) -> TokenPair:
    """The pair for the JSON body; for a cookie client, its refresh token as cookies instead."""
    if not wants_cookie(request) and REFRESH_COOKIE not in request.cookies:
        return TokenPair(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        )
    age = settings.refresh_token_ttl_seconds
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=age,
        path=path,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        max_age=age,
        path="/",
        secure=True,
        samesite="strict",
    )
    return TokenPair(
        access_token=tokens.access_token, refresh_token=None, expires_in=tokens.expires_in
    )


def refresh_token(request: Request, body_token: str | None) -> str:
    """The token to spend: the body's, else the cookie's once the CSRF token matches."""
    if body_token:
        return body_token
    cookie = request.cookies.get(REFRESH_COOKIE)
    if not cookie:
        raise InvalidToken("No refresh token was sent.")
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed("The request did not carry this site's CSRF token.")
    return cookie


def clear(response: Response, *, path: str) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=path, secure=True, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=True, samesite="strict")
