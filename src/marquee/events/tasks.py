"""Job handlers for the event log: fold new events into aggregates, apply retention.

Each handler is a thin shell over a function that takes the time as a parameter, so that the
periodic jobs can be run over simulated days (tests/demo/test_days.py) exactly as the worker
runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction, utcnow
from marquee.events import consume, partitions, service
from marquee.jobs.registry import JobContext, JobKind, JobSpec

AGGREGATE_EVERY_SECONDS = 60
PRUNE_EVERY_SECONDS = 24 * 3600


def catch_up(
    *,
    session_factory: sessionmaker[Session],
    now: datetime | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Fold batches until the aggregates have read the whole log; returns how many were read."""
    folded = 0
    while not should_stop():
        with transaction(session_factory) as session:
            read = consume.run_once(session=session, now=now)
        folded += read
        if read == 0:
            break
    return folded


def apply_retention(
    *, session_factory: sessionmaker[Session], retention_days: int, now: datetime
) -> dict[str, Any]:
    """Partitions for the coming days, then retention (whole partitions first)."""
    cutoff = now - timedelta(days=retention_days)
    with transaction(session_factory) as session:
        created = partitions.ensure_partitions(session=session, today=now.date())
        dropped = partitions.drop_before(session=session, cutoff=cutoff)
        removed = service.prune(session=session, older_than=cutoff)
    return {
        "created": created,
        "dropped": dropped,
        "removed": removed,
        "before": cutoff.isoformat(),
    }


def aggregate(ctx: JobContext) -> dict[str, Any]:
    return {"events": catch_up(session_factory=ctx.session_factory, should_stop=ctx.should_stop)}


def prune(ctx: JobContext) -> dict[str, Any]:
    return apply_retention(
        session_factory=ctx.session_factory,
        retention_days=ctx.settings.event_retention_days,
        now=utcnow(),
    )


JOBS = [
    JobSpec(kind=JobKind.EVENTS_AGGREGATE, handler=aggregate, attempts=3, timeout_seconds=600.0),
    JobSpec(kind=JobKind.EVENTS_PRUNE, handler=prune, attempts=3, timeout_seconds=600.0),
]
PERIODIC = [
    (JobKind.EVENTS_AGGREGATE, AGGREGATE_EVERY_SECONDS),
    (JobKind.EVENTS_PRUNE, PRUNE_EVERY_SECONDS),
]
