"""The browser's session: refresh token in an HttpOnly cookie, spent only with the CSRF token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support import PASSWORD, assert_problem, unique_email

COOKIE_MODE = {"X-Token-Delivery": "cookie"}
REFRESH = "/api/v1/auth/refresh"


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A client with a browser's cookie rules: Secure cookies over https, paths respected."""
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _sign_up(browser: TestClient) -> dict[str, object]:
    email = unique_email()
    response = browser.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}, headers=COOKIE_MODE
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _csrf(browser: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": browser.cookies.get("marquee_csrf", path="/") or ""}


def test_the_refresh_token_is_an_httponly_cookie_scoped_to_auth(browser: TestClient) -> None:
    body = _sign_up(browser)
    tokens = body["tokens"]
    assert isinstance(tokens, dict)
    assert tokens["refresh_token"] is None
    assert tokens["access_token"]
    set_cookies = browser.post(
        "/api/v1/auth/login",
        json={"email": body["user"]["email"], "password": PASSWORD},  # type: ignore[index]
        headers=COOKIE_MODE,
    ).headers.get_list("set-cookie")
    refresh = next(c for c in set_cookies if c.startswith("marquee_refresh="))
    attributes = {part.strip().lower() for part in refresh.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/api/v1/auth"} <= attributes
    csrf = next(c for c in set_cookies if c.startswith("marquee_csrf="))
    assert "httponly" not in csrf.lower()
    assert "samesite=strict" in csrf.lower()


def test_the_cookie_is_spent_only_with_the_csrf_token(browser: TestClient, app: FastAPI) -> None:
    _sign_up(browser)
    assert_problem(browser.post(REFRESH), 403, "csrf_failed")
    assert_problem(browser.post(REFRESH, headers={"X-CSRF-Token": "guess"}), 403, "csrf_failed")
    old = browser.cookies.get("marquee_refresh", path="/api/v1/auth")
    rotated = browser.post(REFRESH, headers=_csrf(browser))
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] is None
    assert browser.cookies.get("marquee_refresh", path="/api/v1/auth") != old
    me = browser.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {rotated.json()['access_token']}"}
    )
    assert me.status_code == 200
    # A replay of the spent cookie (say, stolen earlier) is a reuse: the family closes.
    with TestClient(app, base_url="https://testserver") as thief:
        thief.cookies.set("marquee_refresh", old or "", path="/api/v1/auth")
        thief.cookies.set("marquee_csrf", "planted", path="/")
        replay = thief.post(REFRESH, headers={"X-CSRF-Token": "planted"})
    assert_problem(replay, 401, "token_reused")
    assert_problem(browser.post(REFRESH, headers=_csrf(browser)), 401, "invalid_token")


def test_logout_revokes_and_clears_the_cookies(browser: TestClient) -> None:
    _sign_up(browser)
    assert browser.post("/api/v1/auth/logout", headers=_csrf(browser)).status_code == 204
    assert browser.cookies.get("marquee_refresh", path="/api/v1/auth") is None
    assert_problem(browser.post(REFRESH), 401, "invalid_token")


def test_api_clients_keep_the_token_in_the_body(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register", json={"email": unique_email(), "password": PASSWORD}
    )
    assert response.json()["tokens"]["refresh_token"]
    assert "set-cookie" not in response.headers
