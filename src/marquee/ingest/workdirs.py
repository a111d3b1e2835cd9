"""Scratch directories of ingest jobs under `var/work`, and the sweep of those left by dead workers.

A directory is named after the job and the attempt that made it
(`ingest-<job id>-<attempt>-<random>`). A worker killed mid-job leaves its directory
behind; once it is older than a lease and no live lease holds that job at that
attempt, nothing can still be writing to it, and the sweep removes it.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.jobs.models import Job, JobState

log = logging.getLogger("marquee.ingest")

PREFIX = "ingest-"
_NAME = re.compile(rf"^{PREFIX}(?P<job>[0-9a-f-]{{36}})-(?P<attempt>\d+)-")
# Idle workers look for leftovers this often; a crash is rare, a scan is cheap.
SWEEP_EVERY_SECONDS = 600.0


def work_root(settings: Settings) -> Path:
    return settings.var_dir / "work"


@contextmanager
def work_dir(settings: Settings, job_id: uuid.UUID, attempt: int) -> Iterator[Path]:
    """A fresh directory for one attempt of a job, removed when the attempt ends."""
    root = work_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{job_id}-{attempt}-", dir=root) as tmp:
        yield Path(tmp)


def _owner(path: Path) -> tuple[uuid.UUID, int] | None:
    match = _NAME.match(path.name)
    if match is None:
        return None
    try:
        return uuid.UUID(match["job"]), int(match["attempt"])
    except ValueError:
        return None


def _held(session: Session, owners: set[tuple[uuid.UUID, int]]) -> set[tuple[uuid.UUID, int]]:
    """The (job, attempt) pairs a live lease still holds."""
    if not owners:
        return set()
    rows = session.execute(
        select(Job.id, Job.attempts).where(
            Job.id.in_({job for job, _ in owners}),
            Job.state == JobState.RUNNING,
            Job.lease_expires_at > utcnow(),
        )
    )
    return {(row.id, row.attempts) for row in rows}


def sweep(
    settings: Settings, session_factory: sessionmaker[Session], *, now: float | None = None
) -> int:
    """Remove stale ingest work directories on this machine; returns how many went."""
    root = work_root(settings)
    if not root.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - settings.job_lease_seconds
    stale = [
        path
        for path in root.iterdir()
        if path.name.startswith(PREFIX) and path.is_dir() and path.stat().st_mtime < cutoff
    ]
    owners = {path: _owner(path) for path in stale}
    with transaction(session_factory) as session:
        held = _held(session, {owner for owner in owners.values() if owner is not None})
    removed = 0
    for path, owner in owners.items():
        if owner is not None and owner in held:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    if removed:
        log.info("swept stale work directories", extra={"count": removed, "root": str(root)})
    return removed
