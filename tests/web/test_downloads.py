"""Downloads in Chromium: stored with Shaka's offline storage, played with no network, positions
synced back, the plan's limit shown, and an expired download refused."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from marquee.accounts import billing
from marquee.accounts.models import Role
from marquee.app import create_app
from marquee.catalog.models import Title
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.demo.media import DemoClip, attach_demo_media
from marquee.models import Base
from marquee.versions.models import MediaVersion
from tests import services
from tests.web.conftest import (
    Account,
    Site,
    _login,
    _promote,
    _settings,
    axe_violations,
    describe_violations,
    ensure_client_built,
    register,
    screenshot,
)
from tests.web.journey_support import video_value

# One clear and one encrypted clip, given to the titles in turn (by slug).
CLIPS = [
    DemoClip("downloads-clear", size="640x360", seconds=12, languages=("eng",)),
    DemoClip("downloads-cbcs", size="640x360", seconds=12, languages=("eng",), encrypted=True),
]
NAMES = ["Clear Skies", "Locked Room", "Third Reel", "Fourth Wall"]
VIDEO = "[data-download-id] video, video.offline-video"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The served app with four movies, alternately clear and encrypted (cbcs, ClearKey)."""
    ensure_client_built()
    root = tmp_path_factory.mktemp("downloads-site")
    settings = _settings(root)
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.create_all(engine)
    with transaction(make_sessionmaker(engine)) as session:
        billing.seed_plans(session=session)
    engine.dispose()
    app = create_app(settings)
    with services.serve_app(app, services.free_port()) as url:
        admin = register(url, "admin@example.com")
        _promote(settings, admin.email, Role.ADMIN)
        admin.access_token = _login(url, admin.email)
        titles = {}
        with httpx.Client(base_url=url, headers=admin.headers, timeout=60.0) as api:
            for n, name in enumerate(NAMES):
                body = {"kind": "movie", "slug": f"dl-{n}", "name": name, "maturity_rating": "PG"}
                title_id = api.post("/api/v1/admin/titles", json=body).json()["id"]
                window = {"country": "*", "starts_at": "2000-01-01T00:00:00Z"}
                api.post(f"/api/v1/admin/titles/{title_id}/availability", json=window)
                api.post(f"/api/v1/admin/titles/{title_id}/publish").raise_for_status()
                titles[name] = title_id
        # A cache of this site's own: an encrypted clip cached under another database's key
        # is encoded again and replaced, which must not happen under another test's feet.
        attach_demo_media(runtime=app.state.runtime, clips=CLIPS, cache_dir=root / "cache")
        # The running app's own settings, so that a test can shorten the download expiry.
        yield Site(url, app.state.runtime.settings, titles, {}, admin)
    app.state.runtime.close()


def _encrypted(site: Site, name: str) -> bool:
    engine = make_engine(site.settings.resolved_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            version = session.scalar(
                select(MediaVersion)
                .join(Title, Title.current_version_id == MediaVersion.id)
                .where(Title.id == uuid.UUID(site.titles[name]))
            )
            return version is not None and version.kid is not None
    finally:
        engine.dispose()


def _download(page: Page, site: Site, name: str) -> None:
    page.goto(f"{site.url}/title/{site.titles[name]}")
    page.get_by_role("button", name=f"Download {name}").click()
    expect(page.get_by_role("button", name=f"Download {name}")).to_have_text(
        "⤓ Downloaded", timeout=90_000
    )


def _item(page: Page, name: str) -> Any:
    return page.locator(".download-item", has_text=name)


def _open_downloads(page: Page) -> None:
    page.get_by_role("link", name="Downloads").click()
    expect(page.get_by_role("heading", name="Downloads")).to_be_visible()


def _play(page: Page, name: str, past: float) -> float:
    page.get_by_role("button", name=f"Play {name}").click()
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('video.offline-video');"
        f" return v && v.currentTime > {past}; }}",
        timeout=60_000,
    )
    return video_value(page, "v.currentTime")


def _resume_position(site: Site, account: Account, title_id: str) -> float:
    body = {"profile_id": account.profile_id, "title_id": title_id, "device": {"name": "TV"}}
    with site.api() as api:
        started = api.post("/api/v1/playback/sessions", json=body, headers=account.headers)
        assert started.status_code == 201, started.text
        session = started.json()
        api.post(
            f"/api/v1/playback/sessions/{session['session_id']}/stop",
            json={"position": session["resume_position"]},
            headers=account.headers,
        )
    return float(session["resume_position"])


def _server_position(site: Site, account: Account, title_id: str) -> float | None:
    query = f"profile_id={account.profile_id}&title_id={title_id}"
    with site.api() as api:
        items = api.get(f"/api/v1/playback/positions?{query}", headers=account.headers).json()
    return float(items["items"][0]["position"]) if items["items"] else None


def _until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_downloads_play_offline_and_positions_come_back(site: Site, page: Page) -> None:
    clear, locked, third = NAMES[0], NAMES[1], NAMES[2]
    assert not _encrypted(site, clear)
    assert _encrypted(site, locked)
    account = site.new_account()  # a trial on the standard plan: 2 downloads
    site.sign_in(page, account, account.profile_id)
    _download(page, site, clear)
    _download(page, site, locked)
    _open_downloads(page)
    expect(_item(page, clear)).to_have_attribute("data-state", "Ready")
    expect(_item(page, locked)).to_have_attribute("data-state", "Ready")
    assert "MB" in _item(page, clear).inner_text()
    screenshot(page, "downloads-page")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    page.context.set_offline(True)
    assert _play(page, locked, 3.0) > 3.0
    page.get_by_role("button", name="Close").click()
    assert _play(page, clear, 3.0) > 3.0
    page.evaluate("document.querySelector('video.offline-video').pause()")
    position = video_value(page, "v.currentTime")
    page.get_by_role("button", name="Close").click()
    assert _server_position(site, account, site.titles[clear]) is None  # nothing sent offline

    page.context.set_offline(False)  # the browser's `online` event sends the positions back
    _until(lambda: _server_position(site, account, site.titles[clear]) is not None)
    saved = _server_position(site, account, site.titles[clear])
    assert saved == pytest.approx(position, abs=0.01)
    assert _resume_position(site, account, site.titles[clear]) == pytest.approx(position, abs=0.01)

    page.goto(f"{site.url}/title/{site.titles[third]}")
    page.get_by_role("button", name=f"Download {third}").click()
    expect(page.get_by_role("alert")).to_contain_text("Your plan allows 2 downloads")


def test_an_expired_download_does_not_play(site: Site, page: Page) -> None:
    settings = site.settings
    account = site.new_account()
    site.sign_in(page, account, account.profile_id)
    name = NAMES[3]
    settings.download_expiry_seconds = 5
    try:
        _download(page, site, name)
        _open_downloads(page)
        page.context.set_offline(True)
        expect(_item(page, name)).to_have_attribute("data-state", "Expired", timeout=30_000)
        page.get_by_role("button", name=f"Play {name}").click()
        expect(page.get_by_role("alert")).to_contain_text("expired")
        assert page.locator("video.offline-video").count() == 0
    finally:
        settings.download_expiry_seconds = 30 * 24 * 3600
