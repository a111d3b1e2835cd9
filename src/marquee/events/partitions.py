"""Daily partitions of the event log on PostgreSQL: created ahead of time, dropped for retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

PREFIX = "events_p"


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def is_partitioned(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = session.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'events'::regclass")
    ).first()
    return found is not None


def ensure_partitions(*, session: Session, today: date, days_ahead: int = 7) -> list[str]:
    """Create the partitions for today and the next days; returns the ones created.

    A day whose rows already fell into the default partition keeps them there (PostgreSQL
    refuses a new partition that would strand rows of the default one); nothing is lost.
    """
    if not is_partitioned(session):
        return []
    created = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        name = partition_name(day)
        if _exists(session, name):
            continue
        start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
        try:
            with session.begin_nested():
                session.execute(
                    text(
                        f"CREATE TABLE {name} PARTITION OF events "
                        f"FOR VALUES FROM ('{start}') TO ('{end}')"
                    )
                )
            created.append(name)
        except DBAPIError:
            continue
    return created


def drop_before(*, session: Session, cutoff: datetime) -> list[str]:
    """Retention by dropping whole daily partitions that end before `cutoff`."""
    if not is_partitioned(session):
        return []
    rows = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'events'::regclass AND c.relname LIKE :prefix"
        ),
        {"prefix": f"{PREFIX}%"},
    ).scalars()
    dropped = []
    for name in rows:
        day = datetime.strptime(name[len(PREFIX) :], "%Y%m%d").date()
        if day + timedelta(days=1) <= cutoff.date():
            session.execute(text(f"DROP TABLE {name}"))
            dropped.append(name)
    return dropped


def _exists(session: Session, name: str) -> bool:
    return session.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() is not None
