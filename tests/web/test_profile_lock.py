"""The profile lock in Chromium: a locked profile asks for its PIN before it opens."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    Site,
    axe_violations,
    console_errors,
    describe_violations,
    screenshot,
)

PIN = "4827"
# Chromium logs every refused request; the wrong PIN's 403 is the one the test asks for.
WRONG_PIN_LOG = "Failed to load resource: the server responded with a status of 403 (Forbidden)"


def test_a_locked_profile_opens_with_its_pin(site: Site, page: Page) -> None:
    account = site.new_account()
    with httpx.Client(base_url=site.url, headers=account.headers) as api:
        response = api.patch(f"/api/v1/me/profiles/{account.profile_id}", json={"pin": PIN})
        response.raise_for_status()
        assert response.json()["locked"] is True

    site.sign_in(page, account)
    tile = page.locator(f"[data-profile-id='{account.profile_id}']")
    expect(tile).to_contain_text("(locked)")
    tile.click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    pin = dialog.get_by_label("Enter the 4-digit PIN")
    expect(pin).to_be_focused()
    assert pin.get_attribute("inputmode") == "numeric"
    screenshot(page, "profile-pin")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    pin.fill("0000")
    dialog.get_by_role("button", name="Open profile").click()
    expect(dialog.get_by_role("alert")).to_contain_text("PIN is not right")
    assert "/profiles" in page.url
    expect(dialog).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    sent: list[str | None] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers.get("x-profile-token")) if "/api/v1/" in r.url else None,
    )
    pin.fill(PIN)
    dialog.get_by_role("button", name="Open profile").click()
    page.wait_for_url(lambda url: "/profiles" not in url)
    expect(page.locator("section.row").first).to_be_visible()
    # A title page asks the catalogue as the profile, which answers 403 without its token.
    page.locator("section.row a.card").first.click()
    page.wait_for_url("**/title/**")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    tokens = [token for token in sent if token is not None]
    assert tokens, sent
    assert all(t.startswith(account.profile_id) for t in tokens), sent
    assert console_errors(page) == [WRONG_PIN_LOG]


def _edit(page: Page, name: str) -> None:
    page.get_by_role("button", name="Manage profiles").click()
    page.get_by_role("button", name=f"Edit {name}").click()


def test_the_edit_form_sets_and_removes_the_pin(site: Site, page: Page) -> None:
    account = site.new_account()
    with httpx.Client(base_url=site.url, headers=account.headers) as api:
        name = api.get(f"/api/v1/me/profiles/{account.profile_id}").json()["name"]
    site.sign_in(page, account)
    tile = page.locator(f"[data-profile-id='{account.profile_id}']")
    _edit(page, name)
    pin = page.get_by_label("4-digit PIN (optional)")
    assert pin.get_attribute("inputmode") == "numeric"
    pin.fill(PIN)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Done").click()
    expect(tile).to_contain_text("(locked)")

    # Changing a locked profile takes its PIN on this device first.
    tile.click()
    page.get_by_label("Enter the 4-digit PIN").fill(PIN)
    page.get_by_role("button", name="Open profile").click()
    page.wait_for_url(lambda url: "/profiles" not in url)
    page.locator("a.profile-chip").click()
    page.wait_for_url("**/profiles**")
    _edit(page, name)
    expect(
        page.get_by_label("New 4-digit PIN (leave empty to keep the current one)")
    ).to_be_visible()
    page.get_by_label("Remove the PIN").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Done").click()
    expect(tile).not_to_contain_text("(locked)")
    with httpx.Client(base_url=site.url, headers=account.headers) as api:
        response = api.get(f"/api/v1/me/profiles/{account.profile_id}")
        assert response.json()["locked"] is False
    assert console_errors(page) == []
