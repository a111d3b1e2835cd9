"""Signing out everywhere ends every access token at once, on every kind of route."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support import PASSWORD, signup

# The longest a revoked access token may go on working. The check is per request today, so
# any positive answer after the sign-out would already be a failure.
REVOCATION_SECONDS = 2.0


def _routes(profile_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/me/profiles", None),
        ("GET", f"/api/v1/titles?profile_id={profile_id}", None),
        ("GET", f"/api/v1/profiles/{profile_id}/home", None),
        ("POST", "/api/v1/events", {"events": []}),
        ("POST", "/api/v1/playback/sessions", {"profile_id": profile_id, "title_id": profile_id}),
    ]


def _status(
    client: TestClient, headers: dict[str, str], method: str, url: str, body: object
) -> int:
    return client.request(method, url, headers=headers, json=body).status_code


def test_sign_out_everywhere_ends_access_tokens_within_seconds(client: TestClient) -> None:
    user = signup(client)
    other_device = client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    ).json()["tokens"]["access_token"]
    routes = _routes(user.profile_id)
    for method, url, body in routes:
        assert _status(client, user.headers, method, url, body) != 401, url
    assert client.post("/api/v1/me/sign-out-everywhere", headers=user.headers).status_code == 204
    signed_out_at = time.monotonic()
    for token in (user.access_token, other_device):
        headers = {"Authorization": f"Bearer {token}"}
        for method, url, body in routes:
            assert _status(client, headers, method, url, body) == 401, url
    assert time.monotonic() - signed_out_at < REVOCATION_SECONDS + 5  # the loop itself


def test_a_role_change_ends_the_old_role_token(client: TestClient, app: FastAPI) -> None:
    from marquee.accounts.models import Role
    from tests.support import signup_with_role

    admin = signup_with_role(client, app, Role.ADMIN)
    editor = signup_with_role(client, app, Role.EDITOR)
    assert client.get("/api/v1/admin/analytics/trending", headers=editor.headers).status_code == 200
    demoted = client.put(
        f"/api/v1/admin/users/{editor.id}/role", json={"role": "viewer"}, headers=admin.headers
    )
    assert demoted.status_code == 200
    assert client.get("/api/v1/admin/analytics/trending", headers=editor.headers).status_code == 401
