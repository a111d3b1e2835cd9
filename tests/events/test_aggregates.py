"""The aggregate consumer: daily stats, trending decay, QoE percentiles, cursors, retention."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from marquee.accounts.models import Role
from marquee.db import transaction, utcnow
from marquee.events import analytics, consume, service
from marquee.events.models import Event
from tests.events.factories import make_title
from tests.support import assert_problem, signup, signup_with_role


def _append(factory: sessionmaker[Session], rows: list[dict[str, object]]) -> None:
    base = {"profile_id": uuid.uuid4(), "episode_id": None, "payload": {}, "country": "US"}
    with transaction(factory) as session:
        now = utcnow() - timedelta(seconds=10)
        session.execute(insert(Event), [{**base, "recorded_at": now, **row} for row in rows])


def test_add_play_is_order_independent() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=utcnow().tzinfo)
    later = t0 + timedelta(hours=72)
    forward = consume.add_play(*consume.add_play(0.0, t0, t0), later)
    backward = consume.add_play(*consume.add_play(0.0, later, later), t0)
    assert forward[1] == backward[1] == later
    assert forward[0] == pytest.approx(1.5)
    assert backward[0] == pytest.approx(1.5)


def test_percentile_interpolates_inside_buckets() -> None:
    hist = [0] * (len(consume.TTFF_BUCKETS_MS) + 1)
    assert consume.percentile(hist, 0.5) is None
    hist[consume.ttff_bucket(150)] = 10  # all samples in (100, 200]
    assert consume.percentile(hist, 0.5) == pytest.approx(150)
    assert consume.percentile(hist, 1.0) == pytest.approx(200)


def test_consumer_folds_events_once(session_factory: sessionmaker[Session]) -> None:
    hit, other = make_title(session_factory, "Hit"), make_title(session_factory, "Other")
    now = utcnow()
    rows: list[dict[str, object]] = []
    for _ in range(3):
        rows.append({"title_id": hit, "kind": "play_start", "occurred_at": now})
        rows.append(
            {
                "title_id": hit,
                "kind": "progress",
                "occurred_at": now,
                "payload": {"position": 600, "watched_seconds": 600},
            }
        )
    rows.append(
        {
            "title_id": hit,
            "kind": "complete",
            "occurred_at": now,
            "payload": {"watched_seconds": 60},
        }
    )
    rows.append({"title_id": other, "kind": "play_start", "occurred_at": now, "country": "FR"})
    rows.append({"title_id": other, "kind": "thumbs_up", "occurred_at": now})
    _append(session_factory, rows)
    with transaction(session_factory) as session:
        assert consume.run_once(session=session) == len(rows)
        assert consume.run_once(session=session) == 0  # the cursor moved: nothing folds twice
    with transaction(session_factory) as session:
        top = analytics.top_titles(session=session, days=1, country=None, limit=10)
        assert [(t.name, t.plays, t.completes) for t in top] == [("Hit", 3, 1), ("Other", 1, 0)]
        assert top[0].watch_hours == pytest.approx(1860 / 3600, abs=1e-3)
        assert top[0].completion_rate == pytest.approx(1 / 3, abs=1e-3)
        in_france = analytics.top_titles(session=session, days=1, country="FR", limit=10)
        assert [t.name for t in in_france] == ["Other"]
        series = analytics.daily_series(session=session, title_id=hit, days=7)
        assert [(d.day, d.plays) for d in series] == [(now.date().isoformat(), 3)]
        trend = analytics.trending(session=session, country=None, limit=10)
        assert [t.title_id for t in trend] == [hit, other]
        assert [
            t.title_id for t in analytics.trending(session=session, country="FR", limit=10)
        ] == [other]


def test_consumer_skips_rows_newer_than_the_lag(session_factory: sessionmaker[Session]) -> None:
    title = make_title(session_factory)
    with transaction(session_factory) as session:
        session.execute(
            insert(Event),
            [
                {
                    "profile_id": uuid.uuid4(),
                    "title_id": title,
                    "kind": "play_start",
                    "occurred_at": utcnow(),
                    "payload": {},
                    "recorded_at": utcnow(),
                }
            ],
        )
    with transaction(session_factory) as session:
        assert consume.run_once(session=session, lag_seconds=60) == 0
        assert consume.run_once(session=session, lag_seconds=0) == 1


def test_qoe_aggregates(session_factory: sessionmaker[Session]) -> None:
    title = make_title(session_factory)
    now = utcnow()
    beacons = [
        {
            "rendition": "720p",
            "time_to_first_frame_ms": ms,
            "rebuffer_ms": 500,
            "watched_ms": 10_000,
            "errors": 0,
        }
        for ms in (120, 140, 160, 180, 2500)
    ]
    _append(
        session_factory,
        [{"title_id": title, "kind": "qoe", "occurred_at": now, "payload": b} for b in beacons],
    )
    with transaction(session_factory) as session:
        consume.run_once(session=session)
        [stat] = analytics.qoe(session=session, title_id=title, days=1)
    assert stat.samples == 5
    assert stat.rendition == "720p"
    assert stat.ttff_p50_ms is not None
    assert 100 <= stat.ttff_p50_ms <= 200
    assert stat.ttff_p95_ms is not None
    assert stat.ttff_p95_ms > 2000
    assert stat.rebuffer_ratio == pytest.approx(0.05)


def test_retention_prunes_old_events(session_factory: sessionmaker[Session]) -> None:
    title = make_title(session_factory)
    now = utcnow()
    _append(
        session_factory,
        [
            {"title_id": title, "kind": "play_start", "occurred_at": now - timedelta(days=400)},
            {"title_id": title, "kind": "play_start", "occurred_at": now},
        ],
    )
    with transaction(session_factory) as session:
        assert service.prune(session=session, older_than=now - timedelta(days=365)) == 1


def test_analytics_routes_need_an_editor(app: FastAPI, client: TestClient) -> None:
    viewer = signup(client)
    editor = signup_with_role(client, app, Role.EDITOR)
    assert_problem(
        client.get("/api/v1/admin/analytics/titles", headers=viewer.headers), 403, "editor_required"
    )
    assert client.get("/api/v1/admin/analytics/titles", headers=editor.headers).json() == []
    assert (
        client.get("/api/v1/admin/analytics/trending?country=FR", headers=editor.headers).json()
        == []
    )
    assert client.get("/api/v1/admin/analytics/qoe", headers=editor.headers).json() == []
    bad = client.get("/api/v1/admin/analytics/titles?days=0&country=france", headers=editor.headers)
    assert_problem(bad, 422, "validation_error")
