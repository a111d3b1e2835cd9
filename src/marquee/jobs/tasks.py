"""Upkeep of the jobs table itself: finished jobs are deleted once past their retention.

Every change to the catalogue leaves a `search_reindex` job behind, and every period a
periodic job; without this the table, and each claim's scan of it, would grow for ever.
A job's key stays taken while its row exists, so a row must outlive any chance of the
same key being queued again: a periodic job's key names its period, so no finished job
is deleted before the longest period has passed, whatever the retention says.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marquee.db import transaction
from marquee.jobs import service
from marquee.jobs.registry import JobContext, JobKind, JobSpec

PRUNE_EVERY_SECONDS = 3600
# Rows per transaction: a large backlog goes in short transactions, not one long lock.
PRUNE_BATCH = 5000


def prune_jobs(ctx: JobContext) -> dict[str, Any]:
    periods = [every for _, every in ctx.runtime.registry.periodic]
    keep = max([ctx.settings.job_retention_days * 86400.0, *periods])
    cutoff = ctx.runtime.clock() - timedelta(seconds=keep)
    removed = 0
    while not ctx.should_stop():
        with transaction(ctx.session_factory) as session:
            gone = service.prune_finished(
                session=session, finished_before=cutoff, batch=PRUNE_BATCH
            )
        removed += gone
        if gone < PRUNE_BATCH:
            break
    return {"removed": removed, "before": cutoff.isoformat()}


JOBS = [JobSpec(kind=JobKind.JOBS_PRUNE, handler=prune_jobs, attempts=3, timeout_seconds=900.0)]
PERIODIC = [(JobKind.JOBS_PRUNE, PRUNE_EVERY_SECONDS)]
