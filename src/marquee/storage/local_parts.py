"""Multipart uploads on local disk: parts that arrive in order are appended to one file.

An upload's parts nearly always arrive 1, 2, 3, ...; appending them to a single `data`
file means `compose` is a rename rather than a copy of every byte. A part that arrives
out of order, or rewrites one already appended, is kept as its own file and wins over
the appended copy; `compose` then concatenates, as any store would.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from marquee.storage.base import CHUNK_SIZE, PartInfo, Source, iter_chunks


def fsync_dir(path: Path) -> None:
    # A rename is durable only once the directory entry itself reaches the disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(path: Path, first: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(first)
        while length > 0:
            chunk = handle.read(min(CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


class PartSet:
    """The parts of one multipart upload, kept in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self._index_path = directory / "index.json"

    def _loose_path(self, number: int) -> Path:
        return self.directory / f"{number:05d}.part"

    def appended(self) -> list[PartInfo]:
        """Parts in `data`, in order; bytes past their total are a crashed append's leftovers."""
        try:
            return [PartInfo(**item) for item in json.loads(self._index_path.read_text())]
        except FileNotFoundError:
            return []

    def _save_index(self, parts: list[PartInfo]) -> None:
        temp = self.directory / "index.json.tmp"
        with temp.open("w") as out:
            json.dump([vars(part) for part in parts], out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self._index_path)
        fsync_dir(self.directory)

    def _loose(self) -> dict[int, PartInfo]:
        loose = {}
        for path in self.directory.glob("*.part"):
            st = path.stat()
            etag = f"{st.st_size:x}-{st.st_mtime_ns:x}"
            loose[int(path.stem)] = PartInfo(number=int(path.stem), size=st.st_size, etag=etag)
        return loose

    def parts(self) -> list[PartInfo]:
        merged = {part.number: part for part in self.appended()}
        merged.update(self._loose())
        return sorted(merged.values(), key=lambda part: part.number)

    def append(self, number: int, source: Source) -> PartInfo:
        index = self.appended()
        end = sum(part.size for part in index)
        size = 0
        with self.data.open("r+b" if self.data.exists() else "w+b") as out:
            out.truncate(end)
            out.seek(end)
            for chunk in iter_chunks(source):
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        part = PartInfo(number=number, size=size, etag=uuid.uuid4().hex)
        self._save_index([*index, part])
        # This copy is newer than any loose file holding the same number.
        self._loose_path(number).unlink(missing_ok=True)
        return part

    def is_next(self, number: int) -> bool:
        return number == len(self.appended()) + 1

    def loose_target(self, number: int) -> Path:
        return self._loose_path(number)

    def whole_data(self, parts: list[PartInfo]) -> bool:
        """True when `parts` are exactly what `data` holds, so it can simply be renamed."""
        loose = self._loose()
        return parts == self.appended() and not any(part.number in loose for part in parts)

    def seal(self) -> int:
        """Cut `data` to its recorded parts (dropping a crashed append's bytes); its size."""
        size = sum(part.size for part in self.appended())
        with self.data.open("r+b") as out:
            out.truncate(size)
            out.flush()
            os.fsync(out.fileno())
        return size

    def chunks(self, parts: list[PartInfo]) -> Iterator[bytes]:
        offsets, position = {}, 0
        for part in self.appended():
            offsets[part.number] = position
            position += part.size
        loose = self._loose()
        for part in parts:
            if part.number in loose:
                yield from _read(self._loose_path(part.number), 0, part.size)
            else:
                yield from _read(self.data, offsets[part.number], part.size)
