"""Profiles: limits, kids ceilings, preferences, and ownership (another account's id is a 404)."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from marquee.accounts.models import Profile
from marquee.db import transaction
from tests.support import assert_problem, signup

PROFILES = "/api/v1/me/profiles"


def test_create_read_update_delete_profile(client: TestClient) -> None:
    user = signup(client)
    created = client.post(
        PROFILES,
        json={
            "name": "Sam",
            "language": "fr",
            "subtitle_language": "en",
            "subtitles_enabled": True,
            "avatar": "avatar-7",
        },
        headers=user.headers,
    )
    assert created.status_code == 201
    profile = created.json()
    assert profile["maturity_ceiling"] == "NC-17"
    assert profile["language"] == "fr"
    assert profile["subtitles_enabled"] is True
    url = f"{PROFILES}/{profile['id']}"
    assert client.get(url, headers=user.headers).json()["name"] == "Sam"
    patched = client.patch(
        url, json={"name": "Samuel", "audio_language": "es"}, headers=user.headers
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Samuel"
    assert patched.json()["audio_language"] == "es"
    assert client.delete(url, headers=user.headers).status_code == 204
    assert_problem(client.get(url, headers=user.headers), 404, "profile_not_found")


def test_language_preferences_take_the_tracks_form(client: TestClient, app: FastAPI) -> None:
    """Tracks are tagged in BCP 47's shortest form (`en`, `fr`), so a preference typed or saved
    in another form is stored and answered in that one, and a player's comparison matches."""
    user = signup(client)
    body = {"name": "Ana", "language": "pt-br", "audio_language": "eng", "subtitle_language": "fre"}
    created = client.post(PROFILES, json=body, headers=user.headers)
    assert created.status_code == 201, created.text
    got = created.json()
    assert (got["language"], got["audio_language"], got["subtitle_language"]) == (
        "pt-BR",
        "en",
        "fr",
    )
    url = f"{PROFILES}/{got['id']}"
    for bad in ("xx", "english", "e1", "zz-ZZ"):
        assert_problem(
            client.patch(url, json={"audio_language": bad}, headers=user.headers),
            422,
            "validation_error",
        )
    # A preference saved before tags were normalised reads back in the tracks' form.
    with transaction(app.state.runtime.sessionmaker) as session:
        session.execute(
            update(Profile)
            .where(Profile.id == uuid.UUID(got["id"]))
            .values(audio_language="spa", subtitle_language="ger")
        )
    again = client.get(url, headers=user.headers).json()
    assert (again["audio_language"], again["subtitle_language"]) == ("es", "de")


def test_kids_profile_gets_a_ceiling(client: TestClient) -> None:
    user = signup(client)
    kids = client.post(
        PROFILES, json={"name": "Kids", "is_kids": True}, headers=user.headers
    ).json()
    assert kids["is_kids"] is True
    assert kids["maturity_ceiling"] == "G"
    capped = client.post(
        PROFILES,
        json={"name": "Little", "is_kids": True, "maturity_ceiling": "TV-Y"},
        headers=user.headers,
    ).json()
    assert capped["maturity_level"] == 0
    too_high = client.post(
        PROFILES,
        json={"name": "Teen", "is_kids": True, "maturity_ceiling": "R"},
        headers=user.headers,
    )
    assert_problem(too_high, 422, "kids_ceiling_too_high")
    unknown = client.post(
        PROFILES, json={"name": "Odd", "maturity_ceiling": "X-99"}, headers=user.headers
    )
    assert_problem(unknown, 422, "unknown_maturity_rating")


def test_turning_a_profile_into_kids_lowers_its_ceiling(client: TestClient) -> None:
    user = signup(client)
    url = f"{PROFILES}/{user.profile_id}"
    patched = client.patch(url, json={"is_kids": True}, headers=user.headers).json()
    assert patched["maturity_ceiling"] == "G"
    teen = client.patch(
        url, json={"is_kids": False, "maturity_ceiling": "TV-14"}, headers=user.headers
    )
    assert teen.json()["maturity_ceiling"] == "PG-13"


def test_at_most_five_profiles(client: TestClient) -> None:
    user = signup(client)
    for n in range(4):
        assert (
            client.post(PROFILES, json={"name": f"P{n}"}, headers=user.headers).status_code == 201
        )
    assert_problem(
        client.post(PROFILES, json={"name": "Sixth"}, headers=user.headers),
        409,
        "profile_limit_reached",
    )
    assert client.get(PROFILES, headers=user.headers).json()["total"] == 5


def test_profile_names_are_unique_per_account(client: TestClient) -> None:
    user = signup(client)
    client.post(PROFILES, json={"name": "Twin"}, headers=user.headers)
    assert_problem(
        client.post(PROFILES, json={"name": "Twin"}, headers=user.headers),
        409,
        "profile_name_taken",
    )
    other = signup(client)
    assert client.post(PROFILES, json={"name": "Twin"}, headers=other.headers).status_code == 201


def test_the_last_profile_cannot_be_deleted(client: TestClient) -> None:
    user = signup(client)
    response = client.delete(f"{PROFILES}/{user.profile_id}", headers=user.headers)
    assert_problem(response, 409, "last_profile")


def test_another_accounts_profile_is_not_found(client: TestClient) -> None:
    owner = signup(client)
    intruder = signup(client)
    url = f"{PROFILES}/{owner.profile_id}"
    assert_problem(client.get(url, headers=intruder.headers), 404, "profile_not_found")
    assert_problem(
        client.patch(url, json={"name": "Mine"}, headers=intruder.headers), 404, "profile_not_found"
    )
    assert_problem(client.delete(url, headers=intruder.headers), 404, "profile_not_found")
    assert client.get(url, headers=owner.headers).json()["name"] != "Mine"


def test_profile_bad_input(client: TestClient) -> None:
    user = signup(client)
    for body in (
        {"name": ""},
        {"name": "x" * 41},
        {"name": "A", "language": "english"},
        {"name": "A", "avatar": "../../etc/passwd"},
        {"name": "A", "is_kids": "maybe"},
        {"name": "A", "owner": "someone"},
    ):
        assert_problem(
            client.post(PROFILES, json=body, headers=user.headers), 422, "validation_error"
        )
    assert_problem(
        client.get(f"{PROFILES}/not-a-uuid", headers=user.headers), 422, "validation_error"
    )
    assert client.get(PROFILES, headers=user.headers).json()["total"] == 1


def test_null_for_a_field_every_profile_has_is_a_422(client: TestClient) -> None:
    user = signup(client)
    url = f"{PROFILES}/{user.profile_id}"
    for field in ("name", "language", "avatar", "subtitles_enabled", "is_kids"):
        response = client.patch(url, json={field: None}, headers=user.headers)
        assert_problem(response, 422, "validation_error")
    kept = client.get(url, headers=user.headers).json()
    assert kept["name"]
    assert kept["language"] == "en"
    assert kept["avatar"] == "avatar-1"
    cleared = client.patch(url, json={"audio_language": None}, headers=user.headers)
    assert cleared.status_code == 200


def test_names_refuse_control_characters(client: TestClient) -> None:
    user = signup(client)
    for name in ("Sam\x00", "Sa\x07m", "Sam\x1b[31m", "\u202eevil", "a\x7fb"):
        created = client.post(PROFILES, json={"name": name}, headers=user.headers)
        assert_problem(created, 422, "validation_error")
        renamed = client.patch(
            f"{PROFILES}/{user.profile_id}", json={"name": name}, headers=user.headers
        )
        assert_problem(renamed, 422, "validation_error")
    registered = client.post(
        "/api/v1/auth/register",
        json={
            "email": "ctl@example.com",
            "password": "correct horse battery",
            "display_name": "A\x00",
        },
    )
    assert_problem(registered, 422, "validation_error")
    assert client.post(PROFILES, json={"name": "Zoë 🎬"}, headers=user.headers).status_code == 201
