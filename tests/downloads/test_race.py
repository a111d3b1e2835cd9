"""The plan's number under a real race: 50 downloads at once on a 2-download plan, 2 win."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marquee.downloads.models import Download
from tests.playback.conftest import make_playable_title
from tests.services import free_port, serve_app
from tests.support import ApiUser

ATTEMPTS = 50


def test_exactly_two_of_fifty_parallel_downloads_win(
    app: FastAPI, client: TestClient, viewer: ApiUser, in_app_db: Any
) -> None:
    with in_app_db() as session:
        titles = [make_playable_title(session) for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)
    url = f"/api/v1/profiles/{viewer.profile_id}/downloads"

    def attempt(n: int) -> tuple[int, str]:
        # Every request is a different title on a different device: only the plan limits them.
        body = {"title_id": str(titles[n].id), "device_id": f"device-{n:04d}"}
        with httpx.Client(base_url=base_url, headers=viewer.headers, timeout=120) as http:
            barrier.wait()
            response = http.post(url, json=body)
        kind = response.json().get("type", "") if response.status_code != 201 else ""
        return response.status_code, kind

    with serve_app(app, free_port()) as base_url, ThreadPoolExecutor(ATTEMPTS) as pool:
        outcomes = Counter(pool.map(attempt, range(ATTEMPTS)))
    assert outcomes == {(201, ""): 2, (409, "/problems/download_limit_reached"): ATTEMPTS - 2}
    with app.state.runtime.sessionmaker() as session:
        rows = session.execute(select(Download.slot).order_by(Download.slot)).scalars().all()
        assert rows == [0, 1]
        assert session.scalar(select(func.count()).select_from(Download)) == 2
