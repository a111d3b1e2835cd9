"""Job handlers for playback: end sessions that stopped heart-beating."""

from __future__ import annotations

from typing import Any

from marquee.db import transaction
from marquee.jobs.registry import JobContext, JobKind, JobSpec
from marquee.playback import service

# Well inside the idle limit (two minutes by default), so the streams list and the
# manifests stop counting a silent player soon after its lease lapses.
EXPIRE_EVERY_SECONDS = 60


def expire_idle(ctx: JobContext) -> dict[str, Any]:
    with transaction(ctx.session_factory) as session:
        expired = service.expire_idle_sessions(session=session, settings=ctx.settings)
    return {"expired": expired}


JOBS = [
    JobSpec(
        kind=JobKind.PLAYBACK_EXPIRE_IDLE, handler=expire_idle, attempts=3, timeout_seconds=300.0
    )
]
PERIODIC = [(JobKind.PLAYBACK_EXPIRE_IDLE, EXPIRE_EVERY_SECONDS)]
