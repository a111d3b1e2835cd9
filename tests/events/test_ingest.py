"""POST /api/v1/events: per-event validation, ownership, batching limits, metrics."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from marquee.db import transaction, utcnow
from marquee.events.models import Event
from tests.events.factories import make_title
from tests.support import assert_problem, signup

URL = "/api/v1/events"


def _events(app: FastAPI) -> list[Event]:
    with transaction(app.state.runtime.sessionmaker) as session:
        return list(session.scalars(select(Event).order_by(Event.id)))


def test_good_events_are_kept_and_bad_ones_reported_by_index(
    app: FastAPI, client: TestClient
) -> None:
    user = signup(client)
    stranger = signup(client)
    title = str(make_title(app.state.runtime.sessionmaker))
    mine = {"profile_id": user.profile_id, "title_id": title}
    batch = [
        {**mine, "kind": "play_start"},
        {**mine, "kind": "progress", "position": 12.5, "watched_seconds": 10},
        {**mine, "kind": "progress", "position": -3, "watched_seconds": 10},
        {**mine, "kind": "teleport"},
        {"profile_id": stranger.profile_id, "title_id": title, "kind": "thumbs_up"},
        {**mine, "title_id": "00000000-0000-0000-0000-000000000001", "kind": "thumbs_up"},
        {**mine, "kind": "thumbs_up", "occurred_at": (utcnow() + timedelta(hours=2)).isoformat()},
        {
            **mine,
            "kind": "qoe",
            "rendition": "720p",
            "time_to_first_frame_ms": 420,
            "rebuffer_count": 1,
        },
        "not an object",
        {**mine, "kind": "thumbs_up", "extra": 1},
    ]
    response = client.post(URL, json={"events": batch}, headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 3
    codes = {r["index"]: r["code"] for r in body["rejected"]}
    assert codes == {
        2: "invalid_event",
        3: "invalid_event",
        4: "profile_not_found",
        5: "title_not_found",
        6: "invalid_time",
        8: "invalid_event",
        9: "invalid_event",
    }
    stored = _events(app)
    assert [e.kind for e in stored] == ["play_start", "progress", "qoe"]
    assert stored[1].payload == {"position": 12.5, "watched_seconds": 10.0}
    assert stored[0].country == "US"
    assert all(str(e.profile_id) == user.profile_id for e in stored)


def test_batch_limits_and_auth(app: FastAPI, client: TestClient) -> None:
    user = signup(client)
    title = str(make_title(app.state.runtime.sessionmaker))
    one = {"profile_id": user.profile_id, "title_id": title, "kind": "thumbs_up"}
    assert_problem(
        client.post(URL, json={"events": [one] * 501}, headers=user.headers),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(URL, json={"events": []}, headers=user.headers), 422, "validation_error"
    )
    assert_problem(client.post(URL, json={"events": [one]}), 401, "not_authenticated")
    full = client.post(URL, json={"events": [one] * 500}, headers=user.headers)
    assert full.json() == {"accepted": 500, "rejected": []}
    assert len(_events(app)) == 500


def test_ingest_updates_prometheus_series(app: FastAPI, client: TestClient) -> None:
    user = signup(client)
    title = str(make_title(app.state.runtime.sessionmaker))
    qoe = {
        "profile_id": user.profile_id,
        "title_id": title,
        "kind": "qoe",
        "rendition": "1080p",
        "time_to_first_frame_ms": 250,
        "rebuffer_ms": 1500,
    }
    client.post(URL, json={"events": [qoe, {**qoe, "kind": "bogus"}]}, headers=user.headers)
    metrics = client.get("/metrics").text
    assert 'marquee_events_total{kind="qoe"} 1.0' in metrics
    assert 'marquee_events_rejected_total{code="invalid_event"} 1.0' in metrics
    assert "marquee_qoe_time_to_first_frame_seconds_count 1.0" in metrics
    assert "marquee_qoe_rebuffer_seconds_total 1.5" in metrics
