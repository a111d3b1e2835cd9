"""Each job kind's payload is a model, checked once when a worker takes the job: a payload that
does not fit fails the job for good with a reason one can read, before any work is done."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction
from marquee.jobs import service
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobKind
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from marquee.uploads.schemas import IngestPayload


def _run(factory: sessionmaker[Session], runtime: Runtime, kind: str, payload: object) -> Job:
    with transaction(factory) as session:
        job = service.enqueue(session=session, kind=kind, payload=payload, key=f"{kind}:bad")  # type: ignore[arg-type]
    assert Worker(runtime=runtime, kinds=[kind]).run(once=True) == 1
    with transaction(factory) as session:
        return service.get_job(session=session, job_id=job.id)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"title_id": str(uuid.uuid4())}, "upload_id: Field required"),
        (
            {"upload_id": "not-a-uuid", "title_id": str(uuid.uuid4())},
            "upload_id: Input should be a valid UUID",
        ),
        (
            {"upload_id": str(uuid.uuid4()), "title_id": str(uuid.uuid4()), "extra": 1},
            "extra: Extra inputs are not permitted",
        ),
    ],
)
def test_an_ingest_job_with_a_bad_payload_fails_at_once_and_says_why(
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_runtime: Callable[[Settings], Runtime],
    payload: dict[str, object],
    reason: str,
) -> None:
    job = _run(session_factory, make_runtime(settings), JobKind.INGEST, payload)
    assert job.state is JobState.DEAD  # no retries: no attempt can fix the payload
    assert job.attempts == 1
    assert job.last_error is not None
    assert job.last_error.startswith("bad ingest payload: ")
    assert reason in job.last_error


def test_a_search_job_with_a_bad_payload_fails_the_same_way(
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    job = _run(
        session_factory, make_runtime(settings), JobKind.SEARCH_REINDEX, {"titles": ["nope"]}
    )
    assert job.state is JobState.DEAD
    assert job.last_error is not None
    assert "bad search_reindex payload: titles.0: Input should be a valid UUID" in job.last_error


def test_the_upload_queues_the_payload_the_job_reads() -> None:
    ids = {"upload_id": uuid.uuid4(), "title_id": uuid.uuid4(), "episode_id": None}
    dumped = IngestPayload(**ids).model_dump(mode="json")
    assert IngestPayload.model_validate(dumped) == IngestPayload(**ids)
