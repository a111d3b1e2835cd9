"""The origin route on both stores: ranges, ETags, per-session manifests, bad links, traversal."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from marquee.app import create_app
from marquee.config import Settings
from marquee.db import utcnow
from marquee.delivery import origin
from marquee.delivery.errors import LinkInvalid
from marquee.storage.errors import ObjectNotFound
from marquee.storage.keys import version_file
from marquee.storage.s3 import S3Store
from tests.delivery.support import Published, link, open_session, publish, url
from tests.playback.packaged import packaged
from tests.support import assert_problem

__all__ = ["packaged"]
SEGMENT = "seg-1-00001.m4s"


@pytest.fixture(params=["local", "s3"])
def media_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "local":
        return settings
    return settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_endpoint_url": request.getfixturevalue("s3_endpoint"),
            "s3_bucket": f"origin-{uuid.uuid4().hex[:12]}",
            "s3_access_key": "testing",
            "s3_secret_key": SecretStr("testing"),
        }
    )


@pytest.fixture
def media_app(media_settings: Settings) -> Iterator[FastAPI]:
    application = create_app(media_settings)
    if isinstance(application.state.runtime.store, S3Store):
        application.state.runtime.store.ensure_bucket()
    yield application
    application.state.runtime.close()


@pytest.fixture
def media_client(media_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(media_app) as test_client:
        yield test_client


@pytest.fixture
def published(media_app: FastAPI, packaged: Path, tmp_path: Path) -> Published:
    outside = tmp_path / "secret.txt"  # a file next to the store that must never be served
    outside.write_text("not media")
    art = packaged.parent / "artwork"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024 + 12345))
    extra = {
        "artwork/poster.jpg": art / "poster.jpg",
        "artwork/thumbnails.vtt": art / "thumbnails.vtt",
        "big.bin": big,
    }
    return publish(media_app, packaged, extra)


def _session(media_app: FastAPI, published: Published, **kwargs: object) -> uuid.UUID:
    return open_session(media_app, published, **kwargs)  # type: ignore[arg-type]


def test_a_segment_comes_whole_with_immutable_caching_and_cors(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    sid = _session(media_app, published)
    response = media_client.get(url(media_app.state.runtime.settings, sid, published, SEGMENT))
    assert response.status_code == 200
    assert response.content == published.files[SEGMENT].read_bytes()
    assert response.headers["content-type"] == "video/iso.segment"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Content-Range" in response.headers["access-control-expose-headers"]


def test_byte_ranges_suffixes_and_unsatisfiable_ranges(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    path = url(media_app.state.runtime.settings, _session(media_app, published), published, SEGMENT)
    data = published.files[SEGMENT].read_bytes()
    size = len(data)
    for header, first, last in [
        ("bytes=100-199", 100, 199),
        ("bytes=-50", size - 50, size - 1),
        (f"bytes={size - 10}-", size - 10, size - 1),
        (f"bytes=0-{size * 2}", 0, size - 1),
    ]:
        response = media_client.get(path, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert response.content == data[first : last + 1]
    response = media_client.get(path, headers={"Range": f"bytes={size}-"})
    assert_problem(response, 416, "range_not_satisfiable")
    assert response.headers["content-range"] == f"bytes */{size}"
    # A stale If-Range gets the whole file; several ranges are answered with the whole file.
    stale = media_client.get(path, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert (stale.status_code, len(stale.content)) == (200, size)
    multi = media_client.get(path, headers={"Range": "bytes=0-9,20-29"})
    assert (multi.status_code, len(multi.content)) == (200, size)


def test_etags_answer_304_and_head_sends_no_body(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    path = url(media_app.state.runtime.settings, _session(media_app, published), published, SEGMENT)
    etag = media_client.get(path).headers["etag"]
    again = media_client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert media_client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    head = media_client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(published.files[SEGMENT].stat().st_size)


def test_manifests_are_cut_per_session_and_private(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    settings = media_app.state.runtime.settings
    small = _session(media_app, published, max_height=360)
    large = _session(media_app, published, max_height=1080)
    master = media_client.get(url(settings, small, published, "master.m3u8"))
    assert master.status_code == 200
    assert master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert master.headers["cache-control"] == "private, max-age=10"
    assert "360p.m3u8" in master.text
    assert "480p.m3u8" not in master.text
    assert "480p.m3u8" in media_client.get(url(settings, large, published, "master.m3u8")).text
    mpd = media_client.get(url(settings, small, published, "manifest.mpd"))
    assert mpd.headers["content-type"] == "application/dash+xml"
    assert b'height="360"' in mpd.content
    assert b'height="480"' not in mpd.content
    cached = media_client.get(
        url(settings, small, published, "manifest.mpd"),
        headers={"If-None-Match": mpd.headers["etag"]},
    )
    assert cached.status_code == 304


def test_other_files_have_their_content_types(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    sid = _session(media_app, published)
    for relative, content_type in [
        ("360p.m3u8", "application/vnd.apple.mpegurl"),
        ("init-1.m4s", "video/iso.segment"),
        ("subs_en.vtt", "text/vtt; charset=utf-8"),
        ("artwork/poster.jpg", "image/jpeg"),
        ("artwork/thumbnails.vtt", "text/vtt; charset=utf-8"),
    ]:
        response = media_client.get(url(media_app.state.runtime.settings, sid, published, relative))
        assert response.status_code == 200, relative
        assert response.headers["content-type"] == content_type
        assert response.content == published.files[relative].read_bytes()
    missing = media_client.get(
        url(media_app.state.runtime.settings, sid, published, "seg-9-99999.m4s")
    )
    assert_problem(missing, 404, "object_not_found")


def test_subtitle_segments_answer_at_the_top_of_the_version_in_any_scope(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    sid = _session(media_app, published, max_height=240)
    settings = media_app.state.runtime.settings
    for relative, content_type in [
        ("subs_en.m3u8", "application/vnd.apple.mpegurl"),
        ("subs_en-00001.vtt", "text/vtt; charset=utf-8"),
    ]:
        response = media_client.get(url(settings, sid, published, relative, heights=(240,)))
        assert response.status_code == 200, relative
        assert response.headers["content-type"] == content_type
        assert response.content == published.files[relative].read_bytes()


def test_a_stopped_session_gets_no_manifest_and_no_segment(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    sid = _session(media_app, published, stopped=True)
    settings = media_app.state.runtime.settings
    for relative in ("master.m3u8", "manifest.mpd", SEGMENT, "subs_en.vtt"):
        response = media_client.get(url(settings, sid, published, relative))
        assert_problem(response, 403, "media_session_ended")


def test_tampered_expired_and_foreign_links_are_refused(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    settings = media_app.state.runtime.settings
    mine = _session(media_app, published)
    theirs = _session(media_app, published)
    good = link(settings, mine, published.version_id)
    flipped = good.signature[:-1] + ("A" if good.signature[-1] != "A" else "B")
    tampered = good.prefix.replace(good.signature, flipped) + SEGMENT
    assert_problem(media_client.get(tampered), 403, "media_link_invalid")
    later = good.prefix.replace(f"/{good.expires}/", f"/{good.expires + 3600}/") + SEGMENT
    assert_problem(media_client.get(later), 403, "media_link_invalid")
    foreign = link(settings, theirs, published.version_id)
    swapped = foreign.prefix.replace(str(theirs), str(mine)) + SEGMENT
    assert_problem(media_client.get(swapped), 403, "media_link_invalid")
    past = link(settings, mine, published.version_id, expires_at=utcnow() - timedelta(seconds=1))
    assert_problem(media_client.get(past.prefix + SEGMENT), 403, "media_link_expired")
    # Correctly signed, but for no session, or for a version the session does not play.
    ghost = link(settings, uuid.uuid4(), published.version_id)
    assert_problem(media_client.get(ghost.prefix + SEGMENT), 403, "media_link_invalid")
    other = link(settings, mine, uuid.uuid4())
    assert_problem(media_client.get(other.prefix + SEGMENT), 403, "media_link_invalid")
    upper = good.prefix.replace(str(mine), str(mine).upper()) + SEGMENT
    assert_problem(media_client.get(upper), 403, "media_link_invalid")


ESCAPES = [
    "%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "..%2f..%2fsecret.txt",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "..%5c..%5csecret.txt",
    "360p.m3u8%00.jpg",
    ".hidden",
]


def test_paths_that_could_leave_the_version_are_not_found(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    sid = _session(media_app, published)
    prefix = link(media_app.state.runtime.settings, sid, published.version_id).prefix
    for relative in ESCAPES:
        response = media_client.get(prefix + relative)
        assert_problem(response, 404, "object_not_found")
        assert b"not media" not in response.content


def test_resolve_refuses_dot_segments_before_touching_the_store() -> None:
    settings = Settings(env="test")
    good = link(settings, uuid.uuid4(), uuid.uuid4())
    parts = {
        "session_id": str(good.session_id),
        "expires": str(good.expires),
        "signature": good.signature,
        "scope": good.scope,
        "version_id": str(good.version_id),
        "now": utcnow(),
    }
    target = origin.resolve(settings, path="a/seg.m4s", **parts)  # type: ignore[arg-type]
    assert target.key == version_file(good.version_id, "a/seg.m4s")
    with pytest.raises(ObjectNotFound):
        origin.resolve(settings, path="../../x", **parts)  # type: ignore[arg-type]
    with pytest.raises(LinkInvalid):
        origin.resolve(settings, path="x", **{**parts, "expires": "12x"})  # type: ignore[arg-type]


def test_cors_follows_the_configured_origins(media_app: FastAPI, published: Published) -> None:
    settings = media_app.state.runtime.settings.model_copy(
        update={"cors_origins": ["https://tv.example"]}
    )
    application = create_app(settings)
    try:
        sid = open_session(application, published)
        with TestClient(application) as client:
            path = url(settings, sid, published, SEGMENT)
            allowed = client.get(path, headers={"Origin": "https://tv.example"})
            assert allowed.headers["access-control-allow-origin"] == "https://tv.example"
            assert "Content-Range" in allowed.headers["access-control-expose-headers"]
            other = client.get(path, headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in other.headers
            preflight = client.options(
                path,
                headers={
                    "Origin": "https://tv.example",
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "range",
                },
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == "https://tv.example"
    finally:
        application.state.runtime.close()


def test_preflight_without_an_app_wide_policy(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    sid = _session(media_app, published)
    response = media_client.options(
        url(media_app.state.runtime.settings, sid, published, SEGMENT),
        headers={"Origin": "https://any.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Range" in response.headers["access-control-allow-headers"]


def test_files_larger_than_a_read_chunk_come_whole_and_in_ranges(
    media_app: FastAPI, media_client: TestClient, published: Published
) -> None:
    path = url(
        media_app.state.runtime.settings, _session(media_app, published), published, "big.bin"
    )
    data = published.files["big.bin"].read_bytes()
    whole = media_client.get(path)
    assert whole.content == data
    assert whole.headers["content-type"] == "application/octet-stream"
    first, last = 1024 * 1024 - 100, 2 * 1024 * 1024 + 99
    part = media_client.get(path, headers={"Range": f"bytes={first}-{last}"})
    assert part.status_code == 206
    assert part.content == data[first : last + 1]
