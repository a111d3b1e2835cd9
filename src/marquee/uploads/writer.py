"""Turns the bytes of one tus PATCH into stored parts, a small tail, or the finished object.

Bytes are buffered only up to one part; each full part goes to the object store's
multipart upload, and what is left when the request ends is saved as a tail object.
Nothing here touches the database: the caller records the outcome (and so acknowledges
the bytes) only after every byte it counts is durably stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from marquee.storage import keys
from marquee.storage.base import ObjectStore, PartInfo, read_all
from marquee.storage.errors import InvalidPart
from marquee.uploads.errors import ChecksumMismatch, UploadTooLarge


@dataclass
class Outcome:
    offset: int
    complete: bool
    part_handle: str | None
    parts: list[dict[str, Any]] = field(default_factory=list)
    tail_key: str | None = None


class ChunkWriter:
    def __init__(
        self,
        *,
        store: ObjectStore,
        upload_id: uuid.UUID,
        offset: int,
        length: int,
        part_handle: str | None,
        parts: list[dict[str, Any]],
        tail_key: str | None,
        part_size: int,
        checksum: tuple[str, bytes] | None = None,
    ) -> None:
        self.store = store
        self.upload_id = upload_id
        self.key = keys.upload(upload_id)
        self.base_offset = offset
        self.length = length
        self.handle = part_handle
        self.created_handle = False
        self.parts = [PartInfo(**part) for part in parts]
        self.old_tail = tail_key
        self.part_size = max(part_size, store.min_part_size)
        self.checksum = checksum
        self.hasher = hashlib.new(checksum[0]) if checksum else None
        self.buffer = bytearray()
        self.received = 0

    def load_tail(self) -> None:
        """Bring back the bytes the last PATCH left over: they begin the next part."""
        if self.old_tail:
            self.buffer += read_all(self.store, self.old_tail)

    def feed(self, chunk: bytes) -> bool:
        """Buffer a chunk from the request; True when a full part is ready to flush."""
        if self.base_offset + self.received + len(chunk) > self.length:
            raise UploadTooLarge("The request carries more bytes than the upload's length.")
        self.buffer += chunk
        self.received += len(chunk)
        if self.hasher is not None:
            self.hasher.update(chunk)
        return len(self.buffer) >= self.part_size

    def has_full_part(self) -> bool:
        return len(self.buffer) >= self.part_size

    def take_part(self) -> bytes:
        """Detach the next full part from the buffer, to store while more bytes arrive."""
        body = bytes(memoryview(self.buffer)[: self.part_size])
        del self.buffer[: self.part_size]
        return body

    def store_part(self, body: bytes) -> None:
        """Store one taken part; parts must be stored one at a time, in the order taken."""
        self._put_part(body)

    def verify(self) -> None:
        if self.checksum and self.hasher and self.hasher.digest() != self.checksum[1]:
            raise ChecksumMismatch("The chunk does not match its Upload-Checksum.")

    def finish(self) -> Outcome:
        """Store what is buffered: as the final part when the upload is whole, else as a tail."""
        offset = self.base_offset + self.received
        complete = offset == self.length
        if complete:
            self._complete()
            tail = None
        elif self.received == 0:
            tail = self.old_tail
        elif self.buffer:
            tail = keys.upload_tail(self.upload_id, offset)
            self.store.put(tail, [bytes(self.buffer)])
        else:
            tail = None
        return Outcome(
            offset=offset,
            complete=complete,
            part_handle=None if complete else self.handle,
            parts=[] if complete else [asdict(part) for part in self.parts],
            tail_key=tail,
        )

    def discard(self) -> None:
        """Undo store work nobody will record (a rejected chunk); recorded data stays."""
        if self.created_handle and self.handle is not None:
            with contextlib.suppress(InvalidPart):
                self.store.abort_parts(self.key, self.handle)

    def _complete(self) -> None:
        if not self.parts:
            self.store.put(self.key, [bytes(self.buffer)])
            if self.handle is not None:
                self.store.abort_parts(self.key, self.handle)
            return
        if self.buffer:
            self._put_part(bytes(self.buffer))
        assert self.handle is not None
        self.store.compose(self.key, self.handle, self.parts)

    def _put_part(self, body: bytes) -> None:
        if self.handle is None:
            self.handle = self.store.start_parts(self.key)
            self.created_handle = True
        number = len(self.parts) + 1
        self.parts.append(self.store.put_part(self.key, self.handle, number, [body]))
