"""Event ingest throughput: validated batches of 500 vs. raw multi-row inserts, SQLite and PostgreSQL.

Target: >= 10,000 events/s through `events.service.ingest` on both backends. The baseline is the
same rows written with a bare multi-row INSERT (no validation, no ownership or title checks).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker
from tests import services

from marquee.catalog.models import PublishState, Title, TitleKind
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from marquee.events import service
from marquee.events.models import Event
from marquee.models import Base

BATCH = 500
KINDS = ("play_start", "progress", "complete", "thumbs_up", "qoe")


@contextmanager
def backends(names: list[str]) -> Iterator[Iterator[tuple[str, str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        if "postgresql" in names:
            with services.postgres() as pg_url:
                yield iter(
                    [(n, pg_url if n == "postgresql" else f"sqlite:///{tmp}/b.db") for n in names]
                )
        else:
            yield iter([("sqlite", f"sqlite:///{tmp}/b.db")])


def raw_event(rng: random.Random, profile: uuid.UUID, titles: list[uuid.UUID]) -> dict[str, Any]:
    kind = rng.choice(KINDS)
    event: dict[str, Any] = {
        "profile_id": str(profile),
        "title_id": str(rng.choice(titles)),
        "kind": kind,
    }
    if kind == "progress":
        event |= {"position": rng.uniform(0, 5000), "watched_seconds": 10.0, "duration": 6000.0}
    elif kind == "qoe":
        event |= {
            "rendition": "720p",
            "time_to_first_frame_ms": rng.uniform(100, 900),
            "watched_ms": 10_000,
        }
    return event


def seed(factory: sessionmaker[Session], n_titles: int) -> list[uuid.UUID]:
    with transaction(factory) as session:
        titles = [
            Title(
                kind=TitleKind.MOVIE,
                slug=f"t{i}",
                name=f"T{i}",
                sort_name=f"T{i}",
                maturity_rating="PG",
                maturity_level=3,
                state=PublishState.PUBLISHED,
            )
            for i in range(n_titles)
        ]
        session.add_all(titles)
        session.flush()
        return [t.id for t in titles]


def timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run_backend(name: str, url: str, total: int, repeat: int) -> None:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    titles = seed(factory, 1000)
    profiles = [uuid.uuid4() for _ in range(200)]
    rng = random.Random(7)
    batches = [
        [raw_event(rng, rng.choice(profiles), titles) for _ in range(BATCH)]
        for _ in range(total // BATCH)
    ]
    owned = set(profiles)
    now = utcnow()
    known = service.KnownTitles()  # the API keeps one per process, as here

    def ours() -> None:
        for batch in batches:
            with transaction(factory) as session:
                result = service.ingest(
                    session=session,
                    raw=batch,
                    profile_ids=owned,
                    country="US",
                    now=now,
                    known=known,
                )
                assert not result.rejected

    def baseline() -> None:
        for batch in batches:
            rows = [
                {
                    "profile_id": uuid.UUID(e["profile_id"]),
                    "title_id": uuid.UUID(e["title_id"]),
                    "kind": e["kind"],
                    "occurred_at": now,
                    "recorded_at": now,
                    "country": "US",
                    "payload": {},
                }
                for e in batch
            ]
            with transaction(factory) as session:
                session.execute(insert(Event), rows)

    def clear() -> None:
        with transaction(factory) as session:
            session.execute(delete(Event))

    ours_t, base_t = [], []
    for _ in range(repeat):
        clear()
        base_t.append(timed(baseline))
        clear()
        ours_t.append(timed(ours))
    o, b = statistics.median(ours_t), statistics.median(base_t)
    print(
        f"{name:<11} ingest {total / o:>9,.0f} ev/s   raw insert {total / b:>9,.0f} ev/s   "
        f"ratio (ingest/raw throughput) {b / o:.2f}   target >= 10,000 ev/s: {'met' if total / o >= 10_000 else 'NOT met'}"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    names = args.backends.split(",")
    print(f"{args.events:,} events in batches of {BATCH}, median of {args.repeat} runs")
    with backends(names) as pairs:
        for name, url in pairs:
            run_backend(name, url, args.events, args.repeat)


if __name__ == "__main__":
    main()
