"""Importing MovieLens into the catalogue, accounts and event log: mapping and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marquee.accounts.models import Profile, Subscription, User
from marquee.audience import Audience
from marquee.catalog import browse
from marquee.catalog.browse import TitleFilters
from marquee.catalog.models import Availability, Genre, Title
from marquee.db import transaction, utcnow
from marquee.demo.catalogue import DEMO_PASSWORD, HISTORY_ENDS_BEFORE, import_movielens
from marquee.events.models import Event
from marquee.maturity import Maturity
from marquee.pagination import PageParams
from tests.catalog.factories import make_title
from tests.support import assert_problem

MINI = Path(__file__).parent / "fixtures" / "ml-mini"
ALL = PageParams(offset=0, limit=100)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _visible(session: Session, audience: Audience) -> set[int]:
    items, total = browse.list_titles(
        session=session, audience=audience, filters=TitleFilters(), params=ALL
    )
    assert total == len(items)
    return {int(t.external_ids["movielens"]) for t in items}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_import_creates_titles_accounts_and_history(db: Session) -> None:
    report = import_movielens(session=db, directory=MINI)
    db.commit()
    assert (report.titles_added, report.accounts_added, report.events_added) == (14, 3, 9)
    assert _count(db, Title) == 14
    assert _count(db, User) == 3
    assert _count(db, Profile) == 3
    assert _count(db, Subscription) == 3
    toy = db.scalar(select(Title).where(Title.slug == "toy-story-1995"))
    assert toy is not None
    assert (toy.name, toy.release_year, toy.maturity_rating, toy.maturity_level) == (
        "Toy Story",
        1995,
        "G",
        Maturity.ALL,
    )
    assert [g.name for g in toy.genres] == ["Animation", "Children's", "Comedy"]
    assert db.scalar(select(Genre.slug).where(Genre.name == "Children's")) == "childrens"
    first = db.scalar(select(Event).order_by(Event.occurred_at).limit(1))
    assert first is not None
    assert first.kind == "rating"
    assert first.title_id == toy.id
    # The history moves as one block to recent dates (inside retention), its spacing kept.
    last = db.scalar(select(Event).order_by(Event.occurred_at.desc()).limit(1))
    assert last is not None
    spacing = datetime.fromtimestamp(889237200, UTC) - datetime.fromtimestamp(874965758, UTC)
    assert _aware(last.occurred_at) - _aware(first.occurred_at) == spacing
    assert abs(utcnow() - HISTORY_ENDS_BEFORE - _aware(last.occurred_at)) < timedelta(minutes=5)
    assert first.payload == {"rating": 5.0, "source": "movielens"}


def test_regions_windows_and_maturity_are_visible_in_the_catalogue(db: Session) -> None:
    import_movielens(session=db, directory=MINI)
    db.commit()
    us = _visible(db, Audience(country="US"))
    assert us == {1, 2, 3, 10, 12, 13, 16, 20, 267}
    gb = _visible(db, Audience(country="GB"))
    assert gb == {1, 2, 3, 10, 12, 15, 20, 267}
    assert _visible(db, Audience(country="US", max_maturity=Maturity.ALL)) == {1}
    assert _count(db, Availability) == 16


def test_second_import_changes_nothing(db: Session) -> None:
    import_movielens(session=db, directory=MINI)
    db.commit()
    before = [_count(db, model) for model in (Title, User, Profile, Event, Availability, Genre)]
    report = import_movielens(session=db, directory=MINI)
    db.commit()
    assert (report.titles_added, report.accounts_added, report.events_added) == (0, 0, 0)
    after = [_count(db, model) for model in (Title, User, Profile, Event, Availability, Genre)]
    assert after == before


def test_slug_clash_with_an_existing_title_gets_a_suffix(db: Session) -> None:
    make_title(db, "Toy Story (remake)").slug = "toy-story-1995"
    db.commit()
    import_movielens(session=db, directory=MINI)
    db.commit()
    imported = db.scalar(select(Title).where(Title.name == "Toy Story"))
    assert imported is not None
    assert imported.slug == "toy-story-1995-ml1"
    assert _count(db, Title) == 15


def test_history_accounts_sign_in_and_browse(client: TestClient, app: FastAPI) -> None:
    with transaction(app.state.runtime.sessionmaker) as session:
        import_movielens(session=session, directory=MINI)
    login = client.post(
        "/api/v1/auth/login", json={"email": "ml-user-2@marquee.demo", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}"}
    profile = client.get("/api/v1/me/profiles", headers=headers).json()["items"][0]
    titles = client.get("/api/v1/titles", params={"profile_id": profile["id"]}, headers=headers)
    assert titles.json()["total"] == 9
    wrong = client.post(
        "/api/v1/auth/login", json={"email": "ml-user-2@marquee.demo", "password": "nope-nope"}
    )
    assert_problem(wrong, 401, "invalid_credentials")
