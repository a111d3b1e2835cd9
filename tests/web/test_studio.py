"""Studio in Chromium: a tus upload pauses, survives a page reload and resumes where it stopped."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, Request, expect

from tests.web.conftest import Site, axe_violations, describe_violations, screenshot

MIB = 1024 * 1024
SIZE = 24 * MIB  # three of the page's 8 MiB chunks
# Slow enough (bytes per second) that the test can pause mid-way, fast enough to finish soon.
UPLOAD_THROTTLE = 6 * MIB


def _draft(site: Site, name: str) -> str:
    body = {"kind": "movie", "slug": re.sub(r"\W+", "-", name.lower()), "name": name}
    with httpx.Client(base_url=site.url, headers=site.admin.headers, timeout=30.0) as api:
        created = api.post("/api/v1/admin/titles", json={**body, "maturity_rating": "PG"})
        created.raise_for_status()
        title_id: str = created.json()["id"]
    return title_id


def _throttle(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    conditions: dict[str, Any] = {
        "offline": False,
        "latency": 0,
        "downloadThroughput": -1,
        "uploadThroughput": UPLOAD_THROTTLE,
    }
    cdp.send("Network.emulateNetworkConditions", conditions)


def _percent(page: Page) -> int:
    return int(page.locator("#up-progress").get_attribute("value") or 0)


def test_an_upload_pauses_survives_a_reload_and_resumes(
    site: Site, page: Page, tmp_path: Path
) -> None:
    title_id = _draft(site, "Resumable Upload Check")
    master = tmp_path / "master.bin"
    master.write_bytes(os.urandom(SIZE))
    offsets: list[int] = []

    def record(request: Request) -> None:
        if request.method == "PATCH" and "/api/v1/admin/uploads/" in request.url:
            offsets.append(int(request.headers.get("upload-offset", "-1")))

    page.on("request", record)
    site.sign_in(page, site.admin, site.admin.profile_id)
    page.goto(f"{site.url}/studio/upload?title={title_id}")
    _throttle(page)
    page.get_by_label("File", exact=True).set_input_files(str(master))
    page.get_by_role("button", name="Start upload").click()
    page.wait_for_function("Number(document.querySelector('#up-progress')?.value) >= 40")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text(re.compile(r"^Paused · "))).to_be_visible()
    paused_at = _percent(page)
    assert 40 <= paused_at < 100
    screenshot(page, "studio-upload-paused", full_page=True)

    page.reload()
    unfinished = page.get_by_role("status").filter(has_text="Unfinished uploads")
    expect(unfinished).to_contain_text("master.bin")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "studio-upload-unfinished", full_page=True)
    offsets.clear()
    page.get_by_label("File", exact=True).set_input_files(str(master))
    page.get_by_role("button", name="Start upload").click()
    expect(page.get_by_text(re.compile(r"^Continuing an upload started"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Uploaded · 100%"))).to_be_visible(timeout=60_000)
    # The reloaded page went on from the server's offset: no byte was sent twice from zero.
    assert offsets, "no PATCH after the reload"
    assert min(offsets) >= 8 * MIB, offsets
    expect(page.locator(".job-progress")).to_be_visible()
    screenshot(page, "studio-upload-done", full_page=True)
