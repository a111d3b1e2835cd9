"""Content keys: envelope encryption under the master key, made once per title."""

from __future__ import annotations

import base64
import os
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction
from marquee.versions import content_keys
from marquee.versions.content_keys import TitleKey
from marquee.versions.errors import KeyUnavailable
from marquee.versions.models import ContentKey
from tests.catalog.factories import make_title

MASTER = os.urandom(32)


def test_wrap_unwrap_round_trip() -> None:
    title_id, key = uuid.uuid4(), os.urandom(16)
    wrapped = content_keys.wrap(MASTER, title_id=title_id, key=key)
    assert key not in wrapped
    assert content_keys.unwrap(MASTER, title_id=title_id, wrapped=wrapped) == key


def test_each_wrap_uses_a_fresh_nonce() -> None:
    title_id, key = uuid.uuid4(), os.urandom(16)
    first = content_keys.wrap(MASTER, title_id=title_id, key=key)
    assert first != content_keys.wrap(MASTER, title_id=title_id, key=key)


def test_a_wrong_master_key_does_not_unwrap() -> None:
    title_id = uuid.uuid4()
    wrapped = content_keys.wrap(MASTER, title_id=title_id, key=os.urandom(16))
    with pytest.raises(KeyUnavailable):
        content_keys.unwrap(os.urandom(32), title_id=title_id, wrapped=wrapped)


def test_a_wrapped_key_is_bound_to_its_title() -> None:
    wrapped = content_keys.wrap(MASTER, title_id=uuid.uuid4(), key=os.urandom(16))
    with pytest.raises(KeyUnavailable):
        content_keys.unwrap(MASTER, title_id=uuid.uuid4(), wrapped=wrapped)


@pytest.mark.parametrize("damage", ["flip", "truncate", "format"])
def test_a_damaged_wrapped_key_does_not_unwrap(damage: str) -> None:
    title_id = uuid.uuid4()
    wrapped = bytearray(content_keys.wrap(MASTER, title_id=title_id, key=os.urandom(16)))
    if damage == "flip":
        wrapped[-1] ^= 1
    elif damage == "truncate":
        wrapped = wrapped[:20]
    else:
        wrapped[0] = 9
    with pytest.raises(KeyUnavailable):
        content_keys.unwrap(MASTER, title_id=title_id, wrapped=bytes(wrapped))


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_master_key_is_refused(value: str) -> None:
    settings = Settings(env="test", master_key=value)
    with pytest.raises(KeyUnavailable):
        content_keys.master_key(settings)


def test_the_title_key_is_made_once_and_stored_only_wrapped(
    db: Session, settings: Settings
) -> None:
    title = make_title(db)
    first = content_keys.key_for_title(session=db, settings=settings, title_id=title.id)
    again = content_keys.key_for_title(session=db, settings=settings, title_id=title.id)
    assert first is not None
    assert again == first
    assert len(first.key) == 16
    assert first.kid.version == 4
    db.flush()
    raw = db.execute(
        text("SELECT wrapped_key FROM content_keys WHERE title_id = :t"),
        {"t": title.id.hex if db.get_bind().dialect.name == "sqlite" else title.id},
    ).scalar_one()
    assert first.key not in bytes(raw)
    assert content_keys.unwrap(
        content_keys.master_key(settings), title_id=title.id, wrapped=bytes(raw)
    ) == (first.key)


def test_no_key_is_made_when_not_asked(db: Session, settings: Settings) -> None:
    title = make_title(db)
    assert content_keys.key_for_title(
        session=db, settings=settings, title_id=title.id, create=False
    ) is (None)
    assert db.get(ContentKey, title.id) is None


def test_titles_get_distinct_keys(db: Session, settings: Settings) -> None:
    one = content_keys.key_for_title(session=db, settings=settings, title_id=make_title(db).id)
    two = content_keys.key_for_title(session=db, settings=settings, title_id=make_title(db).id)
    assert one is not None
    assert two is not None
    assert one.key != two.key
    assert one.kid != two.kid


def test_a_key_under_another_master_key_is_unavailable(db: Session, settings: Settings) -> None:
    title = make_title(db)
    content_keys.key_for_title(session=db, settings=settings, title_id=title.id)
    rotated = settings.model_copy(
        update={"master_key": Settings(master_key=base64.b64encode(MASTER).decode()).master_key}
    )
    with pytest.raises(KeyUnavailable):
        content_keys.key_for_title(session=db, settings=rotated, title_id=title.id)


def test_a_key_repr_never_shows_the_key() -> None:
    key = os.urandom(16)
    assert key.hex() not in repr(TitleKey(uuid.uuid4(), uuid.uuid4(), key))
    assert str(key) not in repr(TitleKey(uuid.uuid4(), uuid.uuid4(), key))


def test_two_jobs_making_one_titles_key_at_once_share_it(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with transaction(session_factory) as session:
        title_id = make_title(session).id
    first_flushed = threading.Event()
    found: dict[str, TitleKey | None] = {}

    def first() -> None:
        with transaction(session_factory) as session:
            found["first"] = content_keys.key_for_title(
                session=session, settings=settings, title_id=title_id
            )
            session.flush()
            first_flushed.set()
            time.sleep(0.5)  # the second insert now waits on this uncommitted row

    def second() -> None:
        first_flushed.wait(timeout=10)
        with transaction(session_factory) as session:
            found["second"] = content_keys.key_for_title(
                session=session, settings=settings, title_id=title_id
            )

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert found["first"] is not None
    assert found["second"] == found["first"]
    with transaction(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(ContentKey)) == 1
