"""Completion, resume after finishing, positions per episode and the continue-watching row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from marquee.catalog.models import PublishState, Title
from marquee.events.models import Event
from marquee.playback import positions
from tests.playback.conftest import Series, add_kids_profile, make_playable_title, start_body
from tests.support import ApiUser

SESSIONS = "/api/v1/playback/sessions"


def _watch(client: TestClient, user: ApiUser, position: float, **target: Any) -> dict[str, Any]:
    """Start, heart-beat at `position`, stop there; returns the start response."""
    profile = target.pop("profile_id", user.profile_id)
    body = client.post(SESSIONS, json=start_body(profile, **target), headers=user.headers).json()
    session_id = body["session_id"]
    beat = {"position": position, "state": "playing"}
    response = client.post(f"{SESSIONS}/{session_id}/heartbeat", json=beat, headers=user.headers)
    assert response.status_code == 200, response.text
    stop = {"position": position}
    response = client.post(f"{SESSIONS}/{session_id}/stop", json=stop, headers=user.headers)
    assert response.status_code == 204, response.text
    return dict(body)


def _continue(client: TestClient, user: ApiUser, profile_id: str | None = None) -> list[Any]:
    url = f"/api/v1/profiles/{profile_id or user.profile_id}/continue-watching"
    response = client.get(url, headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.mark.parametrize(
    ("position", "credits", "complete"),
    [(569.9, None, False), (570.0, None, True), (499.0, 500.0, False), (500.0, 500.0, True)],
)
def test_complete_at_95_percent_or_at_the_credits(
    position: float, credits: float | None, complete: bool
) -> None:
    item = positions.Item(uuid.uuid4(), None, duration=600.0, credits_start=credits)
    assert positions.is_complete(item, position) is complete


def test_finishing_a_movie_resets_resume_and_logs_one_complete(
    client: TestClient, viewer: ApiUser, playable_title: Title, in_app_db: Callable[[], Any]
) -> None:
    _watch(client, viewer, 300, title_id=playable_title.id)
    assert [i["title_id"] for i in _continue(client, viewer)] == [str(playable_title.id)]
    item = _continue(client, viewer)[0]
    assert (item["position"], item["duration"], item["progress"]) == (300, 600, 0.5)
    assert item["episode_id"] is None
    assert item["title"] == playable_title.name

    second = _watch(client, viewer, 575, title_id=playable_title.id)
    assert second["resume_position"] == 300
    assert _continue(client, viewer) == []
    third = client.post(
        SESSIONS,
        json=start_body(viewer.profile_id, title_id=playable_title.id),
        headers=viewer.headers,
    ).json()
    assert third["resume_position"] == 0
    with in_app_db() as session:
        kinds = list(session.scalars(select(Event.kind).where(Event.title_id == playable_title.id)))
    assert kinds.count("complete") == 1


def test_a_series_has_a_position_per_episode_and_credits_complete_it(
    client: TestClient, viewer: ApiUser, playable_series: Series
) -> None:
    first, second = playable_series.episodes[:2]
    _watch(client, viewer, 1390, episode_id=first.id)  # past the credits at 1380 s
    _watch(client, viewer, 100, episode_id=second.id)
    response = client.get(
        "/api/v1/playback/positions",
        params={"profile_id": viewer.profile_id, "title_id": str(playable_series.title.id)},
        headers=viewer.headers,
    )
    items = {i["episode_id"]: i for i in response.json()["items"]}
    assert items[str(first.id)]["completed"] is True
    assert items[str(second.id)]["completed"] is False
    assert items[str(second.id)]["position"] == 100
    row = _continue(client, viewer)
    assert [(i["title_id"], i["episode_id"]) for i in row] == [
        (str(playable_series.title.id), str(second.id))
    ]
    assert row[0]["episode_title"] == second.name


def test_continue_watching_is_newest_first_per_profile_and_visible_only(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        older = make_playable_title(session, rating="TV-Y")
        newer = make_playable_title(session)
        hidden = make_playable_title(session)
        adult = make_playable_title(session, rating="R")
    for title in (older, newer, hidden, adult):
        _watch(client, viewer, 60, title_id=title.id)
    with in_app_db() as session:
        session.get(Title, hidden.id).state = PublishState.UNPUBLISHED
    ids = [i["title_id"] for i in _continue(client, viewer)]
    assert ids == [str(adult.id), str(newer.id), str(older.id)]
    kids = add_kids_profile(client, viewer)
    assert _continue(client, viewer, kids) == []
    _watch(client, viewer, 30, title_id=older.id, profile_id=kids)
    assert [i["title_id"] for i in _continue(client, viewer, kids)] == [str(older.id)]


def test_continue_watching_of_another_accounts_profile_is_404(
    client: TestClient, viewer: ApiUser
) -> None:
    response = client.get(
        f"/api/v1/profiles/{uuid.uuid4()}/continue-watching", headers=viewer.headers
    )
    assert response.status_code == 404
