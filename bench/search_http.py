"""The search latency workload over HTTP: uvicorn on 127.0.0.1 in front of a built index."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from search_backends import Built
from search_corpus import GENRES
from search_workload import workload
from tests.services import free_port, wait_for_port

from marquee.accounts import billing
from marquee.catalog.models import Genre
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.models import Base
from marquee.search.index import SearchFilters


def _prepare_database(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with transaction(make_sessionmaker(engine)) as session:
        billing.seed_plans(session=session)
        for name in GENRES:
            session.add(Genre(slug=name.lower().replace("'", "").replace(" ", "-"), name=name))
    engine.dispose()


def _server(built: Built) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "MARQUEE_DATABASE_URL": built.database_url,
        "MARQUEE_VAR_DIR": str(built.var_dir),
        "MARQUEE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "marquee.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen([*command, "--no-access-log"], env=env)
    wait_for_port(port, timeout=60)
    return proc, f"http://127.0.0.1:{port}"


def _params(query: str, filters: SearchFilters, profile: str) -> dict[str, str]:
    params = {"q": query, "profile_id": profile}
    if filters.genre:
        params["genre"] = filters.genre
    if filters.year_from:
        params.update(year_from=str(filters.year_from), year_to=str(filters.year_to))
    if filters.kind:
        params["type"] = filters.kind
    return params


def over_http(built: Built, queries: list[tuple[str, str]], runs: int) -> list[float]:
    """[p50 ms, p99 ms, server RSS MB], the percentiles the median over `runs` passes."""
    _prepare_database(built.database_url)
    proc, base = _server(built)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            body = {"email": "bench@marquee.example.com", "password": "bench password 1"}
            tokens = client.post("/api/v1/auth/register", json=body).json()["tokens"]
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            profile = client.get("/api/v1/me/profiles", headers=auth).json()["items"][0]["id"]
            passes = []
            for _ in range(runs):
                samples = []
                for query, filters, country in workload(queries):
                    headers = {**auth, "CloudFront-Viewer-Country": country}
                    started = time.perf_counter()
                    response = client.get(
                        "/api/v1/search", params=_params(query, filters, profile), headers=headers
                    )
                    samples.append(time.perf_counter() - started)
                    response.raise_for_status()
                samples.sort()
                passes.append((samples[len(samples) // 2], samples[int(len(samples) * 0.99)]))
        rss = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    p50, p99 = (statistics.median(p[i] for p in passes) * 1000 for i in (0, 1))
    return [round(p50, 2), round(p99, 2), round(rss)]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
