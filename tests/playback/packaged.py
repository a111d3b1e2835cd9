"""A short clip packaged by the real pipeline once per test run, for the delivery tests."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from marquee.media.encode import EncodeOptions
from marquee.media.pipeline import PACKAGE_DIR, PipelineOptions, run_pipeline
from marquee.media.subtitles import SubtitleInput
from tests.media import sources as media


def package_dir(base: Path) -> Path:
    """4 s of 854x480 (240p, 360p, 480p), English and French audio, English subtitles.

    Built on first use under `base` and reused after, so every module that needs it
    pays for one encode between them.
    """
    work = base / "packaged-clip"
    work.mkdir(parents=True, exist_ok=True)
    with (work / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = work / ".done"
        if not done.exists():
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
            done.touch()
    return work / "out" / PACKAGE_DIR


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of a really packaged clip: master.m3u8, manifest.mpd, segments."""
    return package_dir(tmp_path_factory.getbasetemp())
