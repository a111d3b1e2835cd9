"""Positions watched offline come back with their times: logged then, saved unless newer exists."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from marquee.catalog.models import Title
from marquee.db import utcnow
from marquee.events.models import Event
from tests.downloads.conftest import download, downloads_url
from tests.playback.conftest import Series, start_body
from tests.support import ApiUser, assert_problem


def _report(position: float, at: datetime, watched: float = 0.0) -> dict[str, Any]:
    return {"position": position, "watched_at": at.isoformat(), "watched_seconds": watched}


def _send(client: TestClient, user: ApiUser, download_id: str, *reports: dict[str, Any]) -> Any:
    url = f"{downloads_url(user)}/{download_id}/progress"
    return client.post(url, json={"reports": list(reports)}, headers=user.headers)


def _resume(client: TestClient, user: ApiUser, title_id: uuid.UUID) -> float:
    body = start_body(user.profile_id, title_id=title_id, device="Other device")
    started = client.post("/api/v1/playback/sessions", json=body, headers=user.headers)
    assert started.status_code == 201, started.text
    client.post(
        f"/api/v1/playback/sessions/{started.json()['session_id']}/stop",
        json={"position": started.json()["resume_position"]},
        headers=user.headers,
    )
    return float(started.json()["resume_position"])


def test_offline_positions_are_logged_at_their_times_and_resume_elsewhere(
    client: TestClient, viewer: ApiUser, playable_title: Title, in_app_db: Callable[[], Any]
) -> None:
    made = download(client, viewer, title_id=playable_title.id).json()
    start = utcnow() + timedelta(seconds=1)
    answer = _send(
        client,
        viewer,
        made["id"],
        _report(130.0, start + timedelta(seconds=130), 120.0),  # sent out of order
        _report(10.0, start + timedelta(seconds=10), 10.0),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 2, "position_saved": True}
    with in_app_db() as session:
        rows = session.scalars(
            select(Event)
            .where(Event.title_id == playable_title.id, Event.kind == "progress")
            .order_by(Event.occurred_at)
        ).all()
        assert [r.payload["position"] for r in rows] == [10.0, 130.0]
        assert [r.occurred_at for r in rows] == [
            start + timedelta(seconds=10),
            start + timedelta(seconds=130),
        ]
    listed = client.get(downloads_url(viewer), headers=viewer.headers).json()["items"][0]
    assert datetime.fromisoformat(listed["first_played_at"]) == start + timedelta(seconds=10)
    # Another device of the profile resumes where the offline viewing stopped.
    assert _resume(client, viewer, playable_title.id) == 130.0


def test_an_offline_position_never_goes_back_over_a_newer_online_one(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    made = download(client, viewer, title_id=playable_title.id).json()
    offline_at = utcnow()  # after the download was made, before the online viewing below
    # Watched online afterwards, on another device, to 300 s.
    body = start_body(viewer.profile_id, title_id=playable_title.id, start_at=300)
    online = client.post("/api/v1/playback/sessions", json=body, headers=viewer.headers).json()
    stop = f"/api/v1/playback/sessions/{online['session_id']}/stop"
    assert client.post(stop, json={"position": 300}, headers=viewer.headers).status_code == 204
    answer = _send(client, viewer, made["id"], _report(50.0, offline_at))
    assert answer.json() == {"accepted": 1, "position_saved": False}
    assert _resume(client, viewer, playable_title.id) == 300.0


def test_an_episode_watched_to_its_credits_offline_is_complete(
    client: TestClient, viewer: ApiUser, playable_series: Series, in_app_db: Callable[[], Any]
) -> None:
    episode = playable_series.episodes[0]
    made = download(client, viewer, episode_id=episode.id).json()
    at = utcnow() + timedelta(seconds=1)
    assert _send(client, viewer, made["id"], _report(1390.0, at)).status_code == 200
    positions = client.get(
        f"/api/v1/playback/positions?profile_id={viewer.profile_id}"
        f"&title_id={playable_series.title.id}",
        headers=viewer.headers,
    ).json()["items"]
    assert [(p["episode_id"], p["completed"]) for p in positions] == [(str(episode.id), True)]
    with in_app_db() as session:
        kinds = session.scalars(
            select(Event.kind).where(Event.episode_id == episode.id).order_by(Event.id)
        ).all()
        assert kinds == ["progress", "complete"]


def test_bad_offline_reports_are_refused_whole(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    made = download(client, viewer, title_id=playable_title.id).json()
    now = utcnow()
    before = now - timedelta(days=1)
    assert_problem(
        _send(client, viewer, made["id"], _report(5.0, before)), 422, "invalid_offline_report"
    )
    future = now + timedelta(hours=1)
    assert_problem(
        _send(client, viewer, made["id"], _report(5.0, future)), 422, "invalid_offline_report"
    )
    naive = {"position": 5.0, "watched_at": now.replace(tzinfo=None).isoformat()}
    assert_problem(_send(client, viewer, made["id"], naive), 422, "validation_error")
    late = _report(900.0, now + timedelta(seconds=1))
    assert_problem(_send(client, viewer, made["id"], late), 422, "position_out_of_range")
    url = f"{downloads_url(viewer)}/{made['id']}/progress"
    assert_problem(
        client.post(url, json={"reports": []}, headers=viewer.headers), 422, "validation_error"
    )
    other = f"{downloads_url(viewer)}/{uuid.uuid4()}/progress"
    body = {"reports": [_report(5.0, now)]}
    assert_problem(client.post(other, json=body, headers=viewer.headers), 404, "download_not_found")
