"""No published value signs anything: local secrets for development, refusal everywhere."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from marquee.accounts.security import issue_access_token
from marquee.app import create_app
from marquee.config import PUBLISHED_SECRETS, Settings
from marquee.db import utcnow
from marquee.delivery import signing
from marquee.playback import licenses as keys
from marquee.playback.errors import LicenseDenied
from tests.support import signup

DEV_SECRET = "marquee-development-secret-do-not-use-in-production"
DEV_MASTER_KEY = "ZGV2LW1hc3Rlci1rZXktbm90LWZvci1wcm9kLXVzZSE="
DEV_MEDIA_LINK_SECRET = "marquee-development-media-link-secret"


def test_the_old_defaults_are_all_listed_as_published() -> None:
    assert {DEV_SECRET, DEV_MASTER_KEY, DEV_MEDIA_LINK_SECRET} <= PUBLISHED_SECRETS


def test_development_makes_its_own_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = Settings(env="development", var_dir=tmp_path)
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = Settings(env="development", var_dir=tmp_path)
    for name in ("secret_key", "master_key", "media_link_secret"):
        value = getattr(first, name).get_secret_value()
        assert value == getattr(second, name).get_secret_value()
        assert value not in PUBLISHED_SECRETS
        assert len(value) >= 32
    other = Settings(env="development", var_dir=tmp_path / "elsewhere")
    assert other.secret_key != first.secret_key


def test_an_explicit_secret_is_kept(tmp_path: Path) -> None:
    settings = Settings(env="development", var_dir=tmp_path, secret_key=SecretStr("k" * 40))
    assert settings.secret_key.get_secret_value() == "k" * 40


@pytest.mark.parametrize("env", ["development", "test", "production"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("secret_key", DEV_SECRET),
        ("master_key", DEV_MASTER_KEY),
        ("media_link_secret", DEV_MEDIA_LINK_SECRET),
    ],
)
def test_published_values_are_refused_in_every_environment(
    tmp_path: Path, env: str, field: str, value: str
) -> None:
    real = {"secret_key": "s" * 40, "master_key": "m" * 44, "media_link_secret": "l" * 40}
    with pytest.raises(ValidationError, match="published value"):
        Settings(env=env, var_dir=tmp_path, **{**real, field: value})  # type: ignore[arg-type]


def test_production_refuses_to_start_without_real_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must be set in production"):
        Settings(env="production", var_dir=tmp_path)
    assert not (tmp_path / "secrets.json").exists()


@pytest.fixture
def dev_app(db_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    """The app as `marquee serve` builds it on a fresh development install."""
    settings = Settings(env="development", database_url=db_url, var_dir=tmp_path, json_logs=False)
    app = create_app(settings)
    yield app
    app.state.runtime.close()


def test_a_token_signed_with_the_published_secret_is_refused(dev_app: FastAPI) -> None:
    with TestClient(dev_app) as client:
        user = signup(client)
        forged = issue_access_token(
            secret=DEV_SECRET,
            user_id=uuid.UUID(user.id),
            role="admin",
            version=0,
            now=utcnow(),
            ttl=900,
        )
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        assert me.status_code == 401
        assert client.get("/api/v1/me", headers=user.headers).status_code == 200


def test_a_media_link_signed_with_the_published_secret_is_refused(dev_app: FastAPI) -> None:
    link = signing.sign(
        DEV_MEDIA_LINK_SECRET,
        session_id=uuid.uuid4(),
        version_id=uuid.uuid4(),
        heights=(720,),
        expires_at=utcnow() + timedelta(days=365 * 100),
    )
    with TestClient(dev_app) as client:
        response = client.get(f"{link.prefix}master.m3u8")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/media_link_invalid"


def test_a_licence_token_made_with_the_published_secret_is_refused(dev_app: FastAPI) -> None:
    settings: Settings = dev_app.state.runtime.settings
    session_id = uuid.uuid4()
    forged_with = settings.model_copy(update={"secret_key": SecretStr(DEV_SECRET)})
    expires = utcnow() + timedelta(hours=1)
    token = keys.license_token(forged_with, session_id=session_id, expires_at=expires)
    with pytest.raises(LicenseDenied):
        keys.verify_license_token(settings, session_id=session_id, token=token)
    genuine = keys.license_token(settings, session_id=session_id, expires_at=expires)
    keys.verify_license_token(settings, session_id=session_id, token=genuine)
