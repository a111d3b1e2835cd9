"""Job handlers for recommendations: retrain the serving tables from the event log."""

from __future__ import annotations

from typing import Any

from marquee.db import refresh_statistics, transaction
from marquee.jobs.registry import JobContext, JobKind, JobSpec
from marquee.recommend import train_db

RETRAIN_EVERY_SECONDS = 3600


def retrain(ctx: JobContext) -> dict[str, Any]:
    ctx.progress("train", 0.0)
    with transaction(ctx.session_factory) as session:
        summary = train_db.train(session=session)
        refresh_statistics(session)
    ctx.progress("train", 100.0)
    # No summary: no history, or too little to replace the model serving now (kept as it is).
    return summary.__dict__ if summary else {"skipped": "history empty or too small"}


JOBS = [JobSpec(kind=JobKind.RECS_TRAIN, handler=retrain, attempts=3, timeout_seconds=1800.0)]
PERIODIC = [(JobKind.RECS_TRAIN, RETRAIN_EVERY_SECONDS)]
