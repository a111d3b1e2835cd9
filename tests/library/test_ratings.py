"""Thumbs up/down over HTTP: one rating per profile and title, visible titles only, logged."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from marquee.db import transaction
from marquee.events.models import Event
from marquee.library.models import TitleRating
from tests.catalog.factories import make_title
from tests.support import ApiUser, assert_problem, signup


@pytest.fixture
def titles(app: FastAPI) -> dict[str, str]:
    with transaction(app.state.runtime.sessionmaker) as s:
        family = make_title(s, "Family Film", rating="G")
        adult = make_title(s, "Adult Film", rating="R")
        return {"family": str(family.id), "adult": str(adult.id)}


def _path(user: ApiUser, title_id: str, profile_id: str | None = None) -> str:
    return f"/api/v1/profiles/{profile_id or user.profile_id}/ratings/{title_id}"


def _kinds(app: FastAPI) -> list[str]:
    with transaction(app.state.runtime.sessionmaker) as s:
        return list(s.scalars(select(Event.kind).order_by(Event.id)))


def test_unrated_is_zero(client: TestClient, titles: dict[str, str]) -> None:
    user = signup(client)
    body = client.get(_path(user, titles["family"]), headers=user.headers).json()
    assert body == {"title_id": titles["family"], "value": 0, "updated_at": None}


def test_rate_change_and_withdraw(client: TestClient, app: FastAPI, titles: dict[str, str]) -> None:
    user = signup(client)
    path = _path(user, titles["family"])
    up = client.put(path, json={"value": 1}, headers=user.headers)
    assert up.status_code == 200, up.text
    assert up.json()["value"] == 1
    assert up.json()["updated_at"]
    assert client.put(path, json={"value": 1}, headers=user.headers).json()["value"] == 1
    assert client.put(path, json={"value": -1}, headers=user.headers).json()["value"] == -1
    assert client.get(path, headers=user.headers).json()["value"] == -1
    assert _kinds(app) == ["thumbs_up", "thumbs_down"]
    assert client.delete(path, headers=user.headers).status_code == 204
    assert client.get(path, headers=user.headers).json()["value"] == 0
    assert client.delete(path, headers=user.headers).status_code == 204


def test_ratings_belong_to_one_profile(
    client: TestClient, app: FastAPI, titles: dict[str, str]
) -> None:
    user = signup(client)
    second = client.post("/api/v1/me/profiles", json={"name": "Two"}, headers=user.headers).json()
    client.put(_path(user, titles["family"]), json={"value": 1}, headers=user.headers)
    other = client.get(_path(user, titles["family"], second["id"]), headers=user.headers).json()
    assert other["value"] == 0
    stranger = signup(client)
    response = client.put(
        _path(user, titles["family"]), json={"value": 1}, headers=stranger.headers
    )
    assert_problem(response, 404, "profile_not_found")


@pytest.mark.parametrize(
    "body", [{"value": 0}, {"value": 2}, {"value": "up"}, {}, {"value": 1, "x": 1}]
)
def test_bad_values_are_422_and_write_nothing(
    client: TestClient, app: FastAPI, titles: dict[str, str], body: dict[str, object]
) -> None:
    user = signup(client)
    response = client.put(_path(user, titles["family"]), json=body, headers=user.headers)
    assert_problem(response, 422, "validation_error")
    with transaction(app.state.runtime.sessionmaker) as s:
        assert s.scalars(select(TitleRating)).all() == []


def test_invisible_titles_cannot_be_rated(
    client: TestClient, app: FastAPI, titles: dict[str, str]
) -> None:
    user = signup(client)
    kids = client.post(
        "/api/v1/me/profiles", json={"name": "Kids", "is_kids": True}, headers=user.headers
    ).json()["id"]
    for path in (_path(user, titles["adult"], kids), _path(user, str(uuid.uuid4()))):
        assert_problem(
            client.put(path, json={"value": 1}, headers=user.headers), 404, "title_not_found"
        )
        assert_problem(client.get(path, headers=user.headers), 404, "title_not_found")
    assert _kinds(app) == []


def test_a_thumbs_down_keeps_the_title_out_of_home_rows(
    client: TestClient, app: FastAPI, titles: dict[str, str]
) -> None:
    user = signup(client)
    home = f"/api/v1/profiles/{user.profile_id}/home"

    def shown() -> set[str]:
        rows = client.get(home, headers=user.headers).json()["rows"]
        return {item["id"] for row in rows if row["key"] != "continue" for item in row["items"]}

    assert titles["family"] in shown()
    client.put(_path(user, titles["family"]), json={"value": -1}, headers=user.headers)
    assert titles["family"] not in shown()
