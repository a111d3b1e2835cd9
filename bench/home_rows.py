"""Home rows latency for a profile with 500 events, on the MovieLens catalogue and on 100,000 titles.

Measures, in process: building the rows uncached (the path taken after every event of the
profile) and answering through the HTTP route (cache + visibility re-check). The baseline, run
in the same process, is a "most popular" page: one SQL query for the 20 most popular visible
titles. Target: p99 <= 20 ms. Training time is printed too (target < 30 s on MovieLens-100K).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from marquee.accounts.models import Profile, User
from marquee.app import create_app
from marquee.audience import Audience
from marquee.catalog.models import Availability, Genre, PublishState, Title, TitleKind, title_genres
from marquee.catalog.visibility import visible_to
from marquee.config import Settings
from marquee.db import refresh_statistics, transaction, utcnow
from marquee.demo.catalogue import load_demo
from marquee.events.models import Event
from marquee.recommend import home, train_db
from marquee.recommend.breaker import CircuitBreaker
from marquee.recommend.snapshot import SnapshotCache
from marquee.recommend.sources import TableSource
from marquee.recommend.tables import TitlePopularity
from marquee.runtime import Runtime

WORDS = [
    "night",
    "river",
    "storm",
    "glass",
    "garden",
    "silent",
    "iron",
    "golden",
    "last",
    "first",
    "lost",
    "city",
    "dream",
    "winter",
    "fire",
]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def measure(fn: Callable[[], object], n: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def synthetic(session: Session, n_titles: int, n_profiles: int, rng: random.Random) -> None:
    genres = [{"id": uuid.uuid4(), "slug": f"g{i}", "name": f"Genre {i}"} for i in range(20)]
    session.execute(insert(Genre), genres)
    now, titles, links, windows = utcnow(), [], [], []
    for i in range(n_titles):
        tid = uuid.uuid4()
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}"
        titles.append(
            {
                "id": tid,
                "kind": TitleKind.MOVIE,
                "slug": f"s{i}",
                "name": name,
                "sort_name": name,
                "synopsis": "",
                "maturity_rating": "PG-13",
                "maturity_level": 4,
                "release_year": 1950 + i % 75,
                "state": PublishState.PUBLISHED,
                "published_at": now,
                "external_ids": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        links.append({"title_id": tid, "genre_id": genres[i % 20]["id"]})
        windows.append(
            {
                "id": uuid.uuid4(),
                "title_id": tid,
                "country": "*",
                "starts_at": now - timedelta(days=9),
            }
        )
    for start in range(0, n_titles, 5000):
        session.execute(insert(Title), titles[start : start + 5000])
        session.execute(insert(title_genres), links[start : start + 5000])
        session.execute(insert(Availability), windows[start : start + 5000])
    ids = [t["id"] for t in titles]
    weights = [1 / (r + 1) for r in range(n_titles)]  # Zipf-like engagement
    events = []
    for _ in range(n_profiles):
        profile = uuid.uuid4()
        for title in rng.choices(ids, weights=weights, k=100):
            events.append(
                {
                    "profile_id": profile,
                    "title_id": title,
                    "kind": "complete",
                    "occurred_at": now - timedelta(days=rng.uniform(1, 60)),
                    "recorded_at": now,
                    "payload": {},
                }
            )
    for start in range(0, len(events), 5000):
        session.execute(insert(Event), events[start : start + 5000])


def give_history(session: Session, profile_id: uuid.UUID, rng: random.Random, n: int = 500) -> None:
    titles = list(session.scalars(select(TitlePopularity.title_id).limit(3000)))
    now = utcnow()
    rows = [
        {
            "profile_id": profile_id,
            "title_id": rng.choice(titles),
            "kind": rng.choice(["play_start", "progress", "complete"]),
            "occurred_at": now - timedelta(minutes=i),
            "recorded_at": now,
            "payload": {"position": 10, "duration": 100},
        }
        for i in range(n)
    ]
    session.execute(insert(Event), rows)


def run(label: str, settings: Settings, prepare: Callable[[Settings], float], repeat: int) -> None:
    train_seconds = prepare(settings)
    app = create_app(settings)
    rng = random.Random(3)
    with transaction(app.state.runtime.sessionmaker) as session:
        user = session.scalar(select(User).where(User.email == "viewer@marquee.demo"))
        assert user is not None
        profile = session.scalar(select(Profile).where(Profile.user_id == user.id))
        assert profile is not None
        give_history(session, profile.id, rng)
    audience = Audience(country="US", max_maturity=profile.maturity_ceiling)
    snapshots, source, breaker = (
        SnapshotCache(ttl_seconds=3600),
        TableSource(),
        CircuitBreaker(budget_ms=1e9),
    )

    def uncached() -> object:
        with app.state.runtime.sessionmaker() as session:
            return home.build_home(
                session=session,
                profile_id=profile.id,
                audience=audience,
                source=source,
                breaker=breaker,
                snapshots=snapshots,
            )

    def popular_baseline() -> object:
        with app.state.runtime.sessionmaker() as session:
            query = (
                select(Title.id)
                .join(TitlePopularity, TitlePopularity.title_id == Title.id)
                .where(visible_to(audience))
                .order_by(TitlePopularity.score.desc())
                .limit(20)
            )
            return session.scalars(query).all()

    client = TestClient(app)
    token = client.post(
        "/api/v1/auth/login", json={"email": "viewer@marquee.demo", "password": "marquee-demo"}
    )
    headers = {"Authorization": f"Bearer {token.json()['tokens']['access_token']}"}

    def route() -> object:
        return client.get(f"/api/v1/profiles/{profile.id}/home", headers=headers).raise_for_status()

    started = time.perf_counter()
    snapshots.get(app.state.runtime.sessionmaker(), audience)
    snapshot_ms = (time.perf_counter() - started) * 1000
    u50, u99 = measure(uncached, repeat)
    b50, b99 = measure(popular_baseline, repeat)
    r50, r99 = measure(route, repeat)
    print(
        f"\n{label}: training {train_seconds:.1f}s, audience snapshot build {snapshot_ms:.0f} ms (every 30 s)"
    )
    print(
        f"  uncached rows      p50 {u50:6.2f} ms  p99 {u99:6.2f} ms   target p99 <= 20 ms: {'met' if u99 <= 20 else 'NOT met'}"
    )
    print(f"  HTTP route (cache) p50 {r50:6.2f} ms  p99 {r99:6.2f} ms")
    print(
        f"  baseline popular   p50 {b50:6.2f} ms  p99 {b99:6.2f} ms   ratio uncached/baseline p50 {u50 / b50:.1f}x"
    )
    app.state.runtime.close()


def prepare_movielens(settings: Settings) -> float:
    from marquee.recommend.tables import ModelRun

    with Runtime.running(settings) as runtime:
        load_demo(runtime)
        with transaction(runtime.sessionmaker) as session:
            return float(
                session.scalar(select(ModelRun.seconds).order_by(ModelRun.id.desc()).limit(1)) or 0
            )


def prepare_synthetic(n_titles: int) -> Callable[[Settings], float]:
    def prepare(settings: Settings) -> float:
        app = create_app(settings)
        load_demo(app.state.runtime)  # accounts, plans, the schema; the MovieLens titles too
        with transaction(app.state.runtime.sessionmaker) as session:
            synthetic(session, n_titles, 2000, random.Random(5))
        started = time.perf_counter()
        with transaction(app.state.runtime.sessionmaker) as session:
            train_db.train(session=session)
            refresh_statistics(session)  # as the hourly retraining job does
        app.state.runtime.close()
        return time.perf_counter() - started

    return prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--titles", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        for label, prepare in (
            ("MovieLens-100K", prepare_movielens),
            (f"synthetic {args.titles:,}", prepare_synthetic(args.titles)),
        ):
            var = cache / label.split()[0]
            settings = Settings(var_dir=var, json_logs=False, log_level="WARNING")
            (var / "cache").mkdir(parents=True, exist_ok=True)
            shared = Path("var/cache")
            if shared.exists():  # reuse the downloaded data sets
                for item in shared.iterdir():
                    target = var / "cache" / item.name
                    if not target.exists():
                        target.symlink_to(item.resolve())
            run(label, settings, prepare, args.repeat)


if __name__ == "__main__":
    main()
