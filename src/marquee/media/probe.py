"""Probes an uploaded master with PyAV and rejects, with a clear reason, anything not a decodable video."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.logging

from marquee.media.errors import (
    MediaBadDimensions,
    MediaCorrupt,
    MediaDurationMismatch,
    MediaEmpty,
    MediaNotRecognized,
    MediaNoVideo,
    MediaRejected,
    MediaStillImage,
    MediaTruncated,
    MediaUnsupportedCodec,
)

MIN_SIDE = 64
MAX_SIDE = 8192
MAX_ASPECT = 4.0  # wider than 4:1 (or taller) is not a picture anyone watches
SAMPLE_SECONDS = 1.0
SAMPLE_MAX_FRAMES = 600  # ten seconds of 60 fps: the longest GOP worth decoding
# A stream may legitimately end a little before its header says (audio padding, edit lists).
DURATION_SLACK_SECONDS = 1.0
DURATION_SLACK_RATIO = 0.02

# Mezzanine and camera codecs an editor may upload; everything else is refused early.
SUPPORTED_VIDEO_CODECS = frozenset(
    {
        "h264", "hevc", "av1", "vp8", "vp9", "mpeg1video", "mpeg2video", "mpeg4", "prores",
        "dnxhd", "mjpeg", "dvvideo", "ffv1", "rawvideo", "theora", "vc1", "wmv3", "h263",
    }
)  # fmt: skip
_IMAGE_FORMATS = ("image2", "gif", "apng", "webp_pipe")
_HDR_TRANSFERS = {16: "pq", 18: "hlg"}  # AVCOL_TRC_SMPTE2084, AVCOL_TRC_ARIB_STD_B67
_PRIMARIES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020", 12: "smpte432"}
_TRANSFERS = {1: "bt709", 6: "smpte170m", 13: "iec61966-2-1", 14: "bt2020-10", **_HDR_TRANSFERS}


@dataclass(frozen=True)
class AudioTrack:
    index: int  # position among the source's audio streams (for `-map 0:a:N`)
    codec: str
    language: str
    channels: int
    sample_rate: int


@dataclass(frozen=True)
class SubtitleStream:
    index: int
    codec: str
    language: str


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    profile: str | None
    width: int
    height: int
    frame_rate: Fraction
    rotation: int  # clockwise degrees a player must turn the coded picture: 0, 90, 180, 270
    pix_fmt: str
    color_primaries: str
    color_transfer: str
    hdr: str | None  # "pq" (HDR10) or "hlg"

    @property
    def display_width(self) -> int:
        return self.height if self.rotation in (90, 270) else self.width

    @property
    def display_height(self) -> int:
        return self.width if self.rotation in (90, 270) else self.height


@dataclass(frozen=True)
class ProbeResult:
    path: Path
    size_bytes: int
    container: str
    duration: float
    video: VideoInfo
    audio: tuple[AudioTrack, ...]
    subtitles: tuple[SubtitleStream, ...]


def check_iso_boxes(path: Path) -> None:
    """An MP4/MOV whose top-level boxes run past the end of the file was cut short."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        if len(head) < 8 or head[4:8] != b"ftyp":
            return
        offset = 0
        while offset + 8 <= size:
            f.seek(offset)
            box_size, box_type = struct.unpack(">I4s", f.read(8))
            if box_size == 1:
                (box_size,) = struct.unpack(">Q", f.read(8))
            elif box_size == 0:  # "extends to the end of the file"
                return
            if box_size < 8 or offset + box_size > size:
                raise MediaTruncated(
                    f"The file is truncated: its '{box_type.decode('latin-1')}' box needs "
                    f"{offset + box_size} bytes but the file has {size}. Upload it again.",
                )
            offset += box_size
        if offset != size:
            raise MediaTruncated("The file is truncated inside a box header.")


def _open(path: Path) -> Any:
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise MediaNotRecognized(
            f"This is not a media file Marquee can read ({exc.strerror or exc}).",
        ) from exc


def _video_stream(container: Any) -> Any:
    fmt = container.format.name
    if fmt in _IMAGE_FORMATS or fmt.endswith("_pipe"):
        raise MediaStillImage(f"This is a still image ({fmt}), not a video.")
    streams = [
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    if not streams:
        if container.streams.audio:
            raise MediaNoVideo("The file has audio but no video stream.")
        raise MediaNotRecognized(
            f"This is not a video file: it reads as '{fmt}' with no audio or video in it.",
        )
    return streams[0]


def _check_dimensions(width: int, height: int) -> None:
    small, large = min(width, height), max(width, height)
    if small < MIN_SIDE or large > MAX_SIDE or large / small > MAX_ASPECT:
        raise MediaBadDimensions(
            f"The video is {width}x{height}; each side must be {MIN_SIDE}-{MAX_SIDE} pixels "
            f"and the picture no more than {MAX_ASPECT:g}:1.",
        )


def _check_codec(stream: Any) -> str:
    context = stream.codec_context
    if context is None:
        raise MediaUnsupportedCodec("The video codec is unknown; no decoder exists for it.")
    name = str(context.name)
    if name not in SUPPORTED_VIDEO_CODECS:
        raise MediaUnsupportedCodec(f"The video codec '{name}' is not supported.")
    return name


def _frame_rate(stream: Any) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        raise MediaRejected("The video has no frame rate.")
    return Fraction(rate)


def _declared_duration(container: Any) -> float | None:
    if container.duration:
        return float(container.duration) / av.time_base
    return None


def _seek(container: Any, stream: Any, start: float) -> None:
    """Rewind to the keyframe at or before `start`, with a decoder ready for new packets.

    A clip shorter than the first window was read to its end, which drains the decoder; it
    takes no packet after that until it is flushed (FFmpeg answers "End of file").
    """
    container.seek(int(start / stream.time_base), stream=stream, backward=True)
    stream.codec_context.flush_buffers()


def _decode_window(container: Any, stream: Any, start: float) -> tuple[int, Any | None]:
    """Decode from the keyframe at or before `start` to a second past it.

    Returns how many frames decoded and the first one. Frames are not kept: a long
    GOP of 4K pictures would not fit in memory.
    """
    _seek(container, stream, start)
    count, first = 0, None
    for packet in container.demux(stream):
        for frame in packet.decode():
            count, first = count + 1, first or frame
        past = (
            packet.pts is not None and float(packet.pts * stream.time_base) > start + SAMPLE_SECONDS
        )
        if count > SAMPLE_MAX_FRAMES or (past and count):
            break
    return count, first


def _read_to_end(container: Any, stream: Any, start: float) -> tuple[int, float]:
    """Read from near `start` to the end of the file, decoding the video.

    Returns (video frames decoded, where the last packet of any stream ends): a
    container's duration covers all its streams, so all of them count.
    """
    _seek(container, stream, start)
    count, end = 0, 0.0
    for packet in container.demux():
        if packet.pts is not None and packet.time_base is not None:
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        if packet.stream is stream:
            count += len(packet.decode())
    return count, end


def _sample(container: Any, stream: Any, declared: float | None) -> tuple[float, int]:
    """Decode the start, middle and end; return (true duration, rotation of the first frame)."""
    _, first = _decode_window(container, stream, 0.0)
    tail_count, real_end = _read_to_end(container, stream, max(0.0, (declared or 0.0) - 2.0))
    if declared:
        slack = max(DURATION_SLACK_SECONDS, declared * DURATION_SLACK_RATIO)
        if real_end < declared - slack:
            raise MediaDurationMismatch(
                f"The file says it lasts {declared:.1f} s but its media ends at {real_end:.1f} s "
                "(a lying header or a truncated upload).",
            )
    _decode_window(container, stream, real_end / 2)
    if first is None or not tail_count:
        raise MediaCorrupt("No video frame could be decoded.")
    return real_end, int(first.rotation or 0)


def _decode_samples(container: Any, stream: Any, declared: float | None) -> tuple[float, int]:
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=False) as logs:
            result = _sample(container, stream, declared)
    except av.FFmpegError as exc:
        reason = exc.strerror or "undecodable data"
        raise MediaCorrupt(f"The video has corrupt frames ({reason}).") from exc
    finally:
        av.logging.set_level(previous)
    errors = [message.strip() for level, _, message in logs if level <= av.logging.ERROR]
    if errors:
        raise MediaCorrupt(f"The video has corrupt frames: {errors[0]}.")
    return result


def _color(table: dict[int, str], value: Any) -> str:
    return table.get(int(value or 2), "unspecified")


def _video_info(stream: Any, codec: str, rotation: int) -> VideoInfo:
    context = stream.codec_context
    transfer = int(context.color_trc or 2)
    return VideoInfo(
        codec=codec,
        profile=context.profile,
        width=int(context.width),
        height=int(context.height),
        frame_rate=_frame_rate(stream),
        rotation=(-rotation) % 360,
        pix_fmt=str(context.pix_fmt or "unknown"),
        color_primaries=_color(_PRIMARIES, context.color_primaries),
        color_transfer=_color(_TRANSFERS, transfer),
        hdr=_HDR_TRANSFERS.get(transfer),
    )


def _language(stream: Any) -> str:
    language = (stream.language or stream.metadata.get("language") or "und").strip()
    return language or "und"


def _audio_tracks(container: Any) -> tuple[AudioTrack, ...]:
    tracks = []
    for index, stream in enumerate(container.streams.audio):
        context = stream.codec_context
        if context is None:
            continue
        tracks.append(
            AudioTrack(
                index=index,
                codec=str(context.name),
                language=_language(stream),
                channels=int(context.channels or 0),
                sample_rate=int(context.sample_rate or 0),
            )
        )
    return tuple(tracks)


def _subtitle_streams(container: Any) -> tuple[SubtitleStream, ...]:
    return tuple(
        SubtitleStream(
            index=i,
            codec=str(s.codec_context.name if s.codec_context else "unknown"),
            language=_language(s),
        )
        for i, s in enumerate(container.streams.subtitles)
    )


def probe(path: Path) -> ProbeResult:
    """Describe `path`, or raise `MediaRejected` with a reason an editor can act on."""
    size = path.stat().st_size
    if size == 0:
        raise MediaEmpty("The file is empty (0 bytes).")
    check_iso_boxes(path)
    with _open(path) as container:
        stream = _video_stream(container)
        context = stream.codec_context
        if context is not None:
            _check_dimensions(int(context.width), int(context.height))
        codec = _check_codec(stream)
        declared = _declared_duration(container)
        duration, rotation = _decode_samples(container, stream, declared)
        return ProbeResult(
            path=path,
            size_bytes=size,
            container=str(container.format.name),
            duration=duration,
            video=_video_info(stream, codec, rotation),
            audio=_audio_tracks(container),
            subtitles=_subtitle_streams(container),
        )
