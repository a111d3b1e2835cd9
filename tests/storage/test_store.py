"""One suite for every ObjectStore backend: streaming, ranges, listing, deletion and multipart."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from marquee.storage.base import ByteRange, ObjectStore, read_all
from marquee.storage.errors import InvalidKey, InvalidPart, ObjectNotFound, RangeNotSatisfiable
from marquee.storage.local import LocalStore

MIB = 1024 * 1024


def _blocks(total: int, block: int = MIB) -> Iterator[bytes]:
    """Deterministic, incompressible-looking bytes generated on the fly."""
    for n in range(0, total, block):
        seed = hashlib.sha256(str(n).encode()).digest()
        yield (seed * (block // len(seed) + 1))[: min(block, total - n)]


def _digest(chunks: Iterator[bytes]) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def test_put_then_read_back_from_file_or_iterable(store: ObjectStore) -> None:
    assert store.put("a/b/one.bin", io.BytesIO(b"hello world")) == 11
    assert store.put("a/b/two.bin", [b"abc", b"", b"def"]) == 6
    assert read_all(store, "a/b/one.bin") == b"hello world"
    assert read_all(store, "a/b/two.bin") == b"abcdef"
    info = store.stat("a/b/one.bin")
    assert info.size == 11
    assert info.etag
    assert info.modified_at.tzinfo is not None


def test_put_replaces_an_existing_object(store: ObjectStore) -> None:
    store.put("x/obj", io.BytesIO(b"first version"))
    store.put("x/obj", io.BytesIO(b"second"))
    assert read_all(store, "x/obj") == b"second"


def test_empty_objects_are_stored(store: ObjectStore) -> None:
    assert store.put("empty", io.BytesIO(b"")) == 0
    assert store.exists("empty")
    assert read_all(store, "empty") == b""


def test_missing_objects_are_not_found(store: ObjectStore) -> None:
    assert not store.exists("nope/missing")
    with pytest.raises(ObjectNotFound):
        store.stat("nope/missing")
    with pytest.raises(ObjectNotFound):
        store.open("nope/missing")


@pytest.mark.parametrize(
    ("byte_range", "expected"),
    [
        (ByteRange(0, 0), b"0"),
        (ByteRange(3, 6), b"3456"),
        (ByteRange(7), b"789"),
        (ByteRange(8, 100), b"89"),
        (ByteRange(0, 9), b"0123456789"),
    ],
)
def test_byte_ranges(store: ObjectStore, byte_range: ByteRange, expected: bytes) -> None:
    store.put("digits", io.BytesIO(b"0123456789"))
    assert read_all(store, "digits", byte_range) == expected


@pytest.mark.parametrize("byte_range", [ByteRange(10), ByteRange(5, 4), ByteRange(-1, 2)])
def test_unsatisfiable_ranges_are_refused(store: ObjectStore, byte_range: ByteRange) -> None:
    store.put("digits", io.BytesIO(b"0123456789"))
    with pytest.raises(RangeNotSatisfiable):
        store.open("digits", byte_range)


def test_range_in_the_middle_of_a_large_object(store: ObjectStore) -> None:
    data = b"".join(_blocks(3 * MIB))
    store.put("big/three", io.BytesIO(data))
    first, last = MIB - 5, 2 * MIB + 5
    assert read_all(store, "big/three", ByteRange(first, last)) == data[first : last + 1]


@pytest.mark.parametrize("bad", ["../escape", "/abs", "a//b", "a\\b", "a/../b", "x\x00"])
def test_traversal_is_rejected_everywhere(store: ObjectStore, bad: str) -> None:
    with pytest.raises(InvalidKey):
        store.put(bad, io.BytesIO(b"x"))
    with pytest.raises(InvalidKey):
        store.open(bad)
    with pytest.raises(InvalidKey):
        store.exists(bad)
    with pytest.raises(InvalidKey):
        store.url(bad)
    with pytest.raises(InvalidKey):
        store.start_parts(bad)


def test_local_store_never_writes_outside_its_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = LocalStore(root)
    for bad in ["../outside", "a/../../outside"]:
        with pytest.raises(InvalidKey):
            store.put(bad, io.BytesIO(b"x"))
    assert not (tmp_path / "outside").exists()


def test_local_parts_are_bound_to_their_key(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media")
    handle = store.start_parts("up/x")
    with pytest.raises(InvalidPart):
        store.put_part("up/other", handle, 1, io.BytesIO(b"data"))
    with pytest.raises(InvalidPart):
        store.list_parts("up/x", "../../etc")


def test_list_and_delete_by_prefix(store: ObjectStore) -> None:
    for key in ["v/1/a", "v/1/sub/b", "v/10/c", "v/2/d", "w/e"]:
        store.put(key, io.BytesIO(key.encode()))
    assert list(store.list("v/1/")) == ["v/1/a", "v/1/sub/b"]
    assert list(store.list("v/1")) == ["v/1/a", "v/1/sub/b", "v/10/c"]
    assert list(store.list("nothing/")) == []
    assert store.delete("v/1/") == 2
    assert list(store.list("v/")) == ["v/10/c", "v/2/d"]
    assert store.exists("w/e")
    with pytest.raises(InvalidKey):
        store.delete("")


def test_url_points_at_the_object(store: ObjectStore) -> None:
    store.put("u/obj.txt", io.BytesIO(b"hi"))
    url = store.url("u/obj.txt")
    assert "u/obj.txt" in url
    if url.startswith("file://"):
        from urllib.parse import urlparse

        with open(urlparse(url).path, "rb") as handle:
            assert handle.read() == b"hi"
    else:
        import httpx

        assert httpx.get(url).content == b"hi"


def test_large_objects_stream_in_bounded_memory(store: ObjectStore) -> None:
    total = 64 * MIB
    expected, _ = _digest(_blocks(total))
    tracemalloc.start()
    try:
        assert store.put("big/64", _blocks(total)) == total
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest, size = _digest(store.open("big/64"))
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (digest, size) == (expected, total)
    # The whole object would be 64 MiB; a streaming store holds a few chunks at a time.
    assert put_peak < 40 * MIB, put_peak
    assert read_peak < 16 * MIB, read_peak


def _part(n: int, size: int) -> bytes:
    return bytes([n]) * size


def test_multipart_compose_assembles_parts_in_order(store: ObjectStore) -> None:
    size = max(store.min_part_size, 1024)
    handle = store.start_parts("up/one")
    second = store.put_part("up/one", handle, 2, io.BytesIO(_part(2, size)))
    first = store.put_part("up/one", handle, 1, io.BytesIO(_part(1, size)))
    last = store.put_part("up/one", handle, 3, [_part(3, 10)])
    assert not store.exists("up/one")
    listed = store.list_parts("up/one", handle)
    assert [(p.number, p.size) for p in listed] == [(1, size), (2, size), (3, 10)]
    assert store.compose("up/one", handle, [first, second, last]) == 2 * size + 10
    data = read_all(store, "up/one")
    assert data == _part(1, size) + _part(2, size) + _part(3, 10)
    assert list(store.list("up/")) == ["up/one"]


def test_multipart_survives_a_restart_by_listing_parts(store: ObjectStore) -> None:
    size = max(store.min_part_size, 1024)
    handle = store.start_parts("up/resume")
    store.put_part("up/resume", handle, 1, io.BytesIO(_part(7, size)))
    # A new process only knows the key and handle it saved: it asks the store what it has.
    parts = store.list_parts("up/resume", handle)
    parts.append(store.put_part("up/resume", handle, 2, io.BytesIO(b"tail")))
    assert store.compose("up/resume", handle, parts) == size + 4


def test_a_rewritten_part_replaces_the_earlier_one(store: ObjectStore) -> None:
    handle = store.start_parts("up/rewrite")
    store.put_part("up/rewrite", handle, 1, io.BytesIO(b"partial"))
    again = store.put_part("up/rewrite", handle, 1, io.BytesIO(b"complete"))
    assert store.list_parts("up/rewrite", handle) == [again]
    store.compose("up/rewrite", handle, [again])
    assert read_all(store, "up/rewrite") == b"complete"


def test_abort_discards_parts(store: ObjectStore) -> None:
    handle = store.start_parts("up/aborted")
    store.put_part("up/aborted", handle, 1, io.BytesIO(b"data"))
    store.abort_parts("up/aborted", handle)
    assert not store.exists("up/aborted")
    with pytest.raises(InvalidPart):
        store.list_parts("up/aborted", handle)


def test_unknown_handles_and_bad_part_numbers_are_refused(store: ObjectStore) -> None:
    with pytest.raises(InvalidPart):
        store.list_parts("up/x", "0" * 32)
    handle = store.start_parts("up/x")
    with pytest.raises(InvalidPart):
        store.put_part("up/x", handle, 0, io.BytesIO(b"data"))


def test_small_middle_parts_are_refused_where_the_backend_needs_big_ones(
    store: ObjectStore,
) -> None:
    if store.min_part_size <= 1:
        handle = store.start_parts("up/small")
        parts = [store.put_part("up/small", handle, n, io.BytesIO(b"ab")) for n in (1, 2)]
        assert store.compose("up/small", handle, parts) == 4
        return
    handle = store.start_parts("up/small")
    parts = [store.put_part("up/small", handle, n, io.BytesIO(b"ab")) for n in (1, 2)]
    with pytest.raises(InvalidPart):
        store.compose("up/small", handle, parts)
    assert not store.exists("up/small")


def test_rewriting_a_middle_part_keeps_the_others(store: ObjectStore) -> None:
    size = max(store.min_part_size, 1024)
    handle = store.start_parts("up/middle")
    for n in (1, 2, 3):
        store.put_part("up/middle", handle, n, io.BytesIO(_part(n, size)))
    store.put_part("up/middle", handle, 2, io.BytesIO(_part(9, size)))
    parts = store.list_parts("up/middle", handle)
    assert [p.number for p in parts] == [1, 2, 3]
    store.compose("up/middle", handle, parts)
    assert read_all(store, "up/middle") == _part(1, size) + _part(9, size) + _part(3, size)


def test_local_compose_ignores_bytes_of_a_crashed_append(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media")
    handle = store.start_parts("up/crash")
    parts = [store.put_part("up/crash", handle, n, io.BytesIO(_part(n, 100))) for n in (1, 2)]
    # A process died while appending part 3: its bytes are on disk but were never recorded.
    with (tmp_path / "media" / ".parts" / handle / "data").open("ab") as data:
        data.write(b"garbage")
    assert store.list_parts("up/crash", handle) == parts
    assert store.compose("up/crash", handle, parts) == 200
    assert read_all(store, "up/crash") == _part(1, 100) + _part(2, 100)
    assert not (tmp_path / "media" / ".parts" / handle).exists()
    again = store.start_parts("up/crash2")
    store.put_part("up/crash2", again, 1, io.BytesIO(b"abc"))
    with (tmp_path / "media" / ".parts" / again / "data").open("ab") as data:
        data.write(b"garbage")
    second = store.put_part("up/crash2", again, 2, io.BytesIO(b"def"))
    store.compose("up/crash2", again, [*store.list_parts("up/crash2", again)[:1], second])
    assert read_all(store, "up/crash2") == b"abcdef"
