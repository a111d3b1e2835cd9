"""Viewer pages in Chromium: each loads cleanly, passes axe-core and is screenshotted."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, axe_violations, console_errors, describe_violations, screenshot


def assert_clean(page: Page, name: str) -> None:
    """No console errors, no serious/critical axe violations; saves the screenshot."""
    screenshot(page, name)
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    assert console_errors(page) == []


def test_sign_in_page(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_clean(page, "signin")
