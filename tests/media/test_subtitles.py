"""Subtitle sidecars: language tags, and WebVTT segments on the video's segment period."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marquee.media import languages, subtitles
from marquee.media.errors import SubtitleBadLanguage
from marquee.media.subtitles import SubtitleInput
from tests.media import sources as media


@pytest.fixture
def srt(tmp_path: Path) -> Path:
    path = tmp_path / "in.srt"
    path.write_text(media.SRT, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("given", "stored"), [("en", "en"), ("eng", "en"), ("fre", "fr"), ("pt-br", "pt-BR")]
)
def test_subtitle_languages_are_stored_as_the_shortest_bcp_47_tag(
    srt: Path, tmp_path: Path, given: str, stored: str
) -> None:
    track = subtitles.convert(SubtitleInput(srt, given), tmp_path / "out")
    assert track.language == stored
    assert track.key == f"subs_{stored.replace('-', '_').lower()}"


@pytest.mark.parametrize("tag", ["e-", "en-US-US", "en-a"])
def test_a_malformed_tag_is_refused(srt: Path, tmp_path: Path, tag: str) -> None:
    # "en-US-US" and "en-a" look like tags but break BCP 47's grammar (RFC 5646 2.1).
    with pytest.raises(SubtitleBadLanguage):
        subtitles.convert(SubtitleInput(srt, tag), tmp_path / "out")


def test_the_mdhd_box_gets_three_letters() -> None:
    assert [languages.iso639_2(t) for t in ("en", "fr", "pt-BR", "und", "")] == [
        "eng", "fra", "por", "und", "und",
    ]  # fmt: skip


def test_segments_follow_the_video_windows_and_repeat_a_crossing_cue(
    srt: Path, tmp_path: Path
) -> None:
    track = subtitles.convert(SubtitleInput(srt, "en"), tmp_path / "out")
    # The SRT's cues: 0.5-2.0 s and 3.0-5.25 s; segments of 2 s, the last one short.
    windows = [(0.0, 2.0), (2.0, 2.0), (4.0, 2.0), (6.0, 0.5)]
    segments = subtitles.write_segments(track, windows)
    assert [(s.path.name, s.start, s.duration) for s in segments] == [
        (f"subs_en-{n:05d}.vtt", start, length)
        for n, (start, length) in enumerate(windows, start=1)
    ]
    bodies = [s.path.read_text(encoding="utf-8") for s in segments]
    for body in bodies:
        assert body.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n")
    starts = [re.findall(r"^(\S+) --> ", body, re.MULTILINE) for body in bodies]
    assert starts == [["00:00:00.500"], ["00:00:03.000"], ["00:00:03.000"], []]
    assert track.path.read_text(encoding="utf-8").count(" --> ") == 2  # DASH's whole file


def test_the_timestamp_map_names_where_the_media_timeline_starts(srt: Path, tmp_path: Path) -> None:
    track = subtitles.convert(SubtitleInput(srt, "en"), tmp_path / "out")
    (segment,) = subtitles.write_segments(track, [(0.0, 6.0)], origin=10.0)
    assert "X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n" in segment.path.read_text()
    # Cue times stay programme times: the map, not the cues, moves them onto the media.
    assert "00:00:00.500 --> 00:00:02.000" in segment.path.read_text()
