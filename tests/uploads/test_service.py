"""The tus 1.0 server through HTTP: creation, offsets, checksums, termination, expiry, locking."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from marquee.accounts.models import Role
from marquee.catalog.models import Episode, Season, TitleKind
from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.jobs.models import Job
from marquee.storage import keys
from marquee.storage.base import read_all
from marquee.uploads import service as uploads
from marquee.uploads.models import Upload, UploadState
from tests.catalog.factories import make_title
from tests.support import ApiUser, assert_problem, signup, signup_with_role

BASE = "/api/v1/admin/uploads"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}
KIB = 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small parts, so a few KiB already cross part boundaries.
    return settings.model_copy(update={"upload_part_bytes": 4 * KIB})


@pytest.fixture
def editor(client: TestClient, app: FastAPI) -> ApiUser:
    return signup_with_role(client, app, Role.EDITOR)


@pytest.fixture
def title_id(app: FastAPI) -> str:
    with transaction(app.state.runtime.sessionmaker) as session:
        return str(make_title(session).id)


def _meta(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def _create(client: TestClient, editor: ApiUser, title_id: str, length: int, **meta: str) -> str:
    headers = {
        **TUS,
        **editor.headers,
        "Upload-Length": str(length),
        "Upload-Metadata": _meta(title_id=title_id, filename="master.mp4", **meta),
    }
    response = client.post(f"{BASE}/", headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["Tus-Resumable"] == "1.0.0"
    return response.headers["Location"]


def _patch(client: TestClient, editor: ApiUser, url: str, offset: int, body: bytes, **extra: str):  # type: ignore[no-untyped-def]
    headers = {**OCTETS, **editor.headers, "Upload-Offset": str(offset), **extra}
    return client.patch(url, headers=headers, content=body)


def _offset(client: TestClient, editor: ApiUser, url: str) -> int:
    response = client.head(url, headers={**TUS, **editor.headers})
    assert response.status_code == 200
    return int(response.headers["Upload-Offset"])


def _data(size: int) -> bytes:
    return (hashlib.sha256(b"seed").digest() * (size // 32 + 1))[:size]


def test_options_announces_the_server_without_credentials(client: TestClient) -> None:
    response = client.options(f"{BASE}/")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    extensions = response.headers["Tus-Extension"].split(",")
    for name in ["creation", "creation-with-upload", "termination", "expiration", "checksum"]:
        assert name in extensions
    assert "sha256" in response.headers["Tus-Checksum-Algorithm"]
    assert int(response.headers["Tus-Max-Size"]) > 0


def test_only_editors_speaking_tus_may_upload(
    client: TestClient, editor: ApiUser, title_id: str
) -> None:
    viewer = signup(client)
    headers = {**TUS, "Upload-Length": "10", "Upload-Metadata": _meta(title_id=title_id)}
    assert_problem(client.post(f"{BASE}/", headers=headers), 401, "not_authenticated")
    forbidden = client.post(f"{BASE}/", headers={**headers, **viewer.headers})
    assert_problem(forbidden, 403, "editor_required")
    old = client.post(f"{BASE}/", headers={**headers, **editor.headers, "Tus-Resumable": "0.2.2"})
    assert_problem(old, 412, "tus_version_unsupported")
    assert old.headers["Tus-Version"] == "1.0.0"


def test_upload_in_chunks_across_parts_then_ingest_is_queued(
    client: TestClient, app: FastAPI, editor: ApiUser, title_id: str
) -> None:
    data = _data(11 * KIB + 5)
    url = _create(client, editor, title_id, len(data), filetype="video/mp4")
    head = client.head(url, headers={**TUS, **editor.headers})
    assert head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Cache-Control"] == "no-store"
    assert "Upload-Expires" in head.headers
    assert "filename" in head.headers["Upload-Metadata"]
    for start in range(0, len(data), 3 * KIB):
        response = _patch(client, editor, url, start, data[start : start + 3 * KIB])
        assert response.status_code == 204, response.text
        assert response.headers["Upload-Offset"] == str(min(len(data), start + 3 * KIB))
    assert _offset(client, editor, url) == len(data)
    status = client.get(url, headers=editor.headers).json()
    assert status["state"] == "complete"
    assert status["title_id"] == title_id
    assert status["job_id"]
    upload_id = status["id"]
    store = app.state.runtime.store
    assert read_all(store, keys.upload(upload_id)) == data
    # Parts and tails are gone: only the assembled object is left.
    assert list(store.list(keys.upload_prefix(upload_id))) == [keys.upload(upload_id)]
    with transaction(app.state.runtime.sessionmaker) as session:
        job = session.scalars(select(Job).where(Job.key == f"ingest:{upload_id}")).one()
        assert job.kind == "ingest"
        assert job.payload["upload_id"] == upload_id
        assert str(job.id) == status["job_id"]


def test_creation_with_upload_and_empty_uploads(
    client: TestClient, editor: ApiUser, title_id: str
) -> None:
    headers = {
        **OCTETS,
        **editor.headers,
        "Upload-Length": "10",
        "Upload-Metadata": _meta(title_id=title_id),
    }
    created = client.post(f"{BASE}/", headers=headers, content=b"0123")
    assert created.status_code == 201, created.text
    assert created.headers["Upload-Offset"] == "4"
    rest = _patch(client, editor, created.headers["Location"], 4, b"456789")
    assert rest.headers["Upload-Offset"] == "10"
    empty = _create(client, editor, title_id, 0)
    assert client.get(empty, headers=editor.headers).json()["state"] == "complete"


def test_a_wrong_checksum_rejects_only_that_chunk(
    client: TestClient, app: FastAPI, editor: ApiUser, title_id: str
) -> None:
    data = _data(9 * KIB)
    url = _create(client, editor, title_id, len(data))

    def digest(algorithm: str, body: bytes) -> str:
        return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, body).digest()).decode()}"

    first, second = data[: 5 * KIB], data[5 * KIB :]
    ok = _patch(client, editor, url, 0, first, **{"Upload-Checksum": digest("sha256", first)})
    assert ok.status_code == 204
    wrong = _patch(
        client, editor, url, len(first), second, **{"Upload-Checksum": digest("sha256", first)}
    )
    assert_problem(wrong, 460, "checksum_mismatch")
    assert _offset(client, editor, url) == len(first)
    md5 = _patch(client, editor, url, len(first), second, **{"Upload-Checksum": "md5 AAAA"})
    assert_problem(md5, 400, "checksum_algorithm_unsupported")
    good = _patch(
        client, editor, url, len(first), second, **{"Upload-Checksum": digest("sha1", second)}
    )
    assert good.status_code == 204
    upload_id = url.rsplit("/", 1)[1]
    assert read_all(app.state.runtime.store, keys.upload(upload_id)) == data


def test_patches_that_do_not_fit_are_refused_and_lose_nothing(
    client: TestClient, editor: ApiUser, title_id: str
) -> None:
    url = _create(client, editor, title_id, 100)
    assert _patch(client, editor, url, 0, b"a" * 30).status_code == 204
    assert_problem(_patch(client, editor, url, 10, b"b" * 10), 409, "upload_offset_mismatch")
    assert_problem(_patch(client, editor, url, 30, b"c" * 71), 413, "upload_too_large")
    bad_type = client.patch(
        url,
        headers={**TUS, **editor.headers, "Upload-Offset": "30", "Content-Type": "text/plain"},
        content=b"x",
    )
    assert_problem(bad_type, 415, "unsupported_media_type")
    no_offset = client.patch(url, headers={**OCTETS, **editor.headers}, content=b"x")
    assert_problem(no_offset, 400, "malformed_tus_request")
    assert _offset(client, editor, url) == 30
    assert _patch(client, editor, url, 30, b"d" * 70).status_code == 204


@pytest.mark.parametrize(
    ("metadata", "status", "code"),
    [
        ("", 422, "upload_unbound"),
        ("title_id " + base64.b64encode(b"not-an-id").decode(), 422, "invalid_metadata"),
        ("title_id !!!", 400, "invalid_upload_metadata"),
        ("title_id", 422, "upload_unbound"),
    ],
)
def test_bad_metadata_is_refused(
    client: TestClient, editor: ApiUser, metadata: str, status: int, code: str
) -> None:
    headers = {**TUS, **editor.headers, "Upload-Length": "10", "Upload-Metadata": metadata}
    assert_problem(client.post(f"{BASE}/", headers=headers), status, code)


def test_bindings_and_sidecars_are_checked(
    client: TestClient, app: FastAPI, editor: ApiUser, title_id: str
) -> None:
    def create(length: str = "10", **meta: str):  # type: ignore[no-untyped-def]
        headers = {
            **TUS,
            **editor.headers,
            "Upload-Length": length,
            "Upload-Metadata": _meta(**meta),
        }
        return client.post(f"{BASE}/", headers=headers)

    unknown = "00000000-0000-0000-0000-000000000000"
    assert_problem(create(title_id=unknown), 422, "unknown_title")
    assert_problem(create(title_id=title_id, kind="subtitle"), 422, "invalid_metadata")
    assert_problem(create(title_id=title_id, kind="poster"), 422, "invalid_metadata")
    assert_problem(create(title_id=title_id, forced="maybe"), 422, "invalid_metadata")
    assert_problem(create(length=str(10**15), title_id=title_id), 413, "upload_too_large")
    for bad in ("xx", "english", "e1", "e" * 40):
        refused = create(title_id=title_id, kind="subtitle", language=bad)
        assert_problem(refused, 422, "invalid_metadata")
    # Labelled in the tracks' one form, whichever form the editor typed.
    fre = create(title_id=title_id, kind="subtitle", language="fre")
    assert client.get(fre.headers["Location"], headers=editor.headers).json()["language"] == "fr"
    sub = create(title_id=title_id, kind="subtitle", language="fr", forced="true")
    status = client.get(sub.headers["Location"], headers=editor.headers).json()
    assert (status["purpose"], status["language"], status["forced"], status["sdh"]) == (
        "subtitle",
        "fr",
        True,
        False,
    )
    with transaction(app.state.runtime.sessionmaker) as session:
        series = make_title(session, kind=TitleKind.SERIES)
        season = Season(title_id=series.id, number=1)
        session.add(season)
        session.flush()
        episode = Episode(season_id=season.id, title_id=series.id, number=1, name="Pilot")
        session.add(episode)
        session.flush()
        episode_id, series_id = str(episode.id), str(series.id)
    bound = create(episode_id=episode_id)
    status = client.get(bound.headers["Location"], headers=editor.headers).json()
    assert (status["episode_id"], status["title_id"]) == (episode_id, series_id)


def test_termination_removes_the_upload_and_its_bytes(
    client: TestClient, app: FastAPI, editor: ApiUser, title_id: str
) -> None:
    url = _create(client, editor, title_id, 20 * KIB)
    _patch(client, editor, url, 0, _data(10 * KIB + 3))
    upload_id = url.rsplit("/", 1)[1]
    assert list(app.state.runtime.store.list(keys.upload_prefix(upload_id)))
    deleted = client.delete(url, headers={**TUS, **editor.headers})
    assert deleted.status_code == 204
    assert client.head(url, headers={**TUS, **editor.headers}).status_code == 404
    assert list(app.state.runtime.store.list(keys.upload_prefix(upload_id))) == []
    assert_problem(client.delete(url, headers={**TUS, **editor.headers}), 404, "upload_not_found")


def test_expired_uploads_are_gone_and_cleaned_up(
    client: TestClient, app: FastAPI, editor: ApiUser, title_id: str
) -> None:
    url = _create(client, editor, title_id, 20 * KIB)
    _patch(client, editor, url, 0, _data(5 * KIB))
    done = _create(client, editor, title_id, 3)
    _patch(client, editor, done, 0, b"abc")
    with transaction(app.state.runtime.sessionmaker) as session:
        session.execute(update(Upload).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert client.head(url, headers={**TUS, **editor.headers}).status_code == 410
    assert_problem(_patch(client, editor, url, 5 * KIB, b"x"), 410, "upload_expired")
    store = app.state.runtime.store
    with transaction(app.state.runtime.sessionmaker) as session:
        assert uploads.expire_uploads(session=session, store=store) == 1
        remaining = session.scalars(select(Upload)).all()
        assert [u.state for u in remaining] == [UploadState.COMPLETE]
        expiry_jobs = session.scalars(select(Job).where(Job.kind == "expire_uploads")).all()
        assert expiry_jobs
    assert list(store.list("uploads/")) == [keys.upload(remaining[0].id)]


def test_one_writer_at_a_time(
    client: TestClient, app: FastAPI, editor: ApiUser, title_id: str
) -> None:
    url = _create(client, editor, title_id, 10)
    upload_id = url.rsplit("/", 1)[1]
    with transaction(app.state.runtime.sessionmaker) as session:
        session.execute(
            update(Upload).values(lock_token="other", locked_until=utcnow() + timedelta(minutes=1))
        )
    assert_problem(_patch(client, editor, url, 0, b"abc"), 409, "upload_busy")
    with transaction(app.state.runtime.sessionmaker) as session:
        session.execute(update(Upload).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert _patch(client, editor, url, 0, b"abc").status_code == 204
    with transaction(app.state.runtime.sessionmaker) as session:
        upload = session.get(Upload, uuid.UUID(upload_id))
        assert upload is not None
        assert upload.lock_token is None


def test_unknown_uploads_are_not_found(client: TestClient, editor: ApiUser, tmp_path: Path) -> None:
    url = f"{BASE}/00000000-0000-0000-0000-000000000000"
    assert client.head(url, headers={**TUS, **editor.headers}).status_code == 404
    assert_problem(_patch(client, editor, url, 0, b"x"), 404, "upload_not_found")
    assert_problem(client.get(url, headers=editor.headers), 404, "upload_not_found")


def test_browsers_on_another_origin_may_read_the_tus_headers(settings: Settings) -> None:
    from marquee.app import create_app

    web = create_app(settings.model_copy(update={"cors_origins": ["http://web.example"]}))
    try:
        with TestClient(web) as browser:
            response = browser.options(f"{BASE}/", headers={"Origin": "http://web.example"})
    finally:
        web.state.runtime.close()
    exposed = response.headers["Access-Control-Expose-Headers"]
    for name in ["Location", "Upload-Offset", "Tus-Resumable"]:
        assert name in exposed
