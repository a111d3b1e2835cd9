"""The encoding ladder: which video renditions and AAC tracks a source gets, at what bitrates.

Bitrates follow Apple's *HLS Authoring Specification for Apple Devices*, table
"Video average bit rate (kb/s)" for H.264 at up to 30 fps:

    416x234 145 · 480x270 365 · 640x360 730 · 768x432 1100 · 960x540 2000
    1280x720 3000 / 4500 · 1920x1080 6000 / 7800

Our rungs use the common 16:9 heights instead of Apple's intermediate ones, so a
rung takes the Apple row of the same height, or the nearest rows interpolated by
pixel count. Above 1080p Apple lists HEVC only (2560x1440 8100, 3840x2160 16800);
Apple's own 1080p rows give H.264/HEVC = 7800/5800 = 1.34, which we apply.

HEVC and AV1 rungs (`media/codecs.py`) share H.264's sizes and frame rates, at a share of
its bitrate; a ladder lists H.264's rungs first, then each other codec's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from fractions import Fraction

from marquee.media.codecs import VideoCodec, rendition_name, spec
from marquee.media.hull import LadderDecision, RungChoice
from marquee.media.probe import AudioTrack, ProbeResult

# (height, average kb/s at <= 30 fps)
H264_RUNGS: tuple[tuple[int, int], ...] = (
    # Apple's 416x234 rung (145) is a cellular floor; 426x240 has 80% of the pixels of
    # 480x270, whose 365 kb/s we keep so the bottom rung stays watchable.
    (240, 365),
    (360, 730),  # Apple 640x360: 730
    # 854x480 lies between 768x432 (1100) and 960x540 (2000): 1100 + 900 * 78k/186k px.
    (480, 1500),
    (720, 3000),  # Apple 1280x720, lower row: 3000
    (1080, 6000),  # Apple 1920x1080, lower row: 6000
    (1440, 11000),  # Apple HEVC 2560x1440 8100 x 1.34
    (2160, 22000),  # Apple HEVC 3840x2160 16800 x 1.34
)
# Apple's step from 6000 to 7800 at 1080p is its allowance for high frame rates: 1.3x.
HIGH_FPS_FACTOR = 1.3
HIGH_FPS_MIN_HEIGHT = 720
MAX_FPS = Fraction(60)  # "Frame rates above 60 fps SHALL NOT be used."
# Apple: "the peak bit rate SHOULD be no more than 200% of the average". A 1.5x maxrate
# over a one-second VBV buffer bounds a 4 s segment at (4 + 1) / 4 x 1.5 = 1.875x average.
MAXRATE_FACTOR = 1.5
BUFSIZE_SECONDS = 1.0
# Apple: AAC-LC stereo, 48 kHz; 128 kb/s is transparent for stereo programme audio.
AUDIO_BITRATE = 128_000
AUDIO_SAMPLE_RATE = 48_000
AUDIO_CHANNELS = 2


class LadderMode(enum.StrEnum):
    PER_TITLE = "per-title"  # rungs chosen from trial encodes of the title (media/hull.py)
    FIXED = "fixed"  # the same table for every title


@dataclass(frozen=True)
class VideoRendition:
    name: str  # "720p"
    width: int
    height: int
    frame_rate: Fraction
    bitrate: int  # average, bits per second
    maxrate: int
    bufsize: int
    # Set on per-title rungs: x264 constant quality at this CRF, capped by maxrate/bufsize.
    # None encodes at the average `bitrate` (the fixed ladder).
    crf: float | None = None
    codec: VideoCodec = VideoCodec.H264

    @property
    def fps(self) -> float:
        return float(self.frame_rate)


@dataclass(frozen=True)
class AudioRendition:
    name: str  # "audio_eng"
    source_index: int  # which audio stream of its input (`I:a:N`)
    language: str
    bitrate: int = AUDIO_BITRATE
    sample_rate: int = AUDIO_SAMPLE_RATE
    channels: int = AUDIO_CHANNELS
    input_index: int = 0  # 0: the master; 1, 2, ...: audio sidecars, in upload order


@dataclass(frozen=True)
class Ladder:
    video: tuple[VideoRendition, ...]
    audio: tuple[AudioRendition, ...]


def even(value: float) -> int:
    """Nearest even integer, at least 2: H.264 4:2:0 needs even dimensions."""
    return max(2, round(value / 2) * 2)


def output_frame_rate(source: Fraction) -> Fraction:
    """Keep the natural rate; halve (or more) anything above 60 fps until it fits."""
    rate = Fraction(source)
    divisor = 1
    while rate / divisor > MAX_FPS:
        divisor += 1
    return rate / divisor


def _fits(width: int, height: int, size: int) -> float:
    """Scale that fits the picture in rung `size`'s 16:9 box (9:16 for portrait ones)."""
    box_long, box_short = size * 16 / 9, size
    if height > width:
        return min(box_short / width, box_long / height)
    return min(box_long / width, box_short / height)


def video_rungs(
    width: int, height: int, frame_rate: Fraction, codec: VideoCodec = VideoCodec.H264
) -> tuple[VideoRendition, ...]:
    """Every rung whose box the source fills, never upscaled, aspect kept, even dimensions.

    A rung is a 16:9 box: a 1920x800 scope film is "1080p" at 1920x800, a 1080x1920
    portrait video "1080p" too. Bitrates scale with the pixels actually in the box, and
    with `codec`'s share of H.264's bitrate.
    """
    factor = spec(codec).bitrate_factor
    fps = output_frame_rate(frame_rate)
    high_fps = fps > 31
    rungs = [(size, kbps, _fits(width, height, size)) for size, kbps in H264_RUNGS]
    rungs = [rung for rung in rungs if rung[2] <= 1.0]
    if not rungs:  # a source smaller than the 240p box gets one rung at its own size
        short = min(width, height)
        rungs = [(short, H264_RUNGS[0][1], 1.0)]
    renditions = []
    for size, kbps, scale in rungs:
        box_pixels = size * size * 16 / 9
        pixels = min(1.0, (width * scale) * (height * scale) / box_pixels)
        big = size >= HIGH_FPS_MIN_HEIGHT
        fps_factor = HIGH_FPS_FACTOR if high_fps and big else 1.0
        bitrate = round(kbps * 1000 * pixels * fps_factor * factor)
        maxrate = round(bitrate * MAXRATE_FACTOR)
        renditions.append(
            VideoRendition(
                name=rendition_name(f"{even(size)}p", codec),
                width=even(width * scale),
                height=even(height * scale),
                # Small rungs are watched on small screens and slow links: half the motion costs less.
                frame_rate=fps / 2 if high_fps and not big else fps,
                bitrate=bitrate,
                maxrate=maxrate,
                bufsize=round(maxrate * BUFSIZE_SECONDS),
                codec=codec,
            )
        )
    return tuple(renditions)


def audio_renditions(tracks: tuple[AudioTrack, ...]) -> tuple[AudioRendition, ...]:
    """One AAC-LC stereo rendition per audio language (the first track of each language)."""
    seen: set[str] = set()
    renditions = []
    for track in tracks:
        if track.language in seen:
            continue
        seen.add(track.language)
        renditions.append(
            AudioRendition(
                name=f"audio_{track.language}_{track.index}",
                source_index=track.index,
                language=track.language,
            )
        )
    return tuple(renditions)


def build_ladder(probe: ProbeResult, codecs: tuple[VideoCodec, ...] = (VideoCodec.H264,)) -> Ladder:
    video = probe.video
    rungs = [
        rung
        for codec in codecs
        for rung in video_rungs(video.display_width, video.display_height, video.frame_rate, codec)
    ]
    return Ladder(video=tuple(rungs), audio=audio_renditions(probe.audio))


def per_title_video(
    width: int,
    height: int,
    frame_rate: Fraction,
    rungs: tuple[RungChoice, ...],
    codec: VideoCodec = VideoCodec.H264,
) -> tuple[VideoRendition, ...]:
    """The hull's rungs as renditions: the fixed ladder's geometry and frame rates, the
    hull's CRF, and a VBV cap at MAXRATE_FACTOR times the predicted average bitrate."""
    geometry = {(r.width, r.height): r for r in video_rungs(width, height, frame_rate, codec)}
    renditions = []
    for rung in rungs:
        base = geometry.get((rung.width, rung.height))
        if base is None:
            raise ValueError(f"No {rung.width}x{rung.height} rung for a {width}x{height} source.")
        maxrate = round(rung.bitrate * MAXRATE_FACTOR)
        renditions.append(
            replace(
                base,
                name=rendition_name(rung.name, codec),
                bitrate=rung.bitrate,
                maxrate=maxrate,
                bufsize=round(maxrate * BUFSIZE_SECONDS),
                crf=rung.crf,
            )
        )
    return tuple(renditions)


def per_title_ladder(probe: ProbeResult, decisions: tuple[LadderDecision, ...]) -> Ladder:
    """Each codec's hull rungs, in the order of `decisions` (H.264's first)."""
    video = probe.video
    size = (video.display_width, video.display_height, video.frame_rate)
    rungs = [
        rung
        for decision in decisions
        for rung in per_title_video(*size, decision.rungs, VideoCodec(decision.codec))
    ]
    return Ladder(video=tuple(rungs), audio=audio_renditions(probe.audio))
