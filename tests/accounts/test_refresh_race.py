"""Refresh rotation under concurrency: one token spent by many requests at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import services
from tests.support import signup

PARALLEL = 50
REFRESH = "/api/v1/auth/refresh"


def test_parallel_refreshes_give_one_success_and_close_the_family(app: FastAPI) -> None:
    with TestClient(app) as local:
        user = signup(local)
    start = threading.Barrier(PARALLEL)
    with (
        services.serve_app(app, services.free_port()) as base,
        httpx.Client(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=PARALLEL)
        ) as client,
    ):

        def refresh(_: int) -> httpx.Response:
            start.wait(timeout=30)
            return client.post(REFRESH, json={"refresh_token": user.refresh_token})

        with ThreadPoolExecutor(PARALLEL) as pool:
            responses = list(pool.map(refresh, range(PARALLEL)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) == 1, statuses
        assert statuses.count(401) == PARALLEL - 1, statuses
        codes = {r.json()["code"] for r in responses if r.status_code == 401}
        assert codes <= {"token_reused", "invalid_token"}, codes
        winner = next(r for r in responses if r.status_code == 200).json()
        # The pair the winner got belongs to the family the reuse closed.
        again = client.post(REFRESH, json={"refresh_token": winner["refresh_token"]})
        assert again.status_code == 401
        assert again.json()["code"] == "invalid_token"
