"""The viewer and editor journey in a real Chromium against the real app, worker and media.

register → profile → search a misspelt title → open it → play past 3 s → switch quality →
trickplay seek → leave and come back to resume → a kids profile never sees the R title →
an editor creates a title, uploads a clip, watches it process, and it plays.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from marquee.accounts.models import Profile
from marquee.db import transaction
from marquee.events import consume
from marquee.events.models import Event
from tests import services
from tests.support import PASSWORD
from tests.web.conftest import axe_violations, describe_violations, ensure_client_built, screenshot
from tests.web.journey_support import (
    Catalogue,
    make_catalogue,
    video_value,
    wait_video,
    worker_thread,
)

PLAY_TIMEOUT = 45_000


class Device:
    """One browser context on the served app; uncaught page errors fail the journey."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.context = context
        self.base = base
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.console: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda m: m.type == "error" and self.console.append(m.text))

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def check(self, name: str, *, full_page: bool = False) -> None:
        """Screenshot the page, then require no serious or critical axe-core violation."""
        screenshot(self.page, name, full_page=full_page)
        violations = axe_violations(self.page)
        assert not violations, f"axe-core on {name}:\n{describe_violations(violations)}"

    def video(self, expression: str) -> float:
        return video_value(self.page, expression)

    def wait_video(self, condition: str, timeout: int = PLAY_TIMEOUT) -> None:
        wait_video(self.page, condition, timeout)


def sign_up(d: Device, email: str) -> None:
    d.go("/signup")
    d.page.get_by_label("Email").fill(email)
    d.page.get_by_label("Password").fill(PASSWORD)
    d.page.get_by_role("button", name="Sign up").click()
    d.page.wait_for_url(re.compile(r"/profiles"))


def sign_in(d: Device, email: str) -> None:
    d.go("/signin")
    d.page.get_by_label("Email").fill(email)
    d.page.get_by_label("Password").fill(PASSWORD)
    d.page.get_by_role("button", name="Sign in").click()
    d.page.wait_for_url(re.compile(r"/profiles"))


def add_profile(d: Device, name: str, *, kids: bool = False) -> None:
    """Create a profile from "Who's watching?" and pick it."""
    d.page.get_by_role("button", name=re.compile("Add profile")).click()
    d.page.get_by_label("Name", exact=True).fill(name)
    if kids:
        d.page.get_by_label(re.compile("Kids profile")).check()
    d.page.get_by_role("button", name="Save").click()
    d.page.get_by_role("button", name=re.compile(f"^{name}")).click()
    d.page.wait_for_url(lambda url: "/profiles" not in url)


def play_and_check(d: Device) -> None:
    """Playing passes 3 s; quality switches to 240p; trickplay shows and a click seeks."""
    d.wait_video("v.currentTime > 3")
    d.check("player")
    quality = d.page.get_by_label("Quality")
    options = quality.locator("option").all_inner_texts()
    assert options == ["Auto", "360p", "240p"], options
    quality.select_option(label="240p")
    d.wait_video("v.videoHeight === 240")
    box = d.page.locator(".seekbar").bounding_box()
    assert box is not None
    at = box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2
    d.page.mouse.move(*at)
    thumb = d.page.locator(".trickplay-thumb")
    expect(thumb).to_be_visible()
    assert "sprite_" in (thumb.get_attribute("style") or "")
    screenshot(d.page, "player-trickplay")
    target = d.video("v.duration") * 0.6
    d.page.mouse.click(*at)
    d.wait_video(f"Math.abs(v.currentTime - {target}) < 2 && !v.paused")
    keyboard(d)


def keyboard(d: Device) -> None:
    """m mutes, space pauses and plays, the left arrow goes back 10 s."""
    d.page.keyboard.press("m")
    d.wait_video("v.muted")
    d.page.keyboard.press("m")
    d.wait_video("!v.muted")
    d.page.keyboard.press(" ")
    d.wait_video("v.paused")
    before = d.video("v.currentTime")
    d.page.keyboard.press("ArrowLeft")
    d.wait_video(f"Math.abs(v.currentTime - {max(0.0, before - 10)}) < 0.5")
    d.page.keyboard.press(" ")
    d.wait_video("!v.paused")


def search_and_open(d: Device, catalogue: Catalogue) -> None:
    """Search with two typos, open the title from the results, press Play."""
    d.page.get_by_role("link", name="Search", exact=True).click()
    d.page.wait_for_url(re.compile(r"/search"))
    d.page.get_by_label("Search titles, people and genres").fill("Starlite Odysey")
    card = d.page.locator(f"a.card[data-title-id='{catalogue.playable_id}']")
    expect(card).to_be_visible()
    screenshot(d.page, "journey-search")
    card.click()
    d.page.wait_for_url(re.compile(f"/title/{catalogue.playable_id}"))
    play = d.page.locator(".btn-play")
    expect(play).to_have_text(re.compile("Play"))
    screenshot(d.page, "journey-title")
    play.click()
    d.page.wait_for_url(re.compile(f"/watch/{catalogue.playable_id}"))


def switch_audio(app: FastAPI, d: Device) -> None:
    """The audio menu lists both languages; French plays and is saved on the profile."""
    audio = d.page.get_by_label("Audio")
    assert audio.locator("option").all_inner_texts() == ["English", "French"]
    audio.select_option(label="French")
    expect(audio).to_have_value("fr")
    deadline = time.monotonic() + 10
    while profile_audio(app, "Alex") != "fr":
        assert time.monotonic() < deadline, "the audio choice was not saved"
        time.sleep(0.2)


def profile_audio(app: FastAPI, name: str) -> str | None:
    with transaction(app.state.runtime.sessionmaker) as session:
        return session.scalars(select(Profile.audio_language).where(Profile.name == name)).one()


def leave_and_resume(d: Device, catalogue: Catalogue) -> None:
    """Back to the title page, then Resume: playback starts where it stopped."""
    d.wait_video("v.currentTime > 15")
    d.page.get_by_role("link", name="Back").click()
    left_at = time.monotonic()
    d.page.wait_for_url(re.compile(f"/title/{catalogue.playable_id}"))
    resume = d.page.locator(".btn-play")
    expect(resume).to_have_text(re.compile("Resume"))
    resume.click()
    d.wait_video("v.readyState >= 2 && v.currentTime > 0 && !v.paused")
    resumed = d.video("v.currentTime")
    # Left after 15 s of a 24 s clip, give or take the time it took to come back.
    assert 14 <= resumed <= 17 + (time.monotonic() - left_at), resumed


def kids_never_see_r(d: Device, catalogue: Catalogue) -> None:
    """A kids profile: no R title at home or in search, and the player refuses it."""
    d.go("/profiles")
    add_profile(d, "Kiddo", kids=True)
    expect(d.page.locator("a.card").first).to_be_visible()
    expect(d.page.locator(f"[data-title-id='{catalogue.adult_id}']")).to_have_count(0)
    expect(d.page.locator("main")).not_to_contain_text(catalogue.adult_name)
    d.go("/search")
    d.page.get_by_label("Search titles, people and genres").fill("Crimson Harbor")
    expect(d.page.get_by_role("status").filter(has_text="No titles match")).to_be_visible()
    expect(d.page.locator(f"[data-title-id='{catalogue.adult_id}']")).to_have_count(0)
    screenshot(d.page, "journey-kids-search")
    d.go(f"/watch/{catalogue.adult_id}")
    expect(d.page.locator(".player-problem")).to_be_visible()
    expect(d.page.locator("video")).to_have_count(0)
    d.check("player-problem")


def editor_uploads_and_plays(app: FastAPI, d: Device, catalogue: Catalogue, name: str) -> None:
    """Studio: create a title, open it everywhere, upload a clip, watch the job, play it."""
    sign_in(d, catalogue.editor.email)
    d.page.locator(".profile-tile").first.click()
    d.page.wait_for_url(lambda url: "/profiles" not in url)
    d.go("/studio")
    d.page.get_by_label("Name", exact=True).fill(name)
    d.page.get_by_label("Maturity rating").select_option("PG")
    d.check("studio-titles", full_page=True)
    d.page.get_by_role("button", name="Create title").click()
    d.page.wait_for_url(re.compile(r"/studio/titles/"))
    d.page.get_by_label("Country").fill("*")
    d.page.get_by_role("button", name="Add window").click()
    expect(d.page.get_by_text("Everywhere")).to_be_visible()
    d.check("studio-title", full_page=True)
    d.page.get_by_role("link", name="Upload media").click()
    d.page.wait_for_url(re.compile(r"/studio/upload"))
    d.page.get_by_label("File", exact=True).set_input_files(str(catalogue.clip))
    d.check("studio-upload", full_page=True)
    d.page.get_by_role("button", name="Start upload").click()
    job = d.page.locator(".job-progress")
    expect(job).to_be_visible(timeout=30_000)
    # The worker reports each stage while it encodes; the page shows them as they come.
    expect(job).to_have_attribute("data-state", "running", timeout=60_000)
    expect(job.locator(".progress-label")).to_contain_text("Stage: ")
    screenshot(d.page, "studio-job-running", full_page=True)
    expect(job).to_have_attribute("data-state", "succeeded", timeout=120_000)
    d.check("studio-job", full_page=True)
    d.page.get_by_role("link", name="Watch it").click()
    d.wait_video("v.currentTime > 2")
    screenshot(d.page, "player-uploaded")
    d.go("/studio/jobs")
    expect(d.page.get_by_role("table").get_by_role("link", name="ingest").first).to_be_visible()
    d.check("studio-jobs", full_page=True)
    d.go("/studio/people")
    expect(d.page.locator("ul.studio-list")).to_be_visible()
    d.check("studio-people", full_page=True)
    fold_events(app)
    d.go("/studio/analytics")
    expect(d.page.locator("#plays-desc")).to_contain_text(catalogue.playable_name)
    qoe = d.page.get_by_role("table", name="Quality of experience by title and rendition")
    expect(qoe).to_contain_text(catalogue.playable_name)
    d.check("studio-analytics", full_page=True)


def fold_events(app: FastAPI) -> None:
    """What the periodic aggregate job does: fold every logged event into the aggregates."""
    while True:
        with transaction(app.state.runtime.sessionmaker) as session:
            if consume.run_once(session=session, lag_seconds=0) == 0:
                return


def logged(app: FastAPI, kind: str) -> list[dict[str, object]]:
    with transaction(app.state.runtime.sessionmaker) as session:
        events = session.scalars(select(Event).where(Event.kind == kind)).all()
        return [dict(e.payload) for e in events]


def test_viewer_and_editor_journey(
    app: FastAPI, client: TestClient, browser: Browser, tmp_path: Path
) -> None:
    ensure_client_built()
    with worker_thread(app):
        catalogue = make_catalogue(app, client, tmp_path)
        with services.serve_app(app, services.free_port()) as base:
            viewer = Device(browser.new_context(viewport={"width": 1280, "height": 720}), base)
            try:
                sign_up(viewer, f"journey-{uuid.uuid4().hex[:8]}@example.com")
                add_profile(viewer, "Alex")
                search_and_open(viewer, catalogue)
                play_and_check(viewer)
                switch_audio(app, viewer)
                leave_and_resume(viewer, catalogue)
                kids_never_see_r(viewer, catalogue)
            except Exception:
                screenshot(viewer.page, "failure-viewer")
                print("viewer errors", viewer.errors, viewer.console)
                raise
            editor = Device(browser.new_context(viewport={"width": 1280, "height": 800}), base)
            try:
                editor_uploads_and_plays(app, editor, catalogue, "Harbour Test Card")
            except Exception:
                screenshot(editor.page, "failure-editor", full_page=True)
                print("editor errors", editor.errors, editor.console)
                raise
            assert viewer.errors == []
            assert editor.errors == []
            viewer.context.close()
            editor.context.close()
    reports = logged(app, "qoe")
    assert reports, "the player sent no QoE report"
    assert any(r.get("time_to_first_frame_ms") for r in reports), reports
    assert any(r.get("rendition_switches") for r in reports), reports
    # Heartbeats (and stops) save positions as progress events for home rows and analytics.
    assert len(logged(app, "progress")) >= 2
