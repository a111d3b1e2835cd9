"""Editor routes under /api/v1/admin: titles, seasons, episodes, people, credits, genres, windows."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marquee.accounts.models import Role
from marquee.catalog.models import Title
from tests.support import ApiUser, assert_problem, signup, signup_with_role

BASE = "/api/v1/admin/titles"


@pytest.fixture
def editor(client: TestClient, app: FastAPI) -> ApiUser:
    return signup_with_role(client, app, Role.EDITOR)


def _title_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "movie",
        "slug": "night-train",
        "name": "Night Train",
        "synopsis": "A train, at night.",
        "release_year": 1999,
        "runtime_minutes": 101,
        "maturity_rating": "pg-13",
        "original_language": "en",
        "poster": "posters/night-train.jpg",
        "external_ids": {"imdb": "tt0000001"},
    }
    return {**body, **overrides}


def _count_titles(app: FastAPI) -> int:
    with app.state.runtime.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(Title)) or 0)


def test_title_lifecycle_from_draft_to_viewers(client: TestClient, editor: ApiUser) -> None:
    genre = client.post(
        "/api/v1/admin/genres", json={"slug": "noir", "name": "Noir"}, headers=editor.headers
    )
    assert genre.status_code == 201
    created = client.post(
        BASE, json=_title_body(genre_ids=[genre.json()["id"]]), headers=editor.headers
    )
    assert created.status_code == 201, created.text
    title = created.json()
    assert title["state"] == "draft"
    assert title["maturity_rating"] == "PG-13"
    assert title["maturity_level"] == 4
    viewer = signup(client)
    view = {"profile_id": viewer.profile_id}
    url = f"/api/v1/titles/{title['id']}"
    assert_problem(client.get(url, params=view, headers=viewer.headers), 404, "title_not_found")
    window = {"country": "*", "starts_at": "2020-01-01T00:00:00Z"}
    added = client.post(f"{BASE}/{title['id']}/availability", json=window, headers=editor.headers)
    assert added.status_code == 201
    published = client.post(f"{BASE}/{title['id']}/publish", headers=editor.headers)
    assert published.json()["state"] == "published"
    assert published.json()["published_at"] is not None
    assert client.get(url, params=view, headers=viewer.headers).json()["name"] == "Night Train"
    again = client.post(f"{BASE}/{title['id']}/publish", headers=editor.headers)
    body = assert_problem(again, 422, "invalid_state_transition")
    assert body["state"] == "published"
    gone = client.post(f"{BASE}/{title['id']}/unpublish", headers=editor.headers)
    assert gone.json()["state"] == "unpublished"
    assert_problem(client.get(url, params=view, headers=viewer.headers), 404, "title_not_found")


def test_editors_list_filter_update_and_delete(client: TestClient, editor: ApiUser) -> None:
    first = client.post(BASE, json=_title_body(), headers=editor.headers).json()
    client.post(BASE, json=_title_body(slug="day-bus", name="Day Bus"), headers=editor.headers)
    drafts = client.get(BASE, params={"state": "draft", "q": "bus"}, headers=editor.headers)
    assert [t["name"] for t in drafts.json()["items"]] == ["Day Bus"]
    patched = client.patch(
        f"{BASE}/{first['id']}",
        json={"name": "The Night Train", "maturity_rating": "R", "release_year": None},
        headers=editor.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["maturity_level"] == 5
    assert patched.json()["release_year"] is None
    taken = client.patch(f"{BASE}/{first['id']}", json={"slug": "day-bus"}, headers=editor.headers)
    assert_problem(taken, 409, "slug_taken")
    assert client.delete(f"{BASE}/{first['id']}", headers=editor.headers).status_code == 204
    assert_problem(
        client.get(f"{BASE}/{first['id']}", headers=editor.headers), 404, "title_not_found"
    )


def test_series_seasons_and_episodes(client: TestClient, editor: ApiUser) -> None:
    show = client.post(
        BASE, json=_title_body(kind="series", slug="show", name="Show"), headers=editor.headers
    ).json()
    seasons = f"{BASE}/{show['id']}/seasons"
    assert (
        client.post(seasons, json={"number": 1, "name": "One"}, headers=editor.headers).status_code
        == 201
    )
    assert_problem(
        client.post(seasons, json={"number": 1}, headers=editor.headers), 409, "season_exists"
    )
    episode = {"number": 1, "name": "Pilot", "intro_start_seconds": 5, "intro_end_seconds": 65}
    made = client.post(f"{seasons}/1/episodes", json=episode, headers=editor.headers)
    assert made.status_code == 201, made.text
    dup = client.post(f"{seasons}/1/episodes", json=episode, headers=editor.headers)
    assert_problem(dup, 409, "episode_exists")
    bad = client.patch(
        f"{seasons}/1/episodes/1", json={"intro_end_seconds": 2}, headers=editor.headers
    )
    assert_problem(bad, 422, "invalid_markers")
    renamed = client.patch(
        f"{seasons}/1/episodes/1", json={"name": "Start"}, headers=editor.headers
    )
    assert renamed.json()["name"] == "Start"
    assert renamed.json()["intro_end_seconds"] == 65
    detail = client.get(f"{BASE}/{show['id']}", headers=editor.headers).json()
    assert detail["seasons"][0]["episodes"][0]["name"] == "Start"
    assert_problem(
        client.patch(f"{seasons}/2", json={"name": "x"}, headers=editor.headers),
        404,
        "season_not_found",
    )
    assert_problem(
        client.delete(f"{seasons}/1/episodes/7", headers=editor.headers), 404, "episode_not_found"
    )
    assert client.delete(f"{seasons}/1/episodes/1", headers=editor.headers).status_code == 204
    assert client.delete(f"{seasons}/1", headers=editor.headers).status_code == 204
    movie = client.post(BASE, json=_title_body(), headers=editor.headers).json()
    not_series = client.post(
        f"{BASE}/{movie['id']}/seasons", json={"number": 1}, headers=editor.headers
    )
    assert_problem(not_series, 422, "not_a_series")


def test_people_and_credits(client: TestClient, editor: ApiUser) -> None:
    title = client.post(BASE, json=_title_body(), headers=editor.headers).json()
    person = client.post("/api/v1/admin/people", json={"name": "Ida Lens"}, headers=editor.headers)
    assert person.status_code == 201
    pid = person.json()["id"]
    credit = {"person_id": pid, "role": "cast", "character": "Conductor", "order": 1}
    added = client.post(f"{BASE}/{title['id']}/credits", json=credit, headers=editor.headers)
    assert added.status_code == 201, added.text
    dup = client.post(f"{BASE}/{title['id']}/credits", json=credit, headers=editor.headers)
    assert_problem(dup, 409, "credit_exists")
    director = {"person_id": pid, "role": "director"}
    assert (
        client.post(
            f"{BASE}/{title['id']}/credits", json=director, headers=editor.headers
        ).status_code
        == 201
    )
    detail = client.get(f"{BASE}/{title['id']}", headers=editor.headers).json()
    assert [(c["role"], c["person"]["name"]) for c in detail["credits"]] == [
        ("director", "Ida Lens"),
        ("cast", "Ida Lens"),
    ]
    found = client.get("/api/v1/admin/people", params={"q": "ida"}, headers=editor.headers)
    assert found.json()["total"] == 1
    renamed = client.patch(
        f"/api/v1/admin/people/{pid}", json={"name": "Ida Lenz"}, headers=editor.headers
    )
    assert renamed.json()["name"] == "Ida Lenz"
    gone = client.delete(
        f"{BASE}/{title['id']}/credits/{added.json()['id']}", headers=editor.headers
    )
    assert gone.status_code == 204
    assert client.delete(f"/api/v1/admin/people/{pid}", headers=editor.headers).status_code == 204
    assert_problem(
        client.get(f"/api/v1/admin/people/{pid}", headers=editor.headers), 404, "person_not_found"
    )


def test_genres_and_windows_conflicts_and_unknown_ids(client: TestClient, editor: ApiUser) -> None:
    genre = {"slug": "war", "name": "War"}
    assert (
        client.post("/api/v1/admin/genres", json=genre, headers=editor.headers).status_code == 201
    )
    assert_problem(
        client.post("/api/v1/admin/genres", json=genre, headers=editor.headers), 409, "genre_exists"
    )
    assert [
        g["slug"] for g in client.get("/api/v1/admin/genres", headers=editor.headers).json()
    ] == ["war"]
    missing = uuid.uuid4()
    assert_problem(
        client.delete(f"/api/v1/admin/genres/{missing}", headers=editor.headers),
        404,
        "genre_not_found",
    )
    title = client.post(BASE, json=_title_body(), headers=editor.headers).json()
    window = {
        "country": "US",
        "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2030-01-01T00:00:00Z",
    }
    assert_problem(
        client.post(f"{BASE}/{missing}/availability", json=window, headers=editor.headers),
        404,
        "title_not_found",
    )
    assert_problem(
        client.delete(f"{BASE}/{title['id']}/availability/{missing}", headers=editor.headers),
        404,
        "availability_not_found",
    )
    assert_problem(
        client.post(f"{BASE}/{missing}/publish", headers=editor.headers), 404, "title_not_found"
    )
    assert_problem(
        client.patch(f"{BASE}/{missing}", json={"name": "x"}, headers=editor.headers),
        404,
        "title_not_found",
    )
    credit = {"person_id": str(missing), "role": "writer"}
    assert_problem(
        client.post(f"{BASE}/{title['id']}/credits", json=credit, headers=editor.headers),
        404,
        "person_not_found",
    )
    assert_problem(client.post(BASE, json=_title_body(), headers=editor.headers), 409, "slug_taken")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "No kind", "slug": "x", "maturity_rating": "G"},
        {"kind": "movie", "slug": "x", "name": "A", "maturity_rating": "G", "colour": "red"},
        {"kind": "movie", "slug": "x", "name": "A" * 301, "maturity_rating": "G"},
        {"kind": "movie", "slug": "Not A Slug", "name": "A", "maturity_rating": "G"},
        {"kind": "movie", "slug": "x", "name": "A", "maturity_rating": "XXX"},
        {"kind": "movie", "slug": "x", "name": "A", "maturity_rating": "G", "release_year": "old"},
        {
            "kind": "movie",
            "slug": "x",
            "name": "A",
            "maturity_rating": "G",
            "original_language": "eng",
        },
        {"kind": "podcast", "slug": "x", "name": "A", "maturity_rating": "G"},
    ],
)
def test_invalid_title_bodies_write_nothing(
    client: TestClient, app: FastAPI, editor: ApiUser, body: dict[str, Any]
) -> None:
    assert_problem(client.post(BASE, json=body, headers=editor.headers), 422, "validation_error")
    assert _count_titles(app) == 0


def test_unknown_genre_rolls_back_the_whole_title(
    client: TestClient, app: FastAPI, editor: ApiUser
) -> None:
    body = _title_body(genre_ids=[str(uuid.uuid4())])
    assert_problem(client.post(BASE, json=body, headers=editor.headers), 422, "unknown_genre")
    assert _count_titles(app) == 0


def test_malformed_json_and_bad_patches(client: TestClient, app: FastAPI, editor: ApiUser) -> None:
    headers = {**editor.headers, "Content-Type": "application/json"}
    assert_problem(client.post(BASE, content=b'{"kind": ', headers=headers), 400, "malformed_json")
    title = client.post(BASE, json=_title_body(), headers=editor.headers).json()
    url = f"{BASE}/{title['id']}"
    assert_problem(client.patch(url, content=b"{nope", headers=headers), 400, "malformed_json")
    assert_problem(
        client.patch(url, json={"name": None}, headers=editor.headers), 422, "validation_error"
    )
    assert_problem(
        client.patch(url, json={"state": "published"}, headers=editor.headers),
        422,
        "validation_error",
    )
    window = {"country": "USA", "starts_at": "2020-01-01T00:00:00Z"}
    assert_problem(
        client.post(f"{url}/availability", json=window, headers=editor.headers),
        422,
        "validation_error",
    )
    naive = {"country": "US", "starts_at": "2020-01-01T00:00:00"}
    assert_problem(
        client.post(f"{url}/availability", json=naive, headers=editor.headers),
        422,
        "validation_error",
    )
    backwards = {
        "country": "US",
        "starts_at": "2020-01-02T00:00:00Z",
        "ends_at": "2020-01-01T00:00:00Z",
    }
    assert_problem(
        client.post(f"{url}/availability", json=backwards, headers=editor.headers),
        422,
        "validation_error",
    )
    assert client.get(url, headers=editor.headers).json()["name"] == "Night Train"
    assert_problem(
        client.get(f"{BASE}/not-a-uuid", headers=editor.headers), 422, "validation_error"
    )


def test_viewers_and_anonymous_callers_are_refused(client: TestClient, app: FastAPI) -> None:
    viewer = signup(client)
    for method, path in [
        ("get", BASE),
        ("post", BASE),
        ("get", "/api/v1/admin/people"),
        ("post", "/api/v1/admin/genres"),
        ("post", f"{BASE}/{uuid.uuid4()}/publish"),
    ]:
        response = client.request(method, path, json=_title_body(), headers=viewer.headers)
        assert_problem(response, 403, "editor_required")
    assert_problem(client.post(BASE, json=_title_body()), 401, "not_authenticated")
    assert _count_titles(app) == 0


def test_genres_and_credits_can_be_edited(client: TestClient, editor: ApiUser) -> None:
    made = client.post(
        "/api/v1/admin/genres", json={"slug": "scifi", "name": "SF"}, headers=editor.headers
    )
    client.post("/api/v1/admin/genres", json={"slug": "war", "name": "War"}, headers=editor.headers)
    url = f"/api/v1/admin/genres/{made.json()['id']}"
    renamed = client.patch(url, json={"name": "Science fiction"}, headers=editor.headers)
    assert renamed.json() == {**made.json(), "name": "Science fiction"}
    assert_problem(
        client.patch(url, json={"slug": "war"}, headers=editor.headers), 409, "genre_exists"
    )
    assert_problem(
        client.patch(url, json={"name": None}, headers=editor.headers), 422, "validation_error"
    )
    title = client.post(BASE, json=_title_body(), headers=editor.headers).json()
    person = client.post("/api/v1/admin/people", json={"name": "Bo"}, headers=editor.headers).json()
    credits = f"{BASE}/{title['id']}/credits"
    cast = client.post(
        credits, json={"person_id": person["id"], "role": "cast"}, headers=editor.headers
    )
    edited = client.patch(
        f"{credits}/{cast.json()['id']}",
        json={"character": "Guard", "order": 3},
        headers=editor.headers,
    )
    assert (edited.json()["character"], edited.json()["order"]) == ("Guard", 3)
    writer = client.post(
        credits, json={"person_id": person["id"], "role": "writer"}, headers=editor.headers
    )
    refused = client.patch(
        f"{credits}/{writer.json()['id']}", json={"character": "X"}, headers=editor.headers
    )
    assert_problem(refused, 422, "not_a_cast_credit")
    assert_problem(
        client.patch(f"{credits}/{uuid.uuid4()}", json={"order": 1}, headers=editor.headers),
        404,
        "credit_not_found",
    )
    bad_cast = {"person_id": person["id"], "role": "director", "character": "Nope"}
    assert_problem(
        client.post(credits, json=bad_cast, headers=editor.headers), 422, "validation_error"
    )
