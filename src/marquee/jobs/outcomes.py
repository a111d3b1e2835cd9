"""Recording how a job ended (succeeded, failed, handed back), through database blips.

A job whose work is done must not be lost because the database was away for a moment when
the worker wrote the result: each outcome is written in its own transaction and tried again
for about half a minute (the heartbeat keeps the lease meanwhile). A lost lease is final and
never retried: another worker owns the job now.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction
from marquee.jobs import service
from marquee.jobs.metrics import WorkerMetrics
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobSpec

log = logging.getLogger("marquee.jobs")
T = TypeVar("T")
# Seconds between tries at recording a job's outcome: about half a minute in all.
RECORD_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0)
Elapsed = Callable[[], float]


class Outcomes:
    """Writes a worker's job outcomes and counts them in its metrics."""

    def __init__(
        self, *, session_factory: sessionmaker[Session], worker_id: str, metrics: WorkerMetrics
    ) -> None:
        self.session_factory = session_factory
        self.worker_id = worker_id
        self.metrics = metrics
        self.delays: tuple[float, ...] = RECORD_DELAYS

    def _record(self, what: str, job_id: object, write: Callable[[Session], T]) -> T:
        delays = iter(self.delays)
        while True:
            try:
                with transaction(self.session_factory) as session:
                    return write(session)
            except service.LeaseLost:
                raise
            except Exception:
                delay = next(delays, None)
                if delay is None:
                    raise
                log.warning(
                    f"recording {what} failed; trying again",
                    exc_info=True,
                    extra={"job_id": str(job_id), "retry_in": delay},
                )
                time.sleep(delay)

    def complete(self, job: Job, result: dict[str, Any] | None, elapsed: Elapsed) -> None:
        def write(session: Session) -> Job:
            return service.complete(
                session=session, job_id=job.id, worker_id=self.worker_id, result=result
            )

        try:
            self._record("the success", job.id, write)
        except service.LeaseLost:
            log.warning("job finished after its lease was lost", extra={"job_id": str(job.id)})
            self.metrics.record(job.kind, "lease_lost", elapsed())
            return
        log.info("job succeeded", extra={"job_id": str(job.id), "kind": job.kind})
        self.metrics.record(job.kind, "succeeded", elapsed())

    def fail(
        self, job: Job, spec: JobSpec | None, error: str, permanent: bool, elapsed: Elapsed
    ) -> None:
        def write(session: Session) -> Job:
            return service.fail(
                session=session,
                job_id=job.id,
                worker_id=self.worker_id,
                error=error,
                max_attempts=spec.attempts if spec else None,
                backoff_seconds=spec.backoff_seconds if spec else 10.0,
                backoff_max_seconds=spec.backoff_max_seconds if spec else 3600.0,
                permanent=permanent,
            )

        try:
            failed = self._record("the failure", job.id, write)
        except service.LeaseLost:
            log.warning("job failed after its lease was lost", extra={"job_id": str(job.id)})
            self.metrics.record(job.kind, "lease_lost", elapsed())
            return
        dead = failed.state == JobState.DEAD
        self.metrics.record(job.kind, "dead" if dead else "failed", elapsed())
        log.warning(
            "job failed",
            extra={"job_id": str(job.id), "kind": job.kind, "state": failed.state.value},
        )
        if dead and spec is not None and spec.on_dead is not None:
            self._on_dead(spec, failed)

    def _on_dead(self, spec: JobSpec, job: Job) -> None:
        assert spec.on_dead is not None
        try:
            with transaction(self.session_factory) as session:
                spec.on_dead(session, service.get_job(session=session, job_id=job.id))
        except Exception:
            log.exception("failure handler raised", extra={"job_id": str(job.id)})

    def release(self, job: Job, elapsed: Elapsed) -> None:
        """Hand the job back untouched (a shutdown, not a failure)."""

        def write(session: Session) -> bool:
            return service.release(session=session, job_id=job.id, worker_id=self.worker_id)

        self._record("the hand-back", job.id, write)
        log.info("job handed back", extra={"job_id": str(job.id)})
        self.metrics.record(job.kind, "handed_back", elapsed())
