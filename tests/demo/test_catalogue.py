"""`marquee demo` on a fresh database: migrations, demo accounts and the catalogue, twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marquee.accounts.models import User
from marquee.app import create_app
from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker
from marquee.demo.catalogue import DEMO_PASSWORD, load_demo
from marquee.events.models import Event

MINI = Path(__file__).parents[1] / "catalog" / "fixtures" / "ml-mini"


@pytest.fixture
def demo_settings(fresh_url: str, tmp_path: Path) -> Settings:
    # A small MovieLens sample placed in the cache keeps this test offline and quick.
    shutil.copytree(MINI, tmp_path / "var" / "cache" / "ml-100k")
    return Settings(env="test", database_url=fresh_url, var_dir=tmp_path / "var", json_logs=False)


def _counts(url: str) -> list[int]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        counts = [
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Title, User, Event)
        ]
    engine.dispose()
    return counts


def test_demo_loads_once_and_reruns_change_nothing(demo_settings: Settings) -> None:
    summary = load_demo(demo_settings)
    assert "14 titles, 3 accounts, 9 events added; 2 demo series added" in summary
    assert "viewer@marquee.demo / marquee-demo" in summary
    first = _counts(demo_settings.resolved_database_url)
    assert first == [16, 6, 9]
    again = load_demo(demo_settings)
    assert "0 titles, 0 accounts, 0 events added; 0 demo series added" in again
    assert _counts(demo_settings.resolved_database_url) == first


def test_demo_viewer_browses_the_imported_catalogue(demo_settings: Settings) -> None:
    load_demo(demo_settings)
    app = create_app(demo_settings)
    with TestClient(app) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"email": "viewer@marquee.demo", "password": DEMO_PASSWORD},
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}"}
        profile = client.get("/api/v1/me/profiles", headers=headers).json()["items"][0]
        params = {"profile_id": profile["id"]}
        page = client.get("/api/v1/titles", params=params, headers=headers).json()
        assert page["total"] == 11
        genres = client.get("/api/v1/genres", params=params, headers=headers).json()
        assert {g["slug"] for g in genres} >= {"comedy", "drama", "thriller"}
    app.state.runtime.close()
