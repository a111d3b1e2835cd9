"""Probing good sources: duration, geometry, frame rate, rotation, colour, audio and subtitles."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from marquee.media.probe import probe
from tests.media import sources as media


def test_probe_describes_a_plain_clip(clip: Path) -> None:
    result = probe(clip)
    assert result.duration == 10.0
    assert result.size_bytes == clip.stat().st_size
    assert "mp4" in result.container
    video = result.video
    assert (video.codec, video.profile) == ("h264", "High")
    assert (video.width, video.height) == (640, 360)
    assert video.frame_rate == Fraction(25)
    assert (video.rotation, video.hdr, video.pix_fmt) == (0, None, "yuv420p")
    assert [(a.language, a.codec) for a in result.audio] == [("eng", "aac")]


def test_probe_lists_every_audio_language(bilingual: Path) -> None:
    result = probe(bilingual)
    assert [(a.index, a.language) for a in result.audio] == [(0, "eng"), (1, "fra")]
    assert all(a.channels == 1 and a.sample_rate == 44100 for a in result.audio)


def test_probe_reads_rotation_from_the_display_matrix(clip: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "phone.mp4"
    media.ffmpeg("-display_rotation", "90", "-i", clip, "-c", "copy", rotated)
    video = probe(rotated).video
    assert video.rotation == 270  # 90 degrees counter-clockwise
    assert (video.display_width, video.display_height) == (360, 640)


def test_probe_flags_hdr10(tmp_path: Path) -> None:
    hdr = media.make_clip(
        tmp_path / "hdr.mp4",
        size="320x240",
        seconds=2,
        languages=(),
        extra=("-vf", "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc"),
    )
    video = probe(hdr).video
    assert (video.color_primaries, video.color_transfer, video.hdr) == ("bt2020", "pq", "pq")


def test_probe_lists_embedded_subtitles_and_fractional_rates(srt: Path, tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "ntsc.mp4", size="320x240", rate="30000/1001", seconds=3)
    with_subs = tmp_path / "with-subs.mkv"
    media.ffmpeg(
        "-i", source, "-i", srt, "-map", "0", "-map", "1", "-c", "copy", "-c:s", "srt",
        "-metadata:s:s:0", "language=spa", with_subs,
    )  # fmt: skip
    result = probe(with_subs)
    assert result.video.frame_rate == Fraction(30000, 1001)
    assert [(s.codec, s.language) for s in result.subtitles] == [("srt", "spa")]
    # The last cue ends at 5.25 s, after the video: the file really lasts that long.
    assert abs(result.duration - 5.25) < 0.05


def test_probe_accepts_a_real_clip(big_buck_bunny: Path) -> None:
    result = probe(big_buck_bunny)
    assert (result.video.width, result.video.height) == (1280, 720)
    assert result.audio[0].channels == 6
    assert 5.0 < result.duration < 6.0


def test_probe_accepts_clips_shorter_than_its_first_sample_window(tmp_path: Path) -> None:
    # The first window reads a whole sub-second clip to its end; the later seeks must still
    # decode (the drained decoder answered "End of file", and the clip was called corrupt).
    for seconds in (0.5, 1.0):
        short = media.make_clip(tmp_path / f"short-{seconds}.mp4", size="320x240", seconds=seconds)
        assert abs(probe(short).duration - seconds) < 0.1
