from pathlib import Path

import pytest
from pydantic import ValidationError

from marquee.config import Settings


def test_embedded_defaults(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path}/marquee.db"
    assert settings.resolved_media_dir == tmp_path / "media"
    assert settings.is_sqlite


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARQUEE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MARQUEE_DATABASE_URL", "postgresql+psycopg://db/marquee")
    monkeypatch.setenv("MARQUEE_DEFAULT_COUNTRY", "FR")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://db/marquee"
    assert settings.default_country == "FR"
    assert not settings.is_sqlite


def test_production_refuses_default_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="MARQUEE_SECRET_KEY"):
        Settings(env="production")
    with pytest.raises(ValidationError, match="MARQUEE_MASTER_KEY"):
        Settings(env="production", secret_key="s" * 40)
    with pytest.raises(ValidationError, match="MARQUEE_MEDIA_LINK_SECRET"):
        Settings(env="production", secret_key="s" * 40, master_key="m" * 44)
    Settings(env="production", secret_key="s" * 40, master_key="m" * 44, media_link_secret="l" * 40)


def test_short_secrets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(secret_key="short", var_dir=tmp_path)
