"""Stream slots: an account's simultaneous streams as leases, shared by every API replica.

A slot is a lease held by one playback session until it stops or stops heart-beating for
`ttl` seconds. Two implementations keep the count exact under concurrent starts: the
`stream_slots` table, whose primary key (user, slot number) lets only one transaction
take slot n, and a Redis sorted set per account updated by one atomic script.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from marquee.db import utcnow
from marquee.playback.models import StreamSlot

if TYPE_CHECKING:
    from redis import Redis


class StreamSlots(Protocol):
    """Leases on an account's streams. `db` is the caller's unit of work (unused by Redis)."""

    def acquire(
        self,
        *,
        db: Session,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        max_streams: int,
        ttl: float,
        now: datetime | None = None,
    ) -> bool:
        """Take a free slot for `session_id` (or renew the one it holds); False when all are held."""

    def renew(
        self,
        *,
        db: Session,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        ttl: float,
        now: datetime | None = None,
    ) -> bool:
        """Extend the session's lease; False if it no longer holds one (it lapsed)."""

    def release(self, *, db: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """Free the session's slot, if it holds one."""

    def active(
        self, *, db: Session, user_id: uuid.UUID, now: datetime | None = None
    ) -> list[uuid.UUID]:
        """The sessions holding a live lease on this account's streams."""


class DatabaseSlots:
    """Slots as rows; a unique (user_id, slot) primary key makes each one exclusive.

    Each attempt is an insert that does nothing on a conflict, so losing a race for slot n
    leaves the caller's transaction intact and it carries on to slot n + 1. On PostgreSQL
    a competing insert of the same key waits for the other transaction and is then
    skipped; on SQLite the first write takes the database lock, so starts are serialised.
    """

    def acquire(
        self,
        *,
        db: Session,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        max_streams: int,
        ttl: float,
        now: datetime | None = None,
    ) -> bool:
        now = now or utcnow()
        expires = now + timedelta(seconds=ttl)
        # The first write of the transaction: on SQLite it takes the write lock before any read.
        db.execute(
            delete(StreamSlot)
            .where(StreamSlot.user_id == user_id, StreamSlot.expires_at <= now)
            .execution_options(synchronize_session=False)
        )
        held = db.execute(
            select(StreamSlot.slot, StreamSlot.session_id).where(StreamSlot.user_id == user_id)
        ).all()
        if any(holder == session_id for _, holder in held):
            return self.renew(db=db, user_id=user_id, session_id=session_id, ttl=ttl, now=now)
        taken = {slot for slot, _ in held}
        for slot in range(max_streams):
            if slot in taken:
                continue
            if self._try_insert(db, user_id, slot, session_id, expires):
                return True
        return False

    @staticmethod
    def _try_insert(
        db: Session, user_id: uuid.UUID, slot: int, session_id: uuid.UUID, expires: datetime
    ) -> bool:
        """One statement, no savepoint: a slot another transaction took is simply not inserted.

        PostgreSQL makes a competing insert of the same key wait for the other transaction,
        then skip the row if that one committed; SQLite serialises writers anyway.
        """
        values = {
            "user_id": user_id,
            "slot": slot,
            "session_id": session_id,
            "expires_at": expires,
        }
        insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = insert(StreamSlot).values(values).on_conflict_do_nothing()
        # RETURNING says whether the row went in; an ORM insert's rowcount need not.
        return db.execute(statement.returning(StreamSlot.slot)).first() is not None

    def renew(
        self,
        *,
        db: Session,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        ttl: float,
        now: datetime | None = None,
    ) -> bool:
        now = now or utcnow()
        result = db.execute(
            update(StreamSlot)
            .where(
                StreamSlot.user_id == user_id,
                StreamSlot.session_id == session_id,
                StreamSlot.expires_at > now,
            )
            .values(expires_at=now + timedelta(seconds=ttl))
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def release(self, *, db: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        db.execute(
            delete(StreamSlot)
            .where(StreamSlot.user_id == user_id, StreamSlot.session_id == session_id)
            .execution_options(synchronize_session=False)
        )

    def active(
        self, *, db: Session, user_id: uuid.UUID, now: datetime | None = None
    ) -> list[uuid.UUID]:
        now = now or utcnow()
        query = (
            select(StreamSlot.session_id)
            .where(StreamSlot.user_id == user_id, StreamSlot.expires_at > now)
            .order_by(StreamSlot.slot)
        )
        return list(db.scalars(query))


def make_stream_slots(
    redis: Redis[bytes] | str | None, *, idle_seconds: float = 120
) -> StreamSlots:
    """Redis when the deployment has one (shared, no database writes per heartbeat), else the table.

    On Redis, an account's leases lost with a restart are rebuilt from its live sessions
    in the database (`idle_seconds` says how long a silent session stays live).
    """
    if redis is None or redis == "":
        return DatabaseSlots()
    from marquee.playback.slots_redis import RedisSlots

    if isinstance(redis, str):
        return RedisSlots.from_url(redis, idle_seconds=idle_seconds)
    return RedisSlots(redis, idle_seconds=idle_seconds)
