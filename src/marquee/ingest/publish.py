"""The ingest side of publishing: store a package's files, and keep the title's processing state.

Which version a title plays, and how a version row is made, is the versions domain's
(`versions.service`); this module uploads what the pipeline wrote and tells the title
that its media is processing or failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from marquee.catalog import service as catalog
from marquee.catalog.errors import TitleNotFound
from marquee.catalog.models import Episode, PublishState, Title
from marquee.catalog.state import TitleEvent, allowed_events
from marquee.delivery import lanes
from marquee.media.pipeline import ARTWORK_DIR, PACKAGE_DIR, PipelineResult
from marquee.storage import keys
from marquee.storage.base import ObjectStore
from marquee.versions.service import Target

# Version ids are derived from the job key, so a re-run writes over its own objects.
VERSION_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4c1b-9d57-2b7e0f4a9c13")


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
    """Upload `files` under the version's prefix, which starts out empty, then link its video
    files into their lanes (`delivery.lanes`, which starts its tree anew) for an edge that
    sends them itself."""
    # A worker that died mid-upload may have left part of this same version behind.
    store.delete(keys.version_prefix(version_id))
    stored = []
    for n, (path, relative) in enumerate(files, start=1):
        key = keys.version_file(version_id, relative)
        with path.open("rb") as body:
            store.put(key, body)
        stored.append(key)
        progress(n / len(files))
    lanes.write(store, version_id)
    return stored


def store_outputs(
    store: ObjectStore,
    version_id: uuid.UUID,
    work_dir: Path,
    result: PipelineResult,
    progress: Callable[[float], None] = lambda fraction: None,
) -> list[str]:
    """Upload the package (manifests at the version's root) and the artwork under `artwork/`."""
    files = package_files(work_dir, with_artwork=result.artwork is not None)
    return store_files(store, version_id, files, progress)


def _apply_if_allowed(session: Session, title_id: uuid.UUID, event: TitleEvent) -> None:
    title = session.get(Title, title_id)
    if title is not None and event in allowed_events(title.state):
        catalog.apply_event(session=session, title_id=title_id, event=event)


def mark_started(*, session: Session, target: Target) -> None:
    """A movie's title shows it is processing; a series' state is not one episode's to change."""
    if session.get(Title, target.title_id) is None:
        raise TitleNotFound(f"Title {target.title_id} was deleted before its media was processed.")
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
    machine says. An episode's failure is kept on its series, naming the episode (publishing
    a version for that episode settles it: `versions.service.publish_version`)."""
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
