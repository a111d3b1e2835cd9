"""Artwork: a poster that is not black, thumbnails, and trickplay sprites with a WebVTT track."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
import pytest

from marquee.media.artwork import Artwork, ArtworkOptions, make_artwork, score
from marquee.media.probe import probe
from tests.media import sources as media


def _picture(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="gray")


@pytest.fixture(scope="module")
def fade_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of black, then 19 s of picture: 25 s, so trickplay needs three previews."""
    out = tmp_path_factory.mktemp("fade")
    path = out / "fade.mp4"
    media.ffmpeg(
        "-f", "lavfi", "-i", "color=black:size=480x270:rate=25:duration=6",
        "-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25:duration=19",
        "-filter_complex", "[0][1]concat=n=2:v=1[v]", "-map", "[v]",
        "-c:v", "libx264", "-preset", "superfast", path,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def artwork(fade_in: Path, tmp_path_factory: pytest.TempPathFactory) -> Artwork:
    return make_artwork(
        probe(fade_in), tmp_path_factory.mktemp("art"), options=ArtworkOptions(candidates=5)
    )


def test_poster_is_a_representative_frame_not_black(artwork: Artwork) -> None:
    assert artwork.poster_time > 6.0
    poster = _picture(artwork.poster)
    assert poster.shape == (270, 480)
    assert poster.mean() > 40
    assert poster.std() > 20


def test_thumbnails_span_the_runtime(artwork: Artwork) -> None:
    assert len(artwork.thumbnails) == 5
    first = _picture(artwork.thumbnails[0])
    assert first.shape == (180, 320)
    assert first.mean() < 20  # 1.25 s in: still the black lead-in
    assert _picture(artwork.thumbnails[-1]).mean() > 40


def test_trickplay_sprites_and_webvtt_track(artwork: Artwork) -> None:
    assert (artwork.tile_width, artwork.tile_height, artwork.tile_count) == (160, 90, 3)
    (sprite,) = artwork.sprites
    sheet = _picture(sprite)
    assert sheet.shape == (900, 1600)  # 10 x 10 tiles of 160x90
    text = artwork.trickplay.read_text()
    assert text.startswith("WEBVTT\n")
    cues = re.findall(
        r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(sprite_\d{3}\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)",
        text,
    )
    assert [(c[0], c[1]) for c in cues] == [
        ("00:00:00.000", "00:00:10.000"),
        ("00:00:10.000", "00:00:20.000"),
        ("00:00:20.000", "00:00:25.000"),
    ]
    tiles = []
    for _, _, name, x, y, w, h in cues:
        assert name == sprite.name
        left, top, width, height = map(int, (x, y, w, h))
        assert (width, height) == (160, 90)
        tiles.append(sheet[top : top + height, left : left + width])
    # 0 s is black; 10 s and 20 s show the test pattern; unused tiles stay empty.
    assert tiles[0].mean() < 20
    assert tiles[1].mean() > 40
    assert tiles[2].mean() > 40
    assert sheet[0:90, 480:640].mean() < 5


def test_score_refuses_black_and_white_frames() -> None:
    assert score(np.zeros((4, 4))) == -1.0
    assert score(np.full((4, 4), 255)) == -1.0
    assert score(np.array([[50, 200], [200, 50]])) > 0
