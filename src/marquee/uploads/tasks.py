"""Upload job handlers: unfinished uploads past their expiry are deleted, bytes first."""

from __future__ import annotations

from typing import Any

from marquee.db import transaction
from marquee.jobs.registry import JobContext, JobKind, JobSpec
from marquee.uploads.service import expire_uploads


def _expire_job(ctx: JobContext) -> dict[str, Any]:
    with transaction(ctx.session_factory) as session:
        removed = expire_uploads(session=session, store=ctx.store)
    return {"removed": removed}


JOBS = [JobSpec(kind=JobKind.EXPIRE_UPLOADS, handler=_expire_job, attempts=3, timeout_seconds=600)]
