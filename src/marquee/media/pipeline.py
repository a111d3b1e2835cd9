"""The whole media pipeline on local files: probe, ladder, encode, package, artwork."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from marquee.media import audio_tracks
from marquee.media import subtitles as sidecars
from marquee.media.artwork import Artwork, ArtworkOptions, make_artwork
from marquee.media.audio_tracks import AudioInput
from marquee.media.encode import EncodeOptions, EncodeResult, encode
from marquee.media.ffmpeg import Progress
from marquee.media.ladder import Ladder, build_ladder
from marquee.media.package import Package, package
from marquee.media.probe import ProbeResult, probe
from marquee.media.subtitles import SubtitleInput

PACKAGE_DIR = "package"
ARTWORK_DIR = "artwork"


@dataclass(frozen=True)
class PipelineOptions:
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    artwork: ArtworkOptions = field(default_factory=ArtworkOptions)
    with_artwork: bool = True


@dataclass(frozen=True)
class PipelineResult:
    probe: ProbeResult
    ladder: Ladder
    encoded: EncodeResult
    package: Package
    artwork: Artwork | None


def run_pipeline(
    source: Path,
    work_dir: Path,
    *,
    subtitles: Sequence[SubtitleInput] = (),
    audio: Sequence[AudioInput] = (),
    options: PipelineOptions | None = None,
    progress: Progress | None = None,
) -> PipelineResult:
    """Turn `source` into `work_dir/package` (HLS + DASH) and `work_dir/artwork`.

    `audio` sidecars become extra AAC renditions after the master's own tracks. Every
    input is checked before the first frame is encoded, so a bad sidecar costs no
    encoding time. Re-running into the same `work_dir` overwrites the outputs.
    """
    options = options or PipelineOptions()
    report = progress or (lambda stage, percent: None)
    report("probe", 0.0)
    probed = probe(source)
    extra_audio = [audio_tracks.check(track) for track in audio]
    ladder = audio_tracks.with_sidecars(build_ladder(probed), extra_audio)
    out_dir = work_dir / PACKAGE_DIR
    checked = [sidecars.check(sub) for sub in subtitles]
    tracks = [sidecars.write(sub, out_dir) for sub in checked]
    report("probe", 100.0)
    encoded = encode(
        source,
        ladder,
        source_fps=probed.video.frame_rate,
        duration=probed.duration,
        out_dir=out_dir,
        options=options.encode,
        hdr=probed.video.hdr,
        progress=progress,
        audio_inputs=[track.path for track in extra_audio],
    )
    packaged = package(encoded, subtitles=tracks, progress=progress)
    artwork = None
    if options.with_artwork:
        artwork = make_artwork(
            probed, work_dir / ARTWORK_DIR, options=options.artwork, progress=progress
        )
    return PipelineResult(probed, ladder, encoded, packaged, artwork)
