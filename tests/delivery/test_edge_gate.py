"""Real nginx in front of the app: renditions above the plan and lapsed links are refused at
the edge with no origin call, and sessions with different plans share one cached segment."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.app import create_app
from marquee.config import Settings
from marquee.db import transaction
from marquee.delivery.edge import EdgeOptions, Upstreams, nginx_config, prepare_dirs
from marquee.delivery.signing import MEDIA_COOKIE
from marquee.runtime import Runtime
from tests import services
from tests.delivery.ladder import Ladder, store_ladder
from tests.delivery.test_edge import OriginCounter
from tests.playback.conftest import make_playable_title, make_viewer, start_body
from tests.support import ApiUser, assert_problem

# Short links for the tests marked `short_links`, so that a lapse is seen in seconds rather
# than a minute; the others get long ones, which a busy machine cannot outlast mid-test.
LINK_SECONDS = 6
LONG_LINK_SECONDS = 600
# How long past a link's expiry a test keeps asking before it takes the last answer.
REFUSAL_GRACE_SECONDS = 30


@dataclass
class GatedEdge:
    base: str
    api: TestClient
    app: FastAPI
    origin: OriginCounter
    ladder: Ladder
    title_id: uuid.UUID

    def start(self, plan: str) -> tuple[ApiUser, dict[str, Any]]:
        viewer = make_viewer(self.api, self.app, plan=plan)
        body = start_body(viewer.profile_id, title_id=self.title_id)
        response = self.api.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
        assert response.status_code == 201, response.text
        return viewer, dict(response.json())

    def media(self, started: dict[str, Any], relative: str, token: str | None = None) -> str:
        """The edge URL of `relative` in the session's version, with a renewed token if given."""
        parts = started["hls_url"].removesuffix("master.m3u8").split("/")
        if token is not None:
            parts[3:6] = token.split("/")
        return self.base + "/".join(parts) + relative


@pytest.fixture
def gated(
    settings: Settings,
    make_runtime: Callable[[Settings], Runtime],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[GatedEdge]:
    short = request.node.get_closest_marker("short_links") is not None
    ttl = LINK_SECONDS if short else LONG_LINK_SECONDS
    runtime = make_runtime(settings.model_copy(update={"playback_link_ttl_seconds": ttl}))
    app = create_app(runtime)
    with transaction(runtime.sessionmaker) as session:
        title = make_playable_title(session)
        assert title.current_version_id is not None
        ids = (title.id, title.current_version_id)
    ladder = store_ladder(app, ids[1])
    counter = OriginCounter(app)
    origin_port, edge_port = services.free_port(), services.free_port()
    root = tmp_path / "edge"
    options = EdgeOptions(
        listen=f"127.0.0.1:{edge_port}",
        origins=Upstreams(servers=(f"127.0.0.1:{origin_port}",)),
        cache_dir=root / "cache",
        run_dir=root / "run",
        log_dir=root / "logs",
        user="root" if os.geteuid() == 0 else None,
        worker_processes="2",
        cache_max_size="100m",
    )
    prepare_dirs(options)
    config = root / "nginx.conf"
    config.write_text(nginx_config(runtime.settings, options))
    with (
        TestClient(app) as api,
        services.serve_app(counter, origin_port),
        services.nginx(config, edge_port),
    ):
        yield GatedEdge(f"http://127.0.0.1:{edge_port}", api, app, counter, ladder, ids[0])


def test_a_basic_plan_gets_no_1080p_byte_from_the_edge(gated: GatedEdge) -> None:
    _, started = gated.start("basic")
    ladder = gated.ladder
    master = httpx.get(gated.media(started, "master.m3u8"))
    assert master.status_code == 200
    assert "1080p" not in master.text
    ok = httpx.get(gated.media(started, f"v720/{ladder.segment(720)}"))
    assert ok.status_code == 200
    assert ok.content == ladder.files[ladder.segment(720)]
    top = ladder.segment(1080)
    before = gated.origin.total
    # Refused by nginx alone: the lane is outside the signed scope, or the scope was edited.
    for relative in (f"v1080/{top}", f"v1080/{ladder.playlist(1080)}", f"v01080/{top}"):
        assert_problem(httpx.get(gated.media(started, relative)), 403, "rendition_not_allowed")
    widened = gated.media(started, f"v1080/{top}").replace("/240-480-720/", "/240-480-720-1080/")
    assert_problem(httpx.get(widened), 403, "media_link_invalid")
    assert gated.origin.total == before
    # A 1080p file in an allowed lane, or in none, is refused by the origin, and never cached.
    for relative in (f"v720/{top}", top, f"v720/{top}"):
        answer = httpx.get(gated.media(started, relative))
        assert_problem(answer, 403, "rendition_not_allowed")
        assert ladder.files[top] not in answer.content
    assert gated.origin.hits[top] == 3


def test_sessions_on_different_plans_share_one_cached_segment(gated: GatedEdge) -> None:
    _, basic = gated.start("basic")
    _, standard = gated.start("standard")
    assert basic["media_token"] != standard["media_token"]
    segment = gated.ladder.segment(480)
    first = httpx.get(gated.media(basic, f"v480/{segment}"))
    second = httpx.get(gated.media(standard, f"v480/{segment}"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content == gated.ladder.files[segment]
    assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
    assert gated.origin.hits[segment] == 1


def link_expiry(token: str) -> int:
    """When a `{expires}/{signature}/{scope}` token lapses, in epoch seconds."""
    return int(token.split("/")[0])


def wait_until_refused(
    url: str, expires: int, *, cookie: str | None = None
) -> tuple[httpx.Response, float]:
    """The first answer that is not a 200 (or the last one, well after `expires`), and when it
    came (epoch seconds). A busy machine only makes the wait longer, never the test fail."""
    headers = {"Cookie": f"{MEDIA_COOKIE}={cookie}"} if cookie is not None else {}
    while True:
        answer = httpx.get(url, headers=headers)
        now = time.time()
        if answer.status_code != 200 or now > expires + REFUSAL_GRACE_SECONDS:
            return answer, now
        time.sleep(0.2)


@pytest.mark.short_links
def test_a_stopped_session_stops_answering_at_the_edge_when_its_link_lapses(
    gated: GatedEdge,
) -> None:
    viewer, started = gated.start("standard")
    first_expires = link_expiry(started["media_token"])
    segment = f"v720/{gated.ladder.segment(720)}"
    # Fetched at once, while the first link holds: the edge caches it.
    assert httpx.get(gated.media(started, segment)).status_code == 200
    first, refused_at = wait_until_refused(gated.media(started, segment), first_expires)
    assert_problem(first, 403, "media_link_expired")
    assert refused_at >= first_expires  # not a moment before its time
    # The session is still live: a heartbeat renews the link, which answers from the cache.
    beat = gated.api.post(
        f"/api/v1/playback/sessions/{started['session_id']}/heartbeat",
        json={"position": 1.0, "state": "playing"},
        headers=viewer.headers,
    )
    assert beat.status_code == 200, beat.text
    token = beat.json()["media_token"]
    renewed = httpx.get(gated.media(started, segment, token))
    assert renewed.status_code == 200
    assert renewed.headers["x-cache-status"] == "HIT"
    stop = gated.api.post(
        f"/api/v1/playback/sessions/{started['session_id']}/stop",
        json={"position": 2.0},
        headers=viewer.headers,
    )
    assert stop.status_code == 204
    assert_problem(
        httpx.get(gated.media(started, "master.m3u8", token)), 403, "media_session_ended"
    )
    hits = gated.origin.total
    lapsed, refused_at = wait_until_refused(
        gated.media(started, segment, token), link_expiry(token)
    )
    assert_problem(lapsed, 403, "media_link_expired")
    assert refused_at >= link_expiry(token)
    assert gated.origin.total == hits  # refused by nginx alone
