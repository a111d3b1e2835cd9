"""Queue operations: enqueue, claim under a lease, heartbeat, progress, complete, fail, release.

Every state change by a worker is a compare-and-set on (id, lease_owner, state), so a
worker whose lease has lapsed and been taken over can never overwrite the new owner.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from marquee.db import utcnow
from marquee.errors import Unprocessable
from marquee.jobs import wake
from marquee.jobs.errors import JobKeyTaken, JobNotFound, JobNotRetryable
from marquee.jobs.errors import LeaseLost as LeaseLost  # the worker catches service.LeaseLost
from marquee.jobs.models import Job, JobState

MAX_ERROR_LENGTH = 4000
FINISHED = (JobState.SUCCEEDED, JobState.DEAD)
# SQLite claims try a few candidates, since another worker may win the first one.
_SQLITE_CANDIDATES = 8


_rng = random.Random()


def backoff_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, never above `cap`."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    jitter: float = (rng or _rng).uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


def enqueue(
    *,
    session: Session,
    kind: str,
    payload: dict[str, Any],
    key: str,
    max_attempts: int = 5,
    run_after: datetime | None = None,
) -> Job:
    """Queue a job once per `key`: enqueueing the same key again returns the existing job."""
    if not 1 <= len(kind) <= 64 or not 1 <= len(key) <= 200:
        raise Unprocessable("A job needs a kind of 1-64 and a key of 1-200 characters.")
    if max_attempts < 1:
        raise Unprocessable("A job needs at least one attempt.")
    now = utcnow()
    values = {
        "id": uuid.uuid4(),
        "kind": kind,
        "key": key,
        "payload": payload,
        "state": JobState.QUEUED,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or now,
        "stage": "",
        "percent": 0.0,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Job).values(**values).on_conflict_do_nothing(index_elements=["key"])
    if session.scalar(statement.returning(Job.id)) is not None:
        # Only a new row: idle workers queue periodic keys that mostly exist already.
        wake.announce(session, kind)
    job = session.scalars(select(Job).where(Job.key == key)).one()
    if job.kind != kind:
        raise JobKeyTaken(f"Key {key!r} already names a {job.kind} job.")
    return job


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.state.in_([JobState.QUEUED, JobState.FAILED]), Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_expires_at < now),
    )


def claim(
    *,
    session: Session,
    worker_id: str,
    kinds: Sequence[str],
    lease_seconds: float,
    now: datetime | None = None,
) -> Job | None:
    """Take the next due job of `kinds` (or one whose lease expired) for `worker_id`, or None."""
    if not kinds:
        return None
    now = now or utcnow()
    due = (
        select(Job.id)
        .where(Job.kind.in_(kinds), _claimable(now))
        .order_by(Job.run_after, Job.created_at)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Rows locked by another claimer are skipped, so workers never queue behind each other.
        candidates = session.scalars(due.limit(1).with_for_update(skip_locked=True)).all()
    else:
        candidates = session.scalars(due.limit(_SQLITE_CANDIDATES)).all()
    for job_id in candidates:
        if _take(session, job_id, worker_id, lease_seconds, now):
            return session.get(Job, job_id, populate_existing=True)
    return None


def _take(
    session: Session, job_id: uuid.UUID, worker_id: str, lease_seconds: float, now: datetime
) -> bool:
    """Lease the job to `worker_id` if it is still claimable (compare-and-set)."""
    won = session.execute(
        update(Job)
        .where(Job.id == job_id, _claimable(now))
        .values(
            state=JobState.RUNNING,
            lease_owner=worker_id,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(won.rowcount == 1)  # type: ignore[attr-defined]


def claim_key(
    *,
    session: Session,
    key: str,
    worker_id: str,
    lease_seconds: float,
    now: datetime | None = None,
) -> uuid.UUID | None:
    """Take the one job named `key` for `worker_id` if it is claimable now; its id, or None."""
    now = now or utcnow()
    job_id = session.scalar(select(Job.id).where(Job.key == key))
    if job_id is None or not _take(session, job_id, worker_id, lease_seconds, now):
        return None
    return job_id


def find_by_keys(*, session: Session, keys: Sequence[str]) -> dict[str, Job]:
    """The jobs named by `keys`, by key (keys without a job are left out)."""
    query = select(Job).where(Job.key.in_(keys)).execution_options(populate_existing=True)
    return {job.key: job for job in session.scalars(query)}


def _owned(session: Session, job_id: uuid.UUID, worker_id: str, **values: Any) -> bool:
    """Apply `values` only if `worker_id` still holds the running job's lease."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == worker_id, Job.state == JobState.RUNNING)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def heartbeat(*, session: Session, job_id: uuid.UUID, worker_id: str, lease_seconds: float) -> bool:
    """Extend the lease; False means the job is no longer this worker's."""
    expires = utcnow() + timedelta(seconds=lease_seconds)
    return _owned(session, job_id, worker_id, lease_expires_at=expires)


def report_progress(
    *, session: Session, job_id: uuid.UUID, worker_id: str, stage: str, percent: float
) -> bool:
    percent = min(100.0, max(0.0, float(percent)))
    return _owned(session, job_id, worker_id, stage=stage[:100], percent=percent)


def complete(
    *, session: Session, job_id: uuid.UUID, worker_id: str, result: dict[str, Any] | None = None
) -> Job:
    now = utcnow()
    done = _owned(
        session,
        job_id,
        worker_id,
        state=JobState.SUCCEEDED,
        result=result,
        percent=100.0,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=now,
    )
    if not done:
        raise LeaseLost(f"Job {job_id} is no longer leased to {worker_id}.")
    return get_job(session=session, job_id=job_id)


def fail(
    *,
    session: Session,
    job_id: uuid.UUID,
    worker_id: str,
    error: str,
    max_attempts: int | None = None,
    backoff_seconds: float = 10.0,
    backoff_max_seconds: float = 3600.0,
    permanent: bool = False,
    rng: random.Random | None = None,
) -> Job:
    """Record a failed attempt: retry later with backoff, or go dead when out of attempts."""
    job = get_job(session=session, job_id=job_id)
    limit = max_attempts if max_attempts is not None else job.max_attempts
    dead = permanent or job.attempts >= limit
    now = utcnow()
    delay = backoff_delay(job.attempts, base=backoff_seconds, cap=backoff_max_seconds, rng=rng)
    changed = _owned(
        session,
        job_id,
        worker_id,
        state=JobState.DEAD if dead else JobState.FAILED,
        last_error=error[:MAX_ERROR_LENGTH],
        max_attempts=limit,
        run_after=now if dead else now + timedelta(seconds=delay),
        lease_owner=None,
        lease_expires_at=None,
        finished_at=now if dead else None,
    )
    if not changed:
        raise LeaseLost(f"Job {job_id} is no longer leased to {worker_id}.")
    return get_job(session=session, job_id=job_id)


def release(*, session: Session, job_id: uuid.UUID, worker_id: str) -> bool:
    """Hand the job back untouched (a shutdown, not a failure): the attempt does not count."""
    wake.announce(session, "released")
    return _owned(
        session,
        job_id,
        worker_id,
        state=JobState.QUEUED,
        attempts=case((Job.attempts > 0, Job.attempts - 1), else_=0),
        run_after=utcnow(),
        lease_owner=None,
        lease_expires_at=None,
    )


def retry(*, session: Session, job_id: uuid.UUID) -> Job:
    """Give a dead (or waiting-to-retry) job a fresh set of attempts, to run now."""
    retried = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_([JobState.DEAD, JobState.FAILED]))
        .values(state=JobState.QUEUED, attempts=0, run_after=utcnow(), finished_at=None)
        .execution_options(synchronize_session=False)
    )
    job = get_job(session=session, job_id=job_id)
    if retried.rowcount != 1:  # type: ignore[attr-defined]
        raise JobNotRetryable(f"Job {job_id} is {job.state}; only failed or dead jobs are retried.")
    wake.announce(session, job.kind)
    return job


def prune_finished(*, session: Session, finished_before: datetime, batch: int = 5000) -> int:
    """Delete up to `batch` jobs that succeeded or went dead before `finished_before`; returns
    how many. Queued, waiting and running jobs are never touched."""
    old = (
        select(Job.id)
        .where(Job.state.in_(FINISHED), Job.finished_at < finished_before)
        .limit(batch)
    )
    ids = list(session.scalars(old))
    if ids:
        session.execute(
            delete(Job).where(Job.id.in_(ids)).execution_options(synchronize_session=False)
        )
    return len(ids)


def get_job(*, session: Session, job_id: uuid.UUID) -> Job:
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise JobNotFound(f"No job {job_id}.")
    return job


def list_jobs(
    *,
    session: Session,
    state: JobState | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[Job], int]:
    """Jobs newest first, optionally of one state and kind, with the total count."""
    filters = []
    if state is not None:
        filters.append(Job.state == state)
    if kind is not None:
        filters.append(Job.kind == kind)
    total = session.scalar(select(func.count()).select_from(Job).where(*filters)) or 0
    query = select(Job).where(*filters).order_by(Job.created_at.desc(), Job.id)
    return list(session.scalars(query.offset(offset).limit(limit))), total
