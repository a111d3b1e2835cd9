"""Making, listing and deleting downloads: the playback rules, the plan's number and quality."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.catalog.models import PublishState, Title
from tests.catalog.factories import days
from tests.downloads.conftest import download, downloads_url
from tests.playback.conftest import (
    Series,
    add_kids_profile,
    make_playable_title,
    make_viewer,
)
from tests.support import ApiUser, assert_problem


def test_a_download_carries_its_licence_links_and_expiry(
    client: TestClient, app: FastAPI, viewer: ApiUser, playable_title: Title
) -> None:
    response = download(client, viewer, title_id=playable_title.id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["quality"] == 1080  # the standard plan's ceiling, the tallest rendition in it
    assert body["state"] == "active"
    assert body["first_played_at"] is None
    assert body["license"]["key_system"] is None
    assert body["license"]["keys"] == []
    assert body["license"]["played_expiry_seconds"] == 48 * 3600
    assert body["media"]["hls_url"].endswith("/master.m3u8")
    assert "/1080-240-480-720/" not in body["media"]["hls_url"]  # canonical, ascending scope
    assert "/240-480-720-1080/" in body["media"]["hls_url"]
    # The origin takes the link (these test versions have no files behind them).
    assert_problem(client.get(body["media"]["hls_url"]), 404, "object_not_found")
    listed = client.get(downloads_url(viewer), headers=viewer.headers).json()
    assert listed["limit"] == 2
    assert listed["used"] == 1
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert listed["items"][0]["title"] == playable_title.name


def test_the_quality_is_chosen_within_the_plan(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    assert (
        download(client, viewer, title_id=playable_title.id, quality=480).json()["quality"] == 480
    )
    problem = assert_problem(
        download(client, viewer, device="phone-0001", title_id=playable_title.id, quality=2160),
        403,
        "quality_above_plan",
    )
    assert problem["max_resolution"] == 1080
    problem = assert_problem(
        download(client, viewer, device="phone-0001", title_id=playable_title.id, quality=360),
        422,
        "quality_not_offered",
    )
    assert problem["qualities"] == [240, 480, 720, 1080]


def test_a_plan_without_downloads_and_no_plan_have_their_own_refusals(
    client: TestClient, app: FastAPI, playable_title: Title
) -> None:
    basic = make_viewer(client, app, plan="basic")
    assert_problem(
        download(client, basic, title_id=playable_title.id), 403, "plan_has_no_downloads"
    )
    nothing = make_viewer(client, app, plan=None)
    assert_problem(
        download(client, nothing, title_id=playable_title.id), 402, "subscription_required"
    )


def test_the_plan_counts_downloads_across_profiles_and_devices(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        titles = [make_playable_title(session, rating="G") for _ in range(3)]
    kids = add_kids_profile(client, viewer)
    assert download(client, viewer, title_id=titles[0].id).status_code == 201
    assert (
        download(
            client, viewer, profile_id=kids, device="tablet-01", title_id=titles[1].id
        ).status_code
        == 201
    )
    third = download(client, viewer, device="phone-0001", title_id=titles[2].id)
    problem = assert_problem(third, 409, "download_limit_reached")
    assert problem["limit"] == 2
    # Asking again for one it has (same profile, device and title) takes no new place.
    again = download(client, viewer, title_id=titles[0].id)
    assert again.status_code == 200
    assert again.json()["media"]["hls_url"]
    first = again.json()["id"]
    deleted = client.delete(f"{downloads_url(viewer)}/{first}", headers=viewer.headers)
    assert deleted.status_code == 204
    assert download(client, viewer, device="phone-0001", title_id=titles[2].id).status_code == 201
    listed = client.get(downloads_url(viewer), headers=viewer.headers).json()
    assert listed["used"] == 2
    assert len(listed["items"]) == 1


def test_every_playback_rule_applies_to_a_download(
    client: TestClient, app: FastAPI, viewer: ApiUser, in_app_db: Callable[[], Any]
) -> None:
    with in_app_db() as session:
        draft = make_playable_title(session, state=PublishState.DRAFT)
        gb_only = make_playable_title(session, windows=[("GB", days(-10), None)])
        over = make_playable_title(session, windows=[("*", days(-10), days(-1))])
        adult = make_playable_title(session, rating="R")
        empty = make_playable_title(session, with_version=False)
    assert_problem(download(client, viewer, title_id=draft.id), 404, "not_found")
    assert_problem(download(client, viewer, title_id=uuid.uuid4()), 404, "not_found")
    us = {"CloudFront-Viewer-Country": "US"}
    assert_problem(
        download(client, viewer, title_id=gb_only.id, headers=us), 451, "not_available_in_region"
    )
    assert_problem(download(client, viewer, title_id=over.id), 451, "not_available_in_region")
    kids = add_kids_profile(client, viewer)
    assert_problem(
        download(client, viewer, profile_id=kids, title_id=adult.id), 403, "maturity_restricted"
    )
    assert_problem(download(client, viewer, title_id=empty.id), 409, "not_playable")
    gb = {"CloudFront-Viewer-Country": "GB"}
    assert download(client, viewer, title_id=gb_only.id, headers=gb).status_code == 201


def test_an_episode_downloads_with_its_names(
    client: TestClient, viewer: ApiUser, playable_series: Series
) -> None:
    episode = playable_series.episodes[1]
    body = download(client, viewer, episode_id=episode.id, quality=720).json()
    assert body["episode_id"] == str(episode.id)
    assert body["episode_title"] == episode.name
    assert body["title_id"] == str(playable_series.title.id)
    assert body["duration"] == 1500.0


def test_another_accounts_profile_and_download_are_404(
    client: TestClient, app: FastAPI, viewer: ApiUser, playable_title: Title
) -> None:
    made = download(client, viewer, title_id=playable_title.id).json()
    stranger = make_viewer(client, app, plan="premium")
    mine = downloads_url(viewer)
    assert_problem(client.get(mine, headers=stranger.headers), 404, "profile_not_found")
    assert_problem(
        download(client, stranger, profile_id=viewer.profile_id, title_id=playable_title.id),
        404,
        "profile_not_found",
    )
    assert_problem(
        client.delete(f"{mine}/{made['id']}", headers=stranger.headers), 404, "profile_not_found"
    )
    theirs = downloads_url(stranger)
    assert_problem(
        client.delete(f"{theirs}/{made['id']}", headers=stranger.headers),
        404,
        "download_not_found",
    )


def test_bad_input_is_problem_json(
    client: TestClient, viewer: ApiUser, playable_title: Title
) -> None:
    url = downloads_url(viewer)
    for body in (
        {"title_id": str(playable_title.id)},  # no device id
        {"title_id": str(playable_title.id), "device_id": "short"},
        {"title_id": str(playable_title.id), "device_id": "has spaces in it"},
        {"title_id": str(playable_title.id), "device_id": "x" * 65},
        {"device_id": "laptop-0001"},  # no target
        {
            "title_id": str(playable_title.id),
            "episode_id": str(uuid.uuid4()),
            "device_id": "laptop-0001",
        },
        {"title_id": str(playable_title.id), "device_id": "laptop-0001", "quality": 10},
        {"title_id": str(playable_title.id), "device_id": "laptop-0001", "extra": 1},
    ):
        assert_problem(client.post(url, json=body, headers=viewer.headers), 422, "validation_error")
    assert_problem(
        client.delete(f"{url}/not-a-uuid", headers=viewer.headers), 422, "validation_error"
    )
    assert_problem(client.get(url), 401, "not_authenticated")
