"""A job kind that exists only for tests: a worker publishes a title, as ingest's last step does.

Workers load it via MARQUEE_JOB_MODULES; the publishing commit is the worker's own, so the
title reaches search only through the outbox that its runtime's sessions carry.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from marquee.catalog import service as catalog
from marquee.catalog.state import TitleEvent
from marquee.db import transaction
from marquee.jobs.registry import JobContext, JobSpec

PUBLISH_TITLE = "test_publish_title"


def publish_title(ctx: JobContext) -> dict[str, Any]:
    title_id = uuid.UUID(str(ctx.payload["title_id"]))
    with transaction(ctx.session_factory) as session:
        catalog.apply_event(session=session, title_id=title_id, event=TitleEvent.PUBLISH)
    # After the commit: from here on the title is published, and search must follow.
    return {"published_at": time.time()}


JOBS = [JobSpec(kind=PUBLISH_TITLE, handler=publish_title, attempts=1, timeout_seconds=60)]
