"""Profile lock: a PIN to switch into a profile, so a kids profile cannot reach an adult one."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support import ApiUser, assert_problem, signup

PROFILES = "/api/v1/me/profiles"
TITLES = "/api/v1/titles"


def _switch(client: TestClient, user: ApiUser, profile_id: str, pin: str | None = None):  # type: ignore[no-untyped-def]
    body = {} if pin is None else {"pin": pin}
    return client.post(f"{PROFILES}/{profile_id}/switch", json=body, headers=user.headers)


def _as(user: ApiUser, token: str | None) -> dict[str, str]:
    return {**user.headers, **({"X-Profile-Token": token} if token else {})}


def _locked_family(client: TestClient) -> tuple[ApiUser, str, str]:
    """An account whose adult profile is locked with 1234, and a kids profile."""
    user = signup(client)
    adult = user.profile_id
    kids = client.post(PROFILES, json={"name": "Kids", "is_kids": True}, headers=user.headers)
    assert kids.status_code == 201
    locked = client.patch(f"{PROFILES}/{adult}", json={"pin": "1234"}, headers=user.headers)
    assert locked.status_code == 200
    assert locked.json()["locked"] is True
    return user, adult, kids.json()["id"]


def test_a_locked_profile_needs_its_pin_to_switch_into(client: TestClient) -> None:
    user, adult, kids = _locked_family(client)
    assert client.get(TITLES, params={"profile_id": kids}, headers=user.headers).status_code == 200
    refused = client.get(TITLES, params={"profile_id": adult}, headers=user.headers)
    assert_problem(refused, 403, "profile_locked")
    assert_problem(_switch(client, user, adult), 403, "profile_pin_incorrect")
    assert_problem(_switch(client, user, adult, "0000"), 403, "profile_pin_incorrect")
    kids_token = _switch(client, user, kids).json()["profile_token"]
    forged = client.get(TITLES, params={"profile_id": adult}, headers=_as(user, kids_token))
    assert_problem(forged, 403, "profile_locked")
    switched = _switch(client, user, adult, "1234")
    assert switched.status_code == 200
    token = switched.json()["profile_token"]
    titles = client.get(TITLES, params={"profile_id": adult}, headers=_as(user, token))
    assert titles.status_code == 200


def test_a_kids_profile_cannot_unlock_itself_out(client: TestClient) -> None:
    user, adult, kids = _locked_family(client)
    kids_token = _switch(client, user, kids).json()["profile_token"]
    as_kids = _as(user, kids_token)
    attempts = [
        client.patch(f"{PROFILES}/{kids}", json={"is_kids": False}, headers=as_kids),
        client.patch(f"{PROFILES}/{kids}", json={"maturity_ceiling": "PG"}, headers=as_kids),
        client.patch(f"{PROFILES}/{adult}", json={"pin": None}, headers=as_kids),
        client.patch(f"{PROFILES}/{adult}", json={"name": "Mine"}, headers=as_kids),
        client.post(PROFILES, json={"name": "Grown-up"}, headers=as_kids),
        client.delete(f"{PROFILES}/{adult}", headers=as_kids),
    ]
    for response in attempts:
        assert_problem(response, 403, "profile_locked")
    # The kids profile's own preferences are still its own.
    own = client.patch(f"{PROFILES}/{kids}", json={"language": "fr"}, headers=as_kids)
    assert own.status_code == 200
    guardian = _as(user, _switch(client, user, adult, "1234").json()["profile_token"])
    opened = client.patch(f"{PROFILES}/{kids}", json={"is_kids": False}, headers=guardian)
    assert opened.status_code == 200


def test_a_new_pin_retires_old_profile_tokens(client: TestClient) -> None:
    user, adult, _ = _locked_family(client)
    old = _switch(client, user, adult, "1234").json()["profile_token"]
    changed = client.patch(f"{PROFILES}/{adult}", json={"pin": "9876"}, headers=_as(user, old))
    assert changed.status_code == 200
    stale = client.get(TITLES, params={"profile_id": adult}, headers=_as(user, old))
    assert_problem(stale, 403, "profile_locked")
    assert _switch(client, user, adult, "9876").status_code == 200


def test_pin_attempts_are_rate_limited(client: TestClient, app: FastAPI) -> None:
    user, adult, _ = _locked_family(client)
    for _ in range(app.state.runtime.settings.profile_pin_attempts):
        assert_problem(_switch(client, user, adult, "0000"), 403, "profile_pin_incorrect")
    limited = _switch(client, user, adult, "1234")
    assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1


def test_pins_are_four_digits(client: TestClient) -> None:
    user = signup(client)
    for pin in ("123", "12345", "abcd", "12 4"):
        response = client.patch(
            f"{PROFILES}/{user.profile_id}", json={"pin": pin}, headers=user.headers
        )
        assert_problem(response, 422, "validation_error")
    listed = client.get(PROFILES, headers=user.headers).json()["items"]
    assert listed[0]["locked"] is False


def test_every_route_that_acts_as_a_profile_needs_it_unlocked(client: TestClient) -> None:
    """Home rows, My List, ratings, continue watching and pressing play act as the profile:
    a locked one without its token is refused on each, as the catalogue refuses it."""
    user, adult, _kids = _locked_family(client)
    title = "00000000-0000-0000-0000-000000000001"
    requests = [
        ("GET", f"/api/v1/profiles/{adult}/home", None),
        ("GET", f"/api/v1/profiles/{adult}/my-list", None),
        ("GET", f"/api/v1/profiles/{adult}/continue-watching", None),
        ("GET", f"/api/v1/profiles/{adult}/ratings/{title}", None),
        ("PUT", f"/api/v1/profiles/{adult}/my-list/{title}", None),
        ("POST", "/api/v1/playback/sessions", {"profile_id": adult, "title_id": title}),
    ]
    token = _switch(client, user, adult, "1234").json()["profile_token"]
    for method, url, body in requests:
        refused = client.request(method, url, json=body, headers=user.headers)
        assert_problem(refused, 403, "profile_locked")
        unlocked = client.request(method, url, json=body, headers=_as(user, token))
        assert unlocked.status_code != 403, (method, url, unlocked.text)
