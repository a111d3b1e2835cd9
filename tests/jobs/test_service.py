"""The queue rules on SQLite and PostgreSQL: idempotent enqueue, claims, leases, retries, progress."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction, utcnow
from marquee.errors import Conflict, NotFound, Unprocessable
from marquee.jobs import service
from marquee.jobs.models import Job, JobState

KIND = "test.kind"


def _enqueue(session: Session, key: str = "k1", **extra: Any) -> Job:
    return service.enqueue(session=session, kind=KIND, payload={"n": 1}, key=key, **extra)


def test_enqueue_is_idempotent_on_key(db: Session) -> None:
    first = _enqueue(db)
    again = service.enqueue(session=db, kind=KIND, payload={"other": True}, key="k1")
    assert again.id == first.id
    assert again.payload == {"n": 1}
    jobs, total = service.list_jobs(session=db)
    assert total == 1
    assert jobs[0].state == JobState.QUEUED
    with pytest.raises(Conflict) as info:
        service.enqueue(session=db, kind="other.kind", payload={}, key="k1")
    assert info.value.code == "job_key_taken"


def test_enqueue_refuses_bad_arguments(db: Session) -> None:
    with pytest.raises(Unprocessable):
        service.enqueue(session=db, kind="", payload={}, key="k")
    with pytest.raises(Unprocessable):
        service.enqueue(session=db, kind=KIND, payload={}, key="k" * 201)
    with pytest.raises(Unprocessable):
        service.enqueue(session=db, kind=KIND, payload={}, key="k", max_attempts=0)
    assert service.list_jobs(session=db)[1] == 0


def test_idempotent_enqueue_from_concurrent_transactions(
    session_factory: sessionmaker[Session],
) -> None:
    ids: list[object] = []
    errors: list[BaseException] = []

    def enqueue_once() -> None:
        try:
            with transaction(session_factory) as session:
                ids.append(_enqueue(session, "same-key").id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=enqueue_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1


def test_claim_takes_due_jobs_of_known_kinds_only(db: Session) -> None:
    now = utcnow()
    _enqueue(db, "later", run_after=now + timedelta(minutes=5))
    service.enqueue(session=db, kind="other", payload={}, key="other")
    due = _enqueue(db, "due")
    job = service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=30)
    assert job is not None
    assert job.id == due.id
    assert job.state == JobState.RUNNING
    assert job.lease_owner == "w1"
    assert job.attempts == 1
    assert job.lease_expires_at is not None
    assert job.lease_expires_at > now
    assert service.claim(session=db, worker_id="w2", kinds=[KIND], lease_seconds=30) is None
    assert service.claim(session=db, worker_id="w2", kinds=[], lease_seconds=30) is None


def test_concurrent_claims_never_hand_out_a_job_twice(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        for n in range(40):
            _enqueue(session, f"job-{n}")
    claimed: list[object] = []
    errors: list[BaseException] = []

    def work(worker_id: str) -> None:
        try:
            while True:
                with transaction(session_factory) as session:
                    job = service.claim(
                        session=session, worker_id=worker_id, kinds=[KIND], lease_seconds=60
                    )
                    if job is None:
                        return
                    claimed.append(job.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(claimed) == 40
    assert len(set(claimed)) == 40
    with transaction(session_factory) as session:
        jobs, _ = service.list_jobs(session=session, limit=100)
        assert all(job.attempts == 1 and job.state == JobState.RUNNING for job in jobs)


def test_an_expired_lease_can_be_claimed_by_another_worker(db: Session) -> None:
    created = _enqueue(db)
    now = utcnow()
    service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=10, now=now)
    early = now + timedelta(seconds=5)
    assert (
        service.claim(session=db, worker_id="w2", kinds=[KIND], lease_seconds=10, now=early) is None
    )
    late = now + timedelta(seconds=11)
    job = service.claim(session=db, worker_id="w2", kinds=[KIND], lease_seconds=10, now=late)
    assert job is not None
    assert job.id == created.id
    assert job.lease_owner == "w2"
    assert job.attempts == 2
    # The first worker has lost the job: it can neither renew nor finish it.
    assert not service.heartbeat(session=db, job_id=job.id, worker_id="w1", lease_seconds=10)
    with pytest.raises(service.LeaseLost):
        service.complete(session=db, job_id=job.id, worker_id="w1", result={})
    done = service.complete(session=db, job_id=job.id, worker_id="w2", result={"ok": True})
    assert done.state == JobState.SUCCEEDED
    assert done.result == {"ok": True}
    assert done.percent == 100
    assert done.lease_owner is None
    assert done.finished_at is not None


def test_heartbeat_extends_the_lease(db: Session) -> None:
    _enqueue(db)
    job = service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=1)
    assert job is not None
    assert job.lease_expires_at is not None
    before = job.lease_expires_at
    assert service.heartbeat(session=db, job_id=job.id, worker_id="w1", lease_seconds=120)
    renewed = service.get_job(session=db, job_id=job.id)
    assert renewed.lease_expires_at is not None
    assert renewed.lease_expires_at > before + timedelta(seconds=60)


def test_failures_retry_with_backoff_then_go_dead(db: Session) -> None:
    created = _enqueue(db, max_attempts=2)
    job = service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=30)
    assert job is not None
    failed = service.fail(
        session=db, job_id=job.id, worker_id="w1", error="boom 1", backoff_seconds=60
    )
    assert failed.state == JobState.FAILED
    assert failed.last_error == "boom 1"
    assert failed.lease_owner is None
    delay = (failed.run_after - utcnow()).total_seconds()
    assert 25 <= delay <= 60
    assert service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=30) is None
    later = utcnow() + timedelta(seconds=61)
    job = service.claim(session=db, worker_id="w2", kinds=[KIND], lease_seconds=30, now=later)
    assert job is not None
    assert job.id == created.id
    assert job.attempts == 2
    dead = service.fail(session=db, job_id=job.id, worker_id="w2", error="boom 2")
    assert dead.state == JobState.DEAD
    assert dead.last_error == "boom 2"
    assert dead.finished_at is not None
    far = utcnow() + timedelta(days=1)
    assert (
        service.claim(session=db, worker_id="w3", kinds=[KIND], lease_seconds=30, now=far) is None
    )


def test_permanent_failures_skip_the_retries(db: Session) -> None:
    _enqueue(db, max_attempts=5)
    job = service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=30)
    assert job is not None
    dead = service.fail(
        session=db, job_id=job.id, worker_id="w1", error="not a video", permanent=True
    )
    assert dead.state == JobState.DEAD
    assert dead.attempts == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (10, 300)]:
        for _ in range(50):
            delay = service.backoff_delay(attempt, base=10, cap=300, rng=rng)
            assert ceiling / 2 <= delay <= ceiling
    delays = {service.backoff_delay(3, base=10, cap=300, rng=rng) for _ in range(20)}
    assert len(delays) > 10


def test_progress_is_recorded_only_by_the_lease_holder(db: Session) -> None:
    _enqueue(db)
    job = service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=30)
    assert job is not None
    assert service.report_progress(
        session=db, job_id=job.id, worker_id="w1", stage="encode 2/5", percent=40
    )
    assert not service.report_progress(
        session=db, job_id=job.id, worker_id="intruder", stage="x", percent=99
    )
    assert service.report_progress(
        session=db, job_id=job.id, worker_id="w1", stage="package", percent=250
    )
    stored = service.get_job(session=db, job_id=job.id)
    assert (stored.stage, stored.percent) == ("package", 100.0)


def test_release_hands_the_job_back_without_spending_an_attempt(db: Session) -> None:
    _enqueue(db)
    job = service.claim(session=db, worker_id="w1", kinds=[KIND], lease_seconds=30)
    assert job is not None
    assert service.release(session=db, job_id=job.id, worker_id="w1")
    back = service.get_job(session=db, job_id=job.id)
    assert (back.state, back.attempts, back.lease_owner) == (JobState.QUEUED, 0, None)
    assert not service.release(session=db, job_id=job.id, worker_id="w1")
    again = service.claim(session=db, worker_id="w2", kinds=[KIND], lease_seconds=30)
    assert again is not None
    assert again.attempts == 1


def test_list_jobs_filters_and_pages(db: Session) -> None:
    for n in range(5):
        _enqueue(db, f"k{n}")
    service.enqueue(session=db, kind="other", payload={}, key="other")
    job = service.claim(session=db, worker_id="w", kinds=[KIND], lease_seconds=30)
    assert job is not None
    assert service.list_jobs(session=db, kind=KIND)[1] == 5
    assert service.list_jobs(session=db, state=JobState.RUNNING)[0][0].id == job.id
    page, total = service.list_jobs(session=db, offset=4, limit=10)
    assert (len(page), total) == (2, 6)
    with pytest.raises(NotFound):
        service.get_job(session=db, job_id=uuid.uuid4())
