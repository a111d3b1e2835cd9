"""Public artwork: a published version's poster shows on catalogue pages without a session."""

from __future__ import annotations

import io
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.catalog.models import Title
from marquee.db import transaction
from marquee.storage import keys
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion
from marquee.versions.schemas import Artwork
from tests.catalog.factories import make_title
from tests.support import assert_problem

JPEG = b"\xff\xd8\xff\xe0" + b"poster" * 100


def _version(app: FastAPI, title_id: uuid.UUID) -> MediaVersion:
    version_id = uuid.uuid4()
    art = Artwork(
        poster=keys.version_file(version_id, "artwork/poster.jpg"),
        thumbnails=(keys.version_file(version_id, "artwork/thumb-0001.jpg"),),
        sprites=(keys.version_file(version_id, "artwork/sprite-0001.jpg"),),
    )
    for key in (art.poster, *art.thumbnails, *art.sprites):
        app.state.runtime.store.put(key, io.BytesIO(JPEG))
    return MediaVersion(
        id=version_id,
        title_id=title_id,
        duration_seconds=10.0,
        segment_seconds=4.0,
        prefix=keys.version_prefix(version_id),
        hls_master=keys.manifest_hls(version_id),
        dash_manifest=keys.manifest_dash(version_id),
        artwork=art,
    )


def _publish(app: FastAPI, title_id: uuid.UUID) -> MediaVersion:
    with transaction(app.state.runtime.sessionmaker) as session:
        version = _version(app, title_id)
        versions.publish_version(session=session, version=version, target=versions.Target(title_id))
    return version


def _poster(app: FastAPI, title_id: uuid.UUID) -> str | None:
    with transaction(app.state.runtime.sessionmaker) as session:
        title = session.get(Title, title_id)
        assert title is not None
        return title.poster


def test_a_published_version_gives_the_title_its_poster(client: TestClient, app: FastAPI) -> None:
    with transaction(app.state.runtime.sessionmaker) as session:
        title_id = make_title(session).id
    version = _publish(app, title_id)

    poster = _poster(app, title_id)
    assert poster == f"/artwork/{version.id}/poster.jpg"
    response = client.get(poster)
    assert response.status_code == 200
    assert response.content == JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert "immutable" in response.headers["cache-control"]
    assert client.get(f"/artwork/{version.id}/thumb-0001.jpg").status_code == 200

    newer = _publish(app, title_id)
    assert _poster(app, title_id) == f"/artwork/{newer.id}/poster.jpg"


def test_an_editors_own_poster_is_kept(client: TestClient, app: FastAPI) -> None:
    with transaction(app.state.runtime.sessionmaker) as session:
        title = make_title(session)
        title.poster = "https://images.example.com/poster.jpg"
        title_id = title.id
    _publish(app, title_id)
    assert _poster(app, title_id) == "https://images.example.com/poster.jpg"


def test_only_posters_and_thumbnails_are_public(client: TestClient, app: FastAPI) -> None:
    with transaction(app.state.runtime.sessionmaker) as session:
        title_id = make_title(session).id
    version = _publish(app, title_id)
    for path in (
        f"/artwork/{version.id}/sprite-0001.jpg",  # trickplay frames stay behind signed links
        f"/artwork/{version.id}/missing.jpg",
        f"/artwork/{uuid.uuid4()}/poster.jpg",
    ):
        assert_problem(client.get(path), 404, "artwork_not_found")
    # A climb out of the artwork folder never matches the route at all.
    climb = client.get(f"/artwork/{version.id}/..%2Fmaster.m3u8")
    assert climb.status_code == 404
    assert climb.headers["content-type"] == "application/problem+json"
