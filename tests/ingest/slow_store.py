"""An ingest job kind whose package upload is slow, so that a signal lands mid-upload.

Loaded by real `marquee worker` processes through MARQUEE_JOB_MODULES. The handler is the
real ingest handler on the worker's real store; only each stored file takes a moment more,
as it would over a slow link to S3.
"""

from __future__ import annotations

import time
from typing import Any

from marquee.ingest import tasks
from marquee.jobs.registry import JobContext, JobSpec
from marquee.storage.base import Source

SLOW_UPLOAD = "test.ingest_slow_upload"
SECONDS_PER_FILE = 0.25


def ingest_slow_upload(ctx: JobContext) -> dict[str, Any]:
    store = ctx.store
    put = store.put

    def slow_put(key: str, source: Source) -> int:
        if key.startswith("versions/"):
            time.sleep(SECONDS_PER_FILE)
        return put(key, source)

    store.put = slow_put  # type: ignore[method-assign]
    return tasks.run_ingest(ctx)


JOBS = [JobSpec(kind=SLOW_UPLOAD, handler=ingest_slow_upload, attempts=3, timeout_seconds=600)]
