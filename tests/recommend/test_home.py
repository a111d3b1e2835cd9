"""Home rows over HTTP: personal, re-ranked on fresh events, never leaking, degrading gracefully."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from marquee.catalog.models import WORLDWIDE, Availability, Genre, PublishState, Title, TitleKind
from marquee.db import transaction, utcnow
from marquee.events.models import Event
from marquee.maturity import level
from marquee.recommend import train_db
from marquee.recommend.breaker import CircuitBreaker
from marquee.recommend.sources import Scored
from tests.support import ApiUser, assert_problem, signup

LONG_AGO = utcnow() - timedelta(days=3)


@dataclass
class World:
    titles: dict[str, uuid.UUID]
    comedy_fan: ApiUser
    horror_fan: ApiUser


def _title(
    session: Session,
    name: str,
    genre: Genre,
    rating: str,
    countries: Sequence[str] = (WORLDWIDE,),
    state: PublishState = PublishState.PUBLISHED,
    year: int = 2000,
) -> uuid.UUID:
    title = Title(
        kind=TitleKind.MOVIE,
        slug=name.lower(),
        name=name,
        sort_name=name,
        maturity_rating=rating,
        maturity_level=level(rating),
        state=state,
        release_year=year,
    )
    title.genres = [genre]
    title.availability = [
        Availability(country=c, starts_at=LONG_AGO - timedelta(days=30)) for c in countries
    ]
    session.add(title)
    session.flush()
    return title.id


def _watch(
    session: Session, profile: str | uuid.UUID, titles: Sequence[uuid.UUID], kind: str = "complete"
) -> None:
    rows = [
        {
            "profile_id": uuid.UUID(str(profile)),
            "title_id": t,
            "kind": kind,
            "occurred_at": LONG_AGO + timedelta(minutes=n),
            "payload": {},
            "recorded_at": LONG_AGO,
        }
        for n, t in enumerate(titles)
    ]
    session.execute(insert(Event), rows)


@pytest.fixture
def world(app: FastAPI, client: TestClient) -> World:
    comedy_fan, horror_fan = signup(client), signup(client)
    with transaction(app.state.runtime.sessionmaker) as session:
        comedy, horror, kids = (
            Genre(slug=s, name=s.title()) for s in ("comedy", "horror", "family")
        )
        session.add_all([comedy, horror, kids])
        t = {
            f"c{n}": _title(session, f"Comedy{n}", comedy, "PG", year=1990 + n)
            for n in range(1, 17)
        }
        t |= {
            f"h{n}": _title(session, f"Horror{n}", horror, "R", year=1970 + n) for n in range(1, 15)
        }
        t |= {f"k{n}": _title(session, f"Family{n}", kids, "G") for n in range(1, 4)}
        t["gb"] = _title(session, "BritishComedy", comedy, "PG", countries=("GB",))
        t["draft"] = _title(session, "DraftComedy", comedy, "PG", state=PublishState.DRAFT)
        crowd = [uuid.uuid4() for _ in range(12)]
        for n, other in enumerate(crowd):
            if n % 2:
                comedies = [t[f"c{i}"] for i in (1, *range(4, 17))]
                _watch(session, other, [*comedies, t["gb"], t["draft"], t["k1"]])
            else:
                _watch(session, other, [t[f"h{i}"] for i in (1, *range(3, 15))] + [t["k2"]])
        _watch(session, comedy_fan.profile_id, [t["c1"], t["c2"], t["c3"]])
        _watch(session, horror_fan.profile_id, [t["h1"], t["h2"]])
        train_db.train(session=session, lam=10.0)
    return World(titles=t, comedy_fan=comedy_fan, horror_fan=horror_fan)


def _home(
    client: TestClient, user: ApiUser, profile_id: str | None = None, country: str = "US"
) -> dict[str, object]:
    response = client.get(
        f"/api/v1/profiles/{profile_id or user.profile_id}/home",
        headers={**user.headers, "CloudFront-Viewer-Country": country},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _row(home: dict[str, object], key: str) -> list[str]:
    rows = {row["key"]: row for row in home["rows"]}  # type: ignore[attr-defined]
    return [item["name"] for item in rows[key]["items"]] if key in rows else []


def _all_names(home: dict[str, object]) -> list[str]:
    return [item["name"] for row in home["rows"] for item in row["items"]]  # type: ignore[attr-defined]


def test_rows_are_personal_and_explained(world: World, client: TestClient) -> None:
    comedy = _home(client, world.comedy_fan)
    horror = _home(client, world.horror_fan)
    assert comedy["degraded"] is False
    assert _row(comedy, "top_picks")[:2] != _row(horror, "top_picks")[:2]
    # What each crowd watched besides its shared title (hidden GB-only and draft titles excluded).
    comedy_picks, horror_picks = _row(comedy, "top_picks"), _row(horror, "top_picks")
    assert comedy_picks
    assert horror_picks
    assert all(n.startswith(("Comedy", "Family1")) for n in comedy_picks)
    assert all(n.startswith(("Horror", "Family2")) for n in horror_picks)
    assert _row(comedy, "because")
    because = next(r for r in comedy["rows"] if r["key"] == "because")  # type: ignore[attr-defined]
    # Comedy3's and Comedy2's only neighbours are finished: the row anchors on Comedy1.
    assert because["title"] == "Because you watched Comedy1"
    assert len(because["items"]) == 10
    assert [row["key"] for row in comedy["rows"]][:2] == ["top_picks", "because"]  # type: ignore[attr-defined]
    assert all(row["reason"] for row in comedy["rows"])  # type: ignore[attr-defined]


def test_no_finished_hidden_or_repeated_titles(world: World, client: TestClient) -> None:
    names = _all_names(_home(client, world.comedy_fan))
    assert len(names) == len(set(names)), "a title repeats across rows"
    assert not {"Comedy1", "Comedy2", "Comedy3"} & set(names), "finished titles came back"
    assert "DraftComedy" not in names
    assert "BritishComedy" not in names
    assert "BritishComedy" in _all_names(_home(client, world.comedy_fan, country="GB"))


def test_a_title_unpublished_after_caching_disappears_at_once(
    world: World, app: FastAPI, client: TestClient
) -> None:
    first = _all_names(_home(client, world.comedy_fan))
    assert "Comedy5" in first
    with transaction(app.state.runtime.sessionmaker) as session:
        title = session.get(Title, world.titles["c5"])
        assert title is not None
        title.state = PublishState.UNPUBLISHED
    assert "Comedy5" not in _all_names(_home(client, world.comedy_fan))


def test_kids_profile_never_sees_mature_titles(world: World, client: TestClient) -> None:
    kid = client.post(
        "/api/v1/me/profiles",
        json={"name": "Kid", "is_kids": True},
        headers=world.horror_fan.headers,
    )
    names = _all_names(_home(client, world.horror_fan, profile_id=kid.json()["id"]))
    assert names
    assert not [n for n in names if n.startswith("Horror")]


def test_fresh_events_change_the_rows_within_seconds(world: World, client: TestClient) -> None:
    before = _home(client, world.comedy_fan)
    assert "because" in [r["key"] for r in before["rows"]]  # type: ignore[attr-defined]
    events = [
        {
            "profile_id": world.comedy_fan.profile_id,
            "title_id": str(world.titles["h3"]),
            "kind": "complete",
        },
        {
            "profile_id": world.comedy_fan.profile_id,
            "title_id": str(world.titles["c4"]),
            "kind": "thumbs_down",
        },
        {
            "profile_id": world.comedy_fan.profile_id,
            "title_id": str(world.titles["c9"]),
            "kind": "progress",
            "occurred_at": (utcnow() - timedelta(minutes=2)).isoformat(),
            "position": 300,
            "watched_seconds": 300,
            "duration": 1200,
        },
    ]
    assert (
        client.post(
            "/api/v1/events", json={"events": events}, headers=world.comedy_fan.headers
        ).json()["accepted"]
        == 3
    )
    after = _home(client, world.comedy_fan)
    because = next(r for r in after["rows"] if r["key"] == "because")  # type: ignore[attr-defined]
    assert because["title"] == "Because you watched Horror3"
    assert "Comedy4" not in _all_names(after)
    assert _row(after, "continue") == ["Comedy9"]
    continue_row = next(r for r in after["rows"] if r["key"] == "continue")  # type: ignore[attr-defined]
    assert continue_row["items"][0]["progress"] == 0.25


def test_new_profile_gets_cold_start_rows(world: World, client: TestClient) -> None:
    newcomer = signup(client)
    home = _home(client, newcomer)
    keys = [row["key"] for row in home["rows"]]  # type: ignore[attr-defined]
    assert keys[0] == "top_picks"
    assert "trending" in keys
    names = _all_names(home)
    assert len(names) == len(set(names))
    assert next(r for r in home["rows"] if r["key"] == "top_picks")["reason"] == "popular"  # type: ignore[attr-defined]


class _Failing:
    def picks(self, session: Session, profile_id: uuid.UUID, limit: int) -> Scored:
        raise RuntimeError("model store unreachable")

    def similar(self, session: Session, title_ids: Sequence[uuid.UUID], limit: int) -> Scored:
        raise RuntimeError("model store unreachable")


class _Slow:
    def picks(self, session: Session, profile_id: uuid.UUID, limit: int) -> Scored:
        time.sleep(0.06)
        return []

    def similar(self, session: Session, title_ids: Sequence[uuid.UUID], limit: int) -> Scored:
        return []


def test_failing_model_falls_back_to_popularity(
    world: World, app: FastAPI, client: TestClient
) -> None:
    _home(client, world.comedy_fan)  # a healthy answer first
    app.state.runtime.home.source = _Failing()
    home = _home(client, world.comedy_fan, country="FR")
    assert home["degraded"] is True
    top = next(r for r in home["rows"] if r["key"] == "top_picks")  # type: ignore[attr-defined]
    assert top["reason"] == "popular"
    assert top["items"]


def test_slow_model_opens_the_circuit(world: World, app: FastAPI, client: TestClient) -> None:
    _home(client, world.horror_fan)
    # Only the slow model's answers may count: on a busy machine the healthy one may have
    # run over the budget too.
    app.state.runtime.home.breaker = CircuitBreaker(budget_ms=50.0)
    app.state.runtime.home.source = _Slow()
    # Slow answers are still used, but three in a row open the circuit.
    results = [_home(client, world.horror_fan, country=c)["degraded"] for c in ("DE", "IT", "ES")]
    assert results == [False, False, False]
    assert app.state.runtime.home.breaker.is_open
    from marquee.recommend.sources import TableSource

    app.state.runtime.home.source = TableSource()
    assert (
        _home(client, world.horror_fan, country="NL")["degraded"] is True
    )  # still open: no model calls


def test_home_of_another_accounts_profile_is_not_found(world: World, client: TestClient) -> None:
    response = client.get(
        f"/api/v1/profiles/{world.comedy_fan.profile_id}/home", headers=world.horror_fan.headers
    )
    assert_problem(response, 404, "profile_not_found")


def test_stale_snapshots_are_served_while_rebuilt_in_the_background(
    world: World, app: FastAPI
) -> None:
    from marquee.audience import Audience
    from marquee.recommend.snapshot import SnapshotCache

    snapshots = SnapshotCache(ttl_seconds=0.0, factory=app.state.runtime.sessionmaker)
    audience = Audience(country="US")
    try:
        with app.state.runtime.sessionmaker() as session:
            first = snapshots.get(session, audience)
            assert first.cards
            deadline = time.monotonic() + 10
            while snapshots.get(session, audience) is first and time.monotonic() < deadline:
                time.sleep(0.05)  # the stale snapshot is served until the rebuild lands
            assert snapshots.get(session, audience) is not first
    finally:
        # Every stale read started another rebuild; one still running would hold its
        # connection into the teardown's TRUNCATE.
        snapshots.close()
    assert not snapshots.running()
