"""CMAF brands: which media profile an AVC or AAC track meets, and the `ftyp` rewrite."""

from __future__ import annotations

import pytest

from marquee.media import cmaf
from marquee.media.errors import TranscodeFailed


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def _avc(profile: int, level: int) -> bytes:
    return _box(b"avcC", bytes([1, profile, 0, level, 0xFF, 0xE1]))


@pytest.mark.parametrize(
    ("profile", "level", "size", "brand"),
    [
        (100, 30, (854, 480), "cfsd"),
        (100, 31, (864, 576), "cfsd"),
        (100, 31, (1280, 720), "cfhd"),  # level fits SD, the frame does not
        (100, 40, (1920, 1080), "cfhd"),
        (77, 32, (1280, 720), "cfhd"),
        (100, 42, (1920, 1080), "chdf"),
        (100, 51, (1920, 1080), None),  # above every AVC profile's level
        (100, 40, (3840, 2160), None),
        (110, 40, (1920, 1080), None),  # High 10 is in no AVC media profile
    ],
)
def test_the_avc_profile_follows_level_and_frame(
    profile: int, level: int, size: tuple[int, int], brand: str | None
) -> None:
    assert cmaf.avc_brand(_avc(profile, level), *size) == brand


def test_brands_are_added_once_after_the_packager_s_own() -> None:
    ftyp = _box(b"ftyp", b"mp41" + (0).to_bytes(4, "big") + b"iso8isomcmfc")
    rest = _box(b"moov", b"\x00" * 12)
    rewritten = cmaf.with_brands(ftyp + rest, ["cmfc", "cfsd"])
    found = cmaf.file_type(rewritten)
    assert (found.major, found.minor) == ("mp41", 0)
    assert found.compatible == ("iso8", "isom", "cmfc", "cfsd")
    assert rewritten.endswith(rest)
    assert cmaf.with_brands(rewritten, ["cfsd"]) == rewritten


def test_an_init_segment_without_a_file_type_box_is_refused() -> None:
    with pytest.raises(TranscodeFailed, match="file type box"):
        cmaf.file_type(_box(b"moov", b"\x00" * 12))
