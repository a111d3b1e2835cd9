"""Admin HTTP routes to watch the job queue: list with filters, and one job's progress."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from marquee.accounts.errors import EditorRequired
from marquee.deps import EditorWork, model_response
from marquee.errors import problem_responses
from marquee.jobs import service
from marquee.jobs.errors import JobNotFound, JobNotRetryable
from marquee.jobs.models import JobState
from marquee.jobs.schemas import JobRead
from marquee.pagination import Page, PageParams, make_page, page_params

# The role is checked in each route's unit of work (`EditorWork`); the router declares the
# refusal for the OpenAPI document.
admin = APIRouter(
    prefix="/admin/jobs", tags=["admin-jobs"], responses=problem_responses(EditorRequired)
)
routers = [admin]


@admin.get("", response_model=Page[JobRead])
def list_jobs(
    work: EditorWork,
    params: Annotated[PageParams, Depends(page_params)],
    state: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
    kind: Annotated[str | None, Query(max_length=64, description="Only jobs of this kind.")] = None,
) -> Response:
    with work.begin() as (session, _):
        jobs, total = service.list_jobs(
            session=session, state=state, kind=kind, offset=params.offset, limit=params.limit
        )
        rows = [JobRead.model_validate(job) for job in jobs]
    return model_response(make_page(rows, total=total, params=params))


@admin.get("/{job_id}", response_model=JobRead, responses=problem_responses(JobNotFound))
def get_job(job_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        read = JobRead.model_validate(service.get_job(session=session, job_id=job_id))
    return model_response(read)


@admin.post(
    "/{job_id}/retry",
    response_model=JobRead,
    responses=problem_responses(JobNotFound, JobNotRetryable),
)
def retry_job(job_id: uuid.UUID, work: EditorWork) -> Response:
    """Run a failed or dead job again, with a fresh set of attempts; its last error stays."""
    with work.begin() as (session, _):
        read = JobRead.model_validate(service.retry(session=session, job_id=job_id))
    return model_response(read)
