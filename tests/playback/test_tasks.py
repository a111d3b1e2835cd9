"""The idle sweep as a periodic job: registered by default, and it ends silent sessions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from marquee.catalog.models import Title
from marquee.db import utcnow
from marquee.jobs.registry import JobContext, JobKind, load_registry, module_names
from marquee.playback import tasks
from marquee.playback.models import PlaybackSession
from tests.playback.conftest import start_body
from tests.support import ApiUser

SESSIONS = "/api/v1/playback/sessions"


def test_every_worker_schedules_the_idle_sweep(app: FastAPI) -> None:
    registry = load_registry(module_names(app.state.runtime.settings))
    assert (JobKind.PLAYBACK_EXPIRE_IDLE, tasks.EXPIRE_EVERY_SECONDS) in registry.periodic
    spec = registry.get(JobKind.PLAYBACK_EXPIRE_IDLE)
    assert spec is not None
    assert spec.handler is tasks.expire_idle
    assert app.state.runtime.settings.playback_idle_seconds > tasks.EXPIRE_EVERY_SECONDS


def test_the_job_ends_only_the_silent_sessions(
    client: TestClient,
    app: FastAPI,
    viewer: ApiUser,
    playable_title: Title,
    in_app_db: Callable[[], Any],
) -> None:
    body = start_body(viewer.profile_id, title_id=playable_title.id)
    silent, fresh = (
        client.post(SESSIONS, json=body, headers=viewer.headers).json()["session_id"]
        for _ in range(2)
    )
    idle = timedelta(seconds=app.state.runtime.settings.playback_idle_seconds + 5)
    with in_app_db() as session:
        session.execute(
            update(PlaybackSession)
            .where(PlaybackSession.id == uuid.UUID(silent))
            .values(last_seen_at=utcnow() - idle)
        )
    ctx = JobContext(
        job_id=uuid.uuid4(),
        kind=JobKind.PLAYBACK_EXPIRE_IDLE,
        key="test",
        payload={},
        attempt=1,
        runtime=app.state.runtime,
    )
    assert tasks.expire_idle(ctx) == {"expired": 1}
    assert tasks.expire_idle(ctx) == {"expired": 0}  # re-runnable: nothing left to end
    with in_app_db() as session:
        ended = session.get(PlaybackSession, uuid.UUID(silent))
        live = session.get(PlaybackSession, uuid.UUID(fresh))
        assert (ended.state, ended.stopped_at is not None) == ("expired", True)
        assert live.stopped_at is None
    beat = {"position": 1.0, "state": "playing"}
    url = f"{SESSIONS}/{silent}/heartbeat"
    assert client.post(url, json=beat, headers=viewer.headers).status_code == 409
