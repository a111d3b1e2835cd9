"""Content keys: envelope encryption under the master key, licence tokens, ClearKey licences."""

from __future__ import annotations

import base64
import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction
from marquee.playback import keys
from marquee.playback.errors import KeyUnavailable, LicenseDenied
from marquee.playback.keys import TitleKey
from marquee.playback.models import ContentKey, PlaybackSession
from tests.catalog.factories import make_title

MASTER = os.urandom(32)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_wrap_unwrap_round_trip() -> None:
    title_id, key = uuid.uuid4(), os.urandom(16)
    wrapped = keys.wrap(MASTER, title_id=title_id, key=key)
    assert key not in wrapped
    assert keys.unwrap(MASTER, title_id=title_id, wrapped=wrapped) == key


def test_each_wrap_uses_a_fresh_nonce() -> None:
    title_id, key = uuid.uuid4(), os.urandom(16)
    first = keys.wrap(MASTER, title_id=title_id, key=key)
    assert first != keys.wrap(MASTER, title_id=title_id, key=key)


def test_a_wrong_master_key_does_not_unwrap() -> None:
    title_id = uuid.uuid4()
    wrapped = keys.wrap(MASTER, title_id=title_id, key=os.urandom(16))
    with pytest.raises(KeyUnavailable):
        keys.unwrap(os.urandom(32), title_id=title_id, wrapped=wrapped)


def test_a_wrapped_key_is_bound_to_its_title() -> None:
    wrapped = keys.wrap(MASTER, title_id=uuid.uuid4(), key=os.urandom(16))
    with pytest.raises(KeyUnavailable):
        keys.unwrap(MASTER, title_id=uuid.uuid4(), wrapped=wrapped)


@pytest.mark.parametrize("damage", ["flip", "truncate", "format"])
def test_a_damaged_wrapped_key_does_not_unwrap(damage: str) -> None:
    title_id = uuid.uuid4()
    wrapped = bytearray(keys.wrap(MASTER, title_id=title_id, key=os.urandom(16)))
    if damage == "flip":
        wrapped[-1] ^= 1
    elif damage == "truncate":
        wrapped = wrapped[:20]
    else:
        wrapped[0] = 9
    with pytest.raises(KeyUnavailable):
        keys.unwrap(MASTER, title_id=title_id, wrapped=bytes(wrapped))


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_master_key_is_refused(value: str) -> None:
    settings = Settings(env="test", master_key=value)
    with pytest.raises(KeyUnavailable):
        keys.master_key(settings)


def test_the_title_key_is_made_once_and_stored_only_wrapped(
    db: Session, settings: Settings
) -> None:
    title = make_title(db)
    first = keys.key_for_title(session=db, settings=settings, title_id=title.id)
    again = keys.key_for_title(session=db, settings=settings, title_id=title.id)
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
    assert keys.unwrap(keys.master_key(settings), title_id=title.id, wrapped=bytes(raw)) == (
        first.key
    )


def test_no_key_is_made_when_not_asked(db: Session, settings: Settings) -> None:
    title = make_title(db)
    assert keys.key_for_title(session=db, settings=settings, title_id=title.id, create=False) is (
        None
    )
    assert db.get(ContentKey, title.id) is None


def test_titles_get_distinct_keys(db: Session, settings: Settings) -> None:
    one = keys.key_for_title(session=db, settings=settings, title_id=make_title(db).id)
    two = keys.key_for_title(session=db, settings=settings, title_id=make_title(db).id)
    assert one is not None
    assert two is not None
    assert one.key != two.key
    assert one.kid != two.kid


def test_a_key_under_another_master_key_is_unavailable(db: Session, settings: Settings) -> None:
    title = make_title(db)
    keys.key_for_title(session=db, settings=settings, title_id=title.id)
    rotated = settings.model_copy(
        update={"master_key": Settings(master_key=base64.b64encode(MASTER).decode()).master_key}
    )
    with pytest.raises(KeyUnavailable):
        keys.key_for_title(session=db, settings=rotated, title_id=title.id)


def test_a_key_repr_never_shows_the_key() -> None:
    key = os.urandom(16)
    assert key.hex() not in repr(TitleKey(uuid.uuid4(), uuid.uuid4(), key))
    assert str(key) not in repr(TitleKey(uuid.uuid4(), uuid.uuid4(), key))


# -- licence tokens -------------------------------------------------------------------------

SETTINGS = Settings(env="test")


def test_a_licence_token_verifies_for_its_session_only() -> None:
    session_id = uuid.uuid4()
    token = keys.license_token(SETTINGS, session_id=session_id, expires_at=NOW + timedelta(hours=1))
    keys.verify_license_token(SETTINGS, session_id=session_id, token=token, now=NOW)
    with pytest.raises(LicenseDenied):
        keys.verify_license_token(SETTINGS, session_id=uuid.uuid4(), token=token, now=NOW)


def test_an_expired_licence_token_is_refused() -> None:
    session_id = uuid.uuid4()
    token = keys.license_token(SETTINGS, session_id=session_id, expires_at=NOW)
    with pytest.raises(LicenseDenied, match="expired"):
        keys.verify_license_token(SETTINGS, session_id=session_id, token=token, now=NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: str(int(t.split(".")[0]) + 3600) + "." + t.split(".")[1],
        lambda t: "",
        lambda t: "12345",
        lambda t: "x." + t.split(".")[1],
        lambda t: "9" * 40 + "." + t.split(".")[1],
    ],
)
def test_a_tampered_licence_token_is_refused(mangle: object) -> None:
    session_id = uuid.uuid4()
    token = keys.license_token(SETTINGS, session_id=session_id, expires_at=NOW + timedelta(hours=1))
    assert callable(mangle)
    with pytest.raises(LicenseDenied):
        keys.verify_license_token(SETTINGS, session_id=session_id, token=mangle(token), now=NOW)


def test_the_licence_url_carries_a_token_for_the_session() -> None:
    session = PlaybackSession(id=uuid.uuid4(), expires_at=NOW + timedelta(hours=6))
    url = keys.license_url(SETTINGS, session)
    path, _, query = url.partition("?token=")
    assert path == f"/api/v1/playback/sessions/{session.id}/license"
    keys.verify_license_token(SETTINGS, session_id=session.id, token=query, now=NOW)


def test_the_licence_is_a_clearkey_json_web_key_set() -> None:
    title_key = TitleKey(uuid.uuid4(), uuid.uuid4(), os.urandom(16))
    body = keys.license_response([title_key])
    assert body["type"] == "temporary"
    (jwk,) = body["keys"]
    assert jwk["kty"] == "oct"
    assert "=" not in jwk["k"] + jwk["kid"]
    assert keys.from_b64url(jwk["k"]) == title_key.key
    assert keys.from_b64url(jwk["kid"]) == title_key.kid.bytes


def test_two_jobs_making_one_titles_key_at_once_share_it(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with transaction(session_factory) as session:
        title_id = make_title(session).id
    first_flushed = threading.Event()
    found: dict[str, TitleKey | None] = {}

    def first() -> None:
        with transaction(session_factory) as session:
            found["first"] = keys.key_for_title(
                session=session, settings=settings, title_id=title_id
            )
            session.flush()
            first_flushed.set()
            time.sleep(0.5)  # the second insert now waits on this uncommitted row

    def second() -> None:
        first_flushed.wait(timeout=10)
        with transaction(session_factory) as session:
            found["second"] = keys.key_for_title(
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
