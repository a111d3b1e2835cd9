"""Studio in Chromium: a tus upload pauses, survives a page reload and resumes where it stopped;
the catalogue editor; a version's per-title ladders."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import CDPSession, Page, Request, expect
from sqlalchemy import select

from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.media.hull import TrialPoint, decide, decision_record
from marquee.versions.models import MediaVersion
from tests.web.conftest import Site, axe_violations, describe_violations, screenshot

MIB = 1024 * 1024
SIZE = 24 * MIB  # three of the page's 8 MiB chunks
# Upload rates (bytes per second): fast enough to finish soon; then, once the bar is past
# 40 %, a crawl, so that the pause lands mid-way however long the click takes.
UPLOAD_THROTTLE = 6 * MIB
CRAWL = 64 * 1024
UPLOAD_WAIT_MS = 120_000


def _draft(site: Site, name: str) -> str:
    body = {"kind": "movie", "slug": re.sub(r"\W+", "-", name.lower()), "name": name}
    with httpx.Client(base_url=site.url, headers=site.admin.headers, timeout=30.0) as api:
        created = api.post("/api/v1/admin/titles", json={**body, "maturity_rating": "PG"})
        created.raise_for_status()
        title_id: str = created.json()["id"]
    return title_id


def _throttle(page: Page) -> CDPSession:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    _upload_rate(cdp, UPLOAD_THROTTLE)
    return cdp


def _upload_rate(cdp: CDPSession, rate: int) -> None:
    conditions: dict[str, Any] = {
        "offline": False,
        "latency": 0,
        "downloadThroughput": -1,
        "uploadThroughput": rate,
    }
    cdp.send("Network.emulateNetworkConditions", conditions)


def _percent(page: Page) -> int:
    return int(page.locator("#up-progress").get_attribute("value") or 0)


def _wait_for_progress(page: Page, percent: int) -> None:
    """Until the bar shows `percent`, or the page an upload error (which fails at once).
    On a busy machine a chunk's PATCH may take many seconds to be answered: the wait is
    long, since what is checked is where the upload goes on from, not how fast."""
    page.wait_for_function(
        "() => Number(document.querySelector('#up-progress')?.value) >= "
        f"{percent} || !!document.querySelector('.error-note')",
        timeout=UPLOAD_WAIT_MS,
    )
    error = page.locator(".error-note")
    assert error.count() == 0, error.first.inner_text()


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
    cdp = _throttle(page)
    page.get_by_label("File", exact=True).set_input_files(str(master))
    page.get_by_role("button", name="Start upload").click()
    _wait_for_progress(page, 40)
    _upload_rate(cdp, CRAWL)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text(re.compile(r"^Paused · "))).to_be_visible()
    paused_at = _percent(page)
    assert 40 <= paused_at < 100
    screenshot(page, "studio-upload-paused", full_page=True)

    page.reload()
    _upload_rate(cdp, UPLOAD_THROTTLE)
    unfinished = page.get_by_role("status").filter(has_text="Unfinished uploads")
    expect(unfinished).to_contain_text("master.bin")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "studio-upload-unfinished", full_page=True)
    offsets.clear()
    page.get_by_label("File", exact=True).set_input_files(str(master))
    page.get_by_role("button", name="Start upload").click()
    expect(page.get_by_text(re.compile(r"^Continuing an upload started"))).to_be_visible()
    _wait_for_progress(page, 100)
    # The bar is full once the bytes are sent; "Uploaded" once the server has answered.
    expect(page.get_by_text(re.compile(r"^Uploaded · 100%"))).to_be_visible(timeout=UPLOAD_WAIT_MS)
    # The reloaded page went on from the server's offset: no byte was sent twice from zero.
    assert offsets, "no PATCH after the reload"
    assert min(offsets) >= 8 * MIB, offsets
    expect(page.locator(".job-progress")).to_be_visible()
    screenshot(page, "studio-upload-done", full_page=True)


def _admin_title(site: Site, title_id: str) -> dict[str, Any]:
    with httpx.Client(base_url=site.url, headers=site.admin.headers, timeout=30.0) as api:
        response = api.get(f"/api/v1/admin/titles/{title_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def test_the_catalogue_editor_builds_a_series(site: Site, page: Page) -> None:
    """Create a series, a season, an episode with markers, a credit and a window, then publish."""
    site.sign_in(page, site.admin, site.admin.profile_id)
    page.goto(f"{site.url}/studio")
    page.get_by_label("Name", exact=True).fill("Lighthouse Keepers")
    page.get_by_label("Kind").select_option("series")
    page.get_by_label("Maturity rating").select_option("TV-PG")
    page.get_by_role("button", name="Create title").click()
    page.wait_for_url(re.compile(r"/studio/titles/"))
    title_id = page.url.rsplit("/", 1)[1]
    try:
        page.get_by_role("button", name="Add season").click()
        expect(page.get_by_role("heading", name="Season 1")).to_be_visible()
        episode = page.get_by_role("form", name="New episode in season 1")
        episode.get_by_label("Episode name").fill("First Light")
        episode.get_by_label("Intro from (s)").fill("0")
        episode.get_by_label("Intro to (s)").fill("30")
        episode.get_by_label("Credits at (s)").fill("1500")
        episode.get_by_role("button", name="Add episode").click()
        expect(page.get_by_text("E1 · First Light")).to_be_visible()
        credit = page.get_by_role("form", name="Add a credit")
        credit.get_by_label("Person").fill("Ada Keeper")
        credit.get_by_label("Role").select_option("director")
        credit.get_by_role("button", name="Add credit").click()
        expect(page.get_by_role("button", name="Remove Ada Keeper")).to_be_visible()
        page.get_by_label("Country").fill("*")
        page.get_by_role("button", name="Add window").click()
        expect(page.get_by_text(re.compile(r"^Everywhere · "))).to_be_visible()
        page.get_by_role("button", name="Publish").click()
        expect(page.get_by_role("button", name="Unpublish")).to_be_visible()
        screenshot(page, "studio-series", full_page=True)
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
        stored = _admin_title(site, title_id)
        assert stored["state"] == "published"
        assert [w["country"] for w in stored["availability"]] == ["*"]
        assert [(c["person"]["name"], c["role"]) for c in stored["credits"]] == [
            ("Ada Keeper", "director")
        ]
        [season] = stored["seasons"]
        [first] = season["episodes"]
        assert (first["name"], first["intro_end_seconds"], first["credits_start_seconds"]) == (
            "First Light",
            30,
            1500,
        )
    finally:
        with httpx.Client(base_url=site.url, headers=site.admin.headers, timeout=30.0) as api:
            api.delete(f"/api/v1/admin/titles/{title_id}")


def test_the_studio_is_hidden_from_viewers(site: Site, page: Page) -> None:
    viewer = site.new_account()
    site.sign_in(page, viewer, viewer.profile_id)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("link", name="Studio")).to_have_count(0)
    page.goto(f"{site.url}/studio/upload")
    page.wait_for_url(lambda url: "/studio" not in url)
    expect(page.get_by_role("heading", name="Upload media")).to_have_count(0)


def _points(codec_scale: float) -> list[TrialPoint]:
    """Trial points of two sizes at four CRFs, shaped like a real title's."""
    points = []
    for name, width, height, base in (("240p", 426, 240, 200_000), ("360p", 640, 360, 450_000)):
        for n, crf in enumerate((17.0, 22.0, 27.0, 33.0)):
            rate = round(base * codec_scale / (1.6**n))
            vmaf = (97.0 if height == 360 else 90.0) - 12.0 * n
            points.append(TrialPoint(name, width, height, crf, rate, vmaf))
    return points


def test_the_studio_shows_each_codecs_ladder_decision(site: Site, page: Page) -> None:
    """A version's per-title ladders (from the hull) fold out under its renditions."""
    h264 = decide(_points(1.0), max_bitrate=2_000_000)
    av1 = decide(_points(0.6), max_bitrate=1_200_000, codec="av1")
    engine = make_engine(site.settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            version = session.scalars(select(MediaVersion).limit(1)).one()
            title_id = str(version.title_id)
            before = version.ladder_decision
            version.ladder_decision = [decision_record(h264), decision_record(av1)]
        site.sign_in(page, site.admin, site.admin.profile_id)
        page.goto(f"{site.url}/studio/titles/{title_id}")
        for label, decision in (("H.264", h264), ("AV1", av1)):
            summary = page.get_by_text(
                f"Per-title {label} ladder: {len(decision.points)} trial encodes, "
                f"{len(decision.hull)} on the hull"
            )
            expect(summary).to_be_visible()
            summary.click()
            table = page.get_by_role("table", name=f"Per-title {label} rungs")
            rows = table.locator("tbody tr")
            expect(rows).to_have_count(len(decision.rungs))
            top = decision.rungs[-1]
            expect(rows.last).to_contain_text(f"{top.width}x{top.height}")
            expect(rows.last).to_contain_text(f"{top.crf:.1f}")
            expect(rows.last).to_contain_text(f"{round(top.bitrate / 1000)}")
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
    finally:
        with transaction(make_sessionmaker(engine)) as session:
            restored = session.get(MediaVersion, version.id)
            assert restored is not None
            restored.ladder_decision = before
        engine.dispose()
