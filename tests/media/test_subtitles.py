"""Subtitle sidecars: language tags, and WebVTT segments on the video's segment period."""

from __future__ import annotations

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
