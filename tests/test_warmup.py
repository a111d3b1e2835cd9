"""Start-up warm-up: the router is prepared before the first request, not during it."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient

from marquee.app import create_app
from marquee.config import Settings
from marquee.warmup import warm


def _first_request_cpu(client: TestClient) -> float:
    """CPU seconds this process spends answering the client's first API request."""
    began = time.process_time()
    response = client.post("/api/v1/playback/sessions", json={})
    assert response.status_code == 401  # no credentials: refused before the body is read
    return time.process_time() - began


def test_the_first_request_after_start_up_costs_far_less(settings: Settings) -> None:
    cold_app, warm_app = create_app(settings), create_app(settings)
    try:
        # The warmed app goes first, so that no cache shared by both apps favours it.
        with TestClient(warm_app) as client:  # the lifespan warms the router
            warmed = _first_request_cpu(client)
        cold = _first_request_cpu(TestClient(cold_app))  # no lifespan: nothing warmed
    finally:
        cold_app.state.runtime.close()
        warm_app.state.runtime.close()
    assert warmed < cold / 2, (warmed, cold)


def test_warming_answers_the_unmatched_path_with_a_404(settings: Settings) -> None:
    app = create_app(settings)
    try:
        assert asyncio.run(warm(app)) == 404
        assert asyncio.run(warm(app)) == 404  # harmless to repeat
    finally:
        app.state.runtime.close()
