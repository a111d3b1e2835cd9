"""`marquee demo` on a fresh database: migrations, demo accounts and the catalogue, twice."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marquee.accounts.models import User
from marquee.app import create_app
from marquee.audience import Audience
from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.demo.catalogue import DEMO_PASSWORD, load_demo
from marquee.events.models import Event
from marquee.jobs.models import Job
from marquee.jobs.registry import JobKind
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from marquee.search.index import SearchFilters

MINI = Path(__file__).parents[1] / "catalog" / "fixtures" / "ml-mini"


@pytest.fixture
def demo_settings(fresh_url: str, tmp_path: Path) -> Settings:
    # A small MovieLens sample placed in the cache keeps this test offline and quick.
    shutil.copytree(MINI, tmp_path / "var" / "cache" / "ml-100k")
    return Settings(env="test", database_url=fresh_url, var_dir=tmp_path / "var", json_logs=False)


@pytest.fixture
def demo_runtime(demo_settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> Runtime:
    """The runtime `marquee demo` builds; closed before the database is dropped."""
    return make_runtime(demo_settings)


def _counts(url: str) -> list[int]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        counts = [
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Title, User, Event)
        ]
    engine.dispose()
    return counts


def _title_id(runtime: Runtime, name: str) -> object:
    with transaction(runtime.sessionmaker) as session:
        return session.scalars(select(Title.id).where(Title.name == name)).one()


def test_demo_loads_once_and_reruns_change_nothing(
    demo_settings: Settings, demo_runtime: Runtime
) -> None:
    summary = load_demo(demo_runtime)
    assert "14 titles, 3 accounts, 9 events added; 2 demo series added" in summary
    assert "viewer@marquee.demo / marquee-demo" in summary
    first = _counts(demo_settings.resolved_database_url)
    assert first == [16, 6, 9]
    again = load_demo(demo_runtime)
    assert "0 titles, 0 accounts, 0 events added; 0 demo series added" in again
    assert _counts(demo_settings.resolved_database_url) == first


def test_demo_viewer_browses_the_imported_catalogue(
    demo_settings: Settings, demo_runtime: Runtime
) -> None:
    load_demo(demo_runtime)
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


def test_demo_titles_reach_the_index_through_the_search_outbox(
    demo_settings: Settings, demo_runtime: Runtime, make_runtime: Callable[[Settings], Runtime]
) -> None:
    """The import's bulk inserts queue their re-index in its transaction, like any catalogue
    change; the worker, which owns the index, applies it (no empty-index rebuild needed)."""
    load_demo(demo_runtime)
    with transaction(demo_runtime.sessionmaker) as session:
        queued = list(session.scalars(select(Job).where(Job.kind == JobKind.SEARCH_REINDEX)))
    assert queued, "the import queued no re-index"
    assert not any(job.payload.get("everything") for job in queued)
    assert demo_runtime.index.count() == 0  # the command itself writes no index

    worker = make_runtime(demo_settings)
    assert Worker(runtime=worker, kinds=[JobKind.SEARCH_REINDEX]).run(once=True) == len(queued)
    for name in ("Toy Story", "The Night Projectionist"):  # a MovieLens title, a demo series
        hits = worker.index.search(name.lower(), SearchFilters(), Audience(country="US")).hits
        assert hits, name
        assert hits[0].title_id == _title_id(demo_runtime, name), name
