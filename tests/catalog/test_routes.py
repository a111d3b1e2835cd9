"""Viewer routes: /api/v1/titles and /api/v1/genres, filtered by profile and country."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.catalog.models import Credit as CreditRow
from marquee.catalog.models import CreditRole, Episode, Person, PublishState, Season, TitleKind
from marquee.db import transaction
from tests.catalog.factories import LONG_AGO, days, make_genre, make_title
from tests.support import ApiUser, assert_problem, signup


@pytest.fixture
def shelf(app: FastAPI) -> dict[str, str]:
    with transaction(app.state.runtime.sessionmaker) as s:
        comedy, horror = make_genre(s, "Comedy"), make_genre(s, "Horror")
        toons = make_title(s, "The Toons", rating="G", year=1995, genres=[comedy])
        make_title(s, "Blood", rating="R", year=1980, genres=[horror], published_at=days(-9))
        make_title(s, "Abbey", rating="PG-13", year=2001, genres=[comedy], published_at=days(-5))
        make_title(s, "Tea Time", windows=[("GB", LONG_AGO, None)], genres=[comedy])
        make_title(s, "Hidden", state=PublishState.DRAFT, genres=[horror])
        show = make_title(s, "Show", rating="TV-G", kind=TitleKind.SERIES, year=2010)
        season = Season(title_id=show.id, number=1, name="One")
        s.add(season)
        s.flush()
        s.add(Episode(season_id=season.id, title_id=show.id, number=1, name="Pilot"))
        person = Person(name="Ann Actor")
        s.add(person)
        s.flush()
        s.add(
            CreditRow(title_id=toons.id, person_id=person.id, role=CreditRole.CAST, character="Bo")
        )
        ids = {"toons": str(toons.id), "show": str(show.id)}
    return ids


def _get(client: TestClient, user: ApiUser, path: str, **params: Any) -> Any:
    response = client.get(
        path, params={"profile_id": user.profile_id, **params}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def _names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_list_sorts_filters_and_pages(client: TestClient, shelf: dict[str, str]) -> None:
    user = signup(client)
    page = _get(client, user, "/api/v1/titles")
    assert _names(page) == ["Abbey", "Blood", "Show", "The Toons"]
    assert page["total"] == 4
    assert page["next_cursor"] is None
    assert _names(_get(client, user, "/api/v1/titles", sort="year")) == [
        "Show",
        "Abbey",
        "The Toons",
        "Blood",
    ]
    assert _names(_get(client, user, "/api/v1/titles", sort="newest"))[-2:] == ["Abbey", "Blood"]
    assert _names(_get(client, user, "/api/v1/titles", genre="comedy")) == ["Abbey", "The Toons"]
    assert _names(_get(client, user, "/api/v1/titles", year_from=1990, year_to=2005)) == [
        "Abbey",
        "The Toons",
    ]
    assert _names(_get(client, user, "/api/v1/titles", type="series")) == ["Show"]
    first = _get(client, user, "/api/v1/titles", limit=3)
    assert len(first["items"]) == 3
    assert first["total"] == 4
    rest = _get(client, user, "/api/v1/titles", limit=3, cursor=first["next_cursor"])
    assert _names(rest) == ["The Toons"]
    assert rest["next_cursor"] is None


def test_country_header_changes_what_is_visible(client: TestClient, shelf: dict[str, str]) -> None:
    user = signup(client)
    response = client.get(
        "/api/v1/titles",
        params={"profile_id": user.profile_id},
        headers={**user.headers, "CloudFront-Viewer-Country": "GB"},
    )
    assert "Tea Time" in _names(response.json())
    assert response.json()["total"] == 5


def test_kids_profile_sees_only_titles_within_its_ceiling(
    client: TestClient, shelf: dict[str, str]
) -> None:
    user = signup(client)
    kids = client.post(
        "/api/v1/me/profiles", json={"name": "Kid", "is_kids": True}, headers=user.headers
    ).json()
    user.profile_id = kids["id"]
    assert _names(_get(client, user, "/api/v1/titles")) == ["Show", "The Toons"]
    genres = _get(client, user, "/api/v1/genres")
    assert [(g["slug"], g["count"]) for g in genres] == [("comedy", 1)]


def test_detail_has_genres_credits_and_episodes(client: TestClient, shelf: dict[str, str]) -> None:
    user = signup(client)
    toons = _get(client, user, f"/api/v1/titles/{shelf['toons']}")
    assert [g["slug"] for g in toons["genres"]] == ["comedy"]
    assert toons["credits"][0]["person"]["name"] == "Ann Actor"
    assert toons["credits"][0]["character"] == "Bo"
    show = _get(client, user, f"/api/v1/titles/{shelf['show']}")
    assert show["seasons"][0]["episodes"][0]["name"] == "Pilot"
    episodes = _get(client, user, f"/api/v1/titles/{shelf['show']}/seasons/1/episodes")
    assert [e["number"] for e in episodes] == [1]


def test_genre_counts(client: TestClient, shelf: dict[str, str]) -> None:
    user = signup(client)
    genres = _get(client, user, "/api/v1/genres")
    assert [(g["name"], g["count"]) for g in genres] == [("Comedy", 2), ("Horror", 1)]


def test_hidden_and_missing_titles_answer_the_same_404(
    client: TestClient, app: FastAPI, shelf: dict[str, str]
) -> None:
    user = signup(client)
    with transaction(app.state.runtime.sessionmaker) as s:
        draft = make_title(s, "Secret", state=PublishState.DRAFT)
        hidden_id = str(draft.id)
    params = {"profile_id": user.profile_id}
    for title_id in (hidden_id, str(uuid.uuid4())):
        response = client.get(f"/api/v1/titles/{title_id}", params=params, headers=user.headers)
        body = assert_problem(response, 404, "title_not_found")
        assert body["detail"] == "No such title."
    missing_season = client.get(
        f"/api/v1/titles/{shelf['show']}/seasons/9/episodes", params=params, headers=user.headers
    )
    assert_problem(missing_season, 404, "season_not_found")


def test_profile_is_required_and_must_be_the_callers(
    client: TestClient, shelf: dict[str, str]
) -> None:
    user, other = signup(client), signup(client)
    theirs = client.get(
        "/api/v1/titles", params={"profile_id": other.profile_id}, headers=user.headers
    )
    assert_problem(theirs, 404, "profile_not_found")
    detail = client.get(
        f"/api/v1/titles/{shelf['toons']}",
        params={"profile_id": other.profile_id},
        headers=user.headers,
    )
    assert_problem(detail, 404, "profile_not_found")
    assert_problem(client.get("/api/v1/titles", headers=user.headers), 422, "validation_error")
    anonymous = client.get("/api/v1/genres", params={"profile_id": user.profile_id})
    assert_problem(anonymous, 401, "not_authenticated")


@pytest.mark.parametrize(
    "params",
    [
        {"year_from": "soon"},
        {"year_from": 1500},
        {"type": "podcast"},
        {"sort": "random"},
        {"limit": 0},
        {"genre": "x" * 61},
    ],
)
def test_bad_query_parameters_are_validation_errors(
    client: TestClient, params: dict[str, object]
) -> None:
    user = signup(client)
    response = client.get(
        "/api/v1/titles", params={"profile_id": user.profile_id, **params}, headers=user.headers
    )
    assert_problem(response, 422, "validation_error")


def test_tampered_cursor_is_a_bad_request(client: TestClient) -> None:
    user = signup(client)
    response = client.get(
        "/api/v1/titles",
        params={"profile_id": user.profile_id, "cursor": "not-a-cursor"},
        headers=user.headers,
    )
    assert_problem(response, 400, "invalid_cursor")
