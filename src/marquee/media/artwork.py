"""Poster frame, thumbnails and trickplay (sprite sheets plus a WebVTT thumbnails track)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from marquee.media import ffmpeg
from marquee.media.ffmpeg import Progress
from marquee.media.ladder import even
from marquee.media.probe import ProbeResult
from marquee.media.subtitles import format_time

# Luma (0-255) outside which a frame reads as black or blown out: fades, slates, flashes.
DARK_LUMA = 28
BRIGHT_LUMA = 228


@dataclass(frozen=True)
class ArtworkOptions:
    candidates: int = 9  # frames considered for the poster, spread over 5-95 % of the runtime
    poster_width: int = 1280
    thumbnail_width: int = 320
    trickplay_interval: float = 10.0  # seconds between seek-bar previews
    tile_width: int = 160
    columns: int = 10
    rows: int = 10
    timeout_seconds: float = 600.0


@dataclass(frozen=True)
class Artwork:
    poster: Path
    poster_time: float
    thumbnails: tuple[Path, ...]
    sprites: tuple[Path, ...]
    trickplay: Path  # WebVTT: one cue per interval pointing at `sprite.jpg#xywh=x,y,w,h`
    tile_width: int
    tile_height: int
    tile_count: int


def candidate_times(duration: float, count: int) -> list[float]:
    if count <= 1:
        return [duration / 2]
    return [duration * (0.05 + 0.9 * i / (count - 1)) for i in range(count)]


def _frame_at(container: Any, stream: Any, at: float) -> Any | None:
    container.seek(int(at / stream.time_base), stream=stream, backward=True)
    for frame in container.decode(stream):
        if frame.time is not None and frame.time >= at - 1e-3:
            return frame
    return None


def score(luma: Any) -> float:
    """How much a frame has to show: contrast, or -1 if it is (nearly) black or white."""
    mean = float(luma.mean())
    if mean < DARK_LUMA or mean > BRIGHT_LUMA:
        return -1.0
    return float(luma.std())


def pick_poster_time(source: Path, times: list[float]) -> float:
    """The candidate time whose frame has the most detail and is neither black nor white."""
    best, best_score = times[len(times) // 2], -math.inf
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for at in times:
            frame = _frame_at(container, stream, at)
            if frame is None:
                continue
            value = score(frame.to_ndarray(format="gray"))
            if value > best_score:
                best, best_score = at, value
    return best


def _still(source: Path, at: float, width: int, out: Path, timeout: float) -> Path:
    scale = f"scale='min({width},iw)':-2"
    args = ["-ss", f"{at:.3f}", "-i", str(source), "-frames:v", "1", "-vf", scale]
    ffmpeg.run([*args, "-q:v", "3", str(out)], timeout=timeout, stage="artwork")
    return out


def trickplay_vtt(count: int, duration: float, options: ArtworkOptions, tile_height: int) -> str:
    per_sheet = options.columns * options.rows
    cues = []
    for i in range(count):
        start = i * options.trickplay_interval
        end = min(duration, start + options.trickplay_interval)
        sheet, cell = divmod(i, per_sheet)
        row, column = divmod(cell, options.columns)
        x, y = column * options.tile_width, row * tile_height
        fragment = f"#xywh={x},{y},{options.tile_width},{tile_height}"
        cues.append(
            f"{format_time(start)} --> {format_time(end)}\n{sprite_name(sheet)}{fragment}\n"
        )
    return "WEBVTT\n\n" + "\n".join(cues)


def sprite_name(sheet: int) -> str:
    return f"sprite_{sheet + 1:03d}.jpg"


def _sprites(source: Path, out_dir: Path, options: ArtworkOptions, tile_height: int) -> None:
    # The first frame, then each frame at least one interval after the last one kept:
    # exactly ceil(duration / interval) previews, each showing the start of its interval.
    pick = f"isnan(prev_selected_t)+gte(t-prev_selected_t,{options.trickplay_interval - 1e-3})"
    graph = (
        f"select='{pick}',scale={options.tile_width}:{tile_height},"
        f"tile={options.columns}x{options.rows}"
    )
    args = ["-i", str(source), "-an", "-sn", "-vf", graph, "-fps_mode", "vfr", "-q:v", "5"]
    ffmpeg.run(
        [*args, "-f", "image2", str(out_dir / "sprite_%03d.jpg")],
        timeout=options.timeout_seconds,
        stage="artwork",
    )


def make_artwork(
    probe: ProbeResult,
    out_dir: Path,
    *,
    options: ArtworkOptions | None = None,
    progress: Progress | None = None,
) -> Artwork:
    """Write poster.jpg, thumb_NN.jpg, sprite_NNN.jpg and thumbnails.vtt into `out_dir`."""
    options = options or ArtworkOptions()
    out_dir.mkdir(parents=True, exist_ok=True)
    source, timeout = probe.path, options.timeout_seconds
    times = candidate_times(probe.duration, options.candidates)
    poster_time = pick_poster_time(source, times)
    poster = _still(source, poster_time, options.poster_width, out_dir / "poster.jpg", timeout)
    if progress is not None:
        progress("artwork", 10.0)
    thumbnails = []
    for i, at in enumerate(times):
        out = out_dir / f"thumb_{i + 1:02d}.jpg"
        thumbnails.append(_still(source, at, options.thumbnail_width, out, timeout))
        if progress is not None:
            progress("artwork", 10.0 + 40.0 * (i + 1) / len(times))
    video = probe.video
    tile_height = even(options.tile_width * video.display_height / video.display_width)
    _sprites(source, out_dir, options, tile_height)
    count = math.ceil(probe.duration / options.trickplay_interval)
    vtt = out_dir / "thumbnails.vtt"
    vtt.write_text(trickplay_vtt(count, probe.duration, options, tile_height), encoding="utf-8")
    if progress is not None:
        progress("artwork", 100.0)
    return Artwork(
        poster=poster,
        poster_time=poster_time,
        thumbnails=tuple(thumbnails),
        sprites=tuple(sorted(out_dir.glob("sprite_*.jpg"))),
        trickplay=vtt,
        tile_width=options.tile_width,
        tile_height=tile_height,
        tile_count=count,
    )
