"""Admin job routes: editors only, filters, pages, one job's progress and problem+json errors."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from marquee.db import transaction
from marquee.jobs import service
from tests.support import assert_problem, signup, signup_with_role


def _seed(app: FastAPI) -> str:
    with transaction(app.state.runtime.sessionmaker) as session:
        for n in range(3):
            service.enqueue(session=session, kind="ingest", payload={"n": n}, key=f"ingest-{n}")
        service.enqueue(session=session, kind="expire_uploads", payload={}, key="expire")
        job = service.claim(session=session, worker_id="w1", kinds=["ingest"], lease_seconds=60)
        assert job is not None
        service.report_progress(
            session=session, job_id=job.id, worker_id="w1", stage="encode 2/5", percent=42.5
        )
        return str(job.id)


def test_editors_see_one_job_with_its_progress(client: TestClient, app: FastAPI) -> None:
    job_id = _seed(app)
    editor = signup_with_role(client, app, Role.EDITOR)
    response = client.get(f"/api/v1/admin/jobs/{job_id}", headers=editor.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == job_id
    assert (body["state"], body["stage"], body["percent"]) == ("running", "encode 2/5", 42.5)
    assert (body["attempts"], body["max_attempts"], body["last_error"]) == (1, 5, None)
    assert body["lease_owner"] == "w1"


def test_list_filters_by_state_and_kind_and_pages(client: TestClient, app: FastAPI) -> None:
    _seed(app)
    admin = signup_with_role(client, app, Role.ADMIN)
    everything = client.get("/api/v1/admin/jobs", headers=admin.headers).json()
    assert everything["total"] == 4
    running = client.get("/api/v1/admin/jobs?state=running", headers=admin.headers).json()
    assert [job["state"] for job in running["items"]] == ["running"]
    ingest = client.get("/api/v1/admin/jobs?kind=ingest&limit=2", headers=admin.headers).json()
    assert ingest["total"] == 3
    assert len(ingest["items"]) == 2
    rest = client.get(
        f"/api/v1/admin/jobs?kind=ingest&limit=2&cursor={ingest['next_cursor']}",
        headers=admin.headers,
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    ids = {job["id"] for job in ingest["items"] + rest["items"]}
    assert len(ids) == 3


def test_viewers_and_strangers_are_refused(client: TestClient, app: FastAPI) -> None:
    job_id = _seed(app)
    viewer = signup(client)
    assert_problem(client.get("/api/v1/admin/jobs", headers=viewer.headers), 403, "editor_required")
    assert_problem(
        client.get(f"/api/v1/admin/jobs/{job_id}", headers=viewer.headers), 403, "editor_required"
    )
    assert_problem(client.get("/api/v1/admin/jobs"), 401, "not_authenticated")


def test_unknown_jobs_and_bad_filters_are_problems(client: TestClient, app: FastAPI) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    missing = client.get(f"/api/v1/admin/jobs/{uuid.uuid4()}", headers=editor.headers)
    assert_problem(missing, 404, "job_not_found")
    not_a_uuid = client.get("/api/v1/admin/jobs/not-a-uuid", headers=editor.headers)
    assert_problem(not_a_uuid, 422, "validation_error")
    bad_state = client.get("/api/v1/admin/jobs?state=exploded", headers=editor.headers)
    assert_problem(bad_state, 422, "validation_error")
    bad_cursor = client.get("/api/v1/admin/jobs?cursor=%%%", headers=editor.headers)
    assert_problem(bad_cursor, 400, "invalid_cursor")


def test_editors_retry_dead_jobs_only(client: TestClient, app: FastAPI) -> None:
    running_id = _seed(app)
    with transaction(app.state.runtime.sessionmaker) as session:
        dead = service.fail(
            session=session, job_id=uuid.UUID(running_id), worker_id="w1", error="x", permanent=True
        )
        assert dead.state == "dead"
    editor = signup_with_role(client, app, Role.EDITOR)
    again = client.post(f"/api/v1/admin/jobs/{running_id}/retry", headers=editor.headers)
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["state"], body["attempts"], body["last_error"]) == ("queued", 0, "x")
    twice = client.post(f"/api/v1/admin/jobs/{running_id}/retry", headers=editor.headers)
    assert_problem(twice, 409, "job_not_retryable")
    missing = client.post(f"/api/v1/admin/jobs/{uuid.uuid4()}/retry", headers=editor.headers)
    assert_problem(missing, 404, "job_not_found")
    viewer = signup(client)
    refused = client.post(f"/api/v1/admin/jobs/{running_id}/retry", headers=viewer.headers)
    assert_problem(refused, 403, "editor_required")
