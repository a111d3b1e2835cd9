"""Browser test fixtures: the built client served by the real app on loopback, and Chromium.

`site` is one app per test session (SQLite, local media store) with a small catalogue made
through the admin API and every title made playable by the real encode pipeline.
`page` is a fresh browser context per test that records console errors.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from marquee.accounts import billing
from marquee.accounts import service as accounts
from marquee.accounts.models import Role
from marquee.app import create_app
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.demo.media import DemoClip, attach_demo_media
from marquee.jobs.registry import JobKind
from marquee.models import Base
from tests import services
from tests.support import PASSWORD, wait_for_jobs
from tests.web.journey_support import worker_thread

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = ROOT / "src" / "marquee" / "web" / "dist"
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# On a busy machine a page can take many seconds to show what a test waits for. The waits
# are long; a check passes as soon as what it checks holds, so a quiet run is no slower.
EXPECT_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 60_000
# Controls fade in and out (opacity over 0.3 s): axe would measure a half-faded colour.
SETTLED = (
    "() => !document.getAnimations()"
    ".some(a => a instanceof CSSTransition && a.playState === 'running')"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--autoplay-policy=no-user-gesture-required",
]
BLOCKING_IMPACTS = ("serious", "critical")
# 12 s at 640x360: a 240p + 360p ladder, trickplay previews and English subtitles, quick to encode.
WEB_CLIP = DemoClip("web-tests", size="640x360", seconds=12, languages=("eng",), subtitles=("en",))

# name, rating, year, genres, language, kind
CATALOGUE: list[tuple[str, str, int, list[str], str, str]] = [
    ("Toy Story", "G", 1995, ["Animation", "Comedy"], "en", "movie"),
    ("The Lion King", "G", 1994, ["Animation", "Drama"], "en", "movie"),
    ("Babe", "G", 1995, ["Comedy", "Drama"], "en", "movie"),
    ("Apollo 13", "PG", 1995, ["Drama"], "en", "movie"),
    ("Jumanji", "PG", 1995, ["Adventure", "Comedy"], "en", "movie"),
    ("Casablanca", "PG", 1942, ["Drama", "Romance"], "en", "movie"),
    ("Star Wars", "PG", 1977, ["Adventure", "Science Fiction"], "en", "movie"),
    ("Jurassic Park", "PG-13", 1993, ["Adventure", "Science Fiction"], "en", "movie"),
    ("Pulp Fiction", "R", 1994, ["Crime", "Drama"], "en", "movie"),
    ("Heat", "R", 1995, ["Crime", "Drama"], "en", "movie"),
    ("Fargo", "R", 1996, ["Crime", "Comedy"], "en", "movie"),
    ("Amélie", "R", 2001, ["Comedy", "Romance"], "fr", "movie"),
    ("Harbour Lights", "TV-PG", 2020, ["Drama"], "en", "series"),
]
SERIES_EPISODES = ["Arrival", "The Long Night", "Homecoming"]
# Enough further titles that home rows (20 cards each, no title twice) fill several rows.
_WORDS = ["Silver", "Midnight", "Paper", "Golden", "Hidden", "Northern", "Electric", "Quiet"]
_NOUNS = ["Harbor", "Garden", "Signal", "Canyon"]
_GENRES = ["Drama", "Comedy", "Adventure", "Animation", "Crime", "Romance"]
_RATINGS = ["G", "PG", "PG-13", "R"]
CATALOGUE += [
    (
        f"{word} {noun}",
        _RATINGS[(i + j) % 4],
        1950 + (i * 4 + j * 7) % 74,
        [_GENRES[(i + j) % 6]],
        "en",
        "movie",
    )
    for i, word in enumerate(_WORDS)
    for j, noun in enumerate(_NOUNS)
]


@dataclass
class Account:
    email: str
    password: str
    access_token: str
    profile_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Site:
    """The served app: its URL, settings and the catalogue's title ids by name."""

    url: str
    settings: Settings
    titles: dict[str, str]
    ratings: dict[str, str]
    admin: Account
    _counter: list[int] = field(default_factory=lambda: [0])

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0)

    def new_account(self, prefix: str = "viewer") -> Account:
        """A fresh account (with its trial subscription and first profile) made through the API."""
        self._counter[0] += 1
        email = f"{prefix}-{self._counter[0]}-{uuid.uuid4().hex[:6]}@example.com"
        return register(self.url, email)

    def sign_in(self, page: Page, account: Account, profile_id: str | None = None) -> None:
        """Sign `page` in as `account` by the login form, then pick a profile unless told not to."""
        page.goto(f"{self.url}/signin")
        page.get_by_label("Email").fill(account.email)
        page.get_by_label("Password").fill(account.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/profiles**")
        if profile_id is not None:
            page.locator(f"[data-profile-id='{profile_id}']").click()
            page.wait_for_url(lambda url: "/profiles" not in url)


def register(url: str, email: str, password: str = PASSWORD) -> Account:
    with httpx.Client(base_url=url, timeout=30.0) as api:
        response = api.post("/api/v1/auth/register", json={"email": email, "password": password})
        response.raise_for_status()
        token = response.json()["tokens"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        profiles = api.get("/api/v1/me/profiles", headers=headers).json()["items"]
    return Account(email, password, token, profiles[0]["id"])


def ensure_client_built() -> None:
    """`./marquee test` builds the client first; a bare pytest run builds it when missing."""
    if (DIST / "index.html").is_file():
        return
    if not (WEB / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run(["npm", "run", "build"], cwd=WEB, check=True)


def _promote(settings: Settings, email: str, role: Role) -> None:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            user = accounts.get_user_by_email(session=session, email=email)
            assert user is not None
            accounts.set_role(session=session, user_id=user.id, role=role)
    finally:
        engine.dispose()


def _login(url: str, email: str) -> str:
    with httpx.Client(base_url=url, timeout=30.0) as api:
        response = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        return str(response.json()["tokens"]["access_token"])


def _genres(api: httpx.Client) -> dict[str, str]:
    names = sorted({g for _, _, _, genres, _, _ in CATALOGUE for g in genres})
    ids = {}
    for name in names:
        slug = name.lower().replace(" ", "-")
        response = api.post("/api/v1/admin/genres", json={"slug": slug, "name": name})
        response.raise_for_status()
        ids[name] = response.json()["id"]
    return ids


def _series(api: httpx.Client, title_id: str) -> None:
    api.post(f"/api/v1/admin/titles/{title_id}/seasons", json={"number": 1}).raise_for_status()
    for number, name in enumerate(SERIES_EPISODES, start=1):
        body = {
            "number": number,
            "name": name,
            "synopsis": f"Episode {number} of the first season.",
        }
        path = f"/api/v1/admin/titles/{title_id}/seasons/1/episodes"
        api.post(path, json=body).raise_for_status()


def _credits(api: httpx.Client, title_id: str, names: list[tuple[str, str]]) -> None:
    for order, (name, role) in enumerate(names):
        person = api.post("/api/v1/admin/people", json={"name": name})
        person.raise_for_status()
        body = {"person_id": person.json()["id"], "role": role, "order": order}
        api.post(f"/api/v1/admin/titles/{title_id}/credits", json=body).raise_for_status()


def make_catalogue(api: httpx.Client) -> dict[str, str]:
    """Publishes every CATALOGUE title, worldwide, through the admin API; returns ids by name."""
    genres = _genres(api)
    titles = {}
    for n, (name, rating, year, genre_names, language, kind) in enumerate(CATALOGUE):
        body: dict[str, Any] = {
            "kind": kind,
            "slug": f"web-{n}",
            "name": name,
            "synopsis": f"{name} ({year}), a {genre_names[0].lower()} title.",
            "release_year": year,
            "runtime_minutes": 90 + n,
            "maturity_rating": rating,
            "original_language": language,
            "genre_ids": [genres[g] for g in genre_names],
        }
        response = api.post("/api/v1/admin/titles", json=body)
        response.raise_for_status()
        title_id = response.json()["id"]
        window = {"country": "*", "starts_at": "2000-01-01T00:00:00Z"}
        api.post(f"/api/v1/admin/titles/{title_id}/availability", json=window).raise_for_status()
        if kind == "series":
            _series(api, title_id)
        api.post(f"/api/v1/admin/titles/{title_id}/publish").raise_for_status()
        titles[name] = title_id
    _credits(api, titles["Toy Story"], [("Tom Hanks", "cast"), ("John Lasseter", "director")])
    return titles


def _settings(root: Path) -> Settings:
    return Settings(
        env="test",
        database_url=f"sqlite:///{root / 'web.db'}",
        var_dir=root / "var",
        json_logs=False,
        log_level="WARNING",
        # Every browser test signs in from 127.0.0.1; the per-IP login limit is not under test here.
        login_attempts_per_ip=10_000,
        ladder="fixed",  # the journeys expect the table's 240p + 360p rungs
        registrations_per_ip=10_000,
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    ensure_client_built()
    root = tmp_path_factory.mktemp("web-site")
    settings = _settings(root)
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.create_all(engine)
    with transaction(make_sessionmaker(engine)) as session:
        billing.seed_plans(session=session)
    engine.dispose()
    app = create_app(settings)
    # A worker applies the search re-indexing the catalogue's changes queue, as in production.
    with services.serve_app(app, services.free_port()) as url, worker_thread(app):
        admin = register(url, "admin@example.com")
        _promote(settings, admin.email, Role.ADMIN)
        admin.access_token = _login(url, admin.email)
        with httpx.Client(base_url=url, headers=admin.headers, timeout=60.0) as api:
            titles = make_catalogue(api)
        attach_demo_media(
            runtime=app.state.runtime, clips=[WEB_CLIP], cache_dir=ROOT / "var" / "cache"
        )
        wait_for_jobs(app.state.runtime.sessionmaker, [JobKind.SEARCH_REINDEX])
        ratings = {name: rating for name, rating, *_ in CATALOGUE}
        yield Site(url, settings, titles, ratings, admin)
    app.state.runtime.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no stored tokens) at a laptop size; `page.console_errors` lists errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    tab.console_errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


def console_errors(page: Page) -> list[str]:
    return list(getattr(page, "console_errors", []))


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Saves var/test-artifacts/screenshots/<name>.png and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page once no CSS transition runs."""
    page.wait_for_function(SETTLED)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated over the devtools protocol: the page's CSP rightly refuses an inline tag.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [node["target"] for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)
