"""The CMAF brands of each init segment's `ftyp`: the structural brand and the media profile.

Shaka Packager marks a single-track init segment `cmfc` but names no media profile, so a
device cannot tell from the header which CMAF profile (ISO/IEC 23000-19 Annexes A and B)
the track keeps. `brand_init` adds the profile the track really meets, read from its own
decoder configuration: for AVC the level and frame size, for AAC the object type,
channels and rate. The stricter structural brand `cmf2` is not claimed: it forbids the
edit list that a video track with B-frames carries here (its composition delay).

Rewriting the `ftyp` changes the init segment's size only; manifests name it by URI and
nothing points into it by byte offset, so no manifest changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from marquee.media import boxes
from marquee.media.codecs import VideoCodec
from marquee.media.encode import EncodedTrack
from marquee.media.errors import TranscodeFailed
from marquee.media.ladder import AudioRendition, VideoRendition

STRUCTURAL = "cmfc"
# AVC media profiles (Table A.1): brand, highest level_idc, largest frame.
AVC_PROFILES = (("cfsd", 31, 864, 576), ("cfhd", 40, 1920, 1080), ("chdf", 42, 1920, 1080))
# Constrained Baseline, Main and High: what every AVC media profile decodes.
AVC_PROFILE_IDCS = frozenset({66, 77, 100})
# AAC core (`caac`): AAC-LC, HE-AAC and HE-AACv2, at most stereo at 48 kHz.
AAC_CORE = "caac"
AAC_OBJECT_TYPES = frozenset({2, 5, 29})


@dataclass(frozen=True)
class FileType:
    major: str
    minor: int
    compatible: tuple[str, ...]


def file_type(data: bytes) -> FileType:
    """The `ftyp` box an init segment starts with."""
    size = int.from_bytes(data[:4], "big")
    if data[4:8] != b"ftyp" or size < 16 or size > len(data) or size % 4:
        raise TranscodeFailed("The init segment does not start with a file type box.")
    brands = tuple(data[at : at + 4].decode("latin-1") for at in range(16, size, 4))
    return FileType(data[8:12].decode("latin-1"), int.from_bytes(data[12:16], "big"), brands)


def with_brands(data: bytes, brands: Sequence[str]) -> bytes:
    """`data` with `brands` added to its `ftyp` compatible brands (each once, in order)."""
    found = file_type(data)
    compatible = [*found.compatible, *(b for b in brands if b not in found.compatible)]
    body = found.major.encode("latin-1") + found.minor.to_bytes(4, "big")
    body += b"".join(brand.encode("latin-1") for brand in compatible)
    box = (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body
    return box + data[int.from_bytes(data[:4], "big") :]


def avc_brand(init: bytes, width: int, height: int) -> str | None:
    """The smallest AVC media profile that holds this track, if any does."""
    profile, level = boxes.avc_profile_level(init)
    if profile not in AVC_PROFILE_IDCS:
        return None
    for brand, max_level, max_width, max_height in AVC_PROFILES:
        if level <= max_level and width <= max_width and height <= max_height:
            return brand
    return None


def aac_brand(init: bytes, channels: int, sample_rate: int) -> str | None:
    object_type = int(boxes.aac_codec_string(init).rsplit(".", 1)[-1])
    if object_type in AAC_OBJECT_TYPES and channels <= 2 and sample_rate <= 48_000:
        return AAC_CORE
    return None


def track_brands(track: EncodedTrack, init: bytes) -> tuple[str, ...]:
    """`cmfc`, then the media profile brand the track meets."""
    rendition = track.rendition
    profile = None
    # HEVC and AV1 tracks claim the structural brand only: no media profile is checked.
    if isinstance(rendition, VideoRendition) and rendition.codec is VideoCodec.H264:
        profile = avc_brand(init, rendition.width, rendition.height)
    elif isinstance(rendition, AudioRendition):
        profile = aac_brand(init, rendition.channels, rendition.sample_rate)
    return (STRUCTURAL,) if profile is None else (STRUCTURAL, profile)


def brand_init(track: EncodedTrack) -> None:
    """Write the track's CMAF brands into its init segment."""
    init = track.init.read_bytes()
    track.init.write_bytes(with_brands(init, track_brands(track, init)))
