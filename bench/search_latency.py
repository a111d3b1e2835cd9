"""Search latency of both backends over 100k titles, in-process and over HTTP (uvicorn).

    uv run python bench/search_latency.py [--titles 100000] [--queries 1000] [--runs 3]

Prints index build time and size, p50/p99 per backend in-process and over HTTP on
127.0.0.1, and the PostgreSQL/embedded ratio. Targets: p99 <= 10 ms in-process, 25 ms HTTP.
Each figure is the median over --runs passes of the whole workload (the machine is shared,
so single passes are noisy); the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from search_backends import Built, embedded, postgres
from search_corpus import GENRES, build
from search_queries import mixed
from tests.services import free_port, wait_for_port

from marquee.accounts import billing
from marquee.audience import Audience
from marquee.catalog.models import Genre
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.maturity import Maturity
from marquee.models import Base
from marquee.search.index import SearchFilters

COUNTRIES = ["US", "GB", "FR", "DE", "JP"]
CEILINGS = [Maturity.KIDS, Maturity.TEENS, Maturity.MATURE, Maturity.ADULTS]


def workload(queries: list[tuple[str, str]], seed: int = 3) -> list[tuple[str, SearchFilters, str]]:
    rng = random.Random(seed)
    out = []
    for kind, query in queries:
        filters = SearchFilters()
        if kind == "filtered":
            filters = rng.choice(
                [
                    SearchFilters(genre=rng.choice(GENRES)),
                    SearchFilters(year_from=1990, year_to=1999),
                    SearchFilters(kind="series"),
                ]
            )
        out.append((query, filters, rng.choice(COUNTRIES)))
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def timed(calls: list[Callable[[], object]], runs: int = 1) -> tuple[float, float]:
    """Median over `runs` passes of each pass's p50 and p99."""
    for call in calls[:50]:
        call()  # warm caches and connections
    passes = []
    for _ in range(runs):
        samples = []
        for call in calls:
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
        passes.append(percentiles(samples))
    return statistics.median(p[0] for p in passes), statistics.median(p[1] for p in passes)


def in_process(
    built: Built, work: list[tuple[str, SearchFilters, str]], runs: int = 1
) -> tuple[float, float]:
    rng = random.Random(5)
    calls: list[Callable[[], object]] = []
    for query, filters, country in work:
        audience = Audience(country=country, max_maturity=rng.choice(CEILINGS))
        calls.append(lambda q=query, f=filters, a=audience: built.index.search(q, f, a))
    return timed(calls, runs)


def by_kind(built: Built, kinds: list[str], work: list[tuple[str, SearchFilters, str]]) -> None:
    """In-process p50/p99 per query kind, to show where the tail comes from, and how many
    answers carried estimated counts."""
    samples: dict[str, list[float]] = {}
    estimated = 0
    for kind, (query, filters, country) in zip(kinds, work, strict=True):
        started = time.perf_counter()
        results = built.index.search(query, filters, Audience(country=country))
        samples.setdefault(kind, []).append(time.perf_counter() - started)
        estimated += not results.exact
    cells = [f"{k} {percentiles(v)[0]:.1f}/{percentiles(v)[1]:.1f}" for k, v in samples.items()]
    print(f"  {built.name} p50/p99 ms by kind: " + ", ".join(cells))
    print(f"  {built.name}: {estimated} of {len(work)} answers with estimated counts")


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


def over_http(
    built: Built, work: list[tuple[str, SearchFilters, str]], runs: int = 1
) -> tuple[float, float, float]:
    _prepare_database(built.database_url)
    proc, base = _server(built)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            body = {"email": "bench@marquee.example.com", "password": "bench password 1"}
            tokens = client.post("/api/v1/auth/register", json=body).json()["tokens"]
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            profile = client.get("/api/v1/me/profiles", headers=auth).json()["items"][0]["id"]

            def call(query: str, filters: SearchFilters, country: str) -> None:
                headers = {**auth, "CloudFront-Viewer-Country": country}
                response = client.get(
                    "/api/v1/search", params=_params(query, filters, profile), headers=headers
                )
                response.raise_for_status()

            p50, p99 = timed([lambda w=w: call(*w) for w in work], runs)
        rss = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return p50, p99, rss


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    corpus = build(args.titles)
    queries = mixed(corpus.docs, args.queries)
    work = workload(queries)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{len(corpus.docs)} titles, {len(work)} mixed queries x {args.runs} runs,"
        f" {os.cpu_count()} CPUs, load {load}"
    )
    rows = {}
    for backend in (embedded, postgres):
        with backend(corpus.docs) as built:
            process = in_process(built, work, args.runs)
            by_kind(built, [kind for kind, _ in queries], work)
            http = over_http(built, work, args.runs)
            rows[built.name] = (built, process, http)
            print(f"{built.name}: built in {built.seconds:.1f}s, {built.disk_mb:.0f} MB on disk")
    print(
        f"\n{'backend':10} {'build s':>8} {'disk MB':>8} {'build RSS MB':>13} {'server RSS MB':>14}"
        f" {'in-proc p50':>12} {'p99':>7} {'HTTP p50':>9} {'p99':>7}"
    )
    for name, (built, (p50, p99), (h50, h99, rss)) in rows.items():
        print(
            f"{name:10} {built.seconds:8.1f} {built.disk_mb:8.0f} {built.rss_mb:13.0f} {rss:14.0f}"
            f" {p50:12.2f} {p99:7.2f} {h50:9.2f} {h99:7.2f}"
        )
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    emb, pg = rows["embedded"], rows["postgres"]
    print(
        f"\npostgres/embedded p50 in-process {pg[1][0] / emb[1][0]:.2f}x, p99 {pg[1][1] / emb[1][1]:.2f}x;"
        f" HTTP p50 {pg[2][0] / emb[2][0]:.2f}x, p99 {pg[2][1] / emb[2][1]:.2f}x"
    )


if __name__ == "__main__":
    main()
