"""Every kind of bad upload is refused with a readable reason, before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from marquee.media.errors import MediaRejected
from marquee.media.pipeline import PipelineOptions, run_pipeline
from marquee.media.probe import probe
from marquee.media.subtitles import SubtitleInput, convert
from tests.media import sources as media
from tests.media.fixtures import FAST

Builder = Callable[[Path, Path], Path]


def _zero_bytes(out: Path, _clip: Path) -> Path:
    path = out / "empty.mp4"
    path.write_bytes(b"")
    return path


def _text(out: Path, _clip: Path) -> Path:
    path = out / "notes.mp4"
    path.write_text("Shopping list:\n- popcorn\n- lemonade\n" * 20)
    return path


def _lyrics_like(out: Path, _clip: Path) -> Path:
    # Text with [bracketed] lines is sniffed by FFmpeg as LRC lyrics: a "media" file with no picture.
    path = out / "settings.mp4"
    path.write_text('[project]\nname = "marquee"\n[tool.ruff]\nline-length = 100\n' * 5)
    return path


def _png(out: Path, _clip: Path) -> Path:
    return media.png_image(out / "poster.mp4")


def _truncated(out: Path, clip: Path) -> Path:
    return media.truncated(clip, out / "truncated.mp4")


def _truncated_faststart(out: Path, clip: Path) -> Path:
    # With the index first, the cut falls inside the media data instead.
    faststart = out / "faststart.mp4"
    media.ffmpeg("-i", clip, "-c", "copy", "-movflags", "+faststart", faststart)
    return media.truncated(faststart, out / "truncated-faststart.mp4")


def _audio_only(out: Path, _clip: Path) -> Path:
    return media.audio_only(out / "song.mp4")


def _corrupt(out: Path, clip: Path) -> Path:
    return media.corrupt_middle(clip, out / "corrupt.mp4")


def _absurd(out: Path, _clip: Path) -> Path:
    return media.absurd_dimensions(out / "wide.y4m")


def _tiny(out: Path, _clip: Path) -> Path:
    return media.make_clip(out / "tiny.mp4", size="48x32", seconds=1, languages=())


def _lying(out: Path, _clip: Path) -> Path:
    honest = media.make_clip(out / "honest.mkv", size="320x240", seconds=3, languages=())
    return media.lying_duration(honest, out / "lying.mkv")


def _unknown_codec(out: Path, _clip: Path) -> Path:
    return media.unknown_codec(out / "mystery.avi")


def _unsupported_codec(out: Path, _clip: Path) -> Path:
    path = out / "animation.avi"
    media.ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2", "-c:v", "msvideo1", path
    )
    return path


BAD_INPUTS: list[tuple[str, Builder, str, str]] = [
    ("zero bytes", _zero_bytes, "media_empty", "empty"),
    ("text renamed .mp4", _text, "media_not_recognized", "not a media file"),
    ("bracketed text renamed .mp4", _lyrics_like, "media_not_recognized", "not a video file"),
    ("PNG renamed .mp4", _png, "media_still_image", "still image"),
    ("truncated", _truncated, "media_truncated", "truncated"),
    ("truncated, index first", _truncated_faststart, "media_truncated", "truncated"),
    ("audio only", _audio_only, "media_no_video", "no video"),
    ("corrupt frames mid-stream", _corrupt, "media_corrupt", "corrupt"),
    ("100000x2", _absurd, "media_bad_dimensions", "100000x2"),
    ("48x32", _tiny, "media_bad_dimensions", "48x32"),
    ("lying duration", _lying, "media_duration_mismatch", "30.0 s"),
    ("unknown codec", _unknown_codec, "media_unsupported_codec", "unknown"),
    ("unsupported codec", _unsupported_codec, "media_unsupported_codec", "msvideo1"),
]


@pytest.mark.parametrize(
    ("builder", "code", "phrase"),
    [pytest.param(b, c, p, id=name) for name, b, c, p in BAD_INPUTS],
)
def test_probe_rejects_with_a_reason(
    builder: Builder, code: str, phrase: str, tmp_path: Path, clip: Path
) -> None:
    path = builder(tmp_path, clip)
    with pytest.raises(MediaRejected) as caught:
        probe(path)
    assert caught.value.code == code
    assert caught.value.status == 422
    assert phrase in caught.value.detail
    assert len(caught.value.detail) < 400


def test_pipeline_writes_nothing_for_a_bad_input(tmp_path: Path, clip: Path) -> None:
    path = _corrupt(tmp_path, clip)
    work = tmp_path / "work"
    with pytest.raises(MediaRejected):
        run_pipeline(path, work, options=PipelineOptions(encode=FAST))
    assert not work.exists()


def test_good_clip_passes_the_same_checks(clip: Path) -> None:
    assert probe(clip).duration == pytest.approx(10.0, abs=0.05)


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"Dear diary,\n\nnothing happened today.\n", "no subtitle cue", id="prose"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", id="png"),
        pytest.param(
            b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\nfoo\n\nbar\n\nbaz\n",
            "only 1 of its 4",
            id="mostly-prose",
        ),
        pytest.param(
            b"1\n00:00:05,000 --> 00:00:02,000\nbackwards\n", "no subtitle cue", id="backwards"
        ),
    ],
)
def test_a_file_that_is_not_a_subtitle_is_refused(
    content: bytes, phrase: str, tmp_path: Path
) -> None:
    path = tmp_path / "subs.srt"
    path.write_bytes(content)
    with pytest.raises(MediaRejected) as caught:
        convert(SubtitleInput(path, "en"), tmp_path / "out")
    assert caught.value.code == "subtitle_invalid"
    assert phrase in caught.value.detail
    assert "subs.srt" in caught.value.detail
    assert not (tmp_path / "out").exists()


def test_a_bad_language_tag_is_refused(srt: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaRejected) as caught:
        convert(SubtitleInput(srt, "english!"), tmp_path)
    assert caught.value.code == "subtitle_bad_language"


def test_a_bad_subtitle_stops_the_pipeline_before_encoding(tmp_path: Path, clip: Path) -> None:
    bogus = tmp_path / "bogus.vtt"
    bogus.write_text("this is not WebVTT at all\n")
    work = tmp_path / "work"
    with pytest.raises(MediaRejected) as caught:
        run_pipeline(
            clip, work, subtitles=[SubtitleInput(bogus, "en")], options=PipelineOptions(encode=FAST)
        )
    assert caught.value.code == "subtitle_invalid"
    assert not list(work.glob("**/*.m4s"))
