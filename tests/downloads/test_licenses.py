"""Offline licences: the expiry (long, then short once played), renewals and revocations."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from marquee.accounts.models import Profile
from marquee.app import create_app
from marquee.catalog.models import PublishState, Title
from marquee.config import Settings
from marquee.db import utcnow
from marquee.playback.drm import b64url
from marquee.runtime import Runtime
from marquee.versions import content_keys
from tests.catalog.factories import days
from tests.downloads.conftest import download, downloads_url
from tests.playback.conftest import make_playable_title, make_viewer, set_plan
from tests.support import ApiUser, assert_problem


class Clock:
    """The runtime's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FastAPI]:
    runtime = Runtime.from_settings(settings, clock=clock)
    yield create_app(runtime)
    runtime.close()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _renew(client: TestClient, user: ApiUser, download_id: str, **body: Any) -> Any:
    url = f"{downloads_url(user)}/{download_id}/license"
    return client.post(url, json=body, headers=user.headers)


def test_a_download_expires_in_30_days_and_48_hours_once_played(
    client: TestClient, viewer: ApiUser, playable_title: Title, clock: Clock
) -> None:
    made = download(client, viewer, title_id=playable_title.id).json()
    assert _at(made["license"]["expires_at"]) == clock.now + timedelta(days=30)
    assert _at(made["expires_at"]) == clock.now + timedelta(days=30)
    played = clock.now + timedelta(hours=1)
    clock.advance(days=3)
    renewed = _renew(client, viewer, made["id"], played_at=played.isoformat())
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert _at(body["first_played_at"]) == played
    assert _at(body["license"]["expires_at"]) == clock.now + timedelta(hours=48)
    # Played once, always played: the next renewal is short too, and keeps the first play.
    clock.advance(hours=10)
    again = _renew(client, viewer, made["id"]).json()
    assert _at(again["license"]["expires_at"]) == clock.now + timedelta(hours=48)
    assert _at(again["first_played_at"]) == played


def test_an_expired_download_is_listed_expired_and_a_renewal_online_revives_it(
    app: FastAPI, client: TestClient, viewer: ApiUser, playable_title: Title, clock: Clock
) -> None:
    app.state.runtime.settings.download_expiry_seconds = 3600
    made = download(client, viewer, title_id=playable_title.id).json()
    clock.advance(hours=2)
    listed = client.get(downloads_url(viewer), headers=viewer.headers).json()["items"]
    assert [item["state"] for item in listed] == ["expired"]
    renewed = _renew(client, viewer, made["id"]).json()
    assert renewed["state"] == "active"
    assert _at(renewed["expires_at"]) == clock.now + timedelta(hours=1)


def test_an_encrypted_download_gets_its_clearkey_key(
    app: FastAPI, client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        title = make_playable_title(session, encrypted=True)
        key = content_keys.key_for_title(
            session=session, settings=app.state.runtime.settings, title_id=title.id
        )
    made = download(client, viewer, title_id=title.id).json()
    license = made["license"]
    assert license["key_system"] == "org.w3.clearkey"
    assert license["keys"] == [{"kty": "oct", "kid": b64url(key.kid.bytes), "k": b64url(key.key)}]
    assert _renew(client, viewer, made["id"]).json()["license"]["keys"] == license["keys"]


def test_a_renewal_takes_only_a_timezone_aware_play_time_within_the_downloads_life(
    client: TestClient, viewer: ApiUser, playable_title: Title, clock: Clock
) -> None:
    made = download(client, viewer, title_id=playable_title.id).json()
    naive = clock.now.replace(tzinfo=None).isoformat()
    assert_problem(_renew(client, viewer, made["id"], played_at=naive), 422, "validation_error")
    future = (clock.now + timedelta(days=9)).isoformat()
    assert (
        _at(_renew(client, viewer, made["id"], played_at=future).json()["first_played_at"])
        == clock.now
    )
    before = (clock.now - timedelta(days=9)).isoformat()
    body = _renew(client, viewer, made["id"], played_at=before).json()
    assert _at(body["first_played_at"]) == _at(made["created_at"])


def test_a_deleted_download_is_refused_at_its_next_renewal(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    made = download(client, viewer, title_id=playable_title.id).json()
    url = f"{downloads_url(viewer)}/{made['id']}"
    assert client.delete(url, headers=viewer.headers).status_code == 204
    assert_problem(_renew(client, viewer, made["id"]), 404, "download_not_found")
    assert_problem(client.delete(url, headers=viewer.headers), 404, "download_not_found")


def test_a_downgrade_revokes_what_the_new_plan_does_not_cover(
    app: FastAPI, client: TestClient, in_app_db: Callable[[], Any]
) -> None:
    premium = make_viewer(client, app, plan="premium")
    with in_app_db() as session:
        tall = make_playable_title(session, heights=(720, 1080, 2160))
        others = [make_playable_title(session) for _ in range(3)]
    uhd = download(client, premium, title_id=tall.id).json()
    assert uhd["quality"] == 2160
    made = [download(client, premium, title_id=t.id).json()["id"] for t in others]
    with in_app_db() as session:
        set_plan(session, user_id=premium.id, plan="standard")  # 1080p, 2 downloads
    problem = assert_problem(_renew(client, premium, uhd["id"]), 410, "download_revoked")
    assert problem["max_resolution"] == 1080
    # Places are kept in the order they were taken: the first two still fit the new plan.
    assert _renew(client, premium, made[0]).status_code == 200
    for later in made[1:]:
        assert assert_problem(_renew(client, premium, later), 410, "download_revoked")["limit"] == 2
    with in_app_db() as session:
        set_plan(session, user_id=premium.id, plan="basic")
    assert_problem(_renew(client, premium, made[0]), 403, "plan_has_no_downloads")
    with in_app_db() as session:
        set_plan(session, user_id=premium.id, plan=None)
    assert_problem(_renew(client, premium, made[0]), 402, "subscription_required")


def test_unpublished_out_of_window_and_above_maturity_are_refused_at_renewal(
    app: FastAPI, client: TestClient, in_app_db: Callable[[], Any]
) -> None:
    viewer = make_viewer(client, app, plan="premium")
    with in_app_db() as session:
        titles = [make_playable_title(session, rating="R") for _ in range(2)]
        gb_only = make_playable_title(session, windows=[("GB", days(-10), None)])
    made = [download(client, viewer, title_id=t.id).json()["id"] for t in titles]
    gb = {**viewer.headers, "CloudFront-Viewer-Country": "GB"}
    window = client.post(
        downloads_url(viewer),
        json={"title_id": str(gb_only.id), "device_id": "laptop-0002"},
        headers=gb,
    )
    assert window.status_code == 201, window.text
    with in_app_db() as session:
        session.get(Title, titles[0].id).state = PublishState.DRAFT
        session.execute(
            update(Profile)
            .where(Profile.user_id == uuid.UUID(viewer.id))
            .values(maturity_ceiling=0)
        )
    assert_problem(_renew(client, viewer, made[0]), 404, "not_found")
    assert_problem(_renew(client, viewer, made[1]), 403, "maturity_restricted")
    us = {**viewer.headers, "CloudFront-Viewer-Country": "US"}
    url = f"{downloads_url(viewer)}/{window.json()['id']}/license"
    assert_problem(client.post(url, json={}, headers=us), 451, "not_available_in_region")
