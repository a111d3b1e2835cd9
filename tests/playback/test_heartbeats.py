"""Heartbeats and stops: slots kept and freed, positions checked and saved, events logged."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from marquee.app import create_app
from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.db import utcnow
from marquee.events.models import Event
from marquee.playback import service
from marquee.playback.models import PlaybackSession, StreamSlot
from tests.playback.conftest import make_viewer, start_body
from tests.support import ApiUser, assert_problem

SESSIONS = "/api/v1/playback/sessions"


def _start(client: TestClient, user: ApiUser, title: Title, device: str = "Laptop") -> Any:
    body = start_body(user.profile_id, title_id=title.id, device=device)
    return client.post(SESSIONS, json=body, headers=user.headers)


def _beat(client: TestClient, user: ApiUser, session_id: str, position: float, **extra: Any) -> Any:
    body = {"position": position, "state": "playing", **extra}
    return client.post(f"{SESSIONS}/{session_id}/heartbeat", json=body, headers=user.headers)


def _stop(client: TestClient, user: ApiUser, session_id: str, position: float) -> Any:
    url = f"{SESSIONS}/{session_id}/stop"
    return client.post(url, json={"position": position}, headers=user.headers)


def test_a_heartbeat_renews_the_slot_and_saves_the_position(
    client: TestClient, viewer: ApiUser, playable_title: Title, in_app_db: Callable[[], Any]
) -> None:
    session_id = _start(client, viewer, playable_title).json()["session_id"]
    before = utcnow()
    response = _beat(client, viewer, session_id, 12.5, rendition="720p", buffer_seconds=8)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_heartbeat_seconds"] == 10
    with in_app_db() as session:
        playback = session.get(PlaybackSession, uuid.UUID(session_id))
        slot = session.scalar(select(StreamSlot).where(StreamSlot.session_id == playback.id))
        assert (playback.position_seconds, playback.rendition) == (12.5, "720p")
        assert playback.state == "playing"
        assert slot.expires_at >= before + timedelta(seconds=119)
        kinds = list(session.scalars(select(Event.kind).where(Event.title_id == playable_title.id)))
    assert kinds.count("play_start") == 1
    assert kinds.count("progress") == 1
    positions = client.get(
        "/api/v1/playback/positions",
        params={"profile_id": viewer.profile_id, "title_id": str(playable_title.id)},
        headers=viewer.headers,
    ).json()["items"]
    assert [(p["position"], p["completed"]) for p in positions] == [(12.5, False)]


def test_someone_elses_session_is_404(
    client: TestClient, app: FastAPI, viewer: ApiUser, playable_title: Title
) -> None:
    session_id = _start(client, viewer, playable_title).json()["session_id"]
    other = make_viewer(client, app)
    assert_problem(_beat(client, other, session_id, 5), 404, "session_not_found")
    assert_problem(_stop(client, other, session_id, 5), 404, "session_not_found")
    assert _beat(client, viewer, session_id, 5).status_code == 200


def test_positions_past_the_end_or_negative_are_422(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    session_id = _start(client, viewer, playable_title).json()["session_id"]
    assert_problem(_beat(client, viewer, session_id, 601.5), 422, "position_out_of_range")
    assert_problem(_beat(client, viewer, session_id, -1), 422, "validation_error")
    assert_problem(_stop(client, viewer, session_id, 700), 422, "position_out_of_range")
    assert_problem(_stop(client, viewer, session_id, -0.5), 422, "validation_error")
    bad_state = _beat(client, viewer, session_id, 5, state="dancing")
    assert_problem(bad_state, 422, "validation_error")
    # Within a second past the end is a player overshooting, not an error.
    assert _beat(client, viewer, session_id, 600.5).status_code == 200


def test_a_stopped_session_frees_its_slot_and_takes_no_more_heartbeats(
    client: TestClient, app: FastAPI, playable_title: Title
) -> None:
    basic = make_viewer(client, app, plan="basic")  # one stream
    first = _start(client, basic, playable_title).json()["session_id"]
    refused = _start(client, basic, playable_title, device="TV")
    problem = assert_problem(refused, 409, "too_many_streams")
    assert (problem["max_streams"], problem["active_streams"]) == (1, 1)
    assert _stop(client, basic, first, 30).status_code == 204
    assert _stop(client, basic, first, 30).status_code == 204  # stopping twice is harmless
    assert_problem(_beat(client, basic, first, 31), 409, "session_ended")
    assert _start(client, basic, playable_title, device="TV").status_code == 201


def test_a_silent_session_frees_its_slot(
    client: TestClient, app: FastAPI, playable_title: Title, in_app_db: Callable[[], Any]
) -> None:
    basic = make_viewer(client, app, plan="basic")
    silent = _start(client, basic, playable_title).json()["session_id"]
    assert _start(client, basic, playable_title).status_code == 409
    # Two minutes and a second pass without a heartbeat.
    gone = utcnow() - timedelta(seconds=121)
    with in_app_db() as session:
        session.execute(update(StreamSlot).values(expires_at=gone + timedelta(seconds=120)))
        session.execute(update(PlaybackSession).values(last_seen_at=gone))
    assert _start(client, basic, playable_title, device="TV").status_code == 201
    assert_problem(_beat(client, basic, silent, 40), 409, "session_ended")


def test_the_account_page_lists_live_streams(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    laptop = _start(client, viewer, playable_title, device="Laptop").json()["session_id"]
    tv = _start(client, viewer, playable_title, device="Living room TV").json()["session_id"]
    streams = client.get("/api/v1/playback/streams", headers=viewer.headers).json()
    assert streams["max_streams"] == 2
    assert [(s["session_id"], s["device_name"]) for s in streams["items"]] == [
        (laptop, "Laptop"),
        (tv, "Living room TV"),
    ]
    assert streams["items"][0]["title"] == playable_title.name
    _stop(client, viewer, laptop, 10)
    streams = client.get("/api/v1/playback/streams", headers=viewer.headers).json()
    assert [s["session_id"] for s in streams["items"]] == [tv]


def test_resume_on_another_device_at_the_saved_position(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    phone = _start(client, viewer, playable_title, device="Phone").json()
    assert phone["resume_position"] == 0
    assert _beat(client, viewer, phone["session_id"], 42).status_code == 200
    assert _stop(client, viewer, phone["session_id"], 42).status_code == 204
    tv = _start(client, viewer, playable_title, device="TV").json()
    assert tv["resume_position"] == 42
    assert tv["start_position"] == 42
    assert tv["start_segment"] == 10  # 42 s is in the 4 s segment that starts at 40 s


def test_the_idle_sweep_marks_silent_sessions_stopped(
    client: TestClient,
    app: FastAPI,
    viewer: ApiUser,
    playable_title: Title,
    in_app_db: Callable[[], Any],
) -> None:
    session_id = _start(client, viewer, playable_title).json()["session_id"]
    settings = app.state.runtime.settings
    with in_app_db() as session:
        assert service.expire_idle_sessions(session=session, settings=settings) == 0
        later = utcnow() + timedelta(seconds=settings.playback_idle_seconds + 1)
        assert service.expire_idle_sessions(session=session, settings=settings, now=later) == 1
        playback = session.get(PlaybackSession, uuid.UUID(session_id))
        assert playback.stopped_at is not None
        assert (
            service.live_session(session=session, settings=settings, session_id=playback.id) is None
        )


def test_with_redis_slots_a_stop_frees_the_slot_and_heartbeats_keep_it(
    settings: Settings, redis_url: str, playable_title: Title
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": redis_url}))
    try:
        with TestClient(app) as client:
            basic = make_viewer(client, app, plan="basic")
            first = _start(client, basic, playable_title).json()["session_id"]
            assert _beat(client, basic, first, 20).status_code == 200
            assert_problem(_start(client, basic, playable_title), 409, "too_many_streams")
            streams = client.get("/api/v1/playback/streams", headers=basic.headers).json()
            assert [s["session_id"] for s in streams["items"]] == [first]
            assert _stop(client, basic, first, 25).status_code == 204
            assert _start(client, basic, playable_title).status_code == 201
    finally:
        app.state.runtime.close()
