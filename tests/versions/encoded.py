"""A short clip really encoded at 30000/1001 fps, once per test run, for the segment-period tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from marquee.media.encode import EncodeOptions
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from tests.media import sources as media

NTSC_RATE = "30000/1001"


@pytest.fixture(scope="session")
def ntsc_result(tmp_path_factory: pytest.TempPathFactory) -> PipelineResult:
    """10 s of 640x360 at 29.97 fps, packaged with the default 4 s segment target."""
    work = tmp_path_factory.mktemp("ntsc")
    clip = media.make_clip(work / "clip.mp4", size="640x360", rate=NTSC_RATE, seconds=10)
    options = PipelineOptions(encode=EncodeOptions(preset="superfast"), with_artwork=False)
    return run_pipeline(clip, work / "out", options=options)


def segment_starts(result: PipelineResult) -> list[float]:
    """Where each segment of the first video rendition really starts, from the segmenter."""
    return [segment.start for segment in result.encoded.video[0].segments]


def holding(starts: list[float], position: float) -> int:
    """The index of the real segment that contains `position`."""
    return max(i for i, start in enumerate(starts) if start <= position)


def work_dir(result: PipelineResult) -> Path:
    return result.package.out_dir.parent
