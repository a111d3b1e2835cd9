"""Shared fixtures: every DB-touching test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from marquee.accounts import billing
from marquee.app import create_app
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.models import Base
from marquee.runtime import Runtime
from tests import services

# Media sources made once per session, shared by the media, ingest and playback tests.
pytest_plugins = ["tests.media.fixtures"]

BACKENDS = ["sqlite", "postgresql"]
# The address the `client` fixture connects from, and the one proxy `settings` trusts.
TEST_EDGE = "192.0.2.1"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    with services.postgres() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with services.redis() as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API server (moto) on loopback for the session."""
    with services.moto_s3() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'marquee.db'}"


def _prepared_engine(url: str) -> Engine:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def _clean(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, _engines: dict[str, Engine]) -> Iterator[str]:
    """A clean, migrated-to-current-models database on each backend, with plans loaded."""
    backend = request.param
    url = request.getfixturevalue(f"{backend}_url")
    if backend not in _engines:
        _engines[backend] = _prepared_engine(url)
    engine = _engines[backend]
    with transaction(make_sessionmaker(engine)) as session:
        billing.seed_plans(session=session)
    yield url
    _clean(engine)


@pytest.fixture
def db_engine(db_url: str, _engines: dict[str, Engine]) -> Engine:
    return _engines["postgresql" if db_url.startswith("postgresql") else "sqlite"]


@pytest.fixture
def session_factory(db_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(db_engine)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=db_url,
        var_dir=tmp_path / "var",
        json_logs=False,
        log_level="WARNING",
        trial_days=14,
        # Fixed rungs keep ingest fixtures quick; tests/ingest/test_per_title.py runs the trials.
        ladder="fixed",
        # Every test signs up from the one test client address; the limit has its own tests.
        registrations_per_ip=10_000,
        # Tests read counters straight from /metrics; its token has its own tests.
        metrics_public=True,
        trusted_proxies=[f"{TEST_EDGE}/32"],
    )


@pytest.fixture
def make_runtime() -> Iterator[Callable[[Settings], Runtime]]:
    """Builds runtimes as `marquee serve` and `marquee worker` do; each is closed (its threads
    joined, its connections returned) before the database is cleaned."""
    made: list[Runtime] = []

    def make(settings: Settings) -> Runtime:
        made.append(Runtime.from_settings(settings))
        return made[-1]

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def app(settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> FastAPI:
    return create_app(make_runtime(settings))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # The test client stands in for the trusted edge (see `settings`), so the country header
    # tests send is believed; tests/test_audience.py checks what happens without the edge.
    with TestClient(app, client=(TEST_EDGE, 50000)) as test_client:
        yield test_client


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) on each backend, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server_url: str = request.getfixturevalue("postgresql_url")
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
