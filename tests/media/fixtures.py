"""Media fixtures for the ingest tests, generated once per test session with FFmpeg."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from marquee.datasets import sample_clip
from marquee.media.encode import EncodeOptions
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from marquee.media.subtitles import SubtitleInput
from tests.media import sources as media

# "superfast" is the quickest x264 preset that still uses High-profile tools (CABAC, 8x8).
FAST = EncodeOptions(preset="superfast")
CACHE = Path(__file__).resolve().parents[2] / "var" / "cache"


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip(media_dir: Path) -> Path:
    """10 s of 640x360 at 25 fps with one English audio track."""
    return media.make_clip(media_dir / "clip.mp4")


@pytest.fixture(scope="session")
def bilingual(media_dir: Path) -> Path:
    """8 s of 854x480 with English and French audio."""
    return media.make_clip(
        media_dir / "bilingual.mp4", size="854x480", seconds=8, languages=("eng", "fra")
    )


@pytest.fixture(scope="session")
def srt(media_dir: Path) -> Path:
    path = media_dir / "english.srt"
    path.write_text(media.SRT, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def bilingual_package(bilingual: Path, srt: Path, media_dir: Path) -> PipelineResult:
    """The bilingual clip through the whole pipeline, with English subtitles and forced French."""
    subtitles = [
        SubtitleInput(srt, "en"),
        SubtitleInput(srt, "fr", forced=True),
        SubtitleInput(srt, "en", sdh=True),
    ]
    return run_pipeline(
        bilingual,
        media_dir / "bilingual-out",
        subtitles=subtitles,
        options=PipelineOptions(encode=FAST, with_artwork=False),
    )


@pytest.fixture(scope="session")
def big_buck_bunny() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".clips.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers share one download
        return sample_clip("bigbuckbunny.mp4", CACHE)
