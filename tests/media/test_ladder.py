"""The ladder: rungs up to the source height, never upscaled, Apple-table bitrates, aligned GOPs."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from marquee.media.encode import segment_period
from marquee.media.ladder import (
    H264_RUNGS,
    Ladder,
    audio_renditions,
    build_ladder,
    output_frame_rate,
    video_rungs,
)
from marquee.media.probe import AudioTrack, ProbeResult, VideoInfo

FPS25 = Fraction(25)


def _names(width: int, height: int, fps: Fraction = FPS25) -> list[str]:
    return [r.name for r in video_rungs(width, height, fps)]


def test_a_1080p_source_gets_every_rung_up_to_1080p() -> None:
    assert _names(1920, 1080) == ["240p", "360p", "480p", "720p", "1080p"]


def test_a_2160p_source_gets_the_whole_ladder() -> None:
    assert _names(3840, 2160) == ["240p", "360p", "480p", "720p", "1080p", "1440p", "2160p"]


def test_nothing_is_upscaled() -> None:
    rungs = video_rungs(1280, 720, FPS25)
    assert max(r.height for r in rungs) == 720
    assert all(r.width <= 1280 for r in rungs)
    assert _names(1000, 500) == ["240p", "360p", "480p"]


def test_a_source_below_240p_gets_one_rung_at_its_own_size() -> None:
    (only,) = video_rungs(176, 144, Fraction(30000, 1001))
    assert (only.width, only.height) == (176, 144)
    assert only.bitrate < H264_RUNGS[0][1] * 1000


@pytest.mark.parametrize(
    ("width", "height"), [(1920, 1080), (1920, 800), (1440, 1080), (1080, 1920)]
)
def test_aspect_is_kept_with_even_dimensions(width: int, height: int) -> None:
    for rung in video_rungs(width, height, FPS25):
        assert rung.width % 2 == 0
        assert rung.height % 2 == 0
        assert rung.width / rung.height == pytest.approx(width / height, rel=0.02)


def test_bitrates_follow_the_table_and_caps_stay_within_apples_200_percent() -> None:
    rungs = {r.name: r for r in video_rungs(1920, 1080, FPS25)}
    assert rungs["360p"].bitrate == 730_000
    assert rungs["720p"].bitrate == 3_000_000
    assert rungs["1080p"].bitrate == 6_000_000
    bitrates = [r.bitrate for r in rungs.values()]
    assert bitrates == sorted(bitrates)
    for rung in rungs.values():
        assert rung.bitrate < rung.maxrate <= 2 * rung.bitrate
        # Worst case for a 4 s segment: maxrate for 4 s plus one full VBV buffer.
        assert (4 * rung.maxrate + rung.bufsize) / 4 <= 2 * rung.bitrate


def test_high_frame_rates_cost_more_on_big_rungs_and_halve_on_small_ones() -> None:
    rungs = {r.name: r for r in video_rungs(1920, 1080, Fraction(60))}
    assert rungs["1080p"].frame_rate == 60
    assert rungs["1080p"].bitrate == 7_800_000
    assert rungs["480p"].frame_rate == 30
    assert rungs["480p"].bitrate == 1_500_000


def test_frame_rates_above_60_are_divided_down() -> None:
    assert output_frame_rate(Fraction(120)) == 60
    assert output_frame_rate(Fraction(100)) == 50
    assert output_frame_rate(Fraction(30000, 1001)) == Fraction(30000, 1001)


def test_one_aac_rendition_per_audio_language() -> None:
    tracks = (
        AudioTrack(0, "aac", "eng", 6, 48000),
        AudioTrack(1, "ac3", "eng", 2, 48000),
        AudioTrack(2, "aac", "fra", 2, 44100),
    )
    renditions = audio_renditions(tracks)
    assert [(a.language, a.source_index) for a in renditions] == [("eng", 0), ("fra", 2)]
    assert all((a.bitrate, a.channels, a.sample_rate) == (128_000, 2, 48_000) for a in renditions)


def test_build_ladder_uses_the_displayed_orientation() -> None:
    video = VideoInfo("h264", "High", 1920, 1080, FPS25, 90, "yuv420p", "bt709", "bt709", None)
    result = build_ladder(ProbeResult(Path("x.mp4"), 1, "mp4", 10.0, video, (), ()))
    top = result.video[-1]
    assert (top.width, top.height) == (1080, 1920)


@pytest.mark.parametrize(
    ("fps", "expected"),
    [
        (Fraction(25), 4.0),
        (Fraction(30000, 1001), 4.004),  # 120 frames
        (Fraction(60000, 1001), 4.004),  # 240 frames: an even count, so 30p rungs cut too
    ],
)
def test_segment_period_is_whole_frames_on_every_rung(fps: Fraction, expected: float) -> None:
    ladder = Ladder(video=video_rungs(1920, 1080, fps), audio=())
    period = segment_period(ladder, 4.0)
    assert period == pytest.approx(expected, abs=1e-9)
    for rung in ladder.video:
        frames = Fraction(period).limit_denominator(100000) * rung.frame_rate
        assert abs(frames - round(frames)) < 1e-6


def test_a_scope_film_keeps_its_full_width_and_pays_for_its_pixels() -> None:
    rungs = {r.name: r for r in video_rungs(1920, 800, FPS25)}
    assert list(rungs) == ["240p", "360p", "480p", "720p", "1080p"]
    assert (rungs["1080p"].width, rungs["1080p"].height) == (1920, 800)
    assert rungs["1080p"].bitrate == round(6_000_000 * 800 / 1080)
    assert (rungs["240p"].width, rungs["240p"].height) == (426, 178)


def test_a_source_between_boxes_tops_out_at_its_own_size() -> None:
    rungs = video_rungs(640, 272, FPS25)
    assert [(r.name, r.width, r.height) for r in rungs] == [("240p", 426, 182), ("360p", 640, 272)]
