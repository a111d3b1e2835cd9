"""The library service on its own: ordering, idempotence and what reaches the event log."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.accounts.models import Profile, User
from marquee.audience import Audience
from marquee.db import utcnow
from marquee.events.models import Event
from marquee.library import service
from marquee.library.models import MyListEntry
from marquee.maturity import Maturity
from marquee.pagination import PageParams
from tests.catalog.factories import make_title

EVERYONE = Audience(country="US")


@pytest.fixture
def profile_id(db: Session) -> uuid.UUID:
    user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
    db.add(user)
    db.flush()
    profile = Profile(user_id=user.id, name="P", maturity_ceiling=int(Maturity.ADULTS))
    db.add(profile)
    db.flush()
    return profile.id


def _kinds(db: Session) -> list[str]:
    return list(db.scalars(select(Event.kind).order_by(Event.id)))


def test_list_is_newest_first_with_ties_broken_by_id(db: Session, profile_id: uuid.UUID) -> None:
    titles = [make_title(db, f"T{n}") for n in range(4)]
    same = utcnow()
    for n, title in enumerate(titles):
        at = same if n < 2 else same + timedelta(seconds=n)
        db.add(MyListEntry(profile_id=profile_id, title_id=title.id, added_at=at))
    db.flush()
    rows, total = service.list_entries(
        session=db, audience=EVERYONE, profile_id=profile_id, params=PageParams(limit=10)
    )
    assert total == 4
    names = [t.name for t, _ in rows]
    assert names[:2] == ["T3", "T2"]
    assert names[2:] == [t.name for t in sorted(titles[:2], key=lambda t: t.id)]


def test_removing_what_is_not_saved_logs_nothing(db: Session, profile_id: uuid.UUID) -> None:
    title = make_title(db, "Once")
    service.remove_from_list(
        session=db, audience=EVERYONE, profile_id=profile_id, title_id=title.id
    )
    assert _kinds(db) == []
    service.add_to_list(session=db, audience=EVERYONE, profile_id=profile_id, title_id=title.id)
    service.remove_from_list(
        session=db, audience=EVERYONE, profile_id=profile_id, title_id=title.id
    )
    assert _kinds(db) == ["my_list_add", "my_list_remove"]


def test_only_thumbs_are_ratings(db: Session, profile_id: uuid.UUID) -> None:
    title = make_title(db, "Rated")
    with pytest.raises(ValueError, match="-1 or 1"):
        service.rate(
            session=db, audience=EVERYONE, profile_id=profile_id, title_id=title.id, value=0
        )
    rating = service.rate(
        session=db, audience=EVERYONE, profile_id=profile_id, title_id=title.id, value=-1
    )
    assert rating.value == -1
    assert _kinds(db) == ["thumbs_down"]
