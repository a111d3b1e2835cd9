"""Short clips packaged by the real pipeline once per test run, for the delivery tests."""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path

import pytest

from marquee.media.codecs import VideoCodec
from marquee.media.encode import EncodeOptions
from marquee.media.pipeline import PACKAGE_DIR, PipelineOptions, run_pipeline
from marquee.media.subtitles import SubtitleInput
from tests.media import sources as media

# The multi-codec clip's codecs, in the order its ladder lists them.
CODECS = (VideoCodec.H264, VideoCodec.HEVC, VideoCodec.AV1)


def _once(base: Path, name: str, build: Callable[[Path], None]) -> Path:
    """`build(work)` on first use under `base`, its package reused after (across workers)."""
    work = base / name
    work.mkdir(parents=True, exist_ok=True)
    with (work / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = work / ".done"
        if not done.exists():
            build(work)
            done.touch()
    return work / "out" / PACKAGE_DIR


def package_dir(base: Path) -> Path:
    """4 s of 854x480 (240p, 360p, 480p), English and French audio, English subtitles.

    Built on first use under `base` and reused after, so every module that needs it
    pays for one encode between them.
    """

    def build(work: Path) -> None:
        clip = media.make_clip(
            work / "clip.mp4", size="854x480", seconds=4, languages=("eng", "fra")
        )
        srt = work / "en.srt"
        srt.write_text(media.SRT, encoding="utf-8")
        run_pipeline(
            clip,
            work / "out",
            subtitles=[SubtitleInput(srt, "en")],
            options=PipelineOptions(encode=EncodeOptions(preset="superfast")),
        )

    return _once(base, "packaged-clip", build)


def multi_codec_dir(base: Path) -> Path:
    """6 s of 640x360 as H.264, HEVC and AV1 (240p and 360p of each), 2 s segments."""

    def build(work: Path) -> None:
        clip = media.make_clip(work / "clip.mp4", size="640x360", seconds=6, languages=("eng",))
        options = PipelineOptions(
            encode=EncodeOptions(preset="superfast", segment_seconds=2.0),
            with_artwork=False,
            codecs=CODECS,
        )
        run_pipeline(clip, work / "out", options=options)

    return _once(base, "multi-codec-clip", build)


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of a really packaged clip: master.m3u8, manifest.mpd, segments."""
    return package_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def multi_codec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A packaged clip with H.264, HEVC and AV1 renditions of the same two rungs."""
    return multi_codec_dir(tmp_path_factory.getbasetemp())
