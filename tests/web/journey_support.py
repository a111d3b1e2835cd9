"""Helpers for the browser journey: an ingest worker beside the served app, and a playable catalogue."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from marquee.accounts.models import Role
from marquee.catalog.models import Title
from marquee.db import transaction
from marquee.jobs.registry import JobKind
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from tests.catalog.factories import make_title
from tests.ingest.test_tasks import upload
from tests.media import sources as media
from tests.support import ApiUser, signup_with_role


@contextmanager
def worker_thread(app: FastAPI) -> Iterator[Worker]:
    """A worker beside the served app, wired as `marquee worker` is: its own runtime built
    from the same settings (its own engine, sessions, store and index), so what it publishes
    reaches search only through the jobs table, as in production. It takes ingest and search
    jobs (the periodic ones would retrain the journey's home rows under it)."""
    runtime = Runtime.from_settings(app.state.runtime.settings)
    worker = Worker(runtime=runtime, kinds=[JobKind.INGEST, JobKind.SEARCH_REINDEX])
    thread = threading.Thread(target=worker.run, name="journey-worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.request_stop()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the worker did not stop"
        runtime.close()


@dataclass
class Catalogue:
    editor: ApiUser
    playable_id: uuid.UUID
    playable_name: str
    adult_id: uuid.UUID
    adult_name: str
    family_id: uuid.UUID
    clip: Path


def wait_for_version(app: FastAPI, title_id: uuid.UUID, timeout: float = 180.0) -> uuid.UUID:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction(app.state.runtime.sessionmaker) as session:
            title = session.get(Title, title_id)
            if title is not None and title.current_version_id is not None:
                return title.current_version_id
        time.sleep(0.25)
    raise AssertionError(f"title {title_id} got no playable version within {timeout} s")


def make_catalogue(app: FastAPI, client: TestClient, media_dir: Path) -> Catalogue:
    """Three published titles (PG-13, R, G); the PG-13 one gets a real clip through ingest.

    A worker must be running: the upload only queues the ingest job."""
    editor = signup_with_role(client, app, Role.EDITOR)
    with transaction(app.state.runtime.sessionmaker) as session:
        playable = make_title(session, "Starlight Odyssey", rating="PG-13", year=2021)
        adult = make_title(session, "Crimson Harbor", rating="R", year=2019)
        family = make_title(session, "Puppy Parade", rating="G", year=2020)
        ids = playable.id, adult.id, family.id
    # 640x360 gives a 240p + 360p ladder; 24 s gives three trickplay previews; two audio tracks.
    clip = media.make_clip(
        media_dir / "journey.mp4", size="640x360", seconds=24, languages=("eng", "fra")
    )
    upload(client, editor, clip.read_bytes(), title_id=str(ids[0]), filename="journey.mp4")
    wait_for_version(app, ids[0])
    return Catalogue(editor, ids[0], "Starlight Odyssey", ids[1], "Crimson Harbor", ids[2], clip)


PROBLEM = ".player-error, .player-problem"


def wait_video(page: Page, condition: str, timeout: float = 45_000) -> None:
    """Wait for a condition on the <video> (`v`); fail at once if the player shows a problem."""
    page.wait_for_function(
        "() => (() => { const v = document.querySelector('video');"
        f" return (v && ({condition})) || !!document.querySelector('{PROBLEM}'); }})()",
        timeout=timeout,
    )
    problem = page.locator(PROBLEM)
    assert problem.count() == 0, problem.first.inner_text()


def video_value(page: Page, expression: str) -> float:
    script = f"(() => {{ const v = document.querySelector('video'); return {expression}; }})()"
    return float(page.evaluate(script))
