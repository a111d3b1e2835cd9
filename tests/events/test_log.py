"""The event log itself: typed kinds, ids that are never reused, cursors that cannot strand."""

from __future__ import annotations

import typing
import uuid
from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction, utcnow
from marquee.events import analytics, consume, cursors, service
from marquee.events.models import Event, EventCursor
from marquee.events.schemas import (
    EventKind,
    LoggedEvent,
    PlayStart,
    Progress,
    Rating,
    event_adapter,
)
from tests.events.factories import make_title

# The fields a kind requires besides the profile and the title.
REQUIRED: dict[EventKind, dict[str, object]] = {
    EventKind.PROGRESS: {"position": 30.0, "watched_seconds": 30.0},
    EventKind.SEARCH_CLICK: {"query": "nite train", "rank": 0},
    EventKind.ROW_IMPRESSION: {"row": "trending", "position": 2},
    EventKind.QOE: {"rendition": "720p"},
    EventKind.RATING: {"rating": 4.0},
}


def _models() -> dict[EventKind, type[BaseModel]]:
    union = typing.get_args(typing.get_args(LoggedEvent)[0])
    return {model.model_fields["kind"].default: model for model in union}


def _old(factory: sessionmaker[Session], title: uuid.UUID, count: int, days: int) -> None:
    """`count` plays that happened `days` ago, appended (recorded) a minute ago."""
    at = utcnow() - timedelta(minutes=1)
    plays = [
        PlayStart(profile_id=uuid.uuid4(), title_id=title, occurred_at=at - timedelta(days=days))
        for _ in range(count)
    ]
    with transaction(factory) as session:
        service.append(session=session, events=plays, country="US", now=at)


def test_every_kind_has_its_own_typed_constructor() -> None:
    models = _models()
    assert set(models) == set(EventKind)
    assert len(set(models.values())) == len(EventKind)
    profile, title = uuid.uuid4(), uuid.uuid4()
    for kind, model in models.items():
        event = model(profile_id=profile, title_id=title, **REQUIRED.get(kind, {}))
        assert event.model_dump()["kind"] == kind


def test_clients_cannot_send_the_kinds_only_marquee_appends() -> None:
    raw = {"profile_id": str(uuid.uuid4()), "title_id": str(uuid.uuid4()), "kind": "rating"}
    with pytest.raises(ValidationError):
        event_adapter.validate_python({**raw, "rating": 5})
    with pytest.raises(ValidationError):
        Rating(profile_id=uuid.uuid4(), title_id=uuid.uuid4(), rating=9)


def test_appended_events_read_back_as_the_same_typed_values(
    session_factory: sessionmaker[Session],
) -> None:
    title, profile, now = make_title(session_factory), uuid.uuid4(), utcnow()
    written = [
        model(profile_id=profile, title_id=title, occurred_at=now, **REQUIRED.get(kind, {}))
        for kind, model in _models().items()
    ]
    with transaction(session_factory) as session:
        service.append(session=session, events=written, country="FR", now=now)
    with transaction(session_factory) as session:
        rows = list(session.scalars(select(Event).order_by(Event.id)))
        assert [row.kind for row in rows] == [e.kind.value for e in written]
        assert {row.country for row in rows} == {"FR"}
        assert [service.decode(row) for row in rows] == written


def test_ids_are_not_reused_after_retention_deletes_the_newest_rows(
    session_factory: sessionmaker[Session],
) -> None:
    """The demo's history is appended last, yet is the oldest; pruning it freed the top ids."""
    title = make_title(session_factory)
    _old(session_factory, title, count=5, days=500)
    with transaction(session_factory) as session:
        assert consume.run_once(session=session) == 5
        top = session.scalar(select(func.max(Event.id)))
        assert service.prune(session=session, older_than=utcnow() - timedelta(days=400)) == 5
    _old(session_factory, title, count=1, days=0)
    with transaction(session_factory) as session:
        fresh = session.scalar(select(func.max(Event.id)))
        assert top is not None
        assert fresh is not None
        assert fresh > top
        assert consume.run_once(session=session) == 1
        [stat] = analytics.top_titles(session=session, days=1, country=None, limit=10)
        assert stat.plays == 1


def test_a_cursor_beyond_the_log_is_caught_up_to_its_newest_event(
    session_factory: sessionmaker[Session],
) -> None:
    """The stranding as it happened: the cursor 100,000 past the newest id (the demo's pruned
    history), the new ids far below it. Measured from the newest id, not a fixed 100000: the
    database may have handed out ids before this test (SQLite's AUTOINCREMENT never reuses)."""
    title = make_title(session_factory)
    _old(session_factory, title, count=3, days=0)
    with transaction(session_factory) as session:
        stranded = (session.scalar(select(func.max(Event.id))) or 0) + 100_000
        session.add(EventCursor(consumer=consume.CONSUMER, position=stranded))
    with transaction(session_factory) as session:
        assert consume.run_once(session=session) == 0
        newest = session.scalar(select(func.max(Event.id)))
        assert cursors.position(session=session, consumer=consume.CONSUMER) == newest
    _old(session_factory, title, count=2, days=0)
    with transaction(session_factory) as session:
        assert consume.run_once(session=session) == 2
        [stat] = analytics.top_titles(session=session, days=1, country=None, limit=10)
        assert stat.plays == 2


def test_a_cursor_behind_the_log_is_left_alone(session_factory: sessionmaker[Session]) -> None:
    title = make_title(session_factory)
    _old(session_factory, title, count=2, days=0)
    with transaction(session_factory) as session:
        assert cursors.repair(session=session, consumer=consume.CONSUMER) is None
        assert consume.run_once(session=session) == 2
        assert cursors.repair(session=session, consumer=consume.CONSUMER) is None
        first = session.scalar(select(func.min(Event.id)))
        session.execute(update(EventCursor).values(position=first))
        assert consume.run_once(session=session) == 1  # only the second event is new again


def test_recent_rows_carry_position_and_duration_of_progress_only(
    session_factory: sessionmaker[Session],
) -> None:
    title, profile, now = make_title(session_factory), uuid.uuid4(), utcnow()
    watched = [
        PlayStart(profile_id=profile, title_id=title, occurred_at=now, position=5),
        Progress(
            profile_id=profile,
            title_id=title,
            occurred_at=now + timedelta(seconds=1),
            position=90,
            watched_seconds=85,
            duration=5400,
        ),
    ]
    with transaction(session_factory) as session:
        service.append(session=session, events=watched, country="US", now=now)
    with transaction(session_factory) as session:
        rows = service.recent_rows(session=session, profile_id=profile)
        latest = [(r.title_id, r.kind, r.position, r.duration) for r in rows]
    assert latest == [(title, "progress", 90.0, 5400.0), (title, "play_start", None, None)]
