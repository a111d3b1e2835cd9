"""An ingest's chunks as jobs: any worker may encode any chunk, the ingest job stitches.

When a master is long enough to be cut into chunks, the ingest job writes the chunk plan
(`media/chunks.ChunkPlan`: ladder, encoder settings, chunk ranges) to the object store and
queues one `encode_chunk` job per chunk not kept yet. Then it works through the chunks in
order itself: a chunk another worker has finished is restored from the store; a chunk
still queued is claimed and encoded here; a chunk another worker holds is waited for.
Workers that take a chunk job fetch the master and the plan from the store and keep the
chunk there (`ingest/chunks.StoredChunks`, the same place a retried ingest resumes from).

A worker killed mid-chunk costs that chunk: its lease lapses and the chunk job is claimed
again, by the ingest job itself if no other worker does. A chunk that fails for good fails
the ingest with its reason. Chunks the ingest itself holds have their lease renewed while
FFmpeg runs, so a chunk is never taken over while it is being encoded.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction
from marquee.ingest import workdirs
from marquee.ingest.chunks import StoredChunks
from marquee.jobs import service as jobs
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import (
    JobContext,
    JobInterrupted,
    JobKind,
    JobSpec,
    PermanentJobError,
)
from marquee.media.chunks import Chunk, ChunkPlan, encode_planned
from marquee.media.errors import TranscodeFailed
from marquee.storage import keys
from marquee.storage.base import ObjectStore, download, read_all
from marquee.storage.errors import ObjectNotFound

# Beside the chunks, without their records' ".json": it is not a finished chunk.
PLAN_NAME = "chunk-plan"
PLAN: TypeAdapter[ChunkPlan] = TypeAdapter(ChunkPlan)
CHUNK_ATTEMPTS = 3


class ChunkPayload(BaseModel):
    ingest_job_id: uuid.UUID
    upload_id: uuid.UUID
    plan: str  # the plan's digest: where its chunks are kept
    index: int


def chunk_key(ingest_job_id: uuid.UUID, plan: str, chunk: Chunk) -> str:
    return f"chunk:{ingest_job_id}:{plan}:{chunk.index}"


def plan_key(ingest_job_id: uuid.UUID, plan: str) -> str:
    return keys.ingest_chunk(ingest_job_id, plan, PLAN_NAME)


def read_plan(store: ObjectStore, ingest_job_id: uuid.UUID, plan: str) -> ChunkPlan:
    return PLAN.validate_json(read_all(store, plan_key(ingest_job_id, plan)))


def claim_chunk(
    session_factory: sessionmaker[Session], job_key: str, owner: str, lease_seconds: float
) -> uuid.UUID | None:
    """The chunk job named `job_key` for `owner`, if it is queued, waiting or lapsed."""
    with transaction(session_factory) as session:
        return jobs.claim_key(
            session=session, key=job_key, worker_id=owner, lease_seconds=lease_seconds
        )


@contextlib.contextmanager
def _renewed(
    session_factory: sessionmaker[Session], job_id: uuid.UUID, owner: str, lease: float
) -> Iterator[None]:
    """Renew the lease of a chunk this job encodes, every third of it, until the block ends."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease / 3):
            # A missed renewal is tried again next round.
            with contextlib.suppress(Exception), transaction(session_factory) as session:
                jobs.heartbeat(session=session, job_id=job_id, worker_id=owner, lease_seconds=lease)

    thread = threading.Thread(target=renew, name=f"chunk-lease-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class JobRunner:
    """The `ChunkRunner` of an ingest job: chunks as jobs, encoded here or by other workers."""

    def __init__(self, ctx: JobContext, cache: StoredChunks, upload_id: uuid.UUID) -> None:
        self.ctx, self.cache, self.upload_id = ctx, cache, upload_id
        # The lease owner of the chunks this ingest job encodes itself.
        self.owner = f"ingest:{ctx.job_id}"
        self.elsewhere = 0  # chunks other workers encoded during this attempt
        self._kept_before: set[int] = set()  # chunks earlier attempts left in the store

    def run(
        self, plan: ChunkPlan, encode: Callable[[Chunk], Path], done: Callable[[int], None]
    ) -> None:
        digest = self._share(plan)
        finished: set[int] = set()
        while True:
            for chunk in plan.chunks:
                if chunk.index in finished:
                    continue
                if self._take(digest, chunk, encode):
                    finished.add(chunk.index)
                    done(len(finished))
            if len(finished) == len(plan.chunks):
                return
            self._check_failed(digest, plan, finished)
            if self.ctx.stopping.wait(self.ctx.settings.job_poll_seconds):
                raise JobInterrupted("the worker is stopping")

    def _share(self, plan: ChunkPlan) -> str:
        """Store the plan and queue a job for each chunk not kept yet; a chunk job a
        previous attempt left dead gets fresh attempts."""
        digest = plan.digest
        self.ctx.store.put(plan_key(self.ctx.job_id, digest), [PLAN.dump_json(plan)])
        with transaction(self.ctx.session_factory) as session:
            for chunk in plan.chunks:
                if self.cache.has(digest, chunk):
                    self._kept_before.add(chunk.index)
                    continue
                payload = ChunkPayload(
                    ingest_job_id=self.ctx.job_id,
                    upload_id=self.upload_id,
                    plan=digest,
                    index=chunk.index,
                )
                job = jobs.enqueue(
                    session=session,
                    kind=JobKind.ENCODE_CHUNK,
                    payload=payload.model_dump(mode="json"),
                    key=chunk_key(self.ctx.job_id, digest, chunk),
                    max_attempts=CHUNK_ATTEMPTS,
                )
                if job.state is JobState.DEAD:
                    jobs.retry(session=session, job_id=job.id)
        return digest

    def _take(self, digest: str, chunk: Chunk, encode: Callable[[Chunk], Path]) -> bool:
        """True once the chunk is here: restored from the store, or claimed and encoded."""
        if self.cache.has(digest, chunk):
            encode(chunk)  # restores it
            self.elsewhere += chunk.index not in self._kept_before
            return True
        # The worker's own lease, renewed while FFmpeg runs: a killed worker's chunk lapses soon.
        lease = self.ctx.settings.job_lease_seconds
        job_key = chunk_key(self.ctx.job_id, digest, chunk)
        job_id = claim_chunk(self.ctx.session_factory, job_key, self.owner, lease)
        if job_id is None:
            if self._done_but_not_kept(job_key, digest, chunk):
                encode(chunk)  # the other worker could not store it: encode it here
                return True
            return False  # another worker holds it
        try:
            with _renewed(self.ctx.session_factory, job_id, self.owner, lease):
                encode(chunk)
        except BaseException as exc:
            self._give_back(job_id, exc)
            raise
        with transaction(self.ctx.session_factory) as session:
            jobs.complete(session=session, job_id=job_id, worker_id=self.owner)
        return True

    def _done_but_not_kept(self, job_key: str, digest: str, chunk: Chunk) -> bool:
        with transaction(self.ctx.session_factory) as session:
            job = jobs.find_by_keys(session=session, keys=[job_key]).get(job_key)
            finished = job is not None and job.state is JobState.SUCCEEDED
        return finished and not self.cache.has(digest, chunk)

    def _give_back(self, job_id: uuid.UUID, exc: BaseException) -> None:
        """A chunk this job could not finish: back to the queue when it was stopped, dead
        (with FFmpeg's reason) when the media failed."""
        with contextlib.suppress(Exception), transaction(self.ctx.session_factory) as session:
            if self.ctx.should_stop() or not isinstance(exc, TranscodeFailed):
                jobs.release(session=session, job_id=job_id, worker_id=self.owner)
            else:
                jobs.fail(
                    session=session,
                    job_id=job_id,
                    worker_id=self.owner,
                    error=exc.detail,
                    permanent=True,
                )

    def _check_failed(self, digest: str, plan: ChunkPlan, finished: set[int]) -> None:
        """A chunk whose job went dead fails the ingest with that chunk's reason."""
        waiting = {
            chunk_key(self.ctx.job_id, digest, c): c for c in plan.chunks if c.index not in finished
        }
        with transaction(self.ctx.session_factory) as session:
            found = jobs.find_by_keys(session=session, keys=list(waiting))
        for job_key, job in found.items():
            if job.state is JobState.DEAD:
                reason = job.last_error or "it stopped without a reason"
                chunk = waiting[job_key]
                raise TranscodeFailed(f"Chunk {chunk.index} could not be encoded: {reason}")


def _ingest_finished(ctx: JobContext, ingest_job_id: uuid.UUID) -> bool:
    """The ingest the chunk belongs to has published or given up: the chunk is not needed."""
    with transaction(ctx.session_factory) as session:
        job = session.get(Job, ingest_job_id)
        return job is None or job.state in (JobState.SUCCEEDED, JobState.DEAD)


def run_encode_chunk(ctx: JobContext) -> dict[str, Any]:
    """Encode one chunk of an ingest's plan from the master in the store, and keep it there."""
    payload = ctx.payload_as(ChunkPayload)
    if _ingest_finished(ctx, payload.ingest_job_id):
        return {"chunk": payload.index, "skipped": "the ingest has finished"}
    try:
        plan = read_plan(ctx.store, payload.ingest_job_id, payload.plan)
        chunk = plan.chunks[payload.index]
    except (ObjectNotFound, IndexError, ValueError) as exc:
        raise PermanentJobError(f"The chunk plan {payload.plan} is not stored whole.") from exc
    cache = StoredChunks(ctx.store, payload.ingest_job_id)
    if cache.has(payload.plan, chunk):
        return {"chunk": chunk.index, "reused": True}
    with workdirs.work_dir(ctx.settings, ctx.job_id, ctx.attempt) as work:
        try:
            source = download(ctx.store, keys.upload(payload.upload_id), work / "source")
        except ObjectNotFound as exc:
            raise PermanentJobError(f"The master {payload.upload_id} is no longer stored.") from exc
        try:
            encode_planned(source, plan, chunk, work / "chunks", cache)
        except TranscodeFailed as exc:
            if ctx.should_stop():
                raise JobInterrupted("the worker is stopping") from exc
            raise PermanentJobError(exc.detail) from exc
    if not cache.has(payload.plan, chunk):
        # Kept is the point of a chunk job: the ingest reads it from the store. Try again.
        raise RuntimeError(f"Chunk {chunk.index} was encoded but could not be stored.")
    return {"chunk": chunk.index, "encoded": True}


JOBS = [
    JobSpec(
        kind=JobKind.ENCODE_CHUNK,
        handler=run_encode_chunk,
        attempts=CHUNK_ATTEMPTS,
        timeout_seconds=3600.0,
        backoff_seconds=10.0,
        payload=ChunkPayload,
    )
]
