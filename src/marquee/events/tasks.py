"""Job handlers for the event log: fold new events into aggregates, apply retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marquee.db import transaction, utcnow
from marquee.events import consume, partitions, service
from marquee.jobs.registry import JobContext, JobKind, JobSpec

AGGREGATE_EVERY_SECONDS = 60
PRUNE_EVERY_SECONDS = 24 * 3600


def aggregate(ctx: JobContext) -> dict[str, Any]:
    folded = 0
    while not ctx.should_stop():
        with transaction(ctx.session_factory) as session:
            read = consume.run_once(session=session)
        folded += read
        if read == 0:
            break
    return {"events": folded}


def prune(ctx: JobContext) -> dict[str, Any]:
    """Daily upkeep: partitions for the coming days, then retention (whole partitions first)."""
    now = utcnow()
    cutoff = now - timedelta(days=ctx.settings.event_retention_days)
    with transaction(ctx.session_factory) as session:
        created = partitions.ensure_partitions(session=session, today=now.date())
        dropped = partitions.drop_before(session=session, cutoff=cutoff)
        removed = service.prune(session=session, older_than=cutoff)
    return {
        "created": created,
        "dropped": dropped,
        "removed": removed,
        "before": cutoff.isoformat(),
    }


JOBS = [
    JobSpec(kind=JobKind.EVENTS_AGGREGATE, handler=aggregate, attempts=3, timeout_seconds=600.0),
    JobSpec(kind=JobKind.EVENTS_PRUNE, handler=prune, attempts=3, timeout_seconds=600.0),
]
PERIODIC = [
    (JobKind.EVENTS_AGGREGATE, AGGREGATE_EVERY_SECONDS),
    (JobKind.EVENTS_PRUNE, PRUNE_EVERY_SECONDS),
]
