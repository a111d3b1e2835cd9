"""Sign-up, sign-in, refresh rotation, logout and password changes over HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import User
from marquee.accounts.security import issue_access_token
from marquee.db import transaction, utcnow
from tests.support import PASSWORD, assert_problem, signup, unique_email

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def _login(client: TestClient, email: str, password: str = PASSWORD) -> object:
    return client.post(LOGIN, json={"email": email, "password": password})


def test_register_returns_tokens_user_and_default_profile(client: TestClient) -> None:
    email = unique_email()
    response = client.post(
        REGISTER, json={"email": email, "password": PASSWORD, "display_name": "Ann"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == email
    assert body["user"]["role"] == "viewer"
    assert body["tokens"]["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {body['tokens']['access_token']}"}
    profiles = client.get("/api/v1/me/profiles", headers=headers).json()
    assert profiles["total"] == 1
    assert profiles["items"][0]["name"] == "Ann"


def test_register_normalises_email_and_refuses_duplicates(client: TestClient) -> None:
    email = unique_email()
    signup(client, email)
    duplicate = client.post(REGISTER, json={"email": email.upper(), "password": PASSWORD})
    assert_problem(duplicate, 409, "email_taken")


def test_register_rejects_bad_input_without_writing(client: TestClient, app: FastAPI) -> None:
    cases = [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": unique_email(), "password": "short"},
        {"email": unique_email(), "password": "x" * 129},
        {"email": unique_email(), "password": PASSWORD, "display_name": "y" * 81},
        {"email": unique_email(), "password": PASSWORD, "is_admin": True},
        {"email": 42, "password": PASSWORD},
        {"password": PASSWORD},
    ]
    for case in cases:
        body = assert_problem(client.post(REGISTER, json=case), 422, "validation_error")
        assert body["errors"]
    with transaction(app.state.runtime.sessionmaker) as session:
        assert session.query(User).count() == 0


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post(
        REGISTER, content=b'{"email": "a@b.c", ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")


def test_login_success_and_identical_failures(client: TestClient) -> None:
    user = signup(client)
    ok = _login(client, user.email)
    assert ok.status_code == 200
    assert ok.json()["user"]["id"] == user.id
    wrong_password = assert_problem(
        _login(client, user.email, "wrong password!"), 401, "invalid_credentials"
    )
    no_account = assert_problem(
        _login(client, unique_email(), "wrong password!"), 401, "invalid_credentials"
    )
    assert wrong_password["detail"] == no_account["detail"]


def test_login_rate_limited_per_account_with_retry_after(client: TestClient) -> None:
    user = signup(client)
    for _ in range(5):
        assert _login(client, user.email, "wrong password!").status_code == 401
    limited = _login(client, user.email)
    body = assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert body["retry_after"] >= 1
    other = signup(client)
    assert _login(client, other.email).status_code == 200


def test_login_rate_limited_per_ip(client: TestClient, app: FastAPI) -> None:
    app.state.runtime.settings.login_attempts_per_ip = 3
    for _ in range(3):
        _login(client, unique_email(), "whatever-pass")
    assert_problem(_login(client, unique_email(), "whatever-pass"), 429, "rate_limited")


def test_refresh_rotates_and_reuse_revokes_family(client: TestClient) -> None:
    user = signup(client)
    first = client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != user.refresh_token
    assert_problem(
        client.post(REFRESH, json={"refresh_token": user.refresh_token}), 401, "token_reused"
    )
    # The whole family is gone, including the token handed out by the legitimate rotation.
    assert_problem(client.post(REFRESH, json={"refresh_token": rotated}), 401, "invalid_token")


def test_refresh_with_unknown_token(client: TestClient) -> None:
    assert_problem(client.post(REFRESH, json={"refresh_token": "nope"}), 401, "invalid_token")


def test_logout_revokes_refresh_token(client: TestClient) -> None:
    user = signup(client)
    assert (
        client.post("/api/v1/auth/logout", json={"refresh_token": user.refresh_token}).status_code
        == 204
    )
    assert_problem(
        client.post(REFRESH, json={"refresh_token": user.refresh_token}), 401, "invalid_token"
    )


def test_access_token_required_and_checked(client: TestClient, app: FastAPI) -> None:
    assert_problem(client.get("/api/v1/me"), 401, "not_authenticated")
    bad = {"Authorization": "Bearer not.a.jwt"}
    assert_problem(client.get("/api/v1/me", headers=bad), 401, "invalid_token")
    user = signup(client)
    header, payload, signature = user.access_token.split(".")
    tampered = {"Authorization": f"Bearer {header}.{payload}.{signature[::-1]}"}
    assert_problem(client.get("/api/v1/me", headers=tampered), 401, "invalid_token")


def test_expired_access_token(client: TestClient, app: FastAPI) -> None:
    user = signup(client)
    expired = issue_access_token(
        secret=app.state.runtime.settings.secret_key.get_secret_value(),
        user_id=uuid.UUID(user.id),
        role="viewer",
        version=0,
        now=utcnow() - timedelta(hours=1),
        ttl=60,
    )
    headers = {"Authorization": f"Bearer {expired}"}
    assert_problem(client.get("/api/v1/me", headers=headers), 401, "token_expired")


def test_change_password_signs_out_everywhere(client: TestClient) -> None:
    user = signup(client)
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": "a new password"},
        headers=user.headers,
    )
    assert_problem(wrong, 401, "invalid_credentials")
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a new password"},
        headers=user.headers,
    )
    assert changed.status_code == 204
    assert_problem(client.get("/api/v1/me", headers=user.headers), 401, "invalid_token")
    assert_problem(
        client.post(REFRESH, json={"refresh_token": user.refresh_token}), 401, "invalid_token"
    )
    assert _login(client, user.email, "a new password").status_code == 200
    assert_problem(_login(client, user.email), 401, "invalid_credentials")


def test_sign_out_everywhere(client: TestClient) -> None:
    user = signup(client)
    assert client.post("/api/v1/me/sign-out-everywhere", headers=user.headers).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=user.headers), 401, "invalid_token")


def test_me_reads_the_caller(client: TestClient) -> None:
    user = signup(client)
    body = client.get("/api/v1/me", headers=user.headers).json()
    assert body["email"] == user.email
    assert "password_hash" not in body
