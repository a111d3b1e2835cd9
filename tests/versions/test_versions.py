"""Switching versions in one transaction, and the admin listing of a title's versions."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from marquee.accounts.models import Role
from marquee.catalog.errors import TitleNotFound
from marquee.catalog.models import Episode, PublishState, Season, TitleKind
from marquee.db import transaction
from marquee.ingest import publish
from marquee.storage import keys
from marquee.storage.local import LocalStore
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion, VersionState
from marquee.versions.schemas import AudioTrack, Rendition
from tests.catalog.factories import make_title
from tests.support import assert_problem, signup, signup_with_role

BASE = "/api/v1/admin/titles"


def _version(title_id: uuid.UUID, episode_id: uuid.UUID | None = None) -> MediaVersion:
    version_id = uuid.uuid4()
    return MediaVersion(
        id=version_id,
        title_id=title_id,
        episode_id=episode_id,
        duration_seconds=12.5,
        segment_seconds=4.0,
        renditions=(Rendition(name="240p", width=426, height=240, codecs="avc1.640015"),),
        audio_tracks=(AudioTrack(name="audio_und", language="und"),),
        prefix=keys.version_prefix(version_id),
        hls_master=keys.manifest_hls(version_id),
        dash_manifest=keys.manifest_dash(version_id),
    )


def test_publishing_points_the_title_and_retires_the_previous_version(db: Session) -> None:
    title = make_title(db, state=PublishState.PROCESSING)
    target = versions.Target(title.id)
    first = _version(title.id)
    assert versions.publish_version(session=db, version=first, target=target) is None
    assert (title.current_version_id, title.state) == (first.id, PublishState.PUBLISHED)

    second = _version(title.id)
    retired = versions.publish_version(session=db, version=second, target=target)
    assert retired == first.prefix
    assert title.current_version_id == second.id
    assert first.state is VersionState.RETIRED
    assert first.retired_at is not None
    assert second.state is VersionState.READY


def test_an_episode_version_leaves_the_series_state_alone(db: Session) -> None:
    series = make_title(db, state=PublishState.DRAFT, kind=TitleKind.SERIES)
    season = Season(title_id=series.id, number=1)
    db.add(season)
    db.flush()
    episode = Episode(season_id=season.id, title_id=series.id, number=1, name="Pilot")
    db.add(episode)
    db.flush()
    target = versions.Target(series.id, episode.id)
    publish.mark_started(session=db, target=target)
    version = _version(series.id, episode.id)
    versions.publish_version(session=db, version=version, target=target)
    assert episode.current_version_id == version.id
    assert (series.state, series.current_version_id) == (PublishState.DRAFT, None)


def test_a_failed_ingest_returns_a_processing_title_to_draft(db: Session) -> None:
    title = make_title(db, state=PublishState.DRAFT)
    publish.mark_started(session=db, target=versions.Target(title.id))
    assert title.state is PublishState.PROCESSING
    publish.mark_failed(session=db, target=versions.Target(title.id))
    assert title.state is PublishState.DRAFT
    published = make_title(db, state=PublishState.PUBLISHED)
    publish.mark_failed(session=db, target=versions.Target(published.id))
    assert published.state is PublishState.PUBLISHED


def test_a_failure_stays_on_the_title_until_a_version_for_it_publishes(db: Session) -> None:
    title = make_title(db, state=PublishState.PUBLISHED)
    target = versions.Target(title.id)
    publish.mark_failed(session=db, target=target, reason="FFmpeg failed during encode")
    assert title.processing_error == "FFmpeg failed during encode"
    assert title.state is PublishState.PUBLISHED  # the version it has still plays
    versions.publish_version(session=db, version=_version(title.id), target=target)
    assert title.processing_error is None


def test_an_episode_failure_names_the_episode_on_its_series(db: Session) -> None:
    series = make_title(db, state=PublishState.PUBLISHED, kind=TitleKind.SERIES)
    season = Season(title_id=series.id, number=2)
    db.add(season)
    db.flush()
    first, second = (
        Episode(season_id=season.id, title_id=series.id, number=n, name=f"E{n}") for n in (1, 2)
    )
    db.add_all([first, second])
    db.flush()
    failed = versions.Target(series.id, first.id)
    publish.mark_failed(session=db, target=failed, reason="not a media file")
    assert series.processing_error == (f"Episode 1 of season 2 ({first.id}): not a media file")
    other = versions.Target(series.id, second.id)
    versions.publish_version(session=db, version=_version(series.id, second.id), target=other)
    assert series.processing_error is not None  # another episode's success settles nothing
    versions.publish_version(session=db, version=_version(series.id, first.id), target=failed)
    assert series.processing_error is None


def test_a_deleted_title_cannot_start_processing(db: Session) -> None:
    with pytest.raises(TitleNotFound):
        publish.mark_started(session=db, target=versions.Target(uuid.uuid4()))


def test_version_ids_follow_the_job_key() -> None:
    assert publish.version_id_for("ingest:a") == publish.version_id_for("ingest:a")
    assert publish.version_id_for("ingest:a") != publish.version_id_for("ingest:b")


def test_editors_list_a_titles_versions_newest_first(client: TestClient, app: FastAPI) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    with transaction(app.state.runtime.sessionmaker) as session:
        title = make_title(session)
        other = make_title(session)
        ids = []
        for owner in (title, title, other):
            version = _version(owner.id)
            versions.publish_version(
                session=session, version=version, target=versions.Target(owner.id)
            )
            ids.append(version.id)
        title_id = title.id

    response = client.get(f"{BASE}/{title_id}/versions", headers=editor.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(v["id"], v["state"]) for v in body] == [
        (str(ids[1]), "ready"),
        (str(ids[0]), "retired"),
    ]
    assert body[0]["hls_master"] == keys.manifest_hls(ids[1])
    assert body[0]["renditions"][0]["height"] == 240


def test_versions_are_for_editors_and_known_titles(client: TestClient, app: FastAPI) -> None:
    viewer = signup(client)
    with transaction(app.state.runtime.sessionmaker) as session:
        title_id = make_title(session).id
    assert_problem(
        client.get(f"{BASE}/{title_id}/versions", headers=viewer.headers), 403, "editor_required"
    )
    editor = signup_with_role(client, app, Role.EDITOR)
    missing = client.get(f"{BASE}/{uuid.uuid4()}/versions", headers=editor.headers)
    assert_problem(missing, 404, "title_not_found")
    assert client.get(f"{BASE}/{title_id}/versions", headers=editor.headers).json() == []


def _shared(title_id: uuid.UUID, prefix_of: MediaVersion) -> MediaVersion:
    """Another title's version serving the objects stored under `prefix_of`'s prefix."""
    version = _version(title_id)
    version.prefix = prefix_of.prefix
    version.hls_master = prefix_of.hls_master
    return version


def test_collecting_keeps_a_prefix_that_another_ready_version_serves(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "media")
    with transaction(session_factory) as session:
        first, second = make_title(session), make_title(session)
        owner = _version(first.id)
        store.put(owner.hls_master, io.BytesIO(b"#EXTM3U\n"))
        for title, version in ((first, owner), (second, _shared(second.id, owner))):
            versions.publish_version(
                session=session, version=version, target=versions.Target(title.id)
            )
        retired = versions.publish_version(
            session=session, version=_version(first.id), target=versions.Target(first.id)
        )
        second_id = second.id
    assert retired == owner.prefix

    assert versions.collect(store, owner.prefix, session_factory) == 0
    assert store.exists(owner.hls_master)

    with transaction(session_factory) as session:
        last = versions.publish_version(
            session=session, version=_version(second_id), target=versions.Target(second_id)
        )
    assert last == owner.prefix
    assert versions.collect(store, owner.prefix, session_factory) == 1
    assert not store.exists(owner.hls_master)


def test_a_shared_version_retires_only_when_nothing_plays_it(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "media")
    with transaction(session_factory) as session:
        movie, other = make_title(session), make_title(session)
        series = make_title(session, kind=TitleKind.SERIES)
        season = Season(title_id=series.id, number=1)
        session.add(season)
        session.flush()
        episode = Episode(season_id=season.id, title_id=series.id, number=1, name="Pilot")
        session.add(episode)
        shared = _version(movie.id)
        store.put(shared.hls_master, io.BytesIO(b"#EXTM3U\n"))
        session.add(shared)
        session.flush()
        movie.current_version_id = other.current_version_id = shared.id
        episode.current_version_id = shared.id
        owners = [
            versions.Target(movie.id),
            versions.Target(other.id),
            versions.Target(series.id, episode.id),
        ]
        # The series plays the shared version through its episode: the admin list shows it.
        listed = versions.list_versions(session=session, title_id=series.id)
        assert [v.id for v in listed] == [shared.id]

    retired = []
    for target in owners:
        with transaction(session_factory) as session:
            fresh = _version(target.title_id, target.episode_id)
            retired.append(versions.publish_version(session=session, version=fresh, target=target))
    assert retired == [None, None, shared.prefix]
    with transaction(session_factory) as session:
        row = session.get(MediaVersion, shared.id)
        assert row is not None
        assert row.state is VersionState.RETIRED
    assert versions.collect(store, shared.prefix, session_factory) == 1
    assert not store.exists(shared.hls_master)
