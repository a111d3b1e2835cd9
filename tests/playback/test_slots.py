"""Stream slots: the same lease rules from the database table and from Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from marquee.accounts.models import User
from marquee.db import transaction, utcnow
from marquee.playback.slots import DatabaseSlots, StreamSlots, make_stream_slots
from marquee.playback.slots_redis import RedisSlots

TTL = 120.0


@pytest.fixture(params=["database", "redis"])
def slots(request: pytest.FixtureRequest) -> Iterator[StreamSlots]:
    if request.param == "database":
        yield DatabaseSlots()
        return
    client: Redis[bytes] = Redis.from_url(request.getfixturevalue("redis_url"))
    prefix = f"test:{uuid.uuid4().hex}:"
    yield RedisSlots(client, prefix=prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def _user(db: Session) -> uuid.UUID:
    user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="-")
    db.add(user)
    db.flush()
    return user.id


def test_the_limit_holds_and_a_holder_may_take_its_slot_again(
    db: Session, slots: StreamSlots
) -> None:
    user = _user(db)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = utcnow()
    for session_id in (first, second):
        assert slots.acquire(
            db=db, user_id=user, session_id=session_id, max_streams=2, ttl=TTL, now=now
        )
    assert not slots.acquire(db=db, user_id=user, session_id=third, max_streams=2, ttl=TTL, now=now)
    assert slots.acquire(db=db, user_id=user, session_id=first, max_streams=2, ttl=TTL, now=now)
    assert sorted(slots.active(db=db, user_id=user, now=now)) == sorted([first, second])


def test_accounts_do_not_share_slots(db: Session, slots: StreamSlots) -> None:
    one, other = _user(db), _user(db)
    now = utcnow()
    assert slots.acquire(
        db=db, user_id=one, session_id=uuid.uuid4(), max_streams=1, ttl=TTL, now=now
    )
    assert slots.acquire(
        db=db, user_id=other, session_id=uuid.uuid4(), max_streams=1, ttl=TTL, now=now
    )


def test_release_frees_the_slot(db: Session, slots: StreamSlots) -> None:
    user = _user(db)
    held, waiting = uuid.uuid4(), uuid.uuid4()
    now = utcnow()
    assert slots.acquire(db=db, user_id=user, session_id=held, max_streams=1, ttl=TTL, now=now)
    assert not slots.acquire(
        db=db, user_id=user, session_id=waiting, max_streams=1, ttl=TTL, now=now
    )
    slots.release(db=db, user_id=user, session_id=held)
    assert slots.acquire(db=db, user_id=user, session_id=waiting, max_streams=1, ttl=TTL, now=now)
    assert slots.active(db=db, user_id=user, now=now) == [waiting]


def test_a_silent_lease_lapses_and_a_renewed_one_does_not(db: Session, slots: StreamSlots) -> None:
    user = _user(db)
    silent, beating, newcomer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = utcnow()
    for session_id in (silent, beating):
        assert slots.acquire(
            db=db, user_id=user, session_id=session_id, max_streams=2, ttl=TTL, now=start
        )
    later = start + timedelta(seconds=100)
    assert slots.renew(db=db, user_id=user, session_id=beating, ttl=TTL, now=later)
    past_idle = start + timedelta(seconds=TTL + 1)
    assert slots.active(db=db, user_id=user, now=past_idle) == [beating]
    assert not slots.renew(db=db, user_id=user, session_id=silent, ttl=TTL, now=past_idle)
    assert slots.acquire(
        db=db, user_id=user, session_id=newcomer, max_streams=2, ttl=TTL, now=past_idle
    )
    assert not slots.acquire(
        db=db, user_id=user, session_id=silent, max_streams=2, ttl=TTL, now=past_idle
    )


def test_a_plan_with_no_streams_gets_none(db: Session, slots: StreamSlots) -> None:
    user = _user(db)
    assert not slots.acquire(
        db=db, user_id=user, session_id=uuid.uuid4(), max_streams=0, ttl=TTL, now=utcnow()
    )


def test_the_factory_picks_redis_only_when_configured(redis_url: str) -> None:
    assert isinstance(make_stream_slots(None), DatabaseSlots)
    assert isinstance(make_stream_slots(redis_url), RedisSlots)


def test_a_slot_taken_by_a_unit_of_work_that_rolls_back_is_free_again(
    session_factory: sessionmaker[Session], slots: StreamSlots
) -> None:
    with transaction(session_factory) as committed:
        user = _user(committed)
    now = utcnow()
    failed = session_factory()
    try:
        assert slots.acquire(
            db=failed, user_id=user, session_id=uuid.uuid4(), max_streams=1, ttl=TTL, now=now
        )
        failed.rollback()  # e.g. the start's commit failed, or a later check refused it
    finally:
        failed.close()
    with transaction(session_factory) as session:
        assert slots.active(db=session, user_id=user, now=now) == []
        assert slots.acquire(
            db=session, user_id=user, session_id=uuid.uuid4(), max_streams=1, ttl=TTL, now=now
        )
