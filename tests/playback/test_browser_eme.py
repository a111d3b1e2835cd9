"""Chromium plays an encrypted title through EME (ClearKey) with a live session, and only then.

A generated clip goes through the real ingest job into a cbcs-encrypted package; Shaka
Player, in Debian's Chromium driven by Playwright, loads its DASH manifest and asks the
app's licence endpoint for the key, exactly as the web client does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from starlette.applications import Starlette
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Mount, Route

from marquee.accounts import billing
from marquee.accounts.models import Role, User
from marquee.catalog.models import PublishState, Title
from marquee.db import transaction
from marquee.media import encrypt
from marquee.storage.base import read_all
from marquee.versions.models import ContentKey, MediaVersion
from tests import services
from tests.catalog.factories import make_title
from tests.ingest.test_tasks import make_worker, upload
from tests.media import sources as media
from tests.support import ApiUser, signup, signup_with_role

CHROMIUM = "/usr/bin/chromium"
SHAKA = (
    Path(__file__).resolve().parents[2]
    / "web/node_modules/shaka-player/dist/shaka-player.compiled.js"
)
PLAYING_SECONDS = 2.5

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>EME check</title>
<script src="/eme/shaka.js"></script></head>
<body><video id="v" muted playsinline></video>
<script>
window.outcome = {errors: []};
window.play = async (manifest, licence) => {
  shaka.polyfill.installAll();
  const video = document.getElementById("v");
  const player = new shaka.Player();
  await player.attach(video);
  player.configure({drm: {servers: {"org.w3.clearkey": licence},
                          retryParameters: {maxAttempts: 1, timeout: 5000}}});
  player.addEventListener("error", (e) => window.outcome.errors.push(e.detail.code));
  try {
    await player.load(manifest);
    await video.play();
  } catch (e) {
    window.outcome.errors.push(e.code || String(e));
  }
};
</script></body></html>
"""


@dataclass
class Encrypted:
    version: MediaVersion
    kid: uuid.UUID
    viewer: ApiUser


def _ingest_encrypted(app: FastAPI, client: TestClient, tmp_path: Path) -> Encrypted:
    """An encrypted draft title, a generated clip uploaded for it, the ingest job run."""
    editor = signup_with_role(client, app, Role.EDITOR)
    with transaction(app.state.runtime.sessionmaker) as session:
        title = make_title(session, state=PublishState.DRAFT)
        title.encrypted = True
        title_id = title.id
    clip = media.make_clip(tmp_path / "clip.mp4", size="426x240", seconds=8)
    upload(client, editor, clip.read_bytes(), title_id=str(title_id))
    assert make_worker(app).run(once=True) == 1
    viewer = signup(client)
    with transaction(app.state.runtime.sessionmaker) as session:
        stored = session.get(Title, title_id)
        assert stored is not None
        version = session.get(MediaVersion, stored.current_version_id)
        content_key = session.get(ContentKey, title_id)
        assert version is not None
        assert content_key is not None
        account = session.get(User, uuid.UUID(viewer.id))
        assert account is not None
        billing.grant_plan(session=session, user=account, plan_code="standard", period_days=30)
        session.expunge(version)
        kid = content_key.key_id
    return Encrypted(version, kid, viewer)


def _start(client: TestClient, encrypted: Encrypted) -> dict[str, Any]:
    """Press play through the sessions API, as the web client does."""
    body = {
        "profile_id": str(encrypted.viewer.profile_id),
        "title_id": str(encrypted.version.title_id),
        "device": {"codecs": ["avc1", "mp4a"], "name": "Chromium"},
    }
    response = client.post("/api/v1/playback/sessions", json=body, headers=encrypted.viewer.headers)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


def _site(app: FastAPI) -> Starlette:
    """The app (API, licences and the media origin) plus the test page, on one origin."""
    return Starlette(
        routes=[
            Route("/eme/page.html", lambda request: HTMLResponse(PAGE)),
            Route("/eme/shaka.js", lambda request: FileResponse(SHAKA)),
            Mount("/", app),
        ]
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    args = ["--no-sandbox", "--disable-background-networking"]
    args.append("--autoplay-policy=no-user-gesture-required")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield chromium
        chromium.close()


def _play(browser: Browser, base: str, manifest: str, licence: str, *, wait_ms: int) -> float:
    """Load the manifest with the licence URL; the position reached, or the player's error."""
    page = browser.new_page()
    try:
        page.goto(f"{base}/eme/page.html")
        # Not awaited: a player waiting for a key that never comes would block the call.
        page.evaluate("([m, l]) => { window.play(m, l); }", [manifest, licence])
        page.wait_for_function(
            f"document.getElementById('v').currentTime > {PLAYING_SECONDS}"
            " || window.outcome.errors.length > 0",
            timeout=wait_ms,
        )
        errors = page.evaluate("window.outcome.errors")
        position = float(page.evaluate("document.getElementById('v').currentTime"))
        if errors:
            raise PlaybackFailed(errors, position)
        return position
    finally:
        page.close()


class PlaybackFailed(Exception):
    def __init__(self, errors: list[object], position: float) -> None:
        super().__init__(f"player errors {errors} at {position:.2f} s")
        self.errors, self.position = errors, position


def test_an_encrypted_title_plays_only_with_a_live_session(
    app: FastAPI, client: TestClient, tmp_path: Path, browser: Browser
) -> None:
    encrypted = _ingest_encrypted(app, client, tmp_path)
    init = read_all(app.state.runtime.store, f"{encrypted.version.prefix}init-0.m4s")
    assert encrypt.default_kid(init) == encrypted.kid
    tracks = [*encrypted.version.renditions, *encrypted.version.audio_tracks]
    assert {track.kid for track in tracks} == {encrypted.kid}
    live = _start(client, encrypted)
    assert live["key_system"] == "org.w3.clearkey"
    licence = live["license_url"]
    # The per-session manifests the origin serves keep the protection signalling.
    mpd = client.get(live["dash_url"])
    assert mpd.status_code == 200
    assert f'cenc:default_KID="{encrypted.kid}"' in mpd.text
    assert "#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES," in client.get(live["hls_url"]).text
    tampered = licence[:-4] + ("AAAA" if not licence.endswith("AAAA") else "BBBB")
    other = _start(client, encrypted)
    stop = f"/api/v1/playback/sessions/{other['session_id']}/stop"
    stopped = client.post(stop, json={"position": 0}, headers=encrypted.viewer.headers)
    assert stopped.status_code == 204, stopped.text

    with services.serve_app(_site(app), services.free_port()) as base:
        manifest = base + live["dash_url"]
        assert _play(browser, base, manifest, licence, wait_ms=30_000) > PLAYING_SECONDS
        for refused in (tampered, other["license_url"]):
            with pytest.raises(PlaybackFailed) as failed:
                _play(browser, base, manifest, refused, wait_ms=30_000)
            # 6007: the licence request failed; not a frame was shown.
            assert 6007 in failed.value.errors
            assert failed.value.position == 0
        # Without any licence server the media is undecodable: it is really encrypted.
        with pytest.raises(PlaybackFailed) as failed:
            _play(browser, base, manifest, "", wait_ms=30_000)
        assert failed.value.position == 0
