"""Search job handlers: apply the re-indexing that catalogue changes queued (the outbox).

Who writes the index: the worker, always. With the embedded engine the index is files in
the var directory that one process at a time may write, and the API processes only read
them (their searchers reload when the files change); with PostgreSQL the index is a table
that any process could write, and the worker applies the jobs there too, so both backends
behave alike. See docs/search.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from marquee.db import transaction
from marquee.jobs.registry import JobContext, JobKind, JobSpec
from marquee.search import service


class ReindexPayload(BaseModel):
    """The titles a transaction touched, directly or through their people and genres."""

    titles: list[uuid.UUID] = []
    people: list[uuid.UUID] = []
    genres: list[uuid.UUID] = []
    # Rebuild the whole index from the catalogue instead.
    everything: bool = False


def run_reindex(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.payload_as(ReindexPayload)
    index = ctx.runtime.index
    with transaction(ctx.session_factory) as session:
        if payload.everything:
            return {"indexed": service.reindex_all(session=session, index=index)}
        ids = set(payload.titles)
        ids |= service.titles_of_people(session=session, person_ids=payload.people)
        ids |= service.titles_of_genres(session=session, genre_ids=payload.genres)
        indexed = service.reindex_titles(session=session, index=index, title_ids=ids)
    return {"indexed": indexed, "titles": len(ids)}


JOBS = [
    JobSpec(
        kind=JobKind.SEARCH_REINDEX,
        handler=run_reindex,
        attempts=10,
        timeout_seconds=1800.0,
        backoff_seconds=1.0,
        backoff_max_seconds=60.0,
        payload=ReindexPayload,
    )
]
