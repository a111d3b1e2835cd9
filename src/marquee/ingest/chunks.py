"""An ingest job's finished chunks, kept in the object store so a retry encodes only the rest.

A chunk is stored first, then a small record of its size and SHA-256: a chunk without its
record, or whose bytes do not match it, was never finished and is encoded again. Any
worker may take the job over, so the chunks live in the shared store, not on one disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from pathlib import Path

from marquee.media.chunks import Chunk
from marquee.storage import keys
from marquee.storage.base import ObjectStore, read_all
from marquee.storage.errors import ObjectNotFound

log = logging.getLogger("marquee.ingest")
RECORD_SUFFIX = ".json"


def _digest(path: Path) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


class StoredChunks:
    """The `ChunkCache` of one ingest job; counts the chunks it restored and those encoded."""

    def __init__(self, store: ObjectStore, job_id: uuid.UUID) -> None:
        self.store, self.job_id = store, job_id
        self.reused = 0
        self.encoded = 0

    def has(self, plan: str, chunk: Chunk) -> bool:
        """Whether a finished chunk is kept (its record is written after its bytes)."""
        key = keys.ingest_chunk(self.job_id, plan, chunk.name) + RECORD_SUFFIX
        try:
            self.store.stat(key)
        except ObjectNotFound:
            return False
        return True

    def restore(self, plan: str, chunk: Chunk, into: Path) -> bool:
        key = keys.ingest_chunk(self.job_id, plan, chunk.name)
        try:
            record = json.loads(read_all(self.store, key + RECORD_SUFFIX))
        except ObjectNotFound:
            return False
        partial = into.with_name(f"restoring-{into.name}")
        with partial.open("wb") as out:
            for block in self.store.open(key):
                out.write(block)
        if _digest(partial) != (record.get("size"), record.get("sha256")):
            log.warning("a kept chunk does not match its record", extra={"key": key})
            partial.unlink(missing_ok=True)
            return False
        partial.rename(into)
        self.reused += 1
        return True

    def keep(self, plan: str, chunk: Chunk, path: Path) -> None:
        self.encoded += 1
        key = keys.ingest_chunk(self.job_id, plan, chunk.name)
        size, sha = _digest(path)
        try:
            with path.open("rb") as body:
                self.store.put(key, body)
            record = json.dumps({"size": size, "sha256": sha}).encode()
            self.store.put(key + RECORD_SUFFIX, [record])
        except Exception:
            # Keeping is an economy for a later attempt; this attempt has its chunk on disk.
            log.warning("could not keep a finished chunk", exc_info=True, extra={"key": key})

    def counts(self) -> dict[str, int]:
        return {"encoded": self.encoded, "reused": self.reused}

    def discard(self) -> None:
        """Once the job has published, its chunks are of no further use."""
        try:
            self.store.delete(keys.ingest_job_prefix(self.job_id))
        except Exception:
            # The version is published; leftovers cost space, not correctness.
            log.warning("could not remove the job's chunks", exc_info=True)
