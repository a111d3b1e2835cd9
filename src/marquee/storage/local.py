"""The default object store: a folder on local disk, written atomically (temp file, fsync, rename)."""

from __future__ import annotations

import builtins
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from marquee.storage.base import CHUNK_SIZE, ByteRange, ObjectStat, PartInfo, Source, iter_chunks
from marquee.storage.errors import InvalidPart, ObjectNotFound
from marquee.storage.keys import safe_key, safe_prefix
from marquee.storage.local_parts import PartSet, fsync_dir

_HANDLE_CHARS = set("0123456789abcdef")


def _read_range(path: Path, first: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(first)
        while length > 0:
            chunk = handle.read(min(CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


class LocalStore:
    """Objects as files under `root`; `.tmp` and `.parts` hold work in progress."""

    min_part_size = 1

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / ".tmp"
        self._parts = root / ".parts"

    def _path(self, key: str) -> Path:
        return self.root / safe_key(key)

    def path_for(self, key: str) -> Path:
        """The file holding `key`, for servers that send files themselves (sendfile)."""
        return self._path(key)

    def _write_atomically(self, target: Path, source: Source) -> int:
        self._tmp.mkdir(parents=True, exist_ok=True)
        temp = self._tmp / uuid.uuid4().hex
        size = 0
        try:
            with temp.open("wb") as out:
                for chunk in iter_chunks(source):
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        fsync_dir(target.parent)
        return size

    def put(self, key: str, source: Source) -> int:
        return self._write_atomically(self._path(key), source)

    def link(self, source: str, key: str) -> None:
        """Make `key` name the same file as `source` (a hard link: no bytes copied), replacing
        whatever `key` held, atomically."""
        target = self._path(key)
        self._tmp.mkdir(parents=True, exist_ok=True)
        temp = self._tmp / uuid.uuid4().hex
        try:
            os.link(self._path(source), temp)
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"No object is stored at {source!r}.") from exc
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        info = self.stat(key)
        first, last = (0, info.size - 1) if byte_range is None else byte_range.resolve(info.size)
        return _read_range(self._path(key), first, last - first + 1)

    def stat(self, key: str) -> ObjectStat:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"No object is stored at {key!r}.") from exc
        if not path.is_file():
            raise ObjectNotFound(f"No object is stored at {key!r}.")
        return ObjectStat(
            key=key,
            size=st.st_size,
            # nginx's own form (mtime seconds, size), so a file an edge sends itself from this
            # folder carries the same ETag as the one the origin sent.
            etag=f"{int(st.st_mtime):x}-{st.st_size:x}",
            modified_at=datetime.fromtimestamp(st.st_mtime, UTC),
        )

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def url(self, key: str, *, expires_in: int = 3600) -> str:
        return self._path(key).resolve().as_uri()

    def list(self, prefix: str) -> Iterator[str]:
        safe_prefix(prefix)
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return iter(())
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            # The store's own work folders never show up as objects.
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix) and not name.startswith("."):
                    keys.append(key)
        return iter(sorted(keys))

    def delete(self, prefix: str) -> int:
        count = 0
        for key in list(self.list(prefix)):
            path = self._path(key)
            path.unlink(missing_ok=True)
            count += 1
            self._prune(path.parent)
        return count

    def _prune(self, directory: Path) -> None:
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    # Multipart: see `local_parts`. `compose` renames or concatenates into place, so the
    # object appears whole or not at all.

    def _part_set(self, key: str, handle: str) -> PartSet:
        safe_key(key)
        if not handle or set(handle) - _HANDLE_CHARS or len(handle) != 32:
            raise InvalidPart(f"{handle!r} is not a multipart upload handle.")
        directory = self._parts / handle
        marker = directory / "key"
        if not marker.is_file() or marker.read_text() != key:
            raise InvalidPart(f"No multipart upload {handle} is open for {key!r}.")
        return PartSet(directory)

    def start_parts(self, key: str) -> str:
        safe_key(key)
        handle = uuid.uuid4().hex
        directory = self._parts / handle
        directory.mkdir(parents=True)
        (directory / "key").write_text(key)
        return handle

    def put_part(self, key: str, handle: str, number: int, source: Source) -> PartInfo:
        if number < 1:
            raise InvalidPart("Part numbers start at 1.")
        parts = self._part_set(key, handle)
        if parts.is_next(number):
            return parts.append(number, source)
        target = parts.loose_target(number)
        size = self._write_atomically(target, source)
        return PartInfo(number=number, size=size, etag=f"{size:x}-{target.stat().st_mtime_ns:x}")

    def list_parts(self, key: str, handle: str) -> builtins.list[PartInfo]:
        return self._part_set(key, handle).parts()

    def compose(self, key: str, handle: str, parts: builtins.list[PartInfo]) -> int:
        part_set = self._part_set(key, handle)
        stored = {part.number: part for part in part_set.parts()}
        for part in parts:
            if stored.get(part.number) != part:
                raise InvalidPart(f"Part {part.number} is missing or has changed.")
        target = self._path(key)
        if parts and part_set.whole_data(parts):
            size = part_set.seal()
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part_set.data, target)
            fsync_dir(target.parent)
        else:
            size = self._write_atomically(target, part_set.chunks(parts))
        shutil.rmtree(part_set.directory, ignore_errors=True)
        return size

    def abort_parts(self, key: str, handle: str) -> None:
        shutil.rmtree(self._part_set(key, handle).directory, ignore_errors=True)
