"""The origin honours the plan and the session: no rendition above the plan even by URL,
short links renewed by heartbeats, and no media for a stopped session once its link lapses.

The app runs on a runtime whose clock the test moves, so hours pass without sleeping.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.app import create_app
from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.delivery.signing import MEDIA_COOKIE
from marquee.playback import licenses
from marquee.runtime import Runtime
from marquee.versions import content_keys
from tests.delivery.ladder import Ladder, store_ladder
from tests.delivery.support import media_cookie
from tests.playback.conftest import make_playable_title, make_viewer, set_plan, start_body
from tests.support import ApiUser, assert_problem


class Clock:
    """The runtime's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Gate:
    app: FastAPI
    client: TestClient
    clock: Clock
    ladder: Ladder
    title_id: uuid.UUID

    def viewer(self, plan: str) -> ApiUser:
        return make_viewer(self.client, self.app, plan=plan)

    def start(self, viewer: ApiUser) -> dict[str, Any]:
        body = start_body(viewer.profile_id, title_id=self.title_id)
        response = self.client.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def heartbeat(self, viewer: ApiUser, started: dict[str, Any]) -> Any:
        return self.client.post(
            f"/api/v1/playback/sessions/{started['session_id']}/heartbeat",
            json={"position": 1.0, "state": "playing"},
            headers=viewer.headers,
        )


def prefix(started: dict[str, Any], token: str | None = None) -> str:
    """The session's media prefix (ending in a slash), with a renewed token if given."""
    base = started["hls_url"].removesuffix("master.m3u8")
    if token is None:
        return str(base)
    parts = base.split("/")  # "", "media", session, expires, signature, scope, version, ""
    parts[3:6] = token.split("/")
    return "/".join(parts)


@pytest.fixture
def gate(settings: Settings) -> Iterator[Gate]:
    clock = Clock()
    runtime = Runtime.from_settings(settings, clock=clock)
    application = create_app(runtime)
    try:
        with transaction(runtime.sessionmaker) as session:
            title = make_playable_title(session)
            assert title.current_version_id is not None
            ids = (title.id, title.current_version_id)
        ladder = store_ladder(application, ids[1])
        with TestClient(application) as client:
            yield Gate(application, client, clock, ladder, ids[0])
    finally:
        runtime.close()


def test_a_basic_plan_gets_no_1080p_byte_even_by_url(gate: Gate) -> None:
    basic = gate.viewer("basic")
    started = gate.start(basic)
    assert started["max_height"] == 720
    base = prefix(started)
    assert "/240-480-720/" in base
    master = gate.client.get(base + "master.m3u8")
    assert master.status_code == 200
    assert "v720/720p.m3u8" in master.text
    assert "1080p" not in master.text
    mpd = gate.client.get(base + "manifest.mpd").text
    assert "<BaseURL>v720/</BaseURL>" in mpd
    assert 'height="1080"' not in mpd
    # What the 720p rung's own playlist names answers, in its lane.
    assert gate.client.get(base + "v720/720p.m3u8").status_code == 200
    seg_720 = gate.client.get(base + "v720/" + gate.ladder.segment(720))
    assert seg_720.content == gate.ladder.files[gate.ladder.segment(720)]
    assert gate.client.get(base + "audio_en.m3u8").status_code == 200
    top = gate.ladder.segment(1080)
    for guess in (
        f"v1080/{top}",  # the 1080p lane: not in the signed scope
        f"v1080/{gate.ladder.playlist(1080)}",
        f"v720/{top}",  # a 1080p file in an allowed lane
        top,  # outside any lane
        gate.ladder.playlist(1080),
        "1080p-iframes.m3u8",
        f"v0720/{gate.ladder.segment(720)}",  # a lane spelled another way
    ):
        answer = gate.client.get(base + guess)
        assert_problem(answer, 403, "rendition_not_allowed")
        assert gate.ladder.files[top] not in answer.content
    # The stored manifests, whole, are nowhere: only the per-session cut at the top.
    assert_problem(gate.client.get(base + "v720/master.m3u8"), 404, "object_not_found")
    widened = base.replace("/240-480-720/", "/240-480-720-1080/")
    assert_problem(gate.client.get(widened + f"v1080/{top}"), 403, "media_link_invalid")


def test_a_standard_plan_gets_1080p_in_its_lane(gate: Gate) -> None:
    started = gate.start(gate.viewer("standard"))
    base = prefix(started)
    top = gate.ladder.segment(1080)
    assert "v1080/1080p.m3u8" in gate.client.get(base + "master.m3u8").text
    assert gate.client.get(base + f"v1080/{top}").content == gate.ladder.files[top]
    assert_problem(gate.client.get(base + top), 403, "rendition_not_allowed")
    assert_problem(gate.client.get(base + f"v240/{top}"), 403, "rendition_not_allowed")


def test_a_stopped_session_stops_answering_within_a_minute(gate: Gate) -> None:
    ttl = gate.app.state.runtime.settings.playback_link_ttl_seconds
    assert ttl <= 60
    viewer = gate.viewer("standard")
    started = gate.start(viewer)
    segment = f"v720/{gate.ladder.segment(720)}"
    gate.clock.advance(10)
    beat = gate.heartbeat(viewer, started)
    assert beat.status_code == 200, beat.text
    renewed = prefix(started, beat.json()["media_token"])
    assert gate.client.get(renewed + segment).status_code == 200
    stopped = gate.client.post(
        f"/api/v1/playback/sessions/{started['session_id']}/stop",
        json={"position": 12.0},
        headers=viewer.headers,
    )
    assert stopped.status_code == 204
    # Manifests are refused at once; segments (cached at edges, and the origin's note that
    # the session is live) answer until the last link lapses, and no heartbeat renews it.
    assert_problem(gate.client.get(renewed + "manifest.mpd"), 403, "media_session_ended")
    assert_problem(gate.heartbeat(viewer, started), 409, "session_ended")
    gate.clock.advance(ttl)
    assert_problem(gate.client.get(renewed + segment), 403, "media_link_expired")
    assert_problem(gate.client.get(renewed + "master.m3u8"), 403, "media_link_expired")


def test_a_live_session_renews_its_links_past_six_hours(gate: Gate) -> None:
    idle = gate.app.state.runtime.settings.playback_idle_seconds
    viewer = gate.viewer("standard")
    began = gate.clock.now
    started = gate.start(viewer)
    first = prefix(started)
    segment = f"v480/{gate.ladder.segment(480)}"
    token = started["media_token"]
    while gate.clock.now - began < timedelta(hours=6, minutes=15):
        gate.clock.advance(idle * 0.8)  # heard from within the idle limit each time
        beat = gate.heartbeat(viewer, started)
        assert beat.status_code == 200, beat.text
        token = beat.json()["media_token"]
    latest = prefix(started, token)
    assert gate.client.get(latest + "manifest.mpd").status_code == 200
    assert gate.client.get(latest + segment).status_code == 200
    assert_problem(gate.client.get(first + segment), 403, "media_link_expired")


def test_links_are_short_lived_and_every_heartbeat_signs_a_later_one(gate: Gate) -> None:
    settings = gate.app.state.runtime.settings
    viewer = gate.viewer("standard")
    started = gate.start(viewer)
    expires = datetime.fromisoformat(started["expires_at"])
    assert expires - gate.clock.now <= timedelta(seconds=settings.playback_link_ttl_seconds)
    gate.clock.advance(5)
    beat = gate.heartbeat(viewer, started).json()
    assert beat["media_token"] != started["media_token"]
    renewed = datetime.fromisoformat(beat["media_expires_at"])
    assert renewed > expires
    assert beat["media_token"].split("/")[0] == str(int(renewed.timestamp()))


def _encrypt(gate: Gate) -> uuid.UUID:
    """The gate's title encrypted, with its content key made; returns the key id."""
    runtime = gate.app.state.runtime
    with transaction(runtime.sessionmaker) as session:
        title = session.get(Title, gate.title_id)
        assert title is not None
        title.encrypted = True
        key = content_keys.key_for_title(
            session=session, settings=runtime.settings, title_id=title.id
        )
        assert key is not None
        return key.kid


def _licence(gate: Gate, url: str, kid: uuid.UUID) -> Any:
    return gate.client.post(url, json={"kids": [licenses.b64url(kid.bytes)], "type": "temporary"})


def test_a_live_session_gets_licences_past_six_hours(gate: Gate) -> None:
    settings = gate.app.state.runtime.settings
    kid = _encrypt(gate)
    viewer = gate.viewer("standard")
    began = gate.clock.now
    started = gate.start(viewer)
    assert started["license_url"]
    licence_url = started["license_url"]
    life = timedelta(seconds=settings.playback_license_ttl_seconds)
    while gate.clock.now - began < life + timedelta(minutes=15):
        gate.clock.advance(settings.playback_idle_seconds * 0.8)
        beat = gate.heartbeat(viewer, started)
        assert beat.status_code == 200, beat.text
        licence_url = beat.json()["license_url"]
    # The start's token has lapsed; the newest heartbeat's licenses the same key.
    assert_problem(_licence(gate, started["license_url"], kid), 403, "license_denied")
    granted = _licence(gate, licence_url, kid)
    assert granted.status_code == 200, granted.text
    assert licenses.from_b64url(granted.json()["keys"][0]["kid"]) == kid.bytes


def test_a_plan_downgraded_mid_session_narrows_the_next_link(gate: Gate) -> None:
    kid = _encrypt(gate)
    viewer = gate.viewer("standard")
    started = gate.start(viewer)
    assert started["max_height"] == 1080
    top = f"v1080/{gate.ladder.segment(1080)}"
    assert gate.client.get(prefix(started) + top).status_code == 200
    with transaction(gate.app.state.runtime.sessionmaker) as session:
        set_plan(session, user_id=viewer.id, plan="basic")
    # Until the next heartbeat the session is above its plan: no more keys.
    assert_problem(_licence(gate, started["license_url"], kid), 403, "license_denied")
    gate.clock.advance(5)
    beat = gate.heartbeat(viewer, started)
    assert beat.status_code == 200, beat.text
    renewal = beat.json()
    assert renewal["max_height"] == 720
    assert renewal["media_token"].endswith("/240-480-720")
    renewed = prefix(started, renewal["media_token"])
    assert_problem(gate.client.get(renewed + top), 403, "rendition_not_allowed")
    assert gate.client.get(renewed + f"v720/{gate.ladder.segment(720)}").status_code == 200
    assert "1080p" not in gate.client.get(renewed + "master.m3u8").text
    # Within the plan again, the session is licensed again.
    assert _licence(gate, renewal["license_url"], kid).status_code == 200
    # The wider link issued before the downgrade lapses within its short life.
    gate.clock.advance(gate.app.state.runtime.settings.playback_link_ttl_seconds)
    assert_problem(gate.client.get(prefix(started) + top), 403, "media_link_expired")


def test_the_origin_serves_native_hls_by_the_session_cookie(gate: Gate) -> None:
    ttl = gate.app.state.runtime.settings.playback_link_ttl_seconds
    viewer = gate.viewer("standard")
    body = start_body(viewer.profile_id, title_id=gate.title_id)
    answer = gate.client.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
    assert answer.status_code == 201, answer.text
    started = answer.json()
    folder = started["native_hls_url"].removesuffix("master.m3u8")
    segment = f"v720/{gate.ladder.segment(720)}"

    def get(relative: str, cookie: str | None) -> Any:
        headers = {"Cookie": f"{MEDIA_COOKIE}={cookie}"} if cookie else {}
        return gate.client.get(folder + relative, headers=headers)

    cookie = media_cookie(answer).value
    assert "v720/720p.m3u8" in get("master.m3u8", cookie).text
    assert get(segment, cookie).content == gate.ladder.files[gate.ladder.segment(720)]
    assert_problem(get(segment, None), 403, "media_link_invalid")
    gate.clock.advance(ttl - 5)
    beat = gate.heartbeat(viewer, started)
    assert beat.status_code == 200, beat.text
    gate.clock.advance(10)
    assert_problem(get(segment, cookie), 403, "media_link_expired")
    assert get(segment, media_cookie(beat).value).status_code == 200
