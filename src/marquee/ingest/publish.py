"""Publishing a packaged title version: store every file, then switch to it in one transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.catalog import service as catalog
from marquee.catalog.models import Episode, PublishState, Title
from marquee.catalog.state import TitleEvent, allowed_events
from marquee.db import transaction, utcnow
from marquee.errors import NotFound
from marquee.media.hull import decision_record
from marquee.media.pipeline import ARTWORK_DIR, PACKAGE_DIR, PipelineResult
from marquee.storage import keys
from marquee.storage.base import ObjectStore
from marquee.versions.models import MediaVersion, VersionState

log = logging.getLogger("marquee.ingest")

# Version ids are derived from the job key, so a re-run writes over its own objects.
VERSION_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4c1b-9d57-2b7e0f4a9c13")


class EpisodeNotFound(NotFound):
    code = "episode_not_found"


class TitleGone(NotFound):
    code = "title_not_found"


@dataclass(frozen=True)
class Target:
    """What a version is for: a title, or one episode of it."""

    title_id: uuid.UUID
    episode_id: uuid.UUID | None = None


@dataclass
class StoredFiles:
    keys: list[str] = field(default_factory=list)
    artwork: dict[str, Any] = field(default_factory=dict)


def version_id_for(job_key: str) -> uuid.UUID:
    return uuid.uuid5(VERSION_NAMESPACE, job_key)


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def package_files(work_dir: Path, with_artwork: bool) -> list[tuple[Path, str]]:
    """(file, path inside the version) for the package (at the root) and the artwork."""
    package_dir, artwork_dir = work_dir / PACKAGE_DIR, work_dir / ARTWORK_DIR
    files = [(p, p.relative_to(package_dir).as_posix()) for p in _files(package_dir)]
    if with_artwork:
        files += [
            (p, f"artwork/{p.relative_to(artwork_dir).as_posix()}") for p in _files(artwork_dir)
        ]
    return files


def store_files(
    store: ObjectStore,
    version_id: uuid.UUID,
    files: list[tuple[Path, str]],
    progress: Callable[[float], None] = lambda fraction: None,
) -> list[str]:
    """Upload `files` under the version's prefix, which starts out empty."""
    # A worker that died mid-upload may have left part of this same version behind.
    store.delete(keys.version_prefix(version_id))
    stored = []
    for n, (path, relative) in enumerate(files, start=1):
        key = keys.version_file(version_id, relative)
        with path.open("rb") as body:
            store.put(key, body)
        stored.append(key)
        progress(n / len(files))
    return stored


def store_outputs(
    store: ObjectStore,
    version_id: uuid.UUID,
    work_dir: Path,
    result: PipelineResult,
    progress: Callable[[float], None] = lambda fraction: None,
) -> StoredFiles:
    """Upload the package (manifests at the version's root) and the artwork under `artwork/`."""
    files = package_files(work_dir, result.artwork is not None)
    stored = StoredFiles(keys=store_files(store, version_id, files, progress))
    if result.artwork is not None:
        stored.artwork = _artwork_keys(version_id, result)
    return stored


def _artwork_keys(version_id: uuid.UUID, result: PipelineResult) -> dict[str, Any]:
    art = result.artwork
    assert art is not None

    def art_key(path: Path) -> str:
        return keys.version_file(version_id, f"artwork/{path.name}")

    return {
        "poster": art_key(art.poster),
        "thumbnails": [art_key(p) for p in art.thumbnails],
        "sprites": [art_key(p) for p in art.sprites],
        "trickplay": art_key(art.trickplay),
    }


def describe(result: PipelineResult) -> dict[str, Any]:
    """The rendition and track tables a version row keeps, from the packager's own figures."""
    package = result.package
    renditions = [
        {
            "name": r.name,
            "width": r.width,
            "height": r.height,
            "bandwidth": r.bandwidth,
            "average_bandwidth": r.average_bandwidth,
            "codecs": r.codecs,
            "frame_rate": r.frame_rate,
        }
        for r in package.video
    ]
    audio = [
        {"name": r.name, "language": r.language, "codecs": r.codecs, "bandwidth": r.bandwidth}
        for r in package.audio
    ]
    subtitles = [
        {"name": s.name, "language": s.language, "forced": s.forced, "sdh": s.sdh}
        for s in package.subtitles
    ]
    protection = result.encoded.protection
    if protection is not None:  # the CENC key id each encrypted track needs a licence for
        for track in (*renditions, *audio):
            track["kid"] = str(protection.kid)
    return {
        "duration_seconds": package.duration,
        "renditions": renditions,
        "audio_tracks": audio,
        "subtitle_tracks": subtitles,
        "ladder_decision": decision_record(result.decision) if result.decision else None,
    }


def _apply_if_allowed(session: Session, title_id: uuid.UUID, event: TitleEvent) -> None:
    title = session.get(Title, title_id)
    if title is not None and event in allowed_events(title.state):
        catalog.apply_event(session=session, title_id=title_id, event=event)


def mark_started(*, session: Session, target: Target) -> None:
    """A movie's title shows it is processing; a series' state is not one episode's to change."""
    if session.get(Title, target.title_id) is None:
        raise TitleGone(f"Title {target.title_id} was deleted before its media was processed.")
    if target.episode_id is None:
        _apply_if_allowed(session, target.title_id, TitleEvent.UPLOAD_STARTED)


def _failure_label(session: Session, target: Target) -> str:
    if target.episode_id is None:
        return ""
    episode = session.get(Episode, target.episode_id)
    if episode is None:
        return f"Episode {target.episode_id}: "
    return f"Episode {episode.number} of season {episode.season.number} ({episode.id}): "


def mark_failed(*, session: Session, target: Target, reason: str = "") -> None:
    """Processing failed: the title keeps the reason and leaves `processing` the way the state
    machine says. An episode's failure is kept on its series, naming the episode."""
    title = session.get(Title, target.title_id)
    if title is None:
        return
    if reason:
        title.processing_error = (_failure_label(session, target) + reason)[:4000]
    if target.episode_id is None and title.state is PublishState.PROCESSING:
        catalog.apply_event(
            session=session, title_id=target.title_id, event=TitleEvent.PROCESSING_FAILED
        )
    session.flush()


def _clear_failure(session: Session, target: Target) -> None:
    """A published version settles the failure it follows, and only that one."""
    title = session.get(Title, target.title_id)
    error = title.processing_error if title is not None else None
    if title is None or error is None:
        return
    if target.episode_id is None or str(target.episode_id) in error:
        title.processing_error = None


ARTWORK_ROOT = "/artwork"


def public_artwork_keys(version: MediaVersion) -> set[str]:
    """The poster frame and thumbnails: shown on catalogue pages, so served without a session."""
    art = version.artwork or {}
    found = {art.get("poster"), *art.get("thumbnails", [])}
    return {key for key in found if isinstance(key, str)}


def artwork_url(version: MediaVersion, key: str) -> str:
    return f"{ARTWORK_ROOT}/{version.id}/{key.rsplit('/', 1)[-1]}"


def _adopt_artwork(owner: Title | Episode, version: MediaVersion) -> None:
    """Give the title its version's poster (an episode its thumbnail) unless an editor set one.

    Artwork an earlier version gave is replaced too, since that version is collected.
    """
    poster = (version.artwork or {}).get("poster")
    if not isinstance(poster, str):
        return
    url = artwork_url(version, poster)
    if isinstance(owner, Title):
        if owner.poster is None or owner.poster.startswith(f"{ARTWORK_ROOT}/"):
            owner.poster = url
    elif owner.thumbnail is None or owner.thumbnail.startswith(f"{ARTWORK_ROOT}/"):
        owner.thumbnail = url


def _pointer_owner(session: Session, target: Target) -> Title | Episode:
    if target.episode_id is None:
        # Locked so that two versions finishing at once switch one after the other.
        title = session.get(Title, target.title_id, with_for_update=True)
        return title or catalog.get_title(session=session, title_id=target.title_id)
    episode = session.get(Episode, target.episode_id, with_for_update=True)
    if episode is None:
        raise EpisodeNotFound(f"No episode {target.episode_id}.")
    return episode


def publish_version(*, session: Session, version: MediaVersion, target: Target) -> str | None:
    """Insert `version`, point the title or episode at it and retire the one it replaces.

    Returns the replaced version's object prefix, to be collected once this commits.
    """
    owner = _pointer_owner(session, target)
    previous_id: uuid.UUID | None = owner.current_version_id
    session.add(version)
    session.flush()
    owner.current_version_id = version.id
    _adopt_artwork(owner, version)
    _clear_failure(session, target)
    if target.episode_id is None:
        _apply_if_allowed(session, target.title_id, TitleEvent.PROCESSING_SUCCEEDED)
    previous = session.get(MediaVersion, previous_id) if previous_id else None
    session.flush()
    if previous is None or previous.id == version.id or still_current(session, previous.id):
        return None
    previous.state = VersionState.RETIRED
    previous.retired_at = utcnow()
    session.flush()
    return previous.prefix


def still_current(session: Session, version_id: uuid.UUID) -> bool:
    """Whether a title or an episode still plays the version.

    One version may serve several titles (the demo attaches one encoding of a clip to
    many), so switching one of them away retires it only when it was the last. Two
    such switches committing at once may both leave it ready: it is then kept, never
    lost.
    """
    for owner in (Title, Episode):
        pointer = select(owner.id).where(owner.current_version_id == version_id).limit(1)
        if session.scalar(pointer) is not None:
            return True
    return False


def list_versions(*, session: Session, title_id: uuid.UUID) -> list[MediaVersion]:
    """The title's own versions, and the shared ones it or its episodes play."""
    catalog.get_title(session=session, title_id=title_id)
    played = select(Title.current_version_id).where(Title.id == title_id)
    played_by_episodes = select(Episode.current_version_id).where(Episode.title_id == title_id)
    query = (
        select(MediaVersion)
        .where(
            or_(
                MediaVersion.title_id == title_id,
                MediaVersion.id.in_(played),
                MediaVersion.id.in_(played_by_episodes),
            )
        )
        .order_by(MediaVersion.created_at.desc(), MediaVersion.id)
    )
    return list(session.scalars(query))


def prefix_in_use(*, session: Session, prefix: str) -> bool:
    """Whether a ready version still serves objects under `prefix`."""
    query = select(MediaVersion.id).where(
        MediaVersion.prefix == prefix, MediaVersion.state == VersionState.READY
    )
    return session.scalar(query.limit(1)) is not None


def collect(store: ObjectStore, prefix: str, session_factory: sessionmaker[Session]) -> int:
    """Delete a retired version's objects unless a ready version still serves that prefix.

    Each version has its own prefix today; the check keeps a retired row from ever
    taking objects that a ready one reads. A failure is logged, never raised.
    """
    try:
        with transaction(session_factory) as session:
            if prefix_in_use(session=session, prefix=prefix):
                return 0
        return store.delete(keys.safe_prefix(prefix))
    except Exception:
        log.warning("could not delete retired version objects", exc_info=True)
        return 0
