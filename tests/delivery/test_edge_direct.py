"""The edge beside a local store: video segments sent from the lane tree, no origin hop."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from marquee import cli
from marquee.delivery import lanes
from marquee.storage import keys
from marquee.storage.local import LocalStore
from tests.delivery.support import link, open_session, publish, tampered, url
from tests.delivery.test_edge import SEGMENT, Edge, raw_get, start_edge
from tests.playback.packaged import packaged
from tests.support import assert_problem

__all__ = ["packaged"]


def _store(app: FastAPI) -> LocalStore:
    store = app.state.runtime.store
    assert isinstance(store, LocalStore)
    return store


@pytest.fixture
def direct(app: FastAPI, packaged: Path, tmp_path: Path) -> Iterator[Edge]:
    published = publish(app, packaged)
    assert lanes.write(_store(app), published.version_id) > 0
    with start_edge(app, published, tmp_path / "edge", media_root=_store(app).root) as running:
        yield running


def test_segments_and_playlists_are_sent_from_the_lane_tree_with_the_origins_headers(
    direct: Edge,
) -> None:
    store = _store(direct.app)
    data = direct.published.files[SEGMENT].read_bytes()
    whole = httpx.get(direct.url(SEGMENT), headers={"Origin": "https://tv.example"})
    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["content-type"] == "video/iso.segment"
    assert whole.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert whole.headers["access-control-allow-origin"] == "*"
    assert whole.headers["x-content-type-options"] == "nosniff"
    stored = store.stat(keys.version_file(direct.published.version_id, SEGMENT))
    assert whole.headers["etag"] == f'"{stored.etag}"'  # what the origin sends for it
    part = httpx.get(direct.url(SEGMENT), headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == data[100:200]
    head = httpx.head(direct.url(SEGMENT))
    assert head.headers["content-length"] == str(len(data))
    playlist = httpx.get(direct.url("480p.m3u8"))
    assert playlist.status_code == 200
    assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert playlist.content == direct.published.files["480p.m3u8"].read_bytes()
    assert direct.origin.total == 0


def test_a_lane_holds_only_its_own_files_and_the_rest_still_go_to_the_origin(
    direct: Edge,
) -> None:
    settings = direct.app.state.runtime.settings
    sid = open_session(direct.app, direct.published)
    prefix = link(settings, sid, direct.published.version_id).prefix
    # The 480p segment asked for in the 240 lane: not in that lane's tree, so the origin
    # is asked, and it refuses a file outside its rendition's lane.
    wrong = httpx.get(f"{direct.base}{prefix}v240/{SEGMENT}")
    assert_problem(wrong, 403, "rendition_not_allowed")
    assert direct.origin.hits[SEGMENT] == 1
    # A lane the signed scope does not list is refused at the edge, tree or not.
    narrow = url(settings, sid, direct.published, SEGMENT, heights=(240, 360))
    assert_problem(httpx.get(direct.base + narrow), 403, "rendition_not_allowed")
    assert direct.origin.hits[SEGMENT] == 1
    # Audio is not video: never in a lane, served and cached as before.
    audio = next(name for name in direct.published.files if name.startswith("init-3"))
    assert httpx.get(direct.url(audio)).status_code == 200
    assert direct.origin.hits[audio] == 1


def test_a_version_without_a_tree_is_cached_from_the_origin_as_before(direct: Edge) -> None:
    store = _store(direct.app)
    store.delete(keys.lane_prefix(direct.published.version_id))
    first = httpx.get(direct.url(SEGMENT))
    second = httpx.get(direct.url(SEGMENT))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content == direct.published.files[SEGMENT].read_bytes()
    assert [first.headers["x-cache-status"], second.headers["x-cache-status"]] == ["MISS", "HIT"]
    assert direct.origin.hits[SEGMENT] == 1


def test_bad_links_are_refused_before_the_tree_is_looked_at(direct: Edge) -> None:
    settings = direct.app.state.runtime.settings
    sid = open_session(direct.app, direct.published)
    good = link(settings, sid, direct.published.version_id)
    refused = httpx.get(f"{direct.base}{tampered(good)}v480/{SEGMENT}")
    assert_problem(refused, 403, "media_link_invalid")
    # Another version's tree cannot be reached by climbing out of the signed one.
    other = publish(direct.app, direct.published.files[SEGMENT].parent)
    lanes.write(_store(direct.app), other.version_id)
    for climb in ("../..", "%2e%2e/%2e%2e"):
        path = f"{good.prefix}v480/{climb}/{other.version_id}/v480/{SEGMENT}"
        answer = raw_get(direct.port, path)
        assert answer.split(b" ", 2)[1] in (b"400", b"403", b"404"), answer[:200]
    # The tree itself is only ever reached from a checked link.
    tree = f"/lanes/{direct.published.version_id}/v480/{SEGMENT}"
    assert_problem(httpx.get(direct.base + tree), 404, "not_found")
    assert direct.origin.hits[SEGMENT] == 0


def test_writing_a_tree_again_keeps_nothing_of_the_last_one(app: FastAPI, packaged: Path) -> None:
    store = _store(app)
    published = publish(app, packaged)
    stale = keys.lane_file(published.version_id, 240, "gone.m4s")
    store.put(stale, iter([b"old"]))
    count = lanes.write(store, published.version_id)
    listed = list(store.list(keys.lane_prefix(published.version_id)))
    assert stale not in listed
    assert len(listed) == count
    video = [name for name in published.files if name.startswith(("seg-", "init-"))]
    audio = [name for name in video if name.startswith(("seg-3", "init-3"))]
    assert audio  # the clip's audio track, which no lane holds
    for name in video:
        key = keys.lane_file(published.version_id, 480, name)
        assert (key in listed) == name.startswith(("seg-2", "init-2")), name
    linked = store.path_for(keys.lane_file(published.version_id, 480, SEGMENT))
    original = store.path_for(keys.version_file(published.version_id, SEGMENT))
    assert os.path.samefile(linked, original)  # a hard link: no bytes copied


def test_the_cli_writes_the_trees_of_a_library_published_before_them(
    app: FastAPI, packaged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(app)
    versions = [publish(app, packaged).version_id for _ in range(2)]
    assert not any(list(store.list(keys.lane_prefix(v))) for v in versions)
    monkeypatch.setenv("MARQUEE_STORAGE_BACKEND", "local")
    monkeypatch.setenv("MARQUEE_MEDIA_DIR", str(store.root))
    result = CliRunner().invoke(cli.app, ["edge", "lanes"])
    assert result.exit_code == 0, result.output
    for version in versions:
        assert keys.lane_file(version, 480, SEGMENT) in set(store.list(keys.lane_prefix(version)))
