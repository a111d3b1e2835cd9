"""The title-version contract: a packaged encoding becomes an immutable version, and a title
(or an episode) switches to it in one transaction.

`describe` turns a media pipeline result into the typed figures a version keeps;
`make_version` is the one constructor of a version row; `publish_version` inserts it,
points its owner at it and retires the version it replaces. Ingest and the demo both
go through these, so every version row has the same shape, whoever made it.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.catalog import service as catalog
from marquee.catalog.errors import EpisodeNotFound
from marquee.catalog.models import Episode, Title
from marquee.catalog.state import TitleEvent, allowed_events
from marquee.db import transaction, utcnow
from marquee.media.hull import decision_record
from marquee.media.pipeline import PipelineResult
from marquee.storage import keys
from marquee.storage.base import ObjectStore
from marquee.versions.models import MediaVersion, VersionState
from marquee.versions.schemas import (
    Artwork,
    ArtworkFiles,
    AudioTrack,
    Description,
    Rendition,
    SubtitleTrack,
)

log = logging.getLogger("marquee.versions")

ARTWORK_ROOT = "/artwork"
# A position this close below a segment boundary counts as on it: players report decimal
# seconds (12.012) whose binary value can fall a hair short of the frame-exact boundary.
# A microsecond is far below one frame (>= 16 ms), so it never moves a position across one.
BOUNDARY_SLACK_SECONDS = 1e-6


@dataclass(frozen=True)
class Target:
    """What a version is for: a title, or one episode of it."""

    title_id: uuid.UUID
    episode_id: uuid.UUID | None = None


def describe(result: PipelineResult) -> Description:
    """The rendition, track and artwork tables a version keeps, from the packager's own figures."""
    package = result.package
    protection = result.encoded.protection
    kid = protection.kid if protection is not None else None  # what a licence must carry
    art = result.artwork
    return Description(
        duration_seconds=package.duration,
        segment_seconds=result.encoded.segment_seconds,
        renditions=tuple(
            Rendition(
                name=r.name,
                width=r.width,
                height=r.height,
                bandwidth=r.bandwidth,
                average_bandwidth=r.average_bandwidth,
                codecs=r.codecs,
                frame_rate=r.frame_rate,
                kid=kid,
            )
            for r in package.video
        ),
        audio_tracks=tuple(
            AudioTrack(
                name=r.name, language=r.language, codecs=r.codecs, bandwidth=r.bandwidth, kid=kid
            )
            for r in package.audio
        ),
        subtitle_tracks=tuple(
            SubtitleTrack(name=s.name, language=s.language, forced=s.forced, sdh=s.sdh)
            for s in package.subtitles
        ),
        artwork=None
        if art is None
        else ArtworkFiles(
            poster=art.poster.name,
            thumbnails=tuple(p.name for p in art.thumbnails),
            sprites=tuple(p.name for p in art.sprites),
            trickplay=art.trickplay.name,
        ),
        ladder_decision=[decision_record(d) for d in result.decisions] or None,
    )


def stored_artwork(version_id: uuid.UUID, files: ArtworkFiles | None) -> Artwork:
    """Where the package's artwork files live once stored under the version's `artwork/`."""
    if files is None:
        return Artwork()

    def key(name: str) -> str:
        return keys.version_file(version_id, f"artwork/{name}")

    return Artwork(
        poster=key(files.poster),
        thumbnails=tuple(key(n) for n in files.thumbnails),
        sprites=tuple(key(n) for n in files.sprites),
        trickplay=key(files.trickplay),
    )


def make_version(
    *,
    version_id: uuid.UUID,
    target: Target,
    description: Description,
    upload_id: uuid.UUID | None = None,
) -> MediaVersion:
    """The version row for a package stored under `version_id`'s prefix; not yet added."""
    return MediaVersion(
        id=version_id,
        title_id=target.title_id,
        episode_id=target.episode_id,
        upload_id=upload_id,
        duration_seconds=description.duration_seconds,
        segment_seconds=description.segment_seconds,
        renditions=description.renditions,
        audio_tracks=description.audio_tracks,
        subtitle_tracks=description.subtitle_tracks,
        prefix=keys.version_prefix(version_id),
        hls_master=keys.manifest_hls(version_id),
        dash_manifest=keys.manifest_dash(version_id),
        artwork=stored_artwork(version_id, description.artwork),
        ladder_decision=description.ladder_decision,
    )


def segment_index(version: MediaVersion, position: float) -> int:
    """The segment holding `position`: every video rendition is cut each `segment_seconds`
    from 0, and a position at or past the end is in the last segment."""
    period = version.segment_seconds
    last = max(0, math.ceil((version.duration_seconds - BOUNDARY_SLACK_SECONDS) / period) - 1)
    return min(last, max(0, math.floor((position + BOUNDARY_SLACK_SECONDS) / period)))


def artwork_url(version: MediaVersion, key: str) -> str:
    return f"{ARTWORK_ROOT}/{version.id}/{key.rsplit('/', 1)[-1]}"


def _adopt_artwork(owner: Title | Episode, version: MediaVersion) -> None:
    """Give the title its version's poster (an episode its thumbnail) unless an editor set one.

    Artwork an earlier version gave is replaced too, since that version is collected.
    """
    poster = version.artwork.poster
    if poster is None:
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


def _mark_title_processed(session: Session, title_id: uuid.UUID) -> None:
    title = session.get(Title, title_id)
    if title is not None and TitleEvent.PROCESSING_SUCCEEDED in allowed_events(title.state):
        catalog.apply_event(
            session=session, title_id=title_id, event=TitleEvent.PROCESSING_SUCCEEDED
        )


def _clear_failure(session: Session, target: Target) -> None:
    """A published version settles the processing failure it follows, and only that one
    (an episode's failure names the episode: see `ingest.publish.mark_failed`)."""
    title = session.get(Title, target.title_id)
    error = title.processing_error if title is not None else None
    if title is None or error is None:
        return
    if target.episode_id is None or str(target.episode_id) in error:
        title.processing_error = None


def publish_version(
    *, session: Session, version: MediaVersion, target: Target, adopt_artwork: bool = True
) -> str | None:
    """Insert `version`, point the title or episode at it and retire the one it replaces.

    `adopt_artwork=False` leaves the owner's pictures alone: a shared encoding (the
    demo's clips) is not the title's own. Returns the replaced version's object prefix,
    to be collected once this commits.
    """
    owner = _pointer_owner(session, target)
    previous_id: uuid.UUID | None = owner.current_version_id
    session.add(version)
    session.flush()
    owner.current_version_id = version.id
    if adopt_artwork:
        _adopt_artwork(owner, version)
    _clear_failure(session, target)
    if target.episode_id is None:
        _mark_title_processed(session, target.title_id)
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


def get_version(*, session: Session, version_id: uuid.UUID) -> MediaVersion | None:
    return session.get(MediaVersion, version_id)


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
        lanes = keys.lanes_of(prefix)
        if lanes is not None:  # first: a tree left behind would keep the bytes on disk
            store.delete(lanes)
        return store.delete(keys.safe_prefix(prefix))
    except Exception:
        log.warning("could not delete retired version objects", exc_info=True)
        return 0
