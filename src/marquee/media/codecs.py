"""The video codecs a ladder can hold: H.264 for every screen, HEVC and AV1 beside it.

Each codec has its encoder in the pinned FFmpeg (x264, x265, SVT-AV1), its RFC 6381
sample entry (`avc1`, `hvc1`, `av01`), the CRFs its trial encodes try, and, for the
fixed ladder, its bitrate as a share of H.264's at the same size. Apple's authoring
table lists both H.264 and HEVC at 1080p (6000 and 4500 kb/s on its lower rows): HEVC
costs 0.75 of H.264. AV1 has no such table; 0.6 is a starting point the per-title hull
replaces with the title's own measurements.

H.264 is always encoded: it is the one codec every browser, TV and phone decodes, and
the rung every other codec falls back to.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from marquee.media import boxes


class VideoCodec(enum.StrEnum):
    H264 = "h264"
    HEVC = "hevc"
    AV1 = "av1"


@dataclass(frozen=True)
class CodecSpec:
    codec: VideoCodec
    encoder: str  # FFmpeg's encoder name
    family: str  # RFC 6381 sample entry, what a device says it decodes
    config_box: bytes  # the decoder configuration box of its init segments
    bitrate_factor: float  # fixed ladder: bitrate as a share of H.264's at the same size
    # Trial CRFs, from near-transparent to a cellular floor, on the encoder's own scale.
    trial_crfs: tuple[float, ...]
    integer_crf: bool = False  # SVT-AV1 takes whole CRFs only
    # Whether an average-bitrate encode takes a VBV cap too; SVT-AV1 caps CRF encodes only,
    # so its fixed-ladder rungs are plain VBR (the packager measures the real peaks).
    caps_average: bool = True


SPECS: dict[VideoCodec, CodecSpec] = {
    VideoCodec.H264: CodecSpec(
        VideoCodec.H264, "libx264", "avc1", b"avcC", 1.0, (17.0, 22.0, 27.0, 33.0)
    ),
    # x265's CRF scale sits about 2 above x264's for the same look.
    VideoCodec.HEVC: CodecSpec(
        VideoCodec.HEVC, "libx265", "hvc1", b"hvcC", 0.75, (19.0, 24.0, 29.0, 35.0)
    ),
    # SVT-AV1's scale runs to 63; 24 is near-transparent, 50 a cellular floor.
    VideoCodec.AV1: CodecSpec(
        VideoCodec.AV1,
        "libsvtav1",
        "av01",
        b"av1C",
        0.6,
        (24.0, 32.0, 41.0, 50.0),
        integer_crf=True,
        caps_average=False,
    ),
}
# The order a session prefers among the codecs its device decodes: fewest bits first.
EFFICIENCY_ORDER = ("av01", "hvc1", "hev1", "vp09", "avc1", "avc3")
# SVT-AV1's presets run from 0 (slowest) to 13; 10 encodes 1080p at several frames a
# second on two cores and still beats x264 veryfast at the same VMAF.
AV1_PRESET = 10


def spec(codec: VideoCodec) -> CodecSpec:
    return SPECS[codec]


def parse_codecs(names: str | list[str] | tuple[str, ...]) -> tuple[VideoCodec, ...]:
    """ "h264,av1" or ["av1"] as codecs, H.264 first and always there, each once."""
    items = names.split(",") if isinstance(names, str) else list(names)
    wanted = {VideoCodec(item.strip().lower()) for item in items if item.strip()}
    return (VideoCodec.H264, *(c for c in VideoCodec if c in wanted and c is not VideoCodec.H264))


def rendition_name(base: str, codec: VideoCodec) -> str:
    """ "720p" for H.264, "720p-av1" beside it: names are file names in one package."""
    return base if codec is VideoCodec.H264 else f"{base}-{codec.value}"


def encoder_args(
    i: int, codec: VideoCodec, *, crf: float | None, gop: int, preset: str
) -> list[str]:
    """Output stream `i`'s encoder, its CRF (if any), a fixed GOP of `gop` frames and its
    codec-specific settings; bitrate and VBV are the caller's."""
    s = f":v:{i}"
    rate = [f"-g{s}", str(gop), f"-keyint_min{s}", str(gop)]
    if crf is not None:
        value = f"{round(crf)}" if spec(codec).integer_crf else f"{crf:g}"
        rate += [f"-crf{s}", value]
    if codec is VideoCodec.H264:
        return [
            f"-c{s}", "libx264", *rate, f"-preset{s}", preset, f"-profile{s}", "high",
            f"-sc_threshold{s}", "0", f"-forced-idr{s}", "1",
        ]  # fmt: skip
    if codec is VideoCodec.HEVC:
        params = f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:log-level=error"
        return [
            f"-c{s}", "libx265", *rate, f"-preset{s}", preset, f"-profile{s}", "main",
            f"-tag{s}", "hvc1", f"-forced-idr{s}", "1", f"-x265-params{s}", params,
        ]  # fmt: skip
    # SVT-AV1: a closed GOP of `gop` frames, no scene-change keyframes of its own.
    params = f"keyint={gop}:scd=0:irefresh-type=2"
    return [
        f"-c{s}", "libsvtav1", *rate, f"-preset{s}", str(AV1_PRESET),
        f"-svtav1-params{s}", params,
    ]  # fmt: skip


def codec_string(codec: VideoCodec, init: bytes) -> str:
    """The RFC 6381 string of a video init segment, read from its decoder configuration."""
    if codec is VideoCodec.HEVC:
        return boxes.hevc_codec_string(init)
    if codec is VideoCodec.AV1:
        return boxes.av1_codec_string(init)
    return boxes.avc_codec_string(init)


def family_of(codecs: str) -> str | None:
    """The video sample entry in an RFC 6381 list ("av01" of "av01.0.08M.08,mp4a.40.2")."""
    for part in codecs.split(","):
        family = part.split(".", 1)[0].strip().lower()
        if family in EFFICIENCY_ORDER:
            return family
    return None
