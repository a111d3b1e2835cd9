"""The `ObjectStore` protocol every media backend implements, and the small types it speaks."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from marquee.storage.errors import RangeNotSatisfiable

CHUNK_SIZE = 1024 * 1024

# A body to store: a binary file object (read in chunks) or an iterable of byte chunks.
Source = BinaryIO | Iterable[bytes]


@dataclass(frozen=True)
class ByteRange:
    """Bytes `first` to `last` inclusive, as in an HTTP Range header; `last=None` means to the end."""

    first: int
    last: int | None = None

    def resolve(self, size: int) -> tuple[int, int]:
        """The concrete (first, last) inside an object of `size` bytes, or RangeNotSatisfiable."""
        last = size - 1 if self.last is None else min(self.last, size - 1)
        if self.first < 0 or self.first >= size or last < self.first:
            raise RangeNotSatisfiable(
                f"Bytes {self.first}-{self.last if self.last is not None else ''} "
                f"are outside an object of {size} bytes.",
                size=size,
            )
        return self.first, last


@dataclass(frozen=True)
class ObjectStat:
    key: str
    size: int
    etag: str
    modified_at: datetime


@dataclass(frozen=True)
class PartInfo:
    """One stored part of a multipart upload; `compose` takes these back in order."""

    number: int
    size: int
    etag: str


@runtime_checkable
class ObjectStore(Protocol):
    """Media objects addressed by relative keys (see `storage.keys`).

    Bodies stream in chunks both ways, so objects of any size use bounded memory.
    Multipart uploads let a resumable upload store its bytes as they arrive: parts
    are numbered from 1, every part but the last must hold at least
    `min_part_size` bytes, and `compose` assembles them into one object atomically.
    """

    min_part_size: int

    def put(self, key: str, source: Source) -> int:
        """Store `source` under `key`, replacing any object there; return its size."""
        ...

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        """The object's bytes (or a range of them) as chunks."""
        ...

    def stat(self, key: str) -> ObjectStat: ...

    def exists(self, key: str) -> bool: ...

    def url(self, key: str, *, expires_in: int = 3600) -> str:
        """Where a client may fetch the object directly (a file URI or a presigned URL)."""
        ...

    def list(self, prefix: str) -> Iterator[str]:
        """Keys starting with `prefix`, in lexical order."""
        ...

    def delete(self, prefix: str) -> int:
        """Remove every object whose key starts with `prefix`; return how many went."""
        ...

    def start_parts(self, key: str) -> str:
        """Begin a multipart upload to `key`; return its handle."""
        ...

    def put_part(self, key: str, handle: str, number: int, source: Source) -> PartInfo: ...

    def list_parts(self, key: str, handle: str) -> builtins.list[PartInfo]:
        """Parts stored so far, by number, so an upload can resume after a restart."""
        ...

    def compose(self, key: str, handle: str, parts: builtins.list[PartInfo]) -> int:
        """Assemble `parts` into the object at `key`; return its size."""
        ...

    def abort_parts(self, key: str, handle: str) -> None: ...


def iter_chunks(source: Source, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Chunks from a file object or an iterable of bytes, never the whole body at once."""
    read = getattr(source, "read", None)
    if read is None:
        for chunk in source:
            if chunk:
                yield bytes(chunk)
        return
    while chunk := read(chunk_size):
        yield chunk


def download(store: ObjectStore, key: str, path: Path) -> Path:
    """Write the object `key` to `path`, streamed; `path` is returned."""
    with path.open("wb") as out:
        for block in store.open(key):
            out.write(block)
    return path


def read_all(store: ObjectStore, key: str, byte_range: ByteRange | None = None) -> bytes:
    """A whole (small) object in memory: for manifests and tests, never for media."""
    return b"".join(store.open(key, byte_range))
