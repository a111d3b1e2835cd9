"""The runtime: one composition root per process, owning its caches and background threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from marquee.app import create_app
from marquee.audience import Audience
from marquee.config import Settings
from marquee.db import transaction
from marquee.jobs import service as jobs
from marquee.jobs.models import Job
from marquee.jobs.registry import JobKind, Registry
from marquee.jobs.worker import Worker
from marquee.recommend import snapshot
from marquee.runtime import Runtime
from tests.catalog.factories import make_title
from tests.jobs import handlers


def _slow_build(release: threading.Event) -> Callable[[Session, Audience], snapshot.Snapshot]:
    real = snapshot.build

    def build(session: Session, audience: Audience) -> snapshot.Snapshot:
        session.execute(text("SELECT 1"))  # holds a connection, as a real rebuild does
        release.wait(10)
        return real(session, audience)

    return build


def test_close_joins_the_snapshot_rebuilds_before_the_engine_goes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime.from_settings(settings)
    snapshots = runtime.home.snapshots
    snapshots.ttl_seconds = 0.0
    audience = Audience(country="US")
    with runtime.sessionmaker() as session:
        snapshots.get(session, audience)  # built in the request
        release = threading.Event()
        monkeypatch.setattr(snapshot, "build", _slow_build(release))
        snapshots.get(session, audience)  # stale: rebuilt in the background
    assert snapshots.running() == 1
    threading.Timer(0.3, release.set).start()
    began = time.monotonic()
    runtime.close()
    assert time.monotonic() - began >= 0.2  # it waited for the rebuild
    assert snapshots.running() == 0
    assert runtime.engine.pool.checkedout() == 0
    with runtime.sessionmaker() as session:
        snapshots.get(session, audience)  # a closed cache starts no more rebuilds
    assert snapshots.running() == 0
    runtime.close()  # closing twice is harmless


def test_a_worker_joins_its_lease_renewal_before_recording_the_job(
    settings: Settings, make_runtime: Callable[[Settings], Runtime], tmp_path: Path
) -> None:
    fast = settings.model_copy(update={"job_lease_seconds": 0.3, "job_poll_seconds": 0.05})
    runtime = make_runtime(fast)
    payload = {"seconds": 0.5, "log": str(tmp_path / "log"), "out": str(tmp_path / "out")}
    with transaction(runtime.sessionmaker) as session:
        jobs.enqueue(session=session, kind="test.slow_write", payload=payload, key="s-1")
    worker = Worker(runtime=runtime, registry=Registry(handlers.JOBS))
    assert worker.run(once=True) == 1
    beats = [t for t in threading.enumerate() if t.name.startswith("heartbeat-")]
    assert beats == []


def test_each_runtime_has_its_own_caches(
    settings: Settings, make_runtime: Callable[[Settings], Runtime]
) -> None:
    first, second = make_runtime(settings), make_runtime(settings)
    assert first.durations is not second.durations
    assert first.known_titles is not second.known_titles
    assert first.home.cache is not second.home.cache
    assert first.home.snapshots is not second.home.snapshots


def test_an_app_built_from_settings_closes_its_runtime_when_it_stops(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
    runtime = app.state.runtime
    assert runtime._closed


def test_the_api_queues_a_rebuild_beside_an_empty_index(
    settings: Settings, make_runtime: Callable[[Settings], Runtime], db: Session
) -> None:
    """A catalogue filled behind the ORM's back (a bulk import) next to a new index."""
    make_title(db, "Already Here")  # `db` carries no outbox, like a bulk statement
    db.commit()
    runtime = make_runtime(settings)
    with TestClient(create_app(runtime)):
        pass
    with TestClient(create_app(runtime)):
        pass  # the queued rebuild has not run yet: another is queued, which is harmless
    with transaction(runtime.sessionmaker) as session:
        queued = list(session.scalars(select(Job).where(Job.kind == JobKind.SEARCH_REINDEX)))
    assert [job.payload["everything"] for job in queued] == [True, True]
    assert Worker(runtime=runtime, kinds=[JobKind.SEARCH_REINDEX]).run(once=True) == 2
    assert runtime.index.count() > 0
    with TestClient(create_app(runtime)):
        pass  # the index is filled now: nothing more to queue
    with transaction(runtime.sessionmaker) as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 2
