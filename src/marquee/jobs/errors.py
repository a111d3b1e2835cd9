"""The problems the job queue answers with."""

from __future__ import annotations

from marquee.errors import Conflict, NotFound


class JobNotFound(NotFound):
    """A job id the queue does not hold."""

    code, title = "job_not_found", "Job not found"


class JobKeyTaken(Conflict):
    """An idempotency key that already names a job of another kind."""

    code, title = "job_key_taken", "Job key taken"


class JobNotRetryable(Conflict):
    """A retry asked of a job that has not failed (queued, running or done)."""

    code, title = "job_not_retryable", "Job not retryable"


class LeaseLost(Conflict):
    """A worker reporting on a job whose lease expired and passed to another worker."""

    code, title = "job_lease_lost", "Job lease lost"
