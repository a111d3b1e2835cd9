"""The demo media step: clips encoded once, attached to every title and episode, all playable."""

from __future__ import annotations

import fcntl
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marquee.catalog.models import Episode, Season, Title, TitleKind
from marquee.config import Settings
from marquee.datasets import sample_clip
from marquee.db import transaction
from marquee.demo.media import DemoClip, attach_demo_media, encode_clip
from marquee.media import encrypt
from marquee.media.encrypt import Protection
from marquee.runtime import Runtime
from marquee.storage import keys
from marquee.versions import content_keys
from marquee.versions.models import MediaVersion, VersionState
from tests.catalog.factories import make_title
from tests.media.sources import ffmpeg_client
from tests.media.test_package import CLIENT_PROBE_NOISE

REPO_CACHE = Path(__file__).resolve().parents[1] / "var" / "cache"
CLIPS = (
    DemoClip("carphone", sample="carphone_pristine.mp4"),
    DemoClip("test-card", size="1280x720", seconds=4, languages=("eng", "fra"), subtitles=("en",)),
)


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for both database backends, so the second run finds the clips encoded."""
    cache = tmp_path_factory.mktemp("demo-cache")
    REPO_CACHE.mkdir(parents=True, exist_ok=True)
    with (REPO_CACHE / ".clips.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers share one download
        clip = sample_clip("carphone_pristine.mp4", REPO_CACHE)
    (cache / "clips").mkdir()
    shutil.copy(clip, cache / "clips" / clip.name)
    return cache


def _catalogue(factory: sessionmaker[Session]) -> None:
    """Two movies and a series with a season of two episodes."""
    with transaction(factory) as session:
        make_title(session)
        make_title(session)
        series = make_title(session, kind=TitleKind.SERIES)
        season = Season(title_id=series.id, number=1)
        session.add(season)
        session.flush()
        for number in (1, 2):
            session.add(
                Episode(season_id=season.id, title_id=series.id, number=number, name=f"E{number}")
            )


def _current_versions(factory: sessionmaker[Session]) -> list[MediaVersion]:
    with transaction(factory) as session:
        pointers: list[uuid.UUID | None] = [
            *session.scalars(select(Title.current_version_id)),
            *session.scalars(select(Episode.current_version_id)),
        ]
        assert None not in pointers
        versions = [session.get(MediaVersion, pointer) for pointer in pointers]
        session.expunge_all()
    assert all(v is not None for v in versions)
    return [v for v in versions if v is not None]


def test_every_title_and_episode_plays_a_shared_encoding(
    settings: Settings,
    session_factory: sessionmaker[Session],
    demo_cache: Path,
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    _catalogue(session_factory)

    report = attach_demo_media(runtime=make_runtime(settings), clips=CLIPS, cache_dir=demo_cache)

    assert (report.titles, report.episodes) == (3, 2)
    versions = _current_versions(session_factory)
    assert {v.state for v in versions} == {VersionState.READY}
    assert len({v.id for v in versions}) == len(CLIPS)  # each clip stored once, shared
    assert all(v.prefix == keys.version_prefix(v.id) for v in versions)
    bilingual = [v for v in versions if len(v.audio_tracks) == 2]
    assert bilingual, "the test card's two languages reach its versions"
    assert {a.language for a in bilingual[0].audio_tracks} == {"en", "fr"}
    assert [s.language for s in bilingual[0].subtitle_tracks] == ["en"]
    root = settings.resolved_media_dir
    for version in versions:
        assert version.artwork.poster is not None
        assert version.artwork.poster.startswith(version.prefix)
        frames, errors = ffmpeg_client(root / version.hls_master)
        assert frames > 0
        assert [e for e in errors if not CLIENT_PROBE_NOISE.match(e)] == []

    again = attach_demo_media(runtime=make_runtime(settings), clips=CLIPS, cache_dir=demo_cache)
    assert (again.clips_encoded, again.titles, again.episodes) == (0, 0, 0)
    assert [v.id for v in _current_versions(session_factory)] == [v.id for v in versions]


def test_new_titles_reuse_the_cached_encodings(
    settings: Settings,
    session_factory: sessionmaker[Session],
    demo_cache: Path,
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    for clip in CLIPS:
        encode_clip(clip, demo_cache)
    _catalogue(session_factory)

    report = attach_demo_media(runtime=make_runtime(settings), clips=CLIPS, cache_dir=demo_cache)

    assert (report.clips_encoded, report.titles, report.episodes) == (0, 3, 2)
    for version in _current_versions(session_factory):
        assert (settings.resolved_media_dir / version.hls_master).is_file()


def test_an_encrypted_clip_is_packaged_with_its_first_titles_key(
    settings: Settings,
    session_factory: sessionmaker[Session],
    demo_cache: Path,
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    protected = DemoClip("locked-card", size="640x360", seconds=3, encrypted=True)
    _catalogue(session_factory)

    attach_demo_media(
        runtime=make_runtime(settings), clips=(protected, CLIPS[0]), cache_dir=demo_cache
    )

    versions = _current_versions(session_factory)
    locked = [v for v in versions if v.kid is not None]
    assert len({v.id for v in locked}) == 1
    version = locked[0]
    with transaction(session_factory) as session:
        key = content_keys.key_for_version(
            session=session, settings=settings, version_id=version.id, title_id=version.title_id
        )
    assert key is not None
    assert key.title_id == version.title_id
    assert key.kid == version.kid
    init = (settings.resolved_media_dir / version.prefix / "init-0.m4s").read_bytes()
    assert encrypt.scheme(init) == "cbcs"
    assert encrypt.default_kid(init) == key.kid
    assert any(v.kid is None for v in versions)  # the clear clip stays clear
    # The same database finds its package cached; its key is the one in this database.
    cached, fresh = encode_clip(protected, demo_cache, Protection(kid=key.kid, key=key.key))
    assert not fresh
    assert cached.directory.name.startswith("locked-card-")
