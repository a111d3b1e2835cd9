"""Periodic jobs: each worker, when idle, queues what is due; the job key makes it happen once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from marquee.jobs import service

Periodic = tuple[str, float]  # job kind, every N seconds


def period_key(kind: str, every: float, now: datetime) -> str:
    """The same key for every worker within one period, so only one job is queued per period."""
    return f"{kind}:every-{int(every)}s:{int(now.timestamp() // every)}"


def next_boundary(periodic: Sequence[Periodic], now: datetime) -> float:
    """When the first of these periods ends (epoch seconds): no new key is due before."""
    stamp = now.timestamp()
    return min((stamp // every + 1) * every for _, every in periodic)


def enqueue_due(*, session: Session, periodic: Sequence[Periodic], now: datetime) -> None:
    for kind, every in periodic:
        service.enqueue(session=session, kind=kind, payload={}, key=period_key(kind, every, now))
