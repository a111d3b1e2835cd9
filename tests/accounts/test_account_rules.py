"""Sign-up rules the API and the command line share: rate, password strength, valid address."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from marquee.accounts import service
from marquee.cli import app as cli
from marquee.config import Settings
from marquee.db import transaction
from tests.support import PASSWORD, assert_problem, signup, unique_email

REGISTER = "/api/v1/auth/register"


def test_registration_is_rate_limited_per_address(client: TestClient, app: FastAPI) -> None:
    app.state.runtime.settings.registrations_per_ip = 3
    for _ in range(3):
        signup(client)
    limited = client.post(REGISTER, json={"email": unique_email(), "password": PASSWORD})
    body = assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert body["retry_after"] >= 1


@pytest.mark.parametrize("weak", ["12345678", "password123", "qwertyuiop", "aaaaaaaaaaaa"])
def test_easily_guessed_passwords_are_refused(client: TestClient, weak: str) -> None:
    response = client.post(REGISTER, json={"email": unique_email(), "password": weak})
    body = assert_problem(response, 422, "weak_password")
    assert body["score"] < body["min_score"]
    user = signup(client)
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": weak},
        headers=user.headers,
    )
    assert_problem(changed, 422, "weak_password")


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    env = {"MARQUEE_DATABASE_URL": settings.database_url, "MARQUEE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, ["user", "create", *args], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("admin", PASSWORD),  # not an address: /auth/login would refuse it forever
        ("a@b", PASSWORD),
        (unique_email("cli"), "short"),
        (unique_email("cli"), "12345678"),
        (unique_email("cli"), "x" * 129),
    ],
)
def test_the_cli_refuses_what_the_api_refuses(
    settings: Settings, app: FastAPI, email: str, password: str
) -> None:
    code, output = _cli(settings, "--email", email, "--password", password)
    assert code == 2, output
    assert "refused" in output
    with transaction(app.state.runtime.sessionmaker) as session:
        assert service.get_user_by_email(session=session, email=email) is None


def test_an_account_the_cli_creates_can_sign_in(
    settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    email = unique_email("cli")
    code, output = _cli(settings, "--email", email.upper(), "--password", PASSWORD, "--editor")
    assert code == 0, output
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["role"] == "editor"
