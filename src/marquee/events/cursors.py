"""Consumer cursors on the event log: read what is new, advance, and never stay stranded.

Ids are never reused (PostgreSQL's sequence; AUTOINCREMENT on SQLite), so a cursor only falls
behind. A cursor above every id in the log can still happen: a database restored from a
backup, or one written before SQLite's ids stopped being reused, where the pruned rows' ids
came back and the cursor sat past all of them. Such a cursor would wait forever for ids it
has already passed; it is pulled back to the newest id, i.e. treated as caught up there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marquee.db import utcnow
from marquee.events.models import Event, EventCursor

log = logging.getLogger("marquee.events")


def position(*, session: Session, consumer: str) -> int:
    cursor = session.get(EventCursor, consumer)
    return cursor.position if cursor else 0


def read_batch(
    *,
    session: Session,
    consumer: str,
    limit: int = 5000,
    lag_seconds: float = 2.0,
    now: datetime | None = None,
) -> list[Event]:
    """The next events this consumer has not seen, oldest first."""
    after = position(session=session, consumer=consumer)
    horizon = (now or utcnow()) - timedelta(seconds=lag_seconds)
    query = (
        select(Event)
        .where(Event.id > after, Event.recorded_at <= horizon)
        .order_by(Event.id)
        .limit(limit)
    )
    events = list(session.scalars(query))
    if not events and after > 0:
        # Nothing new is also what a stranded cursor sees: only then is the check worth a query.
        repair(session=session, consumer=consumer)
    return events


def repair(*, session: Session, consumer: str) -> int | None:
    """Pull a cursor that sits beyond the newest event back to it; returns the new position."""
    cursor = session.get(EventCursor, consumer)
    newest = int(session.scalar(select(func.max(Event.id))) or 0)
    if cursor is None or cursor.position <= newest:
        return None
    log.warning(
        "event cursor beyond the log, caught up to its newest event",
        extra={"consumer": consumer, "cursor": cursor.position, "newest": newest},
    )
    cursor.position = newest
    session.flush()
    return newest


def advance(*, session: Session, consumer: str, position: int) -> None:
    cursor = session.get(EventCursor, consumer)
    if cursor is None:
        session.add(EventCursor(consumer=consumer, position=position))
    elif position > cursor.position:
        cursor.position = position
    session.flush()
