"""My List and ratings over HTTP: ownership, visibility, idempotence and the event log."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from marquee.catalog.models import PublishState, Title
from marquee.db import transaction
from marquee.events.models import Event
from marquee.library.models import MyListEntry
from tests.catalog.factories import LONG_AGO, make_genre, make_title
from tests.support import ApiUser, assert_problem, signup


@pytest.fixture
def shelf(app: FastAPI) -> dict[str, str]:
    with transaction(app.state.runtime.sessionmaker) as s:
        drama = make_genre(s, "Drama")
        ids = {
            "family": make_title(s, "Family Film", rating="G", genres=[drama]).id,
            "teen": make_title(s, "Teen Film", rating="PG-13").id,
            "adult": make_title(s, "Adult Film", rating="R").id,
            "draft": make_title(s, "Draft Film", state=PublishState.DRAFT).id,
            "gb_only": make_title(s, "British Film", windows=[("GB", LONG_AGO, None)]).id,
        }
    return {k: str(v) for k, v in ids.items()}


def _kids(client: TestClient, user: ApiUser) -> str:
    response = client.post(
        "/api/v1/me/profiles", json={"name": "Kids", "is_kids": True}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _list_path(profile_id: str, title_id: str | None = None) -> str:
    base = f"/api/v1/profiles/{profile_id}/my-list"
    return f"{base}/{title_id}" if title_id else base


def _names(client: TestClient, user: ApiUser, profile_id: str | None = None) -> list[str]:
    response = client.get(_list_path(profile_id or user.profile_id), headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["title"]["name"] for item in response.json()["items"]]


def _kinds(app: FastAPI, profile_id: str) -> list[str]:
    with transaction(app.state.runtime.sessionmaker) as s:
        query = select(Event.kind).where(Event.profile_id == uuid.UUID(profile_id))
        return sorted(s.scalars(query.order_by(Event.id)))


def test_add_list_and_remove(client: TestClient, app: FastAPI, shelf: dict[str, str]) -> None:
    user = signup(client)
    for key in ("family", "teen"):
        response = client.put(_list_path(user.profile_id, shelf[key]), headers=user.headers)
        assert response.status_code == 200, response.text
        assert response.json()["in_list"] is True
    page = client.get(_list_path(user.profile_id), headers=user.headers).json()
    assert [i["title"]["name"] for i in page["items"]] == ["Teen Film", "Family Film"]
    assert page["total"] == 2
    assert page["items"][1]["title"]["genres"][0]["name"] == "Drama"
    status = client.get(_list_path(user.profile_id, shelf["teen"]), headers=user.headers).json()
    assert status["in_list"] is True
    assert status["added_at"]
    gone = client.delete(_list_path(user.profile_id, shelf["teen"]), headers=user.headers)
    assert gone.status_code == 204
    assert _names(client, user) == ["Family Film"]
    status = client.get(_list_path(user.profile_id, shelf["teen"]), headers=user.headers).json()
    assert status == {"title_id": shelf["teen"], "in_list": False, "added_at": None}
    assert _kinds(app, user.profile_id) == ["my_list_add", "my_list_add", "my_list_remove"]


def test_adding_twice_keeps_one_entry_and_its_date(
    client: TestClient, app: FastAPI, shelf: dict[str, str]
) -> None:
    user = signup(client)
    first = client.put(_list_path(user.profile_id, shelf["family"]), headers=user.headers).json()
    again = client.put(_list_path(user.profile_id, shelf["family"]), headers=user.headers).json()
    assert first["added_at"] == again["added_at"]
    assert _names(client, user) == ["Family Film"]
    assert _kinds(app, user.profile_id) == ["my_list_add"]
    twice = client.delete(_list_path(user.profile_id, shelf["teen"]), headers=user.headers)
    assert twice.status_code == 204


def test_invisible_titles_cannot_be_added(
    client: TestClient, app: FastAPI, shelf: dict[str, str]
) -> None:
    user = signup(client)
    kids = _kids(client, user)
    for profile, key in ((kids, "adult"), (user.profile_id, "draft"), (user.profile_id, "gb_only")):
        response = client.put(_list_path(profile, shelf[key]), headers=user.headers)
        assert_problem(response, 404, "title_not_found")
    missing = client.put(_list_path(user.profile_id, str(uuid.uuid4())), headers=user.headers)
    assert_problem(missing, 404, "title_not_found")
    with transaction(app.state.runtime.sessionmaker) as s:
        assert s.scalars(select(MyListEntry)).all() == []


def test_list_hides_titles_that_became_invisible(
    client: TestClient, app: FastAPI, shelf: dict[str, str]
) -> None:
    user = signup(client)
    for key in ("family", "teen"):
        client.put(_list_path(user.profile_id, shelf[key]), headers=user.headers)
    with transaction(app.state.runtime.sessionmaker) as s:
        title = s.get(Title, uuid.UUID(shelf["teen"]))
        assert title is not None
        title.state = PublishState.UNPUBLISHED
    assert _names(client, user) == ["Family Film"]
    # Still saved: it comes back when the title does, and it can be removed meanwhile.
    response = client.delete(_list_path(user.profile_id, shelf["teen"]), headers=user.headers)
    assert response.status_code == 204


def test_kids_profile_list_never_shows_an_r_title(
    client: TestClient, app: FastAPI, shelf: dict[str, str]
) -> None:
    user = signup(client)
    kids = _kids(client, user)
    with transaction(app.state.runtime.sessionmaker) as s:
        # Saved before the ceiling mattered (e.g. the profile was turned into a kids profile).
        s.add(MyListEntry(profile_id=uuid.UUID(kids), title_id=uuid.UUID(shelf["adult"])))
    client.put(_list_path(kids, shelf["family"]), headers=user.headers)
    assert _names(client, user, kids) == ["Family Film"]


def test_another_accounts_profile_is_404(client: TestClient, shelf: dict[str, str]) -> None:
    owner, other = signup(client), signup(client)
    for method, path in (
        ("GET", _list_path(owner.profile_id)),
        ("PUT", _list_path(owner.profile_id, shelf["family"])),
        ("DELETE", _list_path(owner.profile_id, shelf["family"])),
        ("GET", f"/api/v1/profiles/{owner.profile_id}/ratings/{shelf['family']}"),
    ):
        response = client.request(method, path, headers=other.headers)
        assert_problem(response, 404, "profile_not_found")
    assert_problem(client.get(_list_path(owner.profile_id)), 401, "not_authenticated")


def test_list_pages_with_a_cursor(client: TestClient, app: FastAPI) -> None:
    user = signup(client)
    with transaction(app.state.runtime.sessionmaker) as s:
        ids = [str(make_title(s, f"Film {n}").id) for n in range(5)]
    for title_id in ids:
        client.put(_list_path(user.profile_id, title_id), headers=user.headers)
    first = client.get(
        _list_path(user.profile_id), params={"limit": 3}, headers=user.headers
    ).json()
    assert len(first["items"]) == 3
    assert first["total"] == 5
    rest = client.get(
        _list_path(user.profile_id),
        params={"limit": 3, "cursor": first["next_cursor"]},
        headers=user.headers,
    ).json()
    seen = [i["title"]["id"] for i in first["items"] + rest["items"]]
    assert sorted(seen) == sorted(ids)
    assert rest["next_cursor"] is None
