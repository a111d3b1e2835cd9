"""The player in Chromium: remembered subtitles, skip intro, next episode, and each problem screen."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select

from marquee.accounts.models import Subscription, User
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from tests.web.conftest import (
    Account,
    Site,
    axe_violations,
    console_errors,
    describe_violations,
    screenshot,
)
from tests.web.journey_support import video_value, wait_video


def check(page: Page, name: str) -> None:
    violations = axe_violations(page)
    screenshot(page, name)
    assert not violations, describe_violations(violations)


def profile(site: Site, account: Account) -> dict[str, Any]:
    with site.api() as api:
        response = api.get(f"/api/v1/me/profiles/{account.profile_id}", headers=account.headers)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def eventually(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


# Shaka draws captions into its text container inside the player.
SHOWING = (
    "(() => { const c = document.querySelector('.shaka-text-container');"
    " return !!c && c.offsetParent !== null && c.textContent.trim().length > 0; })()"
)


def test_the_subtitle_choice_is_kept_on_the_profile(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.goto(f"{site.url}/watch/{site.titles['Toy Story']}")
    wait_video(page, "v.currentTime > 1")
    menu = page.get_by_label("Subtitles")
    assert menu.locator("option").all_inner_texts() == ["Off", "English"]
    menu.select_option(label="English")
    page.wait_for_function(f"() => {SHOWING}")
    eventually(lambda: profile(site, account)["subtitles_enabled"])
    assert profile(site, account)["subtitle_language"] == "en"
    check(page, "player-subtitles")
    page.keyboard.press("c")
    expect(menu).to_have_value("off")
    page.wait_for_function(f"() => !{SHOWING}")
    eventually(lambda: not profile(site, account)["subtitles_enabled"])
    # The next title starts with the profile's choice: subtitles back on, then a fresh player.
    page.keyboard.press("c")
    eventually(lambda: profile(site, account)["subtitles_enabled"])
    page.goto(f"{site.url}/watch/{site.titles['Babe']}")
    wait_video(page, "v.currentTime > 0.5")
    page.wait_for_function(f"() => {SHOWING}")
    expect(page.get_by_label("Subtitles")).to_have_value(re.compile(r"^\d+$"))
    assert console_errors(page) == []


@contextmanager
def markers(site: Site, title_id: str, **seconds: int | None) -> Iterator[list[dict[str, Any]]]:
    """Intro and credits markers on the series' first episode for the test, then none again."""
    path = f"/api/v1/admin/titles/{title_id}/seasons/1/episodes/1"
    cleared = dict.fromkeys(seconds)
    with httpx.Client(base_url=site.url, headers=site.admin.headers, timeout=30.0) as api:
        api.patch(path, json=seconds).raise_for_status()
        title = api.get(f"/api/v1/admin/titles/{title_id}").json()
        try:
            yield sorted(title["seasons"][0]["episodes"], key=lambda e: e["number"])
        finally:
            api.patch(path, json=cleared).raise_for_status()


def test_skip_intro_and_the_next_episode_countdown(site: Site, page: Page) -> None:
    series = site.titles["Harbour Lights"]
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    with markers(
        site, series, intro_start_seconds=0, intro_end_seconds=5, credits_start_seconds=8
    ) as episodes:
        page.goto(f"{site.url}/watch/{series}/{episodes[0]['id']}")
        wait_video(page, "v.currentTime > 0.2")
        skip = page.get_by_role("button", name="Skip intro")
        expect(skip).to_be_visible()
        # Paused while the page is checked, so a slow check cannot play past the intro.
        page.evaluate("document.querySelector('video').pause()")
        check(page, "player-skip-intro")
        skip.click()
        wait_video(page, "v.currentTime >= 5")
        expect(skip).to_have_count(0)
        page.evaluate("document.querySelector('video').play()")
        countdown = page.get_by_role("complementary", name="Next episode")
        expect(countdown).to_be_visible(timeout=15_000)
        expect(countdown).to_contain_text(f"S1 E2 · {episodes[1]['name']}")
        # The count holds while the viewer has paused: nobody is sent on from a paused video.
        page.evaluate("document.querySelector('video').pause()")
        expect(countdown).to_contain_text("Paused")
        check(page, "player-next-episode")
        expect(countdown).to_contain_text("Paused")
        assert page.url.endswith(episodes[0]["id"])
        # Episode 1's <video> stays until episode 2's session starts (each session gets its
        # own element): marked, so that only the new one is waited for.
        page.evaluate("document.querySelector('video').dataset.previous = 'yes'")
        countdown.get_by_role("button", name="Play now").click()
        page.wait_for_url(re.compile(f"/watch/{series}/{episodes[1]['id']}"))
        wait_video(page, "!v.dataset.previous && v.currentTime > 0.5")
        assert video_value(page, "v.currentTime") < 5


def _title(api: httpx.Client, name: str, window: str) -> str:
    body = {"kind": "movie", "slug": re.sub(r"\W+", "-", name.lower()), "name": name}
    created = api.post("/api/v1/admin/titles", json={**body, "maturity_rating": "PG"})
    created.raise_for_status()
    title_id: str = created.json()["id"]
    availability = {"country": window, "starts_at": "2000-01-01T00:00:00Z"}
    api.post(f"/api/v1/admin/titles/{title_id}/availability", json=availability)
    api.post(f"/api/v1/admin/titles/{title_id}/publish").raise_for_status()
    return title_id


def _expire(site: Site, email: str) -> None:
    engine = make_engine(site.settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            user = session.scalars(select(User).where(User.email == email)).one()
            for sub in session.scalars(select(Subscription).where(Subscription.user_id == user.id)):
                sub.current_period_end = utcnow() - timedelta(days=1)
    finally:
        engine.dispose()


def expect_screen(page: Page, site: Site, path: str, heading: str, name: str) -> None:
    page.goto(f"{site.url}{path}")
    problem = page.locator(".player-problem")
    expect(problem.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("video")).to_have_count(0)
    check(page, name)


def test_each_playback_problem_has_its_own_screen(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    toy_story = site.titles["Toy Story"]
    with httpx.Client(base_url=site.url, headers=site.admin.headers, timeout=30.0) as admin:
        elsewhere = _title(admin, "Licensed Elsewhere", "JP")
        no_media = _title(admin, "Coming Soon Card", "*")
        try:
            expect_screen(
                page, site, f"/watch/{elsewhere}", "Not available in your region", "player-region"
            )
            expect_screen(
                page, site, f"/watch/{no_media}", "Not ready to play yet", "player-not-playable"
            )
            with httpx.Client(base_url=site.url, headers=account.headers, timeout=30.0) as api:
                limit = api.get("/api/v1/me/entitlements").json()["max_streams"]
                body = {"profile_id": account.profile_id, "title_id": toy_story}
                for _ in range(limit):
                    api.post("/api/v1/playback/sessions", json=body).raise_for_status()
            expect_screen(page, site, f"/watch/{toy_story}", "Too many streams", "player-streams")
            _expire(site, account.email)
            expect_screen(page, site, f"/watch/{toy_story}", "Upgrade your plan", "player-upgrade")
        finally:
            admin.delete(f"/api/v1/admin/titles/{elsewhere}")
            admin.delete(f"/api/v1/admin/titles/{no_media}")


def test_the_player_fits_a_phone(site: Site, page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.goto(f"{site.url}/watch/{site.titles['Jumanji']}")
    wait_video(page, "v.currentTime > 1")
    page.mouse.move(200, 400)
    for name in ("Play", "Pause"):
        button = page.get_by_role("button", name=name, exact=True)
        if button.count():
            box = button.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390
    fullscreen = page.get_by_role("button", name="Full screen").bounding_box()
    assert fullscreen is not None
    assert fullscreen["x"] + fullscreen["width"] <= 390
    check(page, "player-phone")


def test_a_session_ended_on_the_server_stops_the_player(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.goto(f"{site.url}/watch/{site.titles['Apollo 13']}")
    wait_video(page, "v.currentTime > 0.5")
    with httpx.Client(base_url=site.url, headers=account.headers, timeout=30.0) as api:
        [stream] = api.get("/api/v1/playback/streams").json()["items"]
        stop = f"/api/v1/playback/sessions/{stream['session_id']}/stop"
        api.post(stop, json={"position": 1.0}).raise_for_status()
    # The next heartbeat (every 10 s) learns that the session ended.
    error = page.locator(".player-error")
    expect(error).to_contain_text("stream was ended", timeout=20_000)
    assert video_value(page, "v.paused ? 1 : 0") == 1
    check(page, "player-session-ended")


def test_the_player_renews_its_media_links_with_each_heartbeat(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    media: list[str] = []
    page.on(
        "request", lambda request: media.append(request.url) if "/media/" in request.url else None
    )
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/playback/sessions") and r.request.method == "POST"
    ) as started:
        page.goto(f"{site.url}/watch/{site.titles['Jumanji']}")
    session = started.value.json()
    wait_video(page, "v.currentTime > 0.5")
    page.evaluate("document.querySelector('video').pause()")
    # Links live 45 s; the heartbeat (every 10 s) brings the next token.
    with page.expect_response(lambda r: r.url.endswith("/heartbeat"), timeout=20_000) as beat:
        pass
    token = beat.value.json()["media_token"]
    assert token != session["media_token"]
    before = len(media)
    # Another quality drops what is buffered ahead, so the player fetches segments again.
    other = "360" if video_value(page, "v.videoHeight") == 240 else "240"
    mine = f"/media/{session['session_id']}/"
    with page.expect_request(lambda r: mine in r.url, timeout=15_000):
        page.get_by_label("Quality").select_option(other)
    page.wait_for_timeout(1000)  # Playwright delivers the request events while it waits
    fetched = [url for url in media[before:] if mine in url]
    assert all(f"{mine}{token}/" in url for url in fetched), fetched
    page.evaluate("document.querySelector('video').play()")
    wait_video(page, "v.currentTime > 3")
    assert console_errors(page) == []
