"""The real MovieLens-100K import, from the wheel cached in var/cache across test runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marquee.accounts.models import User
from marquee.catalog.models import Title
from marquee.datasets import movielens_100k
from marquee.demo.catalogue import import_movielens
from marquee.events.models import Event

CACHE = Path(__file__).resolve().parents[2] / "var" / "cache"


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_full_movielens_import_is_complete_fast_and_idempotent(db: Session) -> None:
    directory = movielens_100k(CACHE)
    report = import_movielens(session=db, directory=directory)
    db.commit()
    assert (report.titles_added, report.accounts_added, report.events_added) == (
        1682,
        943,
        100_000,
    )
    assert report.seconds < 60
    assert _count(db, Title) == 1682
    assert _count(db, User) == 943
    assert _count(db, Event) == 100_000
    again = import_movielens(session=db, directory=directory)
    assert (again.titles_added, again.accounts_added, again.events_added) == (0, 0, 0)
    assert again.seconds < 5
