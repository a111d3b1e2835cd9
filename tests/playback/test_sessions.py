"""Starting playback: the session shape, and every entitlement refusal with its problem type."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.catalog.models import PublishState, Title
from marquee.db import utcnow
from marquee.delivery import signing
from marquee.playback import licenses
from marquee.playback.models import PlaybackSession
from marquee.versions import content_keys
from marquee.versions.models import MediaVersion
from tests.catalog.factories import days
from tests.playback.conftest import (
    Series,
    add_kids_profile,
    cancel_in_past,
    make_playable_title,
    make_viewer,
    set_plan,
    start_body,
)
from tests.support import ApiUser, assert_problem

SESSIONS = "/api/v1/playback/sessions"


def _start(client: TestClient, user: ApiUser, **kwargs: Any) -> Any:
    return client.post(SESSIONS, json=start_body(user.profile_id, **kwargs), headers=user.headers)


def test_a_session_gives_signed_urls_limits_and_where_to_start(
    client: TestClient, app: FastAPI, viewer: ApiUser, playable_title: Title
) -> None:
    response = _start(client, viewer, title_id=playable_title.id, max_height=720)
    assert response.status_code == 201, response.text
    body = response.json()
    version = str(playable_title.current_version_id)
    assert body["hls_url"].endswith(f"/{version}/master.m3u8")
    assert body["dash_url"].endswith(f"/{version}/manifest.mpd")
    assert body["trickplay_url"].endswith(f"/{version}/trickplay/thumbnails.vtt")
    # The device's 720 is below the Standard plan's 1080.
    assert body["max_height"] == 720
    assert (body["duration"], body["resume_position"], body["start_position"]) == (600.0, 0.0, 0.0)
    assert body["heartbeat_seconds"] == 10
    assert body["license_url"] is None
    assert body["key_system"] is None
    assert body["next_episode"] is None
    assert body["markers"] == {"intro_start": None, "intro_end": None, "credits_start": None}
    _, _, session_id, expires, sig, scope, version_id, _ = body["hls_url"].split("/", 7)
    # The scope names the heights up to the session's 720: the edge refuses any other lane.
    assert scope == "240-480-720"
    heights = signing.parse_scope(scope)
    link = signing.MediaLink(
        uuid.UUID(session_id), uuid.UUID(version_id), int(expires), sig, heights
    )
    assert str(link.session_id) == body["session_id"]
    assert body["media_token"] == f"{expires}/{sig}/{scope}"
    ttl = app.state.runtime.settings.playback_link_ttl_seconds
    assert link.expires - utcnow().timestamp() <= ttl
    secret = app.state.runtime.settings.media_link_secret.get_secret_value()
    signing.verify(secret, link, now=utcnow())


def test_the_plan_caps_the_height_even_for_a_4k_screen(
    client: TestClient, app: FastAPI, playable_title: Title
) -> None:
    basic = make_viewer(client, app, plan="basic")
    body = _start(client, basic, title_id=playable_title.id, max_height=2160).json()
    assert body["max_height"] == 720
    premium = make_viewer(client, app, plan="premium")
    assert _start(client, premium, title_id=playable_title.id).json()["max_height"] == 1080


def test_an_encrypted_title_comes_with_a_clearkey_licence_url(
    client: TestClient, app: FastAPI, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        title = make_playable_title(session, encrypted=True)
        content_keys.key_for_title(
            session=session, settings=app.state.runtime.settings, title_id=title.id
        )
    body = _start(client, viewer, title_id=title.id).json()
    assert body["key_system"] == "org.w3.clearkey"
    assert body["license_url"].startswith(f"/api/v1/playback/sessions/{body['session_id']}/license")
    assert "token=" in body["license_url"]


def test_no_subscription_is_402(client: TestClient, app: FastAPI, playable_title: Title) -> None:
    user = make_viewer(client, app, plan=None)
    assert_problem(_start(client, user, title_id=playable_title.id), 402, "subscription_required")


def test_a_canceled_subscription_past_its_period_is_402(
    client: TestClient, viewer: ApiUser, playable_title: Title, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        cancel_in_past(session, user_id=viewer.id)
    response = _start(client, viewer, title_id=playable_title.id)
    assert_problem(response, 402, "subscription_required")


def test_unknown_and_unpublished_titles_are_one_404(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        draft = make_playable_title(session, state=PublishState.DRAFT)
    details = set()
    for title_id in (draft.id, uuid.uuid4()):
        response = _start(client, viewer, title_id=title_id)
        details.add(assert_problem(response, 404, "not_found")["detail"])
        catalog = client.get(
            f"/api/v1/titles/{title_id}?profile_id={viewer.profile_id}", headers=viewer.headers
        )
        assert catalog.status_code == 404
    assert len(details) == 1  # nothing tells a draft from a title that does not exist
    assert_problem(_start(client, viewer, episode_id=uuid.uuid4()), 404, "not_found")


def test_outside_the_licence_region_is_451(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        title = make_playable_title(session, windows=[("GB", days(-10), None)])
    body = start_body(viewer.profile_id, title_id=title.id)
    us = {**viewer.headers, "CloudFront-Viewer-Country": "US"}
    assert_problem(client.post(SESSIONS, json=body, headers=us), 451, "not_available_in_region")
    gb = {**viewer.headers, "CloudFront-Viewer-Country": "GB"}
    assert client.post(SESSIONS, json=body, headers=gb).status_code == 201


def test_an_expired_licence_window_is_451(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        title = make_playable_title(session, windows=[("*", days(-10), days(-1))])
    assert_problem(_start(client, viewer, title_id=title.id), 451, "not_available_in_region")


def test_a_kids_profile_cannot_start_an_r_title(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        title = make_playable_title(session, rating="R")
    kids = add_kids_profile(client, viewer)
    body = start_body(kids, title_id=title.id)
    response = client.post(SESSIONS, json=body, headers=viewer.headers)
    assert_problem(response, 403, "maturity_restricted")
    assert _start(client, viewer, title_id=title.id).status_code == 201


def test_a_title_without_a_ready_version_is_not_playable(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        title = make_playable_title(session, with_version=False)
    assert_problem(_start(client, viewer, title_id=title.id), 409, "not_playable")


def test_a_device_that_decodes_none_of_the_codecs_is_refused(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    body = start_body(viewer.profile_id, title_id=playable_title.id)
    body["device"]["codecs"] = ["av01"]
    response = client.post(SESSIONS, json=body, headers=viewer.headers)
    assert_problem(response, 409, "not_playable")


def test_the_checks_run_in_the_contracts_order(
    client: TestClient, app: FastAPI, in_app_db: Callable[[], Any]
) -> None:
    """Subscription before visibility before region before maturity before playability."""
    with in_app_db() as session:
        title = make_playable_title(
            session, rating="R", windows=[("GB", days(-1), None)], with_version=False
        )
    user = make_viewer(client, app, plan=None)
    kids = add_kids_profile(client, user)
    body = start_body(kids, title_id=title.id)
    assert_problem(
        client.post(SESSIONS, json=body, headers=user.headers), 402, "subscription_required"
    )
    with in_app_db() as session:
        set_plan(session, user_id=user.id, plan="standard")
    assert_problem(
        client.post(SESSIONS, json=body, headers=user.headers), 451, "not_available_in_region"
    )
    gb = {**user.headers, "CloudFront-Viewer-Country": "GB"}
    assert_problem(client.post(SESSIONS, json=body, headers=gb), 403, "maturity_restricted")
    adult = start_body(user.profile_id, title_id=title.id)
    assert_problem(client.post(SESSIONS, json=adult, headers=gb), 409, "not_playable")


def test_bad_bodies_are_422_and_write_nothing(
    client: TestClient, viewer: ApiUser, playable_title: Title, in_app_db: Callable[[], Any]
) -> None:
    both = start_body(viewer.profile_id, title_id=playable_title.id, episode_id=uuid.uuid4())
    neither = start_body(viewer.profile_id)
    negative = start_body(viewer.profile_id, title_id=playable_title.id, start_at=-1)
    extra = start_body(viewer.profile_id, title_id=playable_title.id, surprise=True)
    for body in (both, neither, negative, extra):
        response = client.post(SESSIONS, json=body, headers=viewer.headers)
        assert_problem(response, 422, "validation_error")
    with in_app_db() as session:
        assert session.query(PlaybackSession).count() == 0


def test_another_accounts_profile_is_404(
    client: TestClient, app: FastAPI, viewer: ApiUser, playable_title: Title
) -> None:
    other = make_viewer(client, app)
    body = start_body(other.profile_id, title_id=playable_title.id)
    response = client.post(SESSIONS, json=body, headers=viewer.headers)
    assert_problem(response, 404, "profile_not_found")


def test_start_at_lands_on_the_segment_that_holds_it(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    """Segments are cut every `segment_seconds` from 0, so t is in segment floor(t / length)."""
    cases = [(0.0, 0), (3.99, 0), (4.0, 1), (42.0, 10), (599.5, 149), (5000.0, 149)]
    for start_at, segment in cases:
        body = _start(client, viewer, title_id=playable_title.id, start_at=start_at).json()
        assert body["segment_seconds"] == 4.0
        assert body["start_segment"] == segment, (start_at, body)
        assert 0 <= body["start_position"] < body["duration"]
        assert body["start_position"] == min(start_at, body["start_position"])
        client.post(
            f"{SESSIONS}/{body['session_id']}/stop", json={"position": 0}, headers=viewer.headers
        )


def test_an_episode_session_has_markers_and_the_next_episode(
    client: TestClient, viewer: ApiUser, playable_series: Series
) -> None:
    _first, second, third, last = playable_series.episodes
    body = _start(client, viewer, episode_id=second.id).json()
    assert body["episode_id"] == str(second.id)
    assert body["title_id"] == str(playable_series.title.id)
    assert body["markers"] == {"intro_start": 30, "intro_end": 90, "credits_start": 1380}
    # The next episode crosses into season 2.
    assert body["next_episode"] == {
        "episode_id": str(third.id),
        "title": third.name,
        "season": 2,
        "number": 1,
    }
    stop = {"position": 10}
    client.post(f"{SESSIONS}/{body['session_id']}/stop", json=stop, headers=viewer.headers)
    assert _start(client, viewer, episode_id=last.id).json()["next_episode"] is None


def test_starting_a_series_picks_the_episode_in_progress(
    client: TestClient, viewer: ApiUser, playable_series: Series
) -> None:
    episodes = playable_series.episodes
    body = _start(client, viewer, title_id=playable_series.title.id).json()
    assert body["episode_id"] == str(episodes[0].id)
    url = f"{SESSIONS}/{body['session_id']}/stop"
    assert client.post(url, json={"position": 1400}, headers=viewer.headers).status_code == 204
    # Episode 1 is finished (past its credits), so the series resumes at episode 2.
    body = _start(client, viewer, title_id=playable_series.title.id).json()
    assert body["episode_id"] == str(episodes[1].id)


def test_a_licence_url_needs_both_the_encryption_flag_and_a_key(
    client: TestClient, app: FastAPI, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    settings = app.state.runtime.settings
    with in_app_db() as session:
        no_key = make_playable_title(session, encrypted=True)
        clear = make_playable_title(session, encrypted=False)
        content_keys.key_for_title(session=session, settings=settings, title_id=clear.id)
    for title in (no_key, clear):
        body = _start(client, viewer, title_id=title.id).json()
        assert (body["license_url"], body["key_system"]) == (None, None)
        stop = {"position": 0}
        client.post(f"{SESSIONS}/{body['session_id']}/stop", json=stop, headers=viewer.headers)


def test_a_screen_smaller_than_every_rendition_gets_the_smallest(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    body = _start(client, viewer, title_id=playable_title.id, max_height=144).json()
    assert body["max_height"] == 240


def _encrypted_version(session: Any, settings: Any, owner: Title, *, flag: bool) -> Title:
    """A title with a key whose version records that key's KID, its flag then set to `flag`."""
    title_key = content_keys.key_for_title(session=session, settings=settings, title_id=owner.id)
    assert title_key is not None
    version = session.get(MediaVersion, owner.current_version_id)
    version.renditions = tuple(
        r.model_copy(update={"kid": title_key.kid}) for r in version.renditions
    )
    owner.encrypted = flag
    session.flush()
    return owner


def _kid(session: Any, version_id: uuid.UUID | None) -> uuid.UUID | None:
    version = session.get(MediaVersion, version_id)
    return version.kid if version is not None else None


def test_the_versions_recorded_kid_decides_the_licence_url(
    client: TestClient, app: FastAPI, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    settings = app.state.runtime.settings
    with in_app_db() as session:
        # Packaged encrypted, then the title's flag was turned off: the media is still encrypted.
        flag_off = _encrypted_version(session, settings, make_playable_title(session), flag=False)
        owner = _encrypted_version(session, settings, make_playable_title(session), flag=True)
        # A clear title (no key of its own) pointing at the owner's encrypted version.
        sharer = make_playable_title(session, encrypted=False, with_version=False)
        sharer.current_version_id = owner.current_version_id
        owner_kid = _kid(session, owner.current_version_id)
        flag_off_kid = _kid(session, flag_off.current_version_id)
    for title, kid in ((flag_off, flag_off_kid), (sharer, owner_kid)):
        body = _start(client, viewer, title_id=title.id).json()
        assert body["key_system"] == "org.w3.clearkey", body
        assert kid is not None
        request = {"kids": [licenses.b64url(kid.bytes)], "type": "temporary"}
        licence = client.post(body["license_url"], json=request)
        assert licence.status_code == 200, licence.text
        assert licence.json()["keys"][0]["kid"] == licenses.b64url(kid.bytes)
        stop = {"position": 0}
        client.post(f"{SESSIONS}/{body['session_id']}/stop", json=stop, headers=viewer.headers)
