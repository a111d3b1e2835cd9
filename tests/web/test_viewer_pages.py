"""Viewer pages in Chromium: each loads cleanly, passes axe-core and is screenshotted."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    Account,
    Site,
    axe_violations,
    console_errors,
    describe_violations,
    screenshot,
)

ADULT = {"R", "NC-17", "TV-MA"}


def assert_clean(page: Page, name: str) -> None:
    """No console errors, no serious/critical axe violations; saves the screenshot."""
    screenshot(page, name)
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    assert console_errors(page) == []


def kids_profile(site: Site, account: Account) -> str:
    with httpx.Client(base_url=site.url, headers=account.headers) as api:
        response = api.post("/api/v1/me/profiles", json={"name": "Kids", "is_kids": True})
        response.raise_for_status()
        return str(response.json()["id"])


def card_ids(page: Page, scope: str = "main") -> set[str]:
    ids = page.locator(f"{scope} [data-title-id]").evaluate_all(
        "els => els.map(e => e.dataset.titleId)"
    )
    return set(ids)


def adult_ids(site: Site) -> set[str]:
    return {site.titles[name] for name, rating in site.ratings.items() if rating in ADULT}


def test_sign_in_page(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_clean(page, "signin")


def test_sign_up_then_pick_a_profile(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/")
    page.wait_for_url("**/signin**")
    page.get_by_role("link", name="Sign up now").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    assert_clean(page, "signup")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email").fill("ada-web@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    # The browser's own validation stops a too-short password before the server sees it.
    expect(page).to_have_url(re.compile(r"/signup"))
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Who's watching?")).to_be_visible()
    # A reload keeps the session (tokens are stored).
    page.reload()
    expect(page.get_by_role("heading", name="Who's watching?")).to_be_visible()
    assert console_errors(page) == []


def test_wrong_password_reads_as_a_message(site: Site, page: Page) -> None:
    account = site.new_account()
    page.goto(f"{site.url}/signin")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    assert "401" not in alert.inner_text()
    assert len(alert.inner_text()) > 5


def test_profiles_create_kids_and_edit(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account)
    expect(page.get_by_role("heading", name="Who's watching?")).to_be_visible()
    page.get_by_role("button", name="Add profile").click()
    page.get_by_label("Name").fill("Junior")
    page.get_by_label("Kids profile").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Junior (kids)")).to_be_visible()
    page.get_by_role("button", name="Manage profiles").click()
    page.get_by_role("button", name="Edit Junior").click()
    assert_clean(page, "profile-edit")
    page.get_by_label("Name").fill("Junior Two")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("button", name="Junior Two (kids)")).to_be_visible()
    assert_clean(page, "profiles")


def test_home_rows_and_arrow_keys(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    rows = page.locator("section.row")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3
    expect(page.get_by_role("link", name=re.compile("Play"))).to_be_visible()
    assert_clean(page, "home")
    first_row = page.locator("[data-nav-row]").first
    first_row.locator("a.card").first.focus()
    page.keyboard.press("ArrowRight")
    second = first_row.locator("a.card").nth(1)
    expect(second).to_be_focused()
    page.keyboard.press("ArrowDown")
    focused_row = page.evaluate("document.activeElement.closest('[data-nav-row]') !== null")
    assert focused_row
    assert not page.locator("[data-nav-row]").first.evaluate(
        "row => row.contains(document.activeElement)"
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**/title/**")
    page.go_back()
    page.locator("[data-nav-top]").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("[data-nav-row]").first.locator("a.card").first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator("[data-nav-top]")).to_be_focused()


def test_kids_home_and_search_never_show_r_titles(site: Site, page: Page) -> None:
    account = site.new_account()
    kids = kids_profile(site, account)
    site.sign_in(page, account, kids)
    expect(page.locator("section.row").first).to_be_visible()
    shown = card_ids(page)
    assert shown, "the kids home shows titles"
    assert not shown & adult_ids(site)
    assert_clean(page, "home-kids")
    page.goto(f"{site.url}/search?q=pulp")
    expect(page.get_by_role("status").filter(has_text="title")).to_be_visible()
    assert site.titles["Pulp Fiction"] not in card_ids(page)
    page.goto(f"{site.url}/search")
    expect(page.locator(".grid a.card").first).to_be_visible()
    assert not card_ids(page) & adult_ids(site)
    page.goto(f"{site.url}/title/{site.titles['Heat']}")
    expect(page.get_by_role("heading", name="Title unavailable")).to_be_visible()


def test_title_page_my_list_and_thumbs(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    toy = site.titles["Toy Story"]
    page.goto(f"{site.url}/title/{toy}")
    expect(page.get_by_role("heading", name="Toy Story", level=1)).to_be_visible()
    expect(page.get_by_text("Tom Hanks")).to_be_visible()
    expect(page).to_have_title("Toy Story · Marquee")
    play = page.get_by_role("link", name="Play")
    expect(play).to_have_attribute("href", f"/watch/{toy}")
    my_list = page.get_by_role("button", name="My List")
    expect(my_list).to_be_enabled()
    my_list.click()
    expect(my_list).to_have_attribute("aria-pressed", "true")
    like = page.get_by_role("button", name="I like this")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    assert_clean(page, "title")
    page.reload()
    expect(page.get_by_role("button", name="My List")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="I like this")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="My List").click()
    expect(page.get_by_role("heading", name="My List")).to_be_visible()
    expect(page.locator(f"main [data-title-id='{toy}']")).to_be_visible()
    assert_clean(page, "my-list")
    page.get_by_role("link", name="Home", exact=True).click()
    saved_row = page.locator("section[data-row='my_list']")
    expect(saved_row.get_by_role("heading", name="My List")).to_be_visible()
    expect(saved_row.locator(f"[data-title-id='{toy}']")).to_be_visible()


def test_series_page_lists_episodes(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    series = site.titles["Harbour Lights"]
    page.goto(f"{site.url}/title/{series}")
    expect(page.get_by_role("heading", name="Episodes")).to_be_visible()
    episodes = page.locator("a.episode")
    expect(episodes).to_have_count(3)
    expect(page.get_by_role("link", name=re.compile("Play S1:E1"))).to_be_visible()
    href = episodes.first.get_attribute("href")
    assert href is not None
    assert href.startswith(f"/watch/{series}/")
    assert_clean(page, "title-series")


def test_search_as_you_type_with_typos_and_filters(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.get_by_role("link", name="Search").click()
    box = page.get_by_role("combobox", name="Search titles")
    expect(box).to_be_focused()
    box.press_sequentially("jurasic prk", delay=30)
    result = page.locator(f"main .grid [data-title-id='{site.titles['Jurassic Park']}']")
    expect(result).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=jurasic"))
    assert_clean(page, "search")
    box.fill("")
    page.get_by_label("Genre", exact=True).select_option("Crime")
    expect(page.locator(f"main [data-title-id='{site.titles['Fargo']}']")).to_be_visible()
    expect(page.locator(f"main [data-title-id='{site.titles['Toy Story']}']")).to_have_count(0)
    page.get_by_label("Decade").select_option("1990")
    page.get_by_label("Language").select_option("en")
    expect(page.locator(f"main [data-title-id='{site.titles['Heat']}']")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Type").select_option("series")
    expect(page.locator("main .grid a.card")).to_have_count(1)
    screenshot(page, "search-filters")


def test_search_suggestions_open_a_title(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.goto(f"{site.url}/search")
    box = page.get_by_role("combobox", name="Search titles")
    box.press_sequentially("casab", delay=30)
    option = page.get_by_role("option", name=re.compile("Casablanca"))
    expect(option).to_be_visible()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(f"**/title/{site.titles['Casablanca']}")


def test_account_page_and_sign_out_everywhere(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Plan")).to_be_visible()
    expect(page.get_by_text("Screens at once")).to_be_visible()
    expect(page.get_by_role("heading", name="Watching now")).to_be_visible()
    assert_clean(page, "account")
    page.get_by_role("button", name="Sign out of all devices").click()
    page.wait_for_url("**/signin**")
    page.goto(f"{site.url}/my-list")
    page.wait_for_url("**/signin**")
    with httpx.Client(base_url=site.url, headers=account.headers) as api:
        assert api.get("/api/v1/me").status_code == 401


def test_phone_width_has_no_horizontal_overflow(site: Site, page: Page) -> None:
    account = site.new_account()
    page.set_viewport_size({"width": 390, "height": 844})
    site.sign_in(page, account, account.profile_id)
    expect(page.locator("section.row").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert_clean(page, "home-phone")
    page.goto(f"{site.url}/title/{site.titles['Toy Story']}")
    expect(page.get_by_role("heading", name="Toy Story", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "title-phone")


def test_tv_width_home(site: Site, page: Page) -> None:
    account = site.new_account()
    page.set_viewport_size({"width": 1920, "height": 1080})
    site.sign_in(page, account, account.profile_id)
    expect(page.locator("section.row").first).to_be_visible()
    screenshot(page, "home-tv")
    assert console_errors(page) == []


def watch_some(site: Site, account: Account, position: float, **target: str) -> None:
    """Plays part of a title or episode through the playback API, as the player would."""
    with httpx.Client(base_url=site.url, headers=account.headers) as api:
        body = {"profile_id": account.profile_id, "device": {"codecs": ["avc1", "mp4a"]}, **target}
        started = api.post("/api/v1/playback/sessions", json=body)
        assert started.status_code == 201, started.text
        session_id = started.json()["session_id"]
        beat = {"position": position, "state": "playing"}
        path = f"/api/v1/playback/sessions/{session_id}"
        assert api.post(f"{path}/heartbeat", json=beat).status_code == 200
        assert api.post(f"{path}/stop", json={"position": position}).status_code == 204


def test_continue_watching_and_resume(site: Site, page: Page) -> None:
    account = site.new_account()
    babe = site.titles["Babe"]
    watch_some(site, account, 5.0, title_id=babe)
    series = site.titles["Harbour Lights"]
    with httpx.Client(base_url=site.url, headers=account.headers) as api:
        detail = api.get(f"/api/v1/titles/{series}", params={"profile_id": account.profile_id})
        episodes = detail.json()["seasons"][0]["episodes"]
    watch_some(site, account, 6.0, episode_id=episodes[1]["id"])
    site.sign_in(page, account, account.profile_id)
    row = page.locator("section[data-row='continue']")
    expect(row.get_by_role("heading", name="Continue watching")).to_be_visible()
    expect(row.locator(f"[data-title-id='{babe}'] [role='progressbar']")).to_be_visible()
    screenshot(page, "home-continue")
    page.goto(f"{site.url}/title/{babe}")
    expect(page.get_by_role("link", name="Resume")).to_have_attribute("href", f"/watch/{babe}")
    expect(page.locator(".title-actions [role='progressbar']")).to_be_visible()
    page.goto(f"{site.url}/title/{series}")
    resume = page.get_by_role("link", name="Resume S1:E2")
    expect(resume).to_have_attribute("href", f"/watch/{series}/{episodes[1]['id']}")
    second = page.locator(f"[data-episode-id='{episodes[1]['id']}'] [role='progressbar']")
    expect(second).to_be_visible()
    screenshot(page, "title-series-progress")
    assert console_errors(page) == []


def _refresh_cookie(page: Page) -> dict[str, Any]:
    cookies = [c for c in page.context.cookies() if c["name"] == "marquee_refresh"]
    assert len(cookies) == 1, cookies
    return dict(cookies[0])


def test_tokens_stay_out_of_script_reach_and_a_reload_refreshes_from_the_cookie(
    site: Site, page: Page
) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    expect(page.locator("section.row").first).to_be_visible()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.includes('token'))") == []
    assert "marquee_refresh" not in page.evaluate("document.cookie")
    cookie = _refresh_cookie(page)
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth"
    # The access token was only in memory: a reload spends the cookie for a new pair.
    page.reload()
    expect(page.locator("section.row").first).to_be_visible()
    assert _refresh_cookie(page)["value"] != cookie["value"]
    # A dead refresh token signs the browser out.
    page.context.add_cookies([{**_refresh_cookie(page), "value": "revoked"}])  # type: ignore[list-item]
    page.reload()
    page.wait_for_url("**/signin**")
    assert "marquee_csrf" not in page.evaluate("document.cookie")


def publish_title(site: Site, name: str, **fields: str) -> str:
    with httpx.Client(base_url=site.url, headers=site.admin.headers, timeout=30.0) as api:
        body = {"kind": "movie", "slug": name.lower().replace(" ", "-"), "name": name}
        created = api.post("/api/v1/admin/titles", json={**body, "maturity_rating": "PG", **fields})
        created.raise_for_status()
        title_id = str(created.json()["id"])
        window = {"country": "*", "starts_at": "2000-01-01T00:00:00Z"}
        api.post(f"/api/v1/admin/titles/{title_id}/availability", json=window).raise_for_status()
        api.post(f"/api/v1/admin/titles/{title_id}/publish").raise_for_status()
    return title_id


def test_real_posters_show_and_broken_ones_fall_back(site: Site, page: Page) -> None:
    with_art = publish_title(site, "Poster Shown", poster="/favicon.svg")
    broken = publish_title(site, "Poster Broken", poster="/missing/poster.png")
    bare_key = publish_title(site, "Poster Key", poster="versions/x/artwork/poster.jpg")
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.goto(f"{site.url}/title/{with_art}")
    image = page.locator(".title-layout .poster img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const img = document.querySelector('.title-layout .poster img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    for title_id, name in ((broken, "Poster Broken"), (bare_key, "Poster Key")):
        page.goto(f"{site.url}/title/{title_id}")
        generated = page.locator(".title-layout .poster-generated")
        expect(generated).to_be_visible()
        expect(generated).to_contain_text(name)


def test_unknown_paths_get_a_not_found_page(site: Site, page: Page) -> None:
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    page.goto(f"{site.url}/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_clean(page, "not-found")
    page.get_by_role("link", name="Go home").click()
    expect(page.locator("section.row").first).to_be_visible()
