"""Admin HTTP routes to watch the job queue: list with filters, and one job's progress."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from marquee.accounts.errors import EditorRequired
from marquee.deps import DbSession, require_editor
from marquee.errors import problem_responses
from marquee.jobs import service
from marquee.jobs.errors import JobNotFound, JobNotRetryable
from marquee.jobs.models import JobState
from marquee.jobs.schemas import JobRead
from marquee.pagination import Page, PageParams, make_page, page_params

admin = APIRouter(
    prefix="/admin/jobs",
    tags=["admin-jobs"],
    dependencies=[Depends(require_editor)],
    responses=problem_responses(EditorRequired),
)
routers = [admin]


@admin.get("", response_model=Page[JobRead])
def list_jobs(
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    state: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
    kind: Annotated[str | None, Query(max_length=64, description="Only jobs of this kind.")] = None,
) -> Page[JobRead]:
    jobs, total = service.list_jobs(
        session=session, state=state, kind=kind, offset=params.offset, limit=params.limit
    )
    return make_page([JobRead.model_validate(job) for job in jobs], total=total, params=params)


@admin.get("/{job_id}", response_model=JobRead, responses=problem_responses(JobNotFound))
def get_job(job_id: uuid.UUID, session: DbSession) -> JobRead:
    return JobRead.model_validate(service.get_job(session=session, job_id=job_id))


@admin.post(
    "/{job_id}/retry",
    response_model=JobRead,
    responses=problem_responses(JobNotFound, JobNotRetryable),
)
def retry_job(job_id: uuid.UUID, session: DbSession) -> JobRead:
    """Run a failed or dead job again, with a fresh set of attempts; its last error stays."""
    return JobRead.model_validate(service.retry(session=session, job_id=job_id))
