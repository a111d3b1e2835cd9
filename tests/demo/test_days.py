"""The demo over days of running: its periodic jobs, run day after day, keep analytics alive.

The demo is loaded `DAYS` days in the past, then each simulated day runs the worker's periodic
jobs at that day's time (aggregate, prune, retrain, expire), a viewer watches a new title
"now", and that viewing must reach the studio's analytics (Top 10, trending) within the next
aggregation period, and the viewer's home rows. The last day is today, checked through the
served API.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from marquee.accounts.models import Profile, User
from marquee.app import create_app
from marquee.audience import Audience
from marquee.catalog import movielens
from marquee.catalog.models import Title
from marquee.catalog.visibility import visible_to
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from marquee.demo.catalogue import DEMO_PASSWORD, HISTORY_ENDS_BEFORE, load_demo
from marquee.events import analytics, service
from marquee.events import tasks as event_tasks
from marquee.events.models import Event
from marquee.events.schemas import EventKind
from marquee.jobs.registry import Handler, JobContext, JobKind
from marquee.playback.service import expire_idle_sessions
from marquee.recommend import tasks as recommend_tasks
from marquee.recommend.breaker import CircuitBreaker
from marquee.recommend.home import build_home
from marquee.recommend.snapshot import Snapshot, SnapshotCache
from marquee.recommend.sources import TableSource
from marquee.recommend.tables import ModelRun
from marquee.runtime import Runtime
from marquee.uploads.service import expire_uploads

MINI = Path(__file__).parents[1] / "catalog" / "fixtures" / "ml-mini"
DAYS = 4
NEXT_AGGREGATION = timedelta(seconds=event_tasks.AGGREGATE_EVERY_SECONDS + 1)


@dataclass
class Demo:
    settings: Settings
    factory: sessionmaker[Session]
    viewer: uuid.UUID  # the demo viewer's profile
    titles: list[uuid.UUID]  # published titles, one to watch per day


@pytest.fixture
def demo_settings(fresh_url: str, tmp_path: Path) -> Settings:
    shutil.copytree(MINI, tmp_path / "var" / "cache" / "ml-100k")
    return Settings(env="test", database_url=fresh_url, var_dir=tmp_path / "var", json_logs=False)


@pytest.fixture
def demo_runtime(demo_settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> Runtime:
    """The runtime `marquee demo` builds; closed before the database is dropped."""
    return make_runtime(demo_settings)


@pytest.fixture
def demo(demo_settings: Settings, demo_runtime: Runtime) -> Iterator[Demo]:
    load_demo(demo_runtime, now=utcnow() - timedelta(days=DAYS))
    engine = make_engine(demo_settings.resolved_database_url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        viewer = session.scalars(
            select(Profile).join(User).where(User.email == "viewer@marquee.demo")
        ).one()
        audience = Audience(country="US", max_maturity=viewer.maturity_ceiling)
        visible = select(Title.id).where(visible_to(audience)).order_by(Title.name)
        titles = list(session.scalars(visible.limit(DAYS + 1)))
    assert len(titles) == DAYS + 1
    yield Demo(demo_settings, factory, viewer.id, titles)
    engine.dispose()


def _history(session: Session) -> list[datetime]:
    query = select(Event.occurred_at).where(Event.kind == EventKind.RATING.value)
    return sorted(session.scalars(query))


PERIODIC: list[tuple[JobKind, Handler]] = [
    (JobKind.EVENTS_AGGREGATE, event_tasks.aggregate),
    (JobKind.EVENTS_PRUNE, event_tasks.prune),
    (JobKind.RECS_TRAIN, recommend_tasks.retrain),
]


def _run_jobs(demo: Demo, now: datetime, jobs: list[tuple[JobKind, Handler]]) -> None:
    """Handlers run as a worker runs them, on a runtime of their own whose clock says `now`."""
    runtime = Runtime.from_settings(demo.settings, clock=lambda: now)
    try:
        for kind, handler in jobs:
            handler(
                JobContext(
                    job_id=uuid.uuid4(),
                    kind=kind,
                    key=f"{kind}:{now.isoformat()}",
                    payload={},
                    attempt=1,
                    runtime=runtime,
                )
            )
        if jobs is PERIODIC:
            # The expiry handlers read the wall clock: their services are run at `now`.
            with transaction(runtime.sessionmaker) as session:
                expire_idle_sessions(session=session, settings=demo.settings, now=now)
                expire_uploads(session=session, store=runtime.store, now=now)
    finally:
        runtime.close()


def _run_periodic_jobs(demo: Demo, now: datetime) -> None:
    """One day's periodic jobs (aggregate, prune, retrain, expire) in the order an idle worker
    queues them."""
    _run_jobs(demo, now, PERIODIC)


def _watch(demo: Demo, title: uuid.UUID, now: datetime) -> None:
    """What the player sends for ten minutes of a title, as the events route takes it."""
    mine = {"profile_id": str(demo.viewer), "title_id": str(title)}
    raw = [
        {**mine, "kind": "play_start"},
        {**mine, "kind": "progress", "position": 600, "watched_seconds": 600, "duration": 5400},
    ]
    with transaction(demo.factory) as session:
        result = service.ingest(
            session=session, raw=raw, profile_ids={demo.viewer}, country="US", now=now
        )
    assert result.rejected == []


def _home(demo: Demo) -> tuple[dict[str, list[uuid.UUID]], Snapshot]:
    """The viewer's rows, and the snapshot of trending and Top 10 they were built from."""
    with transaction(demo.factory) as session:
        viewer = session.get(Profile, demo.viewer)
        assert viewer is not None
        audience = Audience(country="US", max_maturity=viewer.maturity_ceiling)
        snapshots = SnapshotCache()  # a fresh one: no snapshot left over from the day before
        home = build_home(
            session=session,
            profile_id=demo.viewer,
            audience=audience,
            source=TableSource(),
            breaker=CircuitBreaker(budget_ms=10_000.0),
            snapshots=snapshots,
        )
        snap = snapshots.get(session, audience)
    assert not home.degraded
    return {row.key: [item.id for item in row.items] for row in home.rows}, snap


def test_imported_history_is_moved_to_recent_dates_in_order(
    demo_settings: Settings, demo_runtime: Runtime
) -> None:
    now = utcnow()
    load_demo(demo_runtime, now=now)
    stamps = sorted(r.timestamp for r in movielens.read_ratings(MINI / "ml-100k.inter"))
    engine = make_engine(demo_settings.resolved_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        history = _history(session)
    engine.dispose()
    assert history[-1] == now - HISTORY_ENDS_BEFORE
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(history)]
    assert gaps == [float(b - a) for a, b in itertools.pairwise(stamps)]


@pytest.mark.parametrize("damage", ["unmoved", "pruned"])
def test_loading_again_restores_a_history_lost_or_left_at_its_old_dates(
    demo_settings: Settings, demo_runtime: Runtime, damage: str
) -> None:
    """An install loaded before the history was moved: still in 1997-98, or already pruned."""
    load_demo(demo_runtime)
    engine = make_engine(demo_settings.resolved_database_url)
    factory = make_sessionmaker(engine)
    rated = Event.kind == EventKind.RATING.value
    with transaction(factory) as session:
        if damage == "unmoved":
            old = datetime(1998, 3, 1, tzinfo=UTC)
            session.execute(update(Event).where(rated).values(occurred_at=old))
        else:
            session.execute(delete(Event).where(rated))
    assert "9 events added" in load_demo(demo_runtime)
    with transaction(factory) as session:
        history = _history(session)
    assert len(history) == 9
    assert history[0] > utcnow() - timedelta(days=365)
    assert "0 events added" in load_demo(demo_runtime)  # a moved history is left alone
    engine.dispose()


def test_viewing_reaches_analytics_and_home_rows_day_after_day(demo: Demo) -> None:
    start = utcnow() - timedelta(days=DAYS)
    with transaction(demo.factory) as session:
        imported = len(_history(session))
    assert imported == 9
    runs = interactions = 0
    for day in range(DAYS):
        now = start + timedelta(days=day, hours=1)
        _run_periodic_jobs(demo, now)
        title = demo.titles[day]
        _watch(demo, title, now)
        _run_jobs(demo, now + NEXT_AGGREGATION, PERIODIC[:1])  # the next aggregation
        with transaction(demo.factory) as session:
            assert len(_history(session)) == imported, f"day {day}: history pruned"
            top = analytics.top_titles(session=session, days=7, country="US", limit=10, now=now)
            assert title in {t.title_id for t in top}, f"day {day}: not in the Top 10"
            trending = analytics.trending(session=session, country=None, limit=10, now=now)
            assert trending[0].title_id == title, f"day {day}: not trending first"
            run = session.scalars(select(ModelRun).order_by(ModelRun.id.desc()).limit(1)).one()
            runs_now = session.scalar(select(func.count()).select_from(ModelRun)) or 0
        assert runs_now > runs, f"day {day}: retraining skipped"
        assert run.interactions > interactions, f"day {day}: trained on less than before"
        runs, interactions = runs_now, run.interactions
        rows, snap = _home(demo)
        assert rows["continue"][0] == title  # each title appears in one row only: this one
        assert snap.trending[0] == title
        assert title in snap.top10
    _today_through_the_api(demo)


def _today_through_the_api(demo: Demo) -> None:
    """The last day is today: the viewer posts to the events route, the editor reads analytics."""
    app = create_app(demo.settings)
    title = str(demo.titles[DAYS])
    with TestClient(app) as client:
        viewer, editor = (
            client.post(
                "/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}
            ).json()["tokens"]["access_token"]
            for email in ("viewer@marquee.demo", "editor@marquee.demo")
        )
        mine = {"profile_id": str(demo.viewer), "title_id": title}
        watched = [
            {**mine, "kind": "play_start"},
            {**mine, "kind": "progress", "position": 60, "watched_seconds": 60, "duration": 5400},
        ]
        posted = client.post(
            "/api/v1/events",
            json={"events": watched},
            headers={"Authorization": f"Bearer {viewer}"},
        )
        assert posted.json() == {"accepted": 2, "rejected": []}
        _run_periodic_jobs(demo, utcnow() + NEXT_AGGREGATION)
        editor_headers = {"Authorization": f"Bearer {editor}"}
        top = client.get("/api/v1/admin/analytics/titles", headers=editor_headers).json()
        assert title in {t["title_id"] for t in top}
        trending = client.get("/api/v1/admin/analytics/trending", headers=editor_headers).json()
        assert trending[0]["title_id"] == title
        home = client.get(
            f"/api/v1/profiles/{demo.viewer}/home", headers={"Authorization": f"Bearer {viewer}"}
        ).json()
        rows = {row["key"]: [item["id"] for item in row["items"]] for row in home["rows"]}
        assert rows["continue"][0] == title
    app.state.runtime.close()
