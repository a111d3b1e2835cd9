"""Helpers for tests that act as a real client: sign up, sign in, act as an editor, run a worker."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marquee.accounts import service
from marquee.accounts.models import Role
from marquee.db import transaction
from marquee.jobs.models import Job, JobState
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@dataclass
class ApiUser:
    id: str
    email: str
    access_token: str
    refresh_token: str
    profile_id: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(prefix: str = "viewer") -> str:
    return f"{prefix}{next(_counter)}@example.com"


def signup(client: TestClient, email: str | None = None, password: str = PASSWORD) -> ApiUser:
    email = email or unique_email()
    response = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body = response.json()
    tokens = body["tokens"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    profiles = client.get("/api/v1/me/profiles", headers=headers).json()["items"]
    return ApiUser(
        id=body["user"]["id"],
        email=email,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        profile_id=profiles[0]["id"],
    )


def signup_with_role(client: TestClient, app: FastAPI, role: Role) -> ApiUser:
    """A signed-up user promoted to `role` directly in the database, then signed in again."""
    user = signup(client, unique_email(role.value))
    with transaction(app.state.runtime.sessionmaker) as session:
        stored = service.get_user_by_email(session=session, email=user.email)
        assert stored is not None
        stored.role = role
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    user.access_token = response.json()["tokens"]["access_token"]
    user.refresh_token = response.json()["tokens"]["refresh_token"]
    return user


def assert_problem(response: object, status: int, code: str) -> dict[str, object]:
    """The response is RFC 9457 problem+json with this status and stable type."""
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["type"] == f"/problems/{code}", body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return dict(body)


@contextmanager
def worker_beside(runtime: Runtime, kinds: list[str]) -> Iterator[Worker]:
    """A worker on its own runtime (as `marquee worker` is) in a thread, stopped and joined
    before the block's caller tears anything down."""
    worker = Worker(runtime=runtime, kinds=kinds)
    thread = threading.Thread(target=worker.run, name="test-worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.request_stop()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the worker did not stop"


def wait_for_jobs(factory: sessionmaker[Session], kinds: list[str], timeout: float = 60.0) -> None:
    """Until no job of `kinds` is left to run (queued, running or due for a retry).

    The wait is long because a busy machine may take many seconds to get to a job; a job
    that cannot run fails the wait with its state and last error, not with the clock."""
    deadline = time.monotonic() + timeout
    open_states = (JobState.QUEUED, JobState.RUNNING, JobState.FAILED)
    while True:
        with transaction(factory) as session:
            left = list(
                session.scalars(select(Job).where(Job.kind.in_(kinds), Job.state.in_(open_states)))
            )
        if not left:
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    states = [(job.kind, job.state.value, job.attempts, job.last_error) for job in left]
    raise AssertionError(f"{kinds} jobs still open after {timeout} s: {states}")
