"""PostgreSQL stopped and the S3 server stopped under a running API: 503s with Retry-After,
never 500s, /readyz not ready, and 200 again once they are back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from marquee.accounts import billing
from marquee.app import create_app
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.models import Base
from marquee.playback.models import StreamSlot
from marquee.runtime import Runtime
from marquee.storage.s3 import S3Store
from tests.conftest import TEST_EDGE
from tests.outage_services import (
    MotoServer,
    assert_unavailable,
    dependency_errors,
    moto_server,
)
from tests.playback.conftest import make_playable_title, make_viewer, start_body
from tests.services import postgres_server
from tests.support import PASSWORD, signup


def _database_settings(url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=url,
        var_dir=tmp_path / "var",
        json_logs=False,
        log_level="WARNING",
        registrations_per_ip=10_000,
        metrics_public=True,
        trusted_proxies=[f"{TEST_EDGE}/32"],
        ready_cache_seconds=0.0,
    )


def test_postgresql_stopped_answers_503_and_recovers(
    tmp_path: Path, make_runtime: Callable[[Settings], Runtime]
) -> None:
    with postgres_server(crash_safe=True) as postgres:
        engine = make_engine(postgres.url)
        Base.metadata.create_all(engine)
        with transaction(make_sessionmaker(engine)) as session:
            billing.seed_plans(session=session)
        engine.dispose()
        app = create_app(make_runtime(_database_settings(postgres.url, tmp_path)))
        with TestClient(app, client=(TEST_EDGE, 50000)) as client:
            viewer = signup(client)
            login = {"email": viewer.email, "password": PASSWORD}
            before = dependency_errors(client, "database")

            postgres.stop()
            answers = [
                client.post("/api/v1/auth/login", json=login),
                client.get("/api/v1/me/profiles", headers=viewer.headers),
                client.get("/api/v1/plans"),
                client.get("/api/v1/playback/streams", headers=viewer.headers),
            ]
            for response in answers:
                assert_unavailable(response, "database_unavailable")
            ready = client.get("/readyz")
            assert_unavailable(ready, "not_ready")
            assert ready.json()["checks"]["database"] == "unavailable"
            assert dependency_errors(client, "database") == before + len(answers)

            postgres.start()
            assert client.get("/readyz").status_code == 200
            assert client.post("/api/v1/auth/login", json=login).status_code == 200
            profiles = client.get("/api/v1/me/profiles", headers=viewer.headers)
            assert profiles.status_code == 200
        app.state.runtime.close()


@pytest.fixture
def s3(
    settings: Settings, make_runtime: Callable[[Settings], Runtime]
) -> Iterator[tuple[MotoServer, TestClient, Runtime]]:
    with moto_server() as moto:
        configured = settings.model_copy(
            update={
                "storage_backend": "s3",
                "s3_endpoint_url": moto.url,
                "s3_bucket": f"outage-{uuid.uuid4().hex[:12]}",
                "s3_access_key": "testing",
                "s3_secret_key": SecretStr("testing"),
                "ready_cache_seconds": 0.0,
            }
        )
        runtime = make_runtime(configured)
        assert isinstance(runtime.store, S3Store)
        runtime.store.ensure_bucket()
        with TestClient(create_app(runtime), client=(TEST_EDGE, 50000)) as client:
            yield moto, client, runtime


def _slots_taken(runtime: Runtime) -> int:
    with transaction(runtime.sessionmaker) as session:
        return int(session.scalar(select(func.count()).select_from(StreamSlot)) or 0)


def test_s3_stopped_answers_503_and_a_start_takes_no_slot(
    s3: tuple[MotoServer, TestClient, Runtime],
) -> None:
    moto, client, runtime = s3
    app = client.app
    viewer = make_viewer(client, app, plan="basic")  # 1 stream  # type: ignore[arg-type]
    with transaction(runtime.sessionmaker) as session:
        title = make_playable_title(session)
    body = start_body(viewer.profile_id, title_id=title.id)
    playing = client.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
    assert playing.status_code == 201
    # Another viewer keeps watching through the outage (a stopped session's media is
    # refused before the store is asked).
    watcher = make_viewer(client, app, plan="premium")  # type: ignore[arg-type]
    watching = client.post(
        "/api/v1/playback/sessions",
        json=start_body(watcher.profile_id, title_id=title.id),
        headers=watcher.headers,
    )
    assert watching.status_code == 201, watching.text
    media = watching.json()["hls_url"].rsplit("/", 1)[0]
    stop = f"/api/v1/playback/sessions/{playing.json()['session_id']}/stop"
    assert client.post(stop, json={"position": 1.0}, headers=viewer.headers).status_code == 204

    held = _slots_taken(runtime)  # the watcher's
    moto.stop()
    start = client.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
    assert_unavailable(start, "object_store_unavailable")
    assert _slots_taken(runtime) == held
    segment = client.get(f"{media}/seg-1-00001.m4s")
    assert_unavailable(segment, "object_store_unavailable")
    ready = client.get("/readyz")
    assert_unavailable(ready, "not_ready")
    assert ready.json()["checks"]["object_store"] == "unavailable"

    moto.start()  # empty: moto keeps its buckets in memory
    assert isinstance(runtime.store, S3Store)
    runtime.store.ensure_bucket()
    assert client.get("/readyz").status_code == 200
    # The plan's one stream is still free: the failed start held none.
    again = client.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
    assert again.status_code == 201, again.text
